import type { AlertingRule } from './types.js';

/** Prometheus durations (`90s`, `1h30m`) in milliseconds; `undefined` when not one. */
export function parseDuration(text: string | undefined): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(n) * unit[u!]!;
  return ms;
}

/** A Prometheus duration for milliseconds, in the largest whole unit (`600000` → `10m`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  for (const [u, n] of [
    ['d', 864e5],
    ['h', 36e5],
    ['m', 6e4],
    ['s', 1e3],
  ] as const) {
    if (ms % n === 0) return `${ms / n}${u}`;
  }
  return `${ms}ms`;
}

/** One series of a promtool unit test: `series` in PromQL selector form, `values` in expanding notation (`0+10x30`). */
export interface TestSeries {
  series: string;
  values: string;
}

/** A promtool `tests:` entry (see `promtool test rules`). */
export interface PromtoolTest {
  name?: string;
  interval: string;
  input_series: TestSeries[];
  alert_rule_test?: Array<{
    eval_time: string;
    alertname: string;
    exp_alerts: Array<{ exp_labels: Record<string, string>; exp_annotations: Record<string, string> }>;
  }>;
  promql_expr_test?: Array<{
    expr: string;
    eval_time: string;
    exp_samples: Array<{ labels: string; value: number }>;
  }>;
}

/** Options of {@link forBoundaryTest}. */
export interface ForBoundaryTestOptions {
  /** The alert under test (its `for`, labels and annotations are read from it). */
  rule: AlertingRule;
  /** Series that make the expression true from `trueFrom` on. */
  inputSeries: TestSeries[];
  /** First evaluation at which the expression is true (e.g. `1m` for a rate over counters starting at 0). */
  trueFrom: string;
  /** The labels the firing alert carries beyond the rule's own (e.g. `service`). */
  expLabels: Record<string, string>;
  /** The expanded description (templates resolved) the firing alert carries. */
  expDescription: string;
  /** Sample interval of the input series and evaluation step. @default '1m' */
  interval?: string;
  /**
   * How much later the expression may become true than `trueFrom`. An alert that reads series
   * recorded by another rule group sees them one evaluation late or not, depending on the order the
   * groups happen to run in (promtool, like Prometheus, does not order groups): give it one
   * interval. The firing check moves by this much; the quiet check does not. @default '0s'
   */
  settleWithin?: string;
}

/**
 * A promtool unit test on both sides of an alert's `for:`: one evaluation interval before
 * `trueFrom + for` nothing fires, and at `trueFrom + for` the alert fires with exactly the expected
 * labels and annotations. An alert whose `for:` is changed, or whose expression stops matching the
 * inputs, fails it.
 *
 * @example
 * ```ts
 * forBoundaryTest({
 *   rule: highErrorRate,
 *   inputSeries: [{ series: 'http_server_request_duration_seconds_count{service="api",http_response_status_code="500"}', values: '0+60x60' }],
 *   trueFrom: '1m',
 *   expLabels: { service: 'api' },
 *   expDescription: 'api answers 50% of requests with 5xx.',
 * });
 * ```
 */
export function forBoundaryTest(o: ForBoundaryTestOptions): PromtoolTest {
  const alert = o.rule.alert;
  if (!alert) throw new TypeError('forBoundaryTest needs an alerting rule');
  const step = parseDuration(o.interval ?? '1m')!;
  const from = parseDuration(o.trueFrom);
  const f = parseDuration(o.rule.for ?? '0s') ?? 0;
  if (from === undefined) throw new TypeError(`trueFrom: not a duration: ${o.trueFrom}`);
  const settle = parseDuration(o.settleWithin ?? '0s') ?? 0;
  const before = from + f - step;
  const fires = from + settle + f;
  // An alert without for: (the Watchdog) fires at once: there is no "before" to check.
  const quiet =
    f > 0 && before >= 0 ? [{ eval_time: formatDuration(before), alertname: alert, exp_alerts: [] }] : [];
  return {
    name: quiet.length
      ? `${alert}: quiet before its for: (${formatDuration(before)}), firing at ${formatDuration(fires)}`
      : `${alert}: firing at ${formatDuration(fires)}`,
    interval: o.interval ?? '1m',
    input_series: o.inputSeries,
    alert_rule_test: [
      ...quiet,
      {
        eval_time: formatDuration(fires),
        alertname: alert,
        exp_alerts: [
          {
            exp_labels: { ...o.rule.labels, ...o.expLabels },
            exp_annotations: { ...o.rule.annotations, description: o.expDescription },
          },
        ],
      },
    ],
  };
}

/**
 * The content of a promtool test file for rule files given by path.
 *
 * @example
 * ```ts
 * writeFileSync('alerts.test.yml', YAML.stringify(promtoolTestFile(['alerts.yml'], tests)));
 * execFileSync('promtool', ['test', 'rules', 'alerts.test.yml']);
 * ```
 */
export function promtoolTestFile(
  ruleFiles: readonly string[],
  tests: readonly PromtoolTest[],
  evaluationInterval = '1m',
) {
  return { rule_files: [...ruleFiles], evaluation_interval: evaluationInterval, tests: [...tests] };
}
