import type { MixinRule, MixinRuleGroup } from './mixin.js';

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

const SEVERITIES = new Set(['critical', 'warning', 'info']);
const PRIORITIES = new Set(['P0', 'P1', 'P2']);
/** Alerts that are meant to fire at once and always (dead man's switch). */
const NO_FOR = new Set(['Watchdog']);

/**
 * The monitoring-mixins conventions (the ones `mixtool lint` enforces) plus our routing labels,
 * checked on every rule: CamelCase alert names; `severity` critical/warning/info; `priority`
 * P0/P1/P2; a `summary` without templates, capitalised, ending with a period; a templated
 * `description`; a `runbook_url`; a `for:` between 1m and 1d (except the Watchdog); recording rules
 * named `level:metric:operations`.
 *
 * @returns one line per problem, `group/alert: what is wrong`; empty when all is well.
 * @example
 * ```ts
 * const problems = lintRules(mixin.groups);
 * if (problems.length) throw new Error(problems.join('\n'));
 * ```
 */
export function lintRules(groups: readonly MixinRuleGroup[]): string[] {
  const problems: string[] = [];
  for (const g of groups) {
    for (const [i, r] of g.rules.entries()) {
      const where = `${g.name}/${r.alert ?? r.record ?? `rule ${i + 1}`}`;
      if (r.record !== undefined) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+$/.test(r.record)) {
          problems.push(`${where}: recording rule names follow level:metric:operations`);
        }
        continue;
      }
      if (r.alert === undefined) {
        problems.push(`${where}: a rule needs "alert" or "record"`);
        continue;
      }
      problems.push(...lintAlert(r).map((p) => `${where}: ${p}`));
    }
  }
  return problems;
}

function lintAlert(r: MixinRule): string[] {
  const p: string[] = [];
  const name = r.alert ?? '';
  if (!/^[A-Z][a-zA-Z0-9]*$/.test(name)) p.push('alert names are CamelCase (e.g. HighErrorRate)');
  const labels = r.labels ?? {};
  if (!SEVERITIES.has(labels.severity ?? ''))
    p.push(`severity must be critical, warning or info, not ${JSON.stringify(labels.severity ?? null)}`);
  if (!PRIORITIES.has(labels.priority ?? ''))
    p.push(`priority must be P0, P1 or P2, not ${JSON.stringify(labels.priority ?? null)}`);
  const a = r.annotations ?? {};
  const summary = a.summary;
  if (!summary) p.push('a summary annotation is required');
  else {
    if (summary.includes('{{')) p.push('the summary has no templates (put details in the description)');
    if (!/^[A-Z0-9]/.test(summary)) p.push('the summary starts with a capital letter');
    if (!summary.endsWith('.')) p.push('the summary ends with a period');
  }
  if (!a.description) p.push('a description annotation is required');
  else if (!a.description.includes('{{'))
    p.push('the description uses templates ({{ $labels.service }}, {{ $value }}) to say which and how much');
  if (!a.runbook_url || !/^https?:\/\/\S+$/.test(a.runbook_url))
    p.push('a runbook_url annotation (an http(s) URL) is required');
  if (NO_FOR.has(name)) return p;
  const f = parseDuration(r.for);
  if (f === undefined)
    p.push(
      `"for" must be a duration (pending before firing avoids pages on blips), not ${JSON.stringify(r.for ?? null)}`,
    );
  else if (f < 60_000 || f > 86_400_000) p.push(`"for" ${r.for} is outside 1m..1d`);
  return p;
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
  rule: MixinRule;
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
  const fires = from + f;
  const before = Math.max(0, fires - step);
  return {
    name: `${alert}: quiet before its for: (${formatDuration(before)}), firing at ${formatDuration(fires)}`,
    interval: o.interval ?? '1m',
    input_series: o.inputSeries,
    alert_rule_test: [
      { eval_time: formatDuration(before), alertname: alert, exp_alerts: [] },
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
