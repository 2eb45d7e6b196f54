import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '@immo/test-servers';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  ALERT_NAMES,
  type AlertingRule,
  type AlertRulesOptions,
  alertRules,
  alertTests,
  forBoundaryTest,
  isAlertingRule,
  MixinError,
  metricsMixin,
  promtoolTestFile,
  recordingRules,
  toPrometheusRuleFile,
} from '../src/mixin/index.js';

const execFileAsync = promisify(execFile);
const tools = requireTools('alert rules under promtool', ['promtool']);
const tmp = mkdtempSync(join(tmpdir(), 'immo-alerts-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const options: AlertRulesOptions = {
  runbookBaseUrl: 'https://runbooks.example.com/runbooks/',
  job: 'billing-api',
};
const alertsOf = (o: AlertRulesOptions) =>
  alertRules(o)
    .flatMap((g) => g.rules)
    .filter(isAlertingRule);

let n = 0;
/** Runs `promtool test rules` over the recording rules + the given alerts with the given tests. */
async function promtoolTest(alerts: AlertingRule[], tests: ReturnType<typeof alertTests>, selector?: string) {
  const dir = join(tmp, `t${n++}`);
  (await import('node:fs')).mkdirSync(dir);
  const rules = toPrometheusRuleFile([
    ...recordingRules(selector ? { selector } : {}),
    { name: 'alerts', rules: alerts },
  ]);
  writeFileSync(join(dir, 'rules.yml'), YAML.stringify(rules));
  writeFileSync(join(dir, 'rules.test.yml'), YAML.stringify(promtoolTestFile(['rules.yml'], tests)));
  try {
    const { stdout, stderr } = await execFileAsync(tools.path('promtool'), [
      'test',
      'rules',
      join(dir, 'rules.test.yml'),
    ]);
    return { ok: true, output: stdout + stderr };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { ok: false, output: e.stdout + e.stderr };
  }
}

describe('alertRules', () => {
  it('writes the rollout plan alerts with routing labels, annotations and runbooks', () => {
    const alerts = alertsOf(options);
    expect(alerts.map((a) => a.alert)).toEqual([...ALERT_NAMES]);
    const priority = Object.fromEntries(alerts.map((a) => [a.alert, a.labels.priority]));
    expect(priority).toEqual({
      CriticalErrorRate: 'P0',
      HighErrorRate: 'P1',
      ServiceDegraded: 'P0',
      DbConnectionsCritical: 'P0',
      TargetDown: 'P1',
      TargetMissing: 'P1',
      Watchdog: 'P2',
    });
    for (const a of alerts) {
      expect(a.annotations.runbook_url).toBe(`https://runbooks.example.com/runbooks/${a.alert}.md`);
      expect(a.annotations.summary).toMatch(/^[A-Z].*\.$/);
      expect(a.annotations.summary).not.toContain('{{');
      expect(a.annotations.description).toContain('{{');
      expect(a.for === undefined).toBe(a.alert === 'Watchdog');
      const errors: number[] = [];
      parser.parse(a.expr).iterate({ enter: (node) => void (node.type.isError && errors.push(node.from)) });
      expect(errors, a.expr).toEqual([]);
    }
  });

  it('lists every bad option at once', () => {
    expect(() =>
      alertRules({
        runbookBaseUrl: 'runbooks',
        job: '',
        criticalErrorRatio: 2,
        for: { HighErrorRate: 'soon' },
      } as never),
    ).toThrow(MixinError);
    try {
      alertRules({
        runbookBaseUrl: 'runbooks',
        job: '',
        criticalErrorRatio: 2,
        for: { HighErrorRate: 'soon' },
      } as never);
    } catch (err) {
      expect((err as MixinError).issues).toEqual([
        expect.stringMatching(/^runbookBaseUrl: /),
        'job: expected length >= 1, received ""',
        'criticalErrorRatio: expected < 1, received number 2',
        'for.HighErrorRate: expected a Prometheus duration like "5m", received "soon"',
      ]);
    }
    expect(() => alertRules({ ...options, highErrorRatio: 0.1 })).toThrow(
      /highErrorRatio: expected less than criticalErrorRatio \(0\.05\)/,
    );
  });

  it("limits the error-ratio alerts to the selector's service, so one service's thresholds do not page for another", () => {
    const one = alertsOf({ ...options, selector: 'service="billing"' }).find(
      (a) => a.alert === 'CriticalErrorRate',
    )!;
    expect(one.expr).toBe(
      'service:http_server_request_errors:ratio_rate5m{service="billing"} > 0.05 and service:http_server_requests:rate5m{service="billing"} > 0.05',
    );
    const all = alertsOf(options).find((a) => a.alert === 'CriticalErrorRate')!;
    expect(all.expr).not.toContain('{service=');
  });

  it('joins metricsMixin with its tests when alert options are given', () => {
    const mixin = metricsMixin({ alerts: options });
    expect(mixin.groups.at(-1)?.name).toBe('immo-metrics-alerts');
    expect(mixin.tests).toHaveLength(ALERT_NAMES.length);
    expect(metricsMixin().tests).toBeUndefined();
  });
});

describe.skipIf(!tools.ok)('the alerts under promtool test rules', () => {
  it('every alert is quiet one evaluation before its for: ends and fires at it, with its labels and annotations', async () => {
    const tests = alertTests(options);
    expect(tests.map((t) => t.alert_rule_test?.at(-1)?.alertname)).toEqual([...ALERT_NAMES]);
    const result = await promtoolTest(alertsOf(options), tests);
    if (!result.ok) console.log(result.output);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.ok).toBe(true);
  });

  it('holds with shortened for: durations and a selector (as an end-to-end test renders them)', async () => {
    const short: AlertRulesOptions = {
      ...options,
      selector: 'namespace="billing"',
      for: {
        CriticalErrorRate: '1m',
        HighErrorRate: '2m',
        ServiceDegraded: '1m',
        DbConnectionsCritical: '1m',
        TargetDown: '1m',
        TargetMissing: '1m',
      },
    };
    const result = await promtoolTest(alertsOf(short), alertTests(short), 'namespace="billing"');
    expect(result.output).toMatch(/SUCCESS/);
  });

  it('fails when an alert drifts from its test (for: or threshold changed)', async () => {
    const tests = alertTests(options);
    const changedFor = alertsOf(options).map((a) => (a.alert === 'HighErrorRate' ? { ...a, for: '20m' } : a));
    const changedThreshold = alertsOf(options).map((a) =>
      a.alert === 'CriticalErrorRate' ? { ...a, expr: a.expr.replace('> 0.05', '> 0.6') } : a,
    );
    const r1 = await promtoolTest(changedFor, tests);
    expect(r1.ok).toBe(false);
    expect(r1.output).toMatch(/HighErrorRate/);
    const r2 = await promtoolTest(changedThreshold, tests);
    expect(r2.ok).toBe(false);
    expect(r2.output).toMatch(/CriticalErrorRate/);
  });

  it('forBoundaryTest checks only the firing side for an alert without for:', () => {
    const watchdog = alertsOf(options).find((a) => a.alert === 'Watchdog')!;
    const t = forBoundaryTest({
      rule: watchdog,
      inputSeries: [],
      trueFrom: '0m',
      expLabels: {},
      expDescription: 'x',
    });
    expect(t.alert_rule_test?.map((x) => x.eval_time)).toEqual(['0s']);
  });
});
