import { formatDuration as formatMs, parseDuration } from './duration.js';
import { formatNumber } from './numbers.js';
import { formatSelector, type Matcher } from './selector.js';
import {
  BURN_TIERS,
  BURN_WINDOWS,
  type BurnWindow,
  burnFactor,
  type ResolvedAlert,
  type Slo,
} from './spec.js';

/** A Prometheus rule (recording or alerting) in rule-file shape. */
export interface SloRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** One rule group: every SLO gets its own. */
export interface SloRuleGroup {
  name: string;
  interval: string;
  rules: SloRule[];
}

/**
 * The series every SLO records. All carry the identity labels `slo` and `service` and nothing
 * else, so changing an objective or a description never starts new series; those live on `info`.
 */
export const SLO_SERIES = {
  /** Events in the last 5m (sum of `increase`), every evaluation. */
  events: 'slo:events:increase5m',
  /** Bad events in the last 5m; 0 (not absent) while there is traffic but no bad series. */
  badEvents: 'slo:bad_events:increase5m',
  /** Error ratio over the SLO period, weighted by traffic (sum of 5m counts). */
  errorRatio: 'slo:error_ratio:period',
  /** 1 − the period error ratio. */
  compliance: 'slo:compliance:ratio',
  /** Share of the period's budget left: 1 − error ratio / budget (1 while no event was seen). */
  budgetRemaining: 'slo:error_budget_remaining:ratio',
  /** The objective (0.999). */
  objective: 'slo:objective:ratio',
  /** The error budget (0.001). */
  budget: 'slo:error_budget:ratio',
  /** Always 1; labels: objective, window, sli, description, owner and the spec's own labels. */
  info: 'slo:info:labels',
} as const;

/** The burn-rate series of a window: error ratio over the window divided by the budget. */
export function burnRateSeries(window: BurnWindow): string {
  return `slo:burn_rate:${window}`;
}

/** Alert names the generator uses (stable: routes and silences may match them). */
export const SLO_ALERTS = {
  fast: 'SLOFastBurn',
  slow: 'SLOSlowBurn',
  absent: 'SLOSLIAbsent',
  lateOrFailed: 'SLOBatchRunLateOrFailed',
  noSuccess: 'SLOBatchNoRecentSuccess',
} as const;

/** The matchers of an SLO's identity labels: `{slo="…", service="…"}`. */
export function identity(slo: Slo): string {
  return `{slo=${JSON.stringify(slo.id)}, service=${JSON.stringify(slo.service)}}`;
}

/**
 * `le` as the exposition writes it: prom-client prints `2`, Prometheus 3 normalises integral bounds
 * to `2.0` on ingestion, so integral thresholds match both.
 */
export function leMatcher(threshold: number): Matcher {
  const text = formatNumber(threshold);
  return Number.isInteger(threshold)
    ? { name: 'le', op: '=~', value: `${text}(\\.0)?` }
    : { name: 'le', op: '=', value: text };
}

/**
 * Events of a counter selector in the last 5m. `increase()` alone misses the first value of a
 * series that appears inside the window — a route's first 5xx creates its series already at 1, a
 * restarted pod's series start at whatever it counted before the first scrape — so a burst of
 * errors on a new label set would be invisible. The second term adds the first value of series
 * that had no sample in the hour before the window (a counter's minimum over the window is its
 * first value).
 */
function increase(selector: string): string {
  // "New" means no sample in the hour before the window: a series back from a scrape gap (target
  // down, Prometheus restarting) carries its lifetime count and must not be counted again. Gaps
  // longer than an hour are the limit of this (see the README).
  return `(sum(increase(${selector}[5m])) + (sum(min_over_time(${selector}[5m]) unless last_over_time(${selector}[1h] offset 5m)) or vector(0)))`;
}

/** The 5m event and bad-event expressions of an SLI. */
export function eventExpressions(slo: Slo): { events: string; bad: string } {
  const sli = slo.sli;
  const zeroLike = (total: string) => `0 * ${total}`;
  const complement = (total: string, good: string) =>
    `clamp_min(${total} - (${good} or on() ${zeroLike(total)}), 0)`;
  switch (sli.kind) {
    case 'ratio': {
      const total = increase(formatSelector(sli.total.metric!, sli.total.matchers));
      if (sli.bad) {
        return {
          events: total,
          bad: `${increase(formatSelector(sli.bad.metric!, sli.bad.matchers))} or on() ${zeroLike(total)}`,
        };
      }
      return {
        events: total,
        bad: complement(total, increase(formatSelector(sli.good!.metric!, sli.good!.matchers))),
      };
    }
    case 'latency': {
      const total = increase(formatSelector(`${sli.metric}_count`, sli.matchers));
      const good = increase(
        formatSelector(`${sli.metric}_bucket`, [...sli.matchers, leMatcher(sli.threshold)]),
      );
      return { events: total, bad: complement(total, good) };
    }
    case 'boolean': {
      const sel = formatSelector(sli.selector.metric!, sli.selector.matchers);
      return {
        events: `sum(count_over_time(${sel}[5m]))`,
        bad: `sum(count_over_time(${sel}[5m])) - sum(sum_over_time(${sel}[5m]))`,
      };
    }
    case 'batch': {
      const job: Matcher = { name: sli.jobLabel, op: '=', value: sli.job };
      const total = increase(formatSelector(`${sli.metric}_count`, [job, ...sli.matchers]));
      const good = increase(
        formatSelector(`${sli.metric}_bucket`, [
          job,
          ...sli.matchers,
          { name: 'outcome', op: '=', value: 'success' },
          leMatcher(sli.deadlineSeconds),
        ]),
      );
      return { events: total, bad: complement(total, good) };
    }
  }
}

function alertLabels(
  slo: Slo,
  alert: ResolvedAlert,
  extra: Record<string, string> = {},
): Record<string, string> {
  // slo and service come with the series too; as rule labels they also keep promtool's duplicate-rule
  // lint from seeing one alert per SLO with identical labels.
  return {
    ...slo.alerting.labels,
    ...extra,
    slo: slo.id,
    service: slo.service,
    priority: alert.priority,
    severity: alert.severity,
  };
}

function annotations(slo: Slo, alert: string, summary: string, description: string): Record<string, string> {
  const url = slo.alerting.runbookUrl;
  // `{alert}` in the URL: one runbook per alert (docs/runbooks/SLOFastBurn.md), the usual layout.
  return { summary, description, ...(url ? { runbook_url: url.replaceAll('{alert}', alert) } : {}) };
}

function objectiveText(slo: Slo): string {
  return `${formatNumber(slo.objective * 100)}% over ${slo.window}`;
}

function burnAlert(slo: Slo, tier: 'fast' | 'slow', alert: ResolvedAlert): SloRule {
  const id = identity(slo);
  const conditions = BURN_TIERS[tier].map((c) => {
    const f = formatNumber(burnFactor(slo.window, c));
    return `(${burnRateSeries(c.long)}${id} > ${f} and ${burnRateSeries(c.short)}${id} > ${f})`;
  });
  let expr = conditions.join('\nor\n');
  if (slo.alerting.minEvents !== undefined) {
    // Each event sits in (5m / interval) overlapping 5m samples: scale the sum back to events.
    const perSample = parseDuration(slo.interval)! / parseDuration('5m')!;
    const long = BURN_TIERS[tier][0].long;
    expr = `(${expr})\nand on(slo, service)\n(sum_over_time(${SLO_SERIES.events}${id}[${long}]) * ${formatNumber(perSample)} >= ${formatNumber(slo.alerting.minEvents)})`;
  }
  const shares = BURN_TIERS[tier]
    .map((c) => `${formatNumber(c.budgetShare * 100)}% within ${c.long}`)
    .join(tier === 'fast' ? ' or ' : ' or ');
  return {
    alert: SLO_ALERTS[tier],
    expr,
    ...(alert.for ? { for: alert.for } : {}),
    labels: alertLabels(slo, alert, { burn_tier: tier }),
    annotations: annotations(
      slo,
      SLO_ALERTS[tier],
      `The ${slo.id} SLO of ${slo.service} burns its error budget ${tier === 'fast' ? 'fast' : 'steadily'}.`,
      `{{ $labels.slo }} (${objectiveText(slo)}) burns its error budget at a rate that spends ${shares} (${tier} tier). ${tier === 'fast' ? 'Users are affected now.' : 'Left alone, the budget runs out before the period ends.'}`,
    ),
  };
}

/**
 * The rule group of one SLO: recording rules (5m event counts, burn rates for 5m…3d, the period's
 * error ratio, compliance and budget remaining, objective, budget, info) and its alerts.
 *
 * @example
 * ```ts
 * const [slo] = defineSlos([availability]);
 * const group = sloRuleGroup(slo);
 * writeFileSync('slo.rules.yml', YAML.stringify({ groups: [group] }));
 * ```
 */
export function sloRuleGroup(slo: Slo): SloRuleGroup {
  const id = identity(slo);
  // A fresh object per rule: YAML writers would otherwise emit anchors and aliases.
  const labels = () => ({ slo: slo.id, service: slo.service });
  const budget = formatNumber(slo.budget);
  const { events, bad } = eventExpressions(slo);
  const rules: SloRule[] = [
    { record: SLO_SERIES.events, expr: events, labels: labels() },
    { record: SLO_SERIES.badEvents, expr: bad, labels: labels() },
  ];
  const batch = slo.sli.kind === 'batch';
  if (!batch) {
    for (const w of BURN_WINDOWS) {
      const expr =
        w === '5m'
          ? `${SLO_SERIES.badEvents}${id} / (${SLO_SERIES.events}${id} > 0) / ${budget}`
          : `sum_over_time(${SLO_SERIES.badEvents}${id}[${w}]) / (sum_over_time(${SLO_SERIES.events}${id}[${w}]) > 0) / ${budget}`;
      rules.push({ record: burnRateSeries(w), expr, labels: labels() });
    }
  }
  rules.push(
    {
      record: SLO_SERIES.errorRatio,
      expr: `sum_over_time(${SLO_SERIES.badEvents}${id}[${slo.window}]) / (sum_over_time(${SLO_SERIES.events}${id}[${slo.window}]) > 0)`,
      labels: labels(),
    },
    { record: SLO_SERIES.compliance, expr: `1 - ${SLO_SERIES.errorRatio}${id}`, labels: labels() },
    {
      record: SLO_SERIES.budgetRemaining,
      expr: `(1 - ${SLO_SERIES.errorRatio}${id} / ${budget}) or on() vector(1)`,
      labels: labels(),
    },
    { record: SLO_SERIES.objective, expr: `vector(${formatNumber(slo.objective)})`, labels: labels() },
    { record: SLO_SERIES.budget, expr: `vector(${budget})`, labels: labels() },
    {
      record: SLO_SERIES.info,
      expr: 'vector(1)',
      labels: {
        ...slo.labels,
        ...labels(),
        objective: formatNumber(slo.objective),
        window: slo.window,
        sli: slo.sli.kind,
        description: slo.description,
        ...(slo.owner ? { owner: slo.owner } : {}),
      },
    },
  );
  const a = slo.alerting;
  if (a.fast) rules.push(burnAlert(slo, 'fast', a.fast));
  if (a.slow) rules.push(burnAlert(slo, 'slow', a.slow));
  if (a.absent) {
    rules.push({
      alert: SLO_ALERTS.absent,
      expr: `absent(${SLO_SERIES.events}${id})`,
      ...(a.absent.for ? { for: a.absent.for } : {}),
      labels: alertLabels(slo, a.absent),
      annotations: annotations(
        slo,
        SLO_ALERTS.absent,
        `The ${slo.id} SLO of ${slo.service} has no data.`,
        `The SLI of {{ $labels.slo }} (${objectiveText(slo)}) has no series: the service is not scraped or its metrics changed. Burn-rate alerts cannot fire while it lasts.`,
      ),
    });
  }
  if (slo.sli.kind === 'batch') {
    const sli = slo.sli;
    if (a.lateOrFailed) {
      rules.push({
        alert: SLO_ALERTS.lateOrFailed,
        expr: `sum_over_time(${SLO_SERIES.badEvents}${id}[1h]) > 0`,
        ...(a.lateOrFailed.for ? { for: a.lateOrFailed.for } : {}),
        labels: alertLabels(slo, a.lateOrFailed, { [sli.jobLabel]: sli.job }),
        annotations: annotations(
          slo,
          SLO_ALERTS.lateOrFailed,
          `A ${sli.job} run of ${slo.service} failed or missed its deadline.`,
          `A ${sli.job} run of {{ $labels.service }} in the last hour failed or took longer than ${formatMs(sli.deadlineSeconds * 1000)} (SLO {{ $labels.slo }}, ${objectiveText(slo)}).`,
        ),
      });
    }
    if (a.noSuccess) {
      const limitMs = sli.everyMs + sli.deadlineSeconds * 1000;
      const range = formatMs(limitMs);
      const ls = formatSelector(sli.lastSuccessMetric, [
        { name: sli.jobLabel, op: '=', value: sli.job },
        ...sli.matchers,
      ]);
      rules.push({
        alert: SLO_ALERTS.noSuccess,
        expr: `(time() - max by (${sli.jobLabel}) (max_over_time(${ls}[${range}])) > ${formatNumber(limitMs / 1000)})\nor on() absent_over_time(${ls}[${range}])`,
        ...(a.noSuccess.for ? { for: a.noSuccess.for } : {}),
        labels: alertLabels(slo, a.noSuccess, { [sli.jobLabel]: sli.job }),
        annotations: annotations(
          slo,
          SLO_ALERTS.noSuccess,
          `No successful ${sli.job} run of ${slo.service} for ${range}.`,
          `{{ $labels.${sli.jobLabel} }} is expected every ${formatMs(sli.everyMs)} and must finish within ${formatMs(sli.deadlineSeconds * 1000)}; no run succeeded in the last ${range} (SLO ${slo.id}).`,
        ),
      });
    }
  }
  return { name: `slo-${slo.id}`, interval: slo.interval, rules };
}

/**
 * One rule group per SLO, in a Prometheus rule file's shape (`{ groups }`): YAML-dump it for
 * `promtool check rules` or a PrometheusRule's `spec`.
 *
 * @example
 * ```ts
 * writeFileSync('slos.rules.yml', YAML.stringify(sloRuleFile(defineSlos(specs))));
 * ```
 */
export function sloRuleFile(slos: readonly Slo[]): { groups: SloRuleGroup[] } {
  return { groups: slos.map(sloRuleGroup) };
}

/** How many series the recording rules of one SLO create (what a Prometheus pays per SLO). */
export function recordedSeriesCount(slo: Slo): number {
  return sloRuleGroup(slo).rules.filter((r) => r.record).length;
}
