import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '@immo/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  defineService,
  forBoundaryTest,
  formatDuration,
  type K8sManifestsError,
  lintRules,
  type MixinRule,
  parseDuration,
  promtoolTestFile,
  renderService,
} from '../src/index.js';

const execFileAsync = promisify(execFile);
const tools = requireTools('promtool unit tests of alerts', ['promtool']);
const tmp = mkdtempSync(join(tmpdir(), 'immo-k8s-rules-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const highErrorRate: MixinRule = {
  alert: 'HighErrorRate',
  expr: 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.05',
  for: '10m',
  labels: { severity: 'warning', priority: 'P1' },
  annotations: {
    summary: 'Many requests fail.',
    description: '{{ $labels.service }} answers {{ $value | humanizePercentage }} of requests with 5xx.',
    runbook_url: 'https://runbooks.example.com/high-error-rate',
  },
};

describe('lintRules', () => {
  it('accepts a rule that follows the conventions', () => {
    expect(
      lintRules([
        {
          name: 'g',
          rules: [highErrorRate, { record: 'service:http_requests:rate5m', expr: 'sum(rate(x[5m]))' }],
        },
      ]),
    ).toEqual([]);
  });

  it('lets only the Watchdog go without for:', () => {
    const watchdog = {
      ...highErrorRate,
      alert: 'Watchdog',
      for: undefined,
      labels: { severity: 'info', priority: 'P2' },
    };
    expect(lintRules([{ name: 'g', rules: [watchdog] }])).toEqual([]);
    expect(lintRules([{ name: 'g', rules: [{ ...watchdog, alert: 'Heartbeat' }] }])).toEqual([
      'g/Heartbeat: "for" must be a duration (pending before firing avoids pages on blips), not null',
    ]);
  });

  it('is applied to every mixin alert at render time', () => {
    const image = `api@sha256:${'a'.repeat(64)}`;
    const def = defineService({
      name: 'api',
      namespace: 'shop',
      image,
      mixins: [
        {
          name: 'm',
          groups: [
            {
              name: 'g',
              rules: [
                {
                  ...highErrorRate,
                  annotations: { ...highErrorRate.annotations, summary: 'many requests fail' },
                },
              ],
            },
          ],
        },
      ],
    });
    const err = (() => {
      try {
        renderService(def);
      } catch (e) {
        return e as K8sManifestsError;
      }
    })();
    expect(err?.code).toBe('IMMO_K8S_INVALID_MIXIN');
    expect(err?.issues).toEqual([
      'mixins: g/HighErrorRate: the summary starts with a capital letter',
      'mixins: g/HighErrorRate: the summary ends with a period',
    ]);
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000, '90s'],
    ['1h30m', 5_400_000, '90m'],
    ['10m', 600_000, '10m'],
    ['1d', 86_400_000, '1d'],
  ])('%s', (text, ms, back) => {
    expect(parseDuration(text)).toBe(ms);
    expect(formatDuration(ms)).toBe(back);
  });
  it('refuses what is not a duration', () => {
    expect(parseDuration('10 minutes')).toBeUndefined();
  });
});

describe.skipIf(!tools.ok)('forBoundaryTest with the real promtool', () => {
  // 1 request/s, every tenth one a 5xx: 10 % errors from the first minute on.
  const inputSeries = [
    { series: 'http_requests_total{service="billing",code="200"}', values: '0+54x40' },
    { series: 'http_requests_total{service="billing",code="500"}', values: '0+6x40' },
  ];
  const test = forBoundaryTest({
    rule: highErrorRate,
    inputSeries,
    trueFrom: '1m',
    expLabels: { service: 'billing' },
    expDescription: 'billing answers 10% of requests with 5xx.',
  });

  async function promtoolTest(rule: MixinRule): Promise<{ ok: boolean; output: string }> {
    const dir = mkdtempSync(join(tmp, 't-'));
    writeFileSync(join(dir, 'rules.yml'), YAML.stringify({ groups: [{ name: 'g', rules: [rule] }] }));
    writeFileSync(join(dir, 'rules.test.yml'), YAML.stringify(promtoolTestFile(['rules.yml'], [test])));
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

  it('checks quiet one interval before the for: boundary and firing at it', async () => {
    expect(test.alert_rule_test?.map((t) => t.eval_time)).toEqual(['10m', '11m']);
    const result = await promtoolTest(highErrorRate);
    expect(result.output).toMatch(/SUCCESS/);
    expect(result.ok).toBe(true);
  });

  it('fails when the rule changes: a longer for:, or a threshold the inputs do not reach', async () => {
    expect((await promtoolTest({ ...highErrorRate, for: '15m' })).ok).toBe(false);
    expect((await promtoolTest({ ...highErrorRate, for: '5m' })).ok).toBe(false);
    expect(
      (await promtoolTest({ ...highErrorRate, expr: highErrorRate.expr.replace('0.05', '0.2') })).ok,
    ).toBe(false);
  });
});
