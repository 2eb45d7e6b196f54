import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { requireTools } from '@immo/test-servers';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BURN_WINDOWS,
  burnRateSeries,
  defineSlos,
  SLO_SERIES,
  type Slo,
  type SloRule,
  type SloRuleGroup,
  type SloSpec,
  sloRuleFile,
  sloRuleGroup,
  sloTestFile,
  toYaml,
} from '../src/index.js';
import { availability, billing, goodRatio, latency, probe } from './fixtures.js';

const run = promisify(execFile);
const tools = requireTools('@immo/slo rules with promtool', ['promtool']);
const tmp = mkdtempSync(join(tmpdir(), 'immo-slo-promtool-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** Runs `promtool test rules` on one SLO's generated tests against the given group. */
async function promtoolTest(slo: Slo, group: SloRuleGroup = sloRuleGroup(slo)) {
  const dir = join(tmp, `t${++n}`);
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  writeFileSync(join(dir, 'rules.yml'), toYaml({ groups: [group] }));
  writeFileSync(join(dir, 'test.yml'), toYaml(sloTestFile('rules.yml', slo)));
  try {
    const { stdout } = await run(tools.path('promtool'), ['test', 'rules', join(dir, 'test.yml')]);
    return { ok: true, output: stdout };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    return { ok: false, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

/** A fresh folder holding `rules.yml` with the SLO's group, for hand-written tests. */
async function rulesDir(slo: Slo): Promise<string> {
  const dir = join(tmp, `h${++n}`);
  await import('node:fs/promises').then((fs) => fs.mkdir(dir));
  writeFileSync(join(dir, 'rules.yml'), toYaml({ groups: [sloRuleGroup(slo)] }));
  return dir;
}

/** Runs one hand-written promtool test against `<dir>/rules.yml`; returns promtool's output. */
async function runTest(dir: string, test: object): Promise<string> {
  writeFileSync(
    join(dir, 'test.yml'),
    toYaml({ rule_files: ['rules.yml'], evaluation_interval: '1m', tests: [test] }),
  );
  return run(tools.path('promtool'), ['test', 'rules', join(dir, 'test.yml')]).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? 'failed',
  );
}

function mutate(
  group: SloRuleGroup,
  pick: (r: SloRuleGroup['rules'][number]) => boolean,
  from: string,
  to: string,
) {
  let changed = 0;
  const rules = group.rules.map((r) => {
    if (!pick(r) || !r.expr.includes(from)) return r;
    changed++;
    return { ...r, expr: r.expr.replaceAll(from, to) };
  });
  expect(changed, `mutation ${from} -> ${to}`).toBeGreaterThan(0);
  return { ...group, rules };
}

const all: SloSpec[] = [
  availability,
  latency,
  goodRatio,
  probe,
  billing,
  {
    ...availability,
    id: 'avail-28d',
    window: '28d',
    objective: '99.5%',
    alerting: { fast: { for: '2m' }, minEvents: 100 },
  },
  {
    ...latency,
    id: 'latency-7d',
    window: '7d',
    objective: '99.9%',
    sli: { ...latency.sli, threshold: 0.5 } as SloSpec['sli'],
  },
];

// promtool is CPU-bound: under the whole suite on two cores a run takes several times its solo time.
describe.skipIf(!tools.ok)('generated rules and tests with the real promtool', { timeout: 180_000 }, () => {
  const slos = defineSlos(all);

  it('promtool check rules accepts one group per SLO, every kind and window', async () => {
    writeFileSync(join(tmp, 'all.yml'), toYaml(sloRuleFile(slos)));
    const { stdout } = await run(tools.path('promtool'), ['check', 'rules', join(tmp, 'all.yml')]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    expect(stdout).not.toMatch(/duplicate/i);
  });

  it.each(slos.map((s) => [s.id, s] as const))('the generated tests of %s pass', async (_, slo) => {
    const r = await promtoolTest(slo);
    expect(r.output).toMatch(/SUCCESS/);
    expect(r.ok).toBe(true);
  });

  it('fail when the page factor is halved (fires before the workbook time)', async () => {
    const slo = slos[0]!;
    const r = await promtoolTest(
      slo,
      mutate(sloRuleGroup(slo), (r) => r.alert === 'SLOFastBurn', '> 14.4', '> 7.2'),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/2\.88% errors .*SLOFastBurn quiet before the workbook/s);
  });

  it('fail when a burn rate loses its zero-traffic guard (NaN instead of no value)', async () => {
    const slo = slos[0]!;
    const guard = '(slo:events:increase5m{slo="api-availability", service="api"} > 0)';
    const r = await promtoolTest(
      slo,
      mutate(
        sloRuleGroup(slo),
        (r) => r.record === burnRateSeries('5m'),
        guard,
        'slo:events:increase5m{slo="api-availability", service="api"}',
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/got: .*slo:burn_rate:5m.* NaN/);
  });

  it('fail when the ticket also pages on a slow leak (slow factors used for the page)', async () => {
    const slo = slos[0]!;
    const r = await promtoolTest(
      slo,
      mutate(sloRuleGroup(slo), (r) => r.alert === 'SLOFastBurn', '> 6', '> 1'),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/slow leak/);
  });

  it.each([
    [
      'the 6h/30m page condition is dropped',
      (r: SloRule) => r.alert === 'SLOFastBurn',
      /\nor\n\(slo:burn_rate:6h[^)]+\)/,
      '',
      /6h condition alone/,
    ],
    [
      'the page factor is 10% higher',
      (r: SloRule) => r.alert === 'SLOFastBurn',
      /> 14\.4/g,
      '> 15.84',
      /2\.88% errors/,
    ],
    [
      'the 3d/6h ticket factor is 10x',
      (r: SloRule) => r.alert === 'SLOSlowBurn',
      /> 1\)/g,
      '> 10)',
      /3d condition alone/,
    ],
    [
      'the no-traffic budget fallback is dropped',
      (r: SloRule) => r.record === SLO_SERIES.budgetRemaining,
      / or on\(\) vector\(1\)/,
      '',
      /error_budget_remaining/,
    ],
  ] as const)('fail when %s', async (_, pick, from, to, expected) => {
    const slo = slos[0]!;
    const group = sloRuleGroup(slo);
    const rules = group.rules.map((r) => (pick(r) ? { ...r, expr: r.expr.replace(from, to) } : r));
    expect(rules.filter(pick).map((r) => r.expr)).not.toEqual(group.rules.filter(pick).map((r) => r.expr));
    const r = await promtoolTest(slo, { ...group, rules });
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(expected);
  });

  it('a series back from a scrape gap is not counted again (its lifetime count is not new events)', async () => {
    const dir = await rulesDir(slos[0]!);
    const sel = '{slo="api-availability", service="api"}';
    const test = {
      interval: '1m',
      input_series: [
        // The target is not scraped for 6 minutes, then comes back with its counters as they were.
        {
          series:
            'http_server_request_duration_seconds_count{service="api", http_response_status_code="200"}',
          values: '0+1000x60 _x6 67000+1000x30',
        },
        {
          series:
            'http_server_request_duration_seconds_count{service="api", http_response_status_code="500"}',
          values: '500x60 _x6 500x30',
        },
      ],
      promql_expr_test: [
        {
          expr: `slo:bad_events:increase5m${sel}`,
          eval_time: '75m',
          exp_samples: [{ labels: `slo:bad_events:increase5m${sel}`, value: 0 }],
        },
        {
          expr: `slo:events:increase5m${sel} < bool 10000`,
          eval_time: '75m',
          exp_samples: [{ labels: sel, value: 1 }],
        },
      ],
      alert_rule_test: [{ eval_time: '80m', alertname: 'SLOFastBurn', exp_alerts: [] }],
    };
    expect(await runTest(dir, test)).toMatch(/SUCCESS/);
  });

  it('fail when the batch deadline bucket is wrong (a late run counted as good)', async () => {
    const slo = slos[4]!;
    const r = await promtoolTest(
      slo,
      mutate(
        sloRuleGroup(slo),
        (r) => r.record === 'slo:bad_events:increase5m',
        'le=~"1800(\\\\.0)?"',
        'le=~"3600(\\\\.0)?"',
      ),
    );
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/run past its deadline/);
  });

  it('counts the first value of a series that appears with errors already counted (increase() alone misses it)', async () => {
    const dir = await rulesDir(slos[0]!);
    const sel = '{slo="api-availability", service="api"}';
    const test = {
      interval: '1m',
      input_series: [
        {
          series:
            'http_server_request_duration_seconds_count{service="api", http_response_status_code="200"}',
          values: '0+1000x90',
        },
        // The route's first 5xx responses: the series is born at 50.
        {
          series:
            'http_server_request_duration_seconds_count{service="api", http_response_status_code="500"}',
          values: '_x60 50x30',
        },
      ],
      promql_expr_test: [
        {
          expr: `slo:bad_events:increase5m${sel}`,
          eval_time: '59m',
          exp_samples: [{ labels: `slo:bad_events:increase5m${sel}`, value: 0 }],
        },
        {
          expr: `slo:bad_events:increase5m${sel} >= bool 50`,
          eval_time: '61m',
          exp_samples: [{ labels: sel, value: 1 }],
        },
        {
          expr: `slo:burn_rate:5m${sel} > bool 5`,
          eval_time: '61m',
          exp_samples: [{ labels: sel, value: 1 }],
        },
        // Once the series is older than the window, increase() alone counts it: no double count.
        {
          expr: `slo:bad_events:increase5m${sel}`,
          eval_time: '80m',
          exp_samples: [{ labels: `slo:bad_events:increase5m${sel}`, value: 0 }],
        },
      ],
    };
    expect(await runTest(dir, test)).toMatch(/SUCCESS/);
  });

  it('property: for random objectives and constant error ratios every burn-rate series is ratio / budget', async () => {
    const rate = 1000;
    const oneCase = fc.record({
      objective: fc.integer({ min: 9000, max: 9999 }),
      bad: fc.integer({ min: 0, max: rate }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(oneCase, { minLength: 3, maxLength: 6 }), async (cases) => {
        const specs: SloSpec[] = cases.map((c, i) => ({
          id: `p${i}`,
          service: `svc${i}`,
          objective: c.objective / 10_000,
          window: '30d',
          sli: {
            kind: 'ratio',
            bad: `req_total{service="svc${i}", code="500"}`,
            total: `req_total{service="svc${i}"}`,
          },
          alerting: { fast: false, slow: false, absent: false },
        }));
        const ps = defineSlos(specs);
        const dir = join(tmp, `p${++n}`);
        await import('node:fs/promises').then((fs) => fs.mkdir(dir));
        writeFileSync(join(dir, 'rules.yml'), toYaml(sloRuleFile(ps)));
        const at = '4h';
        const test = {
          interval: '1m',
          input_series: cases.flatMap((c, i) => [
            { series: `req_total{service="svc${i}", code="500"}`, values: `0+${c.bad}x240` },
            { series: `req_total{service="svc${i}", code="200"}`, values: `0+${rate - c.bad}x240` },
          ]),
          promql_expr_test: ps.flatMap((slo, i) =>
            BURN_WINDOWS.map((w) => {
              const expected = cases[i]!.bad / rate / slo.budget;
              const sel = `${burnRateSeries(w)}{slo="${slo.id}", service="${slo.service}"}`;
              return {
                expr: `abs(${sel} - ${expected}) <= bool ${1e-9 * Math.max(1, expected)}`,
                eval_time: at,
                exp_samples: [{ labels: `{slo="${slo.id}", service="${slo.service}"}`, value: 1 }],
              };
            }),
          ),
        };
        expect(await runTest(dir, test), JSON.stringify(cases)).toMatch(/SUCCESS/);
      }),
      { numRuns: 4 },
    );
  });
});
