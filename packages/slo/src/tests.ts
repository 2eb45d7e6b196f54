import { formatDuration, parseDuration } from './duration.js';
import { clean, formatNumber } from './numbers.js';
import { burnRateSeries, identity, SLO_ALERTS, SLO_SERIES, type SloRule, sloRuleGroup } from './rules.js';
import { exampleLabels, formatSelector, type Selector, selects } from './selector.js';
import { BURN_TIERS, burnFactor, type Slo } from './spec.js';

/** One input series of a promtool test (`values` in expanding notation). */
export interface TestSeries {
  series: string;
  values: string;
}

/** A promtool `tests:` entry. */
export interface SloPromtoolTest {
  name: string;
  interval: string;
  input_series: TestSeries[];
  alert_rule_test: Array<{
    eval_time: string;
    alertname: string;
    exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
  }>;
  promql_expr_test: Array<{
    expr: string;
    eval_time: string;
    exp_samples: Array<{ labels: string; value: number }>;
  }>;
}

/**
 * Traffic during a test phase: `minutes` long, `rate` events a minute of which a share
 * `errorRatio` is bad; `absent` stops every series (the target is gone).
 */
type Phase = { minutes: number; rate: number; errorRatio: number } | { minutes: number; absent: true };

/** A test series of an SLI and what it counts. */
interface PlannedSeries {
  series: string;
  share: 'good' | 'total' | 'bad';
}

function seriesText(metric: string, labels: Record<string, string>): string {
  return formatSelector(
    metric,
    Object.entries(labels).map(([name, value]) => ({ name, op: '=' as const, value })),
  );
}

/**
 * The counter series an SLI needs in a test and what each counts: `total` (every event), `bad`,
 * `good` (events that are not bad). Throws a reason when no labels fit the selectors (the spec
 * then needs `testLabels`).
 */
export function testSeriesPlan(slo: Slo): PlannedSeries[] {
  const sli = slo.sli;
  const fail = (what: string): never => {
    throw new Error(`cannot build ${what} for the generated tests; give sli.testLabels`);
  };
  const labelsOf = (sel: Selector, avoid?: Selector) =>
    exampleLabels(sel, sli.testLabels, avoid) ??
    fail(`labels that match ${formatSelector(sel.metric!, sel.matchers)}`);
  switch (sli.kind) {
    case 'ratio': {
      const part = sli.bad ?? sli.good!;
      const partKind = sli.bad ? 'bad' : 'good';
      const other = partKind === 'bad' ? 'good' : 'bad';
      if (part.metric === sli.total.metric) {
        const inPart = labelsOf(part);
        if (!selects(sli.total, sli.total.metric!, inPart))
          fail(`a ${partKind} series that the total selector also selects`);
        const outside = labelsOf(sli.total, part);
        return [
          { series: seriesText(part.metric!, inPart), share: partKind },
          { series: seriesText(sli.total.metric!, outside), share: other },
        ];
      }
      return [
        { series: seriesText(part.metric!, labelsOf(part)), share: partKind },
        { series: seriesText(sli.total.metric!, labelsOf(sli.total)), share: 'total' },
      ];
    }
    case 'latency': {
      const base = labelsOf({ metric: `${sli.metric}_count`, matchers: sli.matchers });
      const le = formatNumber(sli.threshold);
      return [
        { series: seriesText(`${sli.metric}_bucket`, { ...base, le }), share: 'good' },
        { series: seriesText(`${sli.metric}_bucket`, { ...base, le: '+Inf' }), share: 'total' },
        { series: seriesText(`${sli.metric}_count`, base), share: 'total' },
      ];
    }
    case 'boolean':
      return [{ series: seriesText(sli.selector.metric!, labelsOf(sli.selector)), share: 'good' }];
    case 'batch':
      throw new Error('batch SLIs have their own tests');
  }
}

function counterValues(
  phases: readonly Phase[],
  perMinute: (p: { rate: number; errorRatio: number }) => number,
): string {
  let v = 0;
  const parts = ['0'];
  for (const p of phases) {
    if ('absent' in p) {
      parts.push(`_x${p.minutes}`);
      continue;
    }
    const c = perMinute(p);
    parts.push(c === 0 ? `${v}x${p.minutes - 1}` : `${v + c}+${c}x${p.minutes - 1}`);
    v += c * p.minutes;
  }
  return parts.join(' ');
}

function gaugeValues(phases: readonly Phase[]): string {
  const parts = ['1'];
  for (const p of phases) {
    if ('absent' in p) parts.push(`_x${p.minutes}`);
    else if (p.errorRatio === 0) parts.push(`1x${p.minutes - 1}`);
    else if (p.errorRatio === 1) parts.push(`0x${p.minutes - 1}`);
    else {
      // One bad sample in every k: the ratio is 1/k.
      const k = Math.round(1 / p.errorRatio);
      const rest = p.minutes % k;
      for (let i = 0; i < Math.floor(p.minutes / k); i++) parts.push(k > 1 ? `0 1x${k - 2}` : '0');
      if (rest > 0) parts.push(`1x${rest - 1}`);
    }
  }
  return parts.join(' ');
}

/** The input series of a test: the SLI's series under the given traffic. */
function inputSeries(slo: Slo, phases: readonly Phase[]): TestSeries[] {
  if (slo.sli.kind === 'boolean') {
    return testSeriesPlan(slo).map((s) => ({ series: s.series, values: gaugeValues(phases) }));
  }
  return testSeriesPlan(slo).map((s) => ({
    series: s.series,
    values: counterValues(phases, (p: { rate: number; errorRatio: number }) => {
      const bad = Math.round(p.rate * p.errorRatio);
      return s.share === 'total' ? p.rate : s.share === 'bad' ? bad : p.rate - bad;
    }),
  }));
}

/** Events a minute in the tests: enough that the smallest budget share is a whole number of events. */
function testRate(slo: Slo): number {
  return 10 ** Math.max(4, Math.ceil(-Math.log10(slo.budget)) + 3);
}

function expand(text: string, labels: Record<string, string>): string {
  return text.replace(
    /\{\{\s*\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
    (_, name: string) => labels[name] ?? '',
  );
}

/**
 * The alert promtool should report. Like Prometheus, templates see the expression's output labels
 * (here the recorded series' `slo` and `service`), not the rule's own labels.
 */
function firing(rule: SloRule, slo: Slo) {
  const labels = { ...rule.labels };
  // The no-success alert's expression keeps only the job label; the others read the recorded series.
  const output: Record<string, string> =
    rule.alert === SLO_ALERTS.noSuccess && slo.sli.kind === 'batch'
      ? { [slo.sli.jobLabel]: slo.sli.job }
      : { slo: slo.id, service: slo.service };
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations ?? {}).map(([k, v]) => [k, expand(v, output)]),
  );
  return [{ exp_labels: labels, exp_annotations: annotations }];
}

function minutes(n: number): string {
  return formatDuration(Math.round(n) * 60_000);
}

/** `expr == bool expr`: 1 for a number, 0 for NaN, nothing when absent. */
function notNaN(series: string, slo: Slo, at: string) {
  return {
    expr: `${series}${identity(slo)} == bool ${series}${identity(slo)}`,
    eval_time: at,
    exp_samples: [{ labels: identity(slo), value: 1 }],
  };
}

function near(series: string, slo: Slo, value: number, at: string) {
  return {
    expr: `abs(${series}${identity(slo)} - ${formatNumber(value)}) < bool 1e-6`,
    eval_time: at,
    exp_samples: [{ labels: identity(slo), value: 1 }],
  };
}

function alertCheck(slo: Slo, rule: SloRule | undefined, at: number, fires: boolean) {
  if (!rule?.alert) return [];
  return [{ eval_time: minutes(at), alertname: rule.alert, exp_alerts: fires ? firing(rule, slo) : [] }];
}

function forMinutes(rule: SloRule | undefined): number {
  return rule?.for ? Math.ceil(parseDuration(rule.for)! / 60_000) : 0;
}

function test(
  name: string,
  input: TestSeries[],
  alerts: SloPromtoolTest['alert_rule_test'],
  exprs: SloPromtoolTest['promql_expr_test'] = [],
): SloPromtoolTest {
  return { name, interval: '1m', input_series: input, alert_rule_test: alerts, promql_expr_test: exprs };
}

/**
 * The workbook's time to detect an outage of `errorRatio` for a tier, in minutes: the first
 * condition whose long window reaches its factor (`long × factor × budget / errorRatio`).
 */
export function detectionMinutes(slo: Slo, tier: 'fast' | 'slow', errorRatio: number): number {
  const times = BURN_TIERS[tier]
    .filter((c) => errorRatio > burnFactor(slo.window, c) * slo.budget)
    .map((c) => (parseDuration(c.long)! / 60_000) * ((burnFactor(slo.window, c) * slo.budget) / errorRatio));
  return times.length ? Math.min(...times) : Number.POSITIVE_INFINITY;
}

// Recorded 5m increases trail the traffic: the overlapping 5m counts put an outage's effect on a
// long window about 2.5 minutes behind the workbook's time. Four minutes of slack, no more, so a
// factor off by 10% fails the firing check.
const COUNTING_LAG = 4;
// Clean history before an outage: the 6h window of the fast tier's second condition is full.
const HISTORY = 360;

function burnTests(slo: Slo): SloPromtoolTest[] {
  const rules = sloRuleGroup(slo).rules;
  const fast = rules.find((r) => r.alert === SLO_ALERTS.fast);
  const slow = rules.find((r) => r.alert === SLO_ALERTS.slow);
  const absent = rules.find((r) => r.alert === SLO_ALERTS.absent);
  const rate = testRate(slo);
  const boolean = slo.sli.kind === 'boolean';
  const tests: SloPromtoolTest[] = [];
  const fastFactors = BURN_TIERS.fast.map((c) => burnFactor(slo.window, c));
  const slowFactors = BURN_TIERS.slow.map((c) => burnFactor(slo.window, c));

  // Clean traffic: nothing fires, the whole budget is left, burn rates are 0.
  const end = 2 * 60;
  tests.push(
    test(
      `${slo.id}: clean traffic — nothing fires, budget remaining 1, burn rate 0`,
      inputSeries(slo, [{ minutes: end, rate, errorRatio: 0 }]),
      [
        ...alertCheck(slo, fast, end, false),
        ...alertCheck(slo, slow, end, false),
        ...alertCheck(slo, absent, end, false),
      ],
      [
        // Before the first 5m count exists: no event seen, the whole budget (not an absent series).
        near(SLO_SERIES.budgetRemaining, slo, 1, '0s'),
        near(SLO_SERIES.budgetRemaining, slo, 1, minutes(end)),
        near(burnRateSeries('1h'), slo, 0, minutes(end)),
      ],
    ),
  );

  // Total outage after clean history, then recovery.
  if (fast) {
    const tw = detectionMinutes(slo, 'fast', 1);
    const firesBy = Math.ceil(tw) + COUNTING_LAG + forMinutes(fast);
    const outage = firesBy + 5;
    // Quiet again once the 30m confirmation window of the 6h condition holds no outage minute.
    const resolvedBy = HISTORY + outage + 30 + COUNTING_LAG + 1;
    tests.push(
      test(
        `${slo.id}: total outage — ${fast.alert} quiet before the workbook's ${formatNumber(tw)} min, firing by ${firesBy} min, resolved ${resolvedBy - HISTORY - outage} min after recovery`,
        inputSeries(slo, [
          { minutes: HISTORY, rate, errorRatio: 0 },
          { minutes: outage, rate, errorRatio: 1 },
          { minutes: resolvedBy - HISTORY - outage + 10, rate, errorRatio: 0 },
        ]),
        [
          // Checked `for` later: a condition true too early would be firing by then.
          ...alertCheck(slo, fast, HISTORY + Math.max(0, Math.ceil(tw) - 1) + forMinutes(fast), false),
          ...alertCheck(slo, fast, HISTORY + firesBy, true),
          ...alertCheck(slo, fast, resolvedBy, false),
        ],
        [notNaN(SLO_SERIES.budgetRemaining, slo, minutes(resolvedBy))],
      ),
    );
    // A partial outage at twice the 1h threshold: the workbook says half an hour.
    const e = clean(2 * fastFactors[0]! * slo.budget);
    if (!boolean && e < 1) {
      const t = detectionMinutes(slo, 'fast', e);
      const by = Math.ceil(t) + COUNTING_LAG + forMinutes(fast);
      tests.push(
        test(
          `${slo.id}: ${formatNumber(e * 100)}% errors — ${fast.alert} quiet before the workbook's ${formatNumber(t)} min, firing by ${by} min`,
          inputSeries(slo, [
            { minutes: HISTORY, rate, errorRatio: 0 },
            { minutes: by + 5, rate, errorRatio: e },
          ]),
          [
            ...alertCheck(slo, fast, HISTORY + Math.ceil(t) - 1 + forMinutes(fast), false),
            ...alertCheck(slo, fast, HISTORY + by, true),
          ],
        ),
      );
    }
    // Errors between the two page factors: only the 6h/30m condition can see them.
    const e6 = clean(((fastFactors[0]! + fastFactors[1]!) / 2) * slo.budget);
    if (!boolean && e6 < 1) {
      const t = detectionMinutes(slo, 'fast', e6);
      const by = Math.ceil(t) + COUNTING_LAG + forMinutes(fast);
      tests.push(
        test(
          `${slo.id}: ${formatNumber(e6 * 100)}% errors (under the 1h factor) — ${fast.alert} from the 6h condition alone, quiet before the workbook's ${formatNumber(t)} min, firing by ${by} min`,
          inputSeries(slo, [
            { minutes: HISTORY, rate, errorRatio: 0 },
            { minutes: by + 5, rate, errorRatio: e6 },
          ]),
          [
            ...alertCheck(slo, fast, HISTORY + Math.ceil(t) - 1 + forMinutes(fast), false),
            ...alertCheck(slo, fast, HISTORY + by, true),
          ],
        ),
      );
    }
  }

  // A slow leak: more than the budget (it would run out before the period ends) but under every
  // fast threshold. The ticket fires, the page never does.
  if (slow) {
    const minFast = Math.min(...fastFactors);
    const e = clean(((1 + minFast) / 2) * slo.budget);
    // A 0/1 gauge cannot leak smoothly: one bad sample is a 20% burst in the 5m window.
    if (!boolean && e > slo.budget && e < minFast * slo.budget && e > Math.min(...slowFactors) * slo.budget) {
      const leak = 3 * 60;
      const by = COUNTING_LAG + forMinutes(slow);
      tests.push(
        test(
          `${slo.id}: slow leak of ${formatNumber(e / slo.budget)}× the budget — ${slow.alert} fires by ${by} min, ${fast?.alert ?? 'the page'} never`,
          inputSeries(slo, [{ minutes: leak, rate, errorRatio: e }]),
          [
            ...alertCheck(slo, slow, by, true),
            ...alertCheck(slo, slow, leak, true),
            ...alertCheck(slo, fast, by, false),
            ...alertCheck(slo, fast, leak / 2, false),
            ...alertCheck(slo, fast, leak, false),
          ],
        ),
      );
    }
    // A leak between the ticket's two factors: only the 3d/6h condition holds.
    const e3 = clean(((slowFactors[0]! + slowFactors[1]!) / 2) * slo.budget);
    if (!boolean && e3 < minFast * slo.budget) {
      const leak = 2 * 60;
      const by = COUNTING_LAG + forMinutes(slow);
      tests.push(
        test(
          `${slo.id}: a leak of ${formatNumber(e3 / slo.budget)}× the budget (under the 1d factor) — ${slow.alert} from the 3d condition alone by ${by} min`,
          inputSeries(slo, [{ minutes: leak, rate, errorRatio: e3 }]),
          [...alertCheck(slo, slow, by, true), ...alertCheck(slo, fast, leak, false)],
        ),
      );
    }
  }

  // Traffic stops: the series disappear. The absent alert fires, burn alerts do not, the budget
  // keeps its last value instead of turning NaN.
  // Some budget spent before, under every slow threshold (7d: 0.233×).
  const spent = boolean ? 0 : clean(Math.floor(Math.min(0.5, Math.min(...slowFactors) / 2) * 10) / 10);
  const live = 60;
  const gone = 5 + forMinutes(absent) + 5;
  const stop = test(
    `${slo.id}: traffic stops — ${absent?.alert ?? 'no absent alert'} fires, burn alerts do not, budget remaining stays a number`,
    inputSeries(slo, [
      { minutes: live, rate, errorRatio: clean(spent * slo.budget) },
      { minutes: gone + 5, absent: true },
    ]),
    [
      ...alertCheck(slo, absent, live - 1, false),
      ...alertCheck(slo, absent, live + gone, true),
      ...alertCheck(slo, fast, live + gone, false),
      ...alertCheck(slo, slow, live + gone, false),
    ],
    [
      notNaN(SLO_SERIES.budgetRemaining, slo, minutes(live + gone)),
      ...(boolean ? [] : [near(SLO_SERIES.budgetRemaining, slo, 1 - spent, minutes(live + gone))]),
      { expr: `${burnRateSeries('5m')}${identity(slo)}`, eval_time: minutes(live + gone), exp_samples: [] },
    ],
  );
  tests.push(stop);

  // Counters still exported but no new events (a quiet night): nothing fires, burn rates are
  // absent rather than NaN, the budget keeps its value.
  if (!boolean) {
    const quiet = 120;
    tests.push(
      test(
        `${slo.id}: zero traffic — nothing fires, burn rates absent (not NaN), budget remaining kept`,
        inputSeries(slo, [
          { minutes: live, rate, errorRatio: clean(spent * slo.budget) },
          { minutes: quiet, rate: 0, errorRatio: 0 },
        ]),
        [
          ...alertCheck(slo, fast, live + quiet, false),
          ...alertCheck(slo, slow, live + quiet, false),
          ...alertCheck(slo, absent, live + quiet, false),
        ],
        [
          near(SLO_SERIES.budgetRemaining, slo, 1 - spent, minutes(live + quiet)),
          {
            expr: `${burnRateSeries('5m')}${identity(slo)}`,
            eval_time: minutes(live + quiet),
            exp_samples: [],
          },
          {
            expr: `${burnRateSeries('1h')}${identity(slo)}`,
            eval_time: minutes(live + quiet),
            exp_samples: [],
          },
        ],
      ),
    );
  }
  return tests;
}

function batchTests(slo: Slo): SloPromtoolTest[] {
  const sli = slo.sli;
  if (sli.kind !== 'batch') return [];
  const rules = sloRuleGroup(slo).rules;
  const late = rules.find((r) => r.alert === SLO_ALERTS.lateOrFailed);
  const none = rules.find((r) => r.alert === SLO_ALERTS.noSuccess);
  const base = exampleLabels(
    { metric: `${sli.metric}_count`, matchers: sli.matchers },
    { ...sli.testLabels, [sli.jobLabel]: sli.job },
  );
  if (!base) throw new Error('cannot build labels for the batch tests; give sli.testLabels');
  const le = formatNumber(sli.deadlineSeconds);
  /** Runs: minute → outcome. Builds the histogram's count and bucket series and the last-success gauge. */
  const series = (
    runs: Array<{ at: number; outcome: 'success' | 'failure' | 'late' }>,
    length: number,
  ): TestSeries[] => {
    const count = { success: [] as number[], failure: [] as number[] };
    const inTime: number[] = [];
    const lastSuccess: Array<number | undefined> = [];
    let s = 0;
    let f = 0;
    let good = 0;
    let last: number | undefined;
    for (let m = 0; m <= length; m++) {
      for (const r of runs.filter((x) => x.at === m)) {
        if (r.outcome === 'failure') f++;
        else {
          s++;
          last = m * 60;
          if (r.outcome === 'success') good++;
        }
      }
      count.success.push(s);
      count.failure.push(f);
      inTime.push(good);
      lastSuccess.push(last);
    }
    const compress = (values: Array<number | undefined>) => {
      const out: string[] = [];
      let i = 0;
      while (i < values.length) {
        let j = i;
        while (j + 1 < values.length && values[j + 1] === values[i]) j++;
        const v = values[i] === undefined ? '_' : String(values[i]);
        if (v === '_') out.push(`_x${j - i + 1}`);
        else out.push(j > i ? `${v}x${j - i}` : v);
        i = j + 1;
      }
      return out.join(' ');
    };
    const l = (extra: Record<string, string>) => ({ ...base, ...extra });
    return [
      {
        series: seriesText(`${sli.metric}_count`, l({ outcome: 'success' })),
        values: compress(count.success),
      },
      {
        series: seriesText(`${sli.metric}_count`, l({ outcome: 'failure' })),
        values: compress(count.failure),
      },
      { series: seriesText(`${sli.metric}_bucket`, l({ outcome: 'success', le })), values: compress(inTime) },
      {
        series: seriesText(`${sli.metric}_bucket`, l({ outcome: 'failure', le })),
        values: compress(count.failure),
      },
      { series: seriesText(sli.lastSuccessMetric, { ...base }), values: compress(lastSuccess) },
    ];
  };
  const every = sli.everyMs / 60_000;
  const limit = every + sli.deadlineSeconds / 60;
  const tests: SloPromtoolTest[] = [];
  const cleanEnd = 2 * every;
  tests.push(
    test(
      `${slo.id}: runs succeed on time — nothing fires, budget remaining 1`,
      series(
        [
          { at: 10, outcome: 'success' },
          { at: 10 + every, outcome: 'success' },
        ],
        cleanEnd,
      ),
      [...alertCheck(slo, late, cleanEnd, false), ...alertCheck(slo, none, cleanEnd, false)],
      [near(SLO_SERIES.budgetRemaining, slo, 1, minutes(cleanEnd))],
    ),
  );
  for (const outcome of ['failure', 'late'] as const) {
    const at = 60;
    const end = at + 60 + COUNTING_LAG + 5;
    tests.push(
      test(
        `${slo.id}: a ${outcome === 'late' ? 'run past its deadline' : 'failed run'} — ${late?.alert} fires, then resolves after an hour`,
        series(
          [
            { at: 10, outcome: 'success' },
            { at, outcome },
          ],
          end,
        ),
        [
          ...alertCheck(slo, late, at - 1, false),
          ...alertCheck(slo, late, at + 1 + forMinutes(late), true),
          ...alertCheck(slo, late, end, false),
        ],
        [notNaN(SLO_SERIES.budgetRemaining, slo, minutes(at + 5))],
      ),
    );
  }
  if (none) {
    const first = 10;
    const dueAt = first + limit;
    const recover = dueAt + forMinutes(none) + 10;
    tests.push(
      test(
        `${slo.id}: no success for ${formatDuration(limit * 60_000)} — ${none.alert} fires after ${formatDuration((dueAt + 1 + forMinutes(none)) * 60_000)}, resolves with the next success`,
        series(
          [
            { at: first, outcome: 'success' },
            { at: recover, outcome: 'success' },
          ],
          recover + 5,
        ),
        [
          ...alertCheck(slo, none, dueAt, false),
          ...alertCheck(slo, none, dueAt + 1 + forMinutes(none), true),
          ...alertCheck(slo, none, recover + 1, false),
        ],
      ),
    );
  }
  return tests;
}

/**
 * promtool unit tests for an SLO's rules, generated from the same definition: clean traffic, a
 * total outage (fast burn fires not before the workbook's time and resolves after recovery), a
 * partial outage, a slow leak (ticket without page), traffic stopping (absent fires, no NaN) and
 * zero traffic; batch SLOs get on-time, failed, late and missing runs.
 *
 * @example
 * ```ts
 * const file = sloTestFile(['slos.rules.yml'], slos);
 * writeFileSync('slos.test.yml', YAML.stringify(file));
 * execFileSync('promtool', ['test', 'rules', 'slos.test.yml']);
 * ```
 */
export function sloTests(slo: Slo): SloPromtoolTest[] {
  return slo.sli.kind === 'batch' ? batchTests(slo) : burnTests(slo);
}

/**
 * A promtool test file for one SLO. Its rule file must hold only that SLO's group: the tests feed
 * only its SLI's series, so other SLOs' absent alerts would fire in them.
 */
export function sloTestFile(ruleFile: string, slo: Slo) {
  return { rule_files: [ruleFile], evaluation_interval: '1m', tests: sloTests(slo) };
}
