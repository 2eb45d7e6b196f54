import { z } from 'zod';
import { formatDuration, parseDuration } from './duration.js';
import { describeValue, formatIssues, SloError } from './errors.js';
import { clean, formatNumber } from './numbers.js';
import { type Matcher, parseSelector, type Selector } from './selector.js';
import { testSeriesPlan } from './tests.js';

/** The rolling periods an SLO can be measured over. */
export const SLO_WINDOWS = ['7d', '28d', '30d'] as const;
/** A rolling SLO period. */
export type SloWindow = (typeof SLO_WINDOWS)[number];

/**
 * A ratio SLI: events counted by counters. Give the bad events (`bad`) or the good ones (`good`),
 * and all of them (`total`), each as a PromQL vector selector of a counter.
 */
export type RatioSli =
  | { kind: 'ratio'; total: string; bad: string; good?: never; testLabels?: Record<string, string> }
  | { kind: 'ratio'; total: string; good: string; bad?: never; testLabels?: Record<string, string> };

/** A latency SLI from a Prometheus histogram: good events are the ones at or under `threshold`. */
export interface LatencySli {
  kind: 'latency';
  /** The histogram's base name (without `_bucket`), e.g. `http_server_request_duration_seconds`. */
  metric: string;
  /** Label matchers limiting the series, as a selector without a name: `{service="api"}`. */
  selector?: string;
  /** The threshold in seconds (`2`) or as a duration (`'2s'`, `'500ms'`): it must be a bucket boundary. */
  threshold: number | string;
  /** The histogram's buckets, to check the threshold when the metric is not one @immo/metrics defines. */
  buckets?: readonly number[];
  testLabels?: Record<string, string>;
}

/** A boolean SLI: every sample of a 0/1 gauge (`up`, `probe_success`) is an event; 1 is good. */
export interface BooleanSli {
  kind: 'boolean';
  selector: string;
  testLabels?: Record<string, string>;
}

/**
 * A batch-job SLI: every run is an event; good runs finished successfully within `deadline`.
 * Reads `immo_job_duration_seconds{job_name,outcome}` and `immo_job_last_success_timestamp_seconds{job_name}`
 * from @immo/metrics' `timeJob`/`recordJobRun` unless told otherwise.
 */
export interface BatchSli {
  kind: 'batch';
  /** The job's label value, e.g. `billing_run`. */
  job: string;
  /**
   * The label holding it. @default 'job_name' (what @immo/metrics' job helpers use; `job` itself
   * is Prometheus' scrape-job label)
   */
  jobLabel?: string;
  /** A successful run must finish within this duration (a bucket boundary of the histogram). */
  deadline: string;
  /** How often the job is expected to run (`1d`): no success for `every + deadline` alerts. */
  every: string;
  /** @default 'immo_job_duration_seconds' */
  metric?: string;
  /** @default 'immo_job_last_success_timestamp_seconds' */
  lastSuccessMetric?: string;
  /** Extra label matchers, as a selector without a name: `{namespace="billing"}`. */
  selector?: string;
  buckets?: readonly number[];
  testLabels?: Record<string, string>;
}

/** The SLI of an SLO. */
export type SliSpec = RatioSli | LatencySli | BooleanSli | BatchSli;

/** One burn-rate tier's alert settings. */
export interface TierSpec {
  /** Alert label `priority` (fast: P0, slow: P2). */
  priority?: string;
  /** Alert label `severity` (fast: critical, slow: warning). */
  severity?: string;
  /**
   * `for:` of the alert (fast: 2m, slow: 15m). The short windows already confirm a burn; the pending
   * time keeps a single bad scrape or a rule-evaluation hiccup from paging.
   */
  for?: string;
}

/** Alert settings of one of the batch-job alerts or the SLI-absent alert. */
export interface SimpleAlertSpec {
  priority?: string;
  severity?: string;
  for?: string;
}

/** What alerts an SLO gets. Every part has a default; `false` turns that alert off. */
export interface AlertingSpec {
  /** Page: 2% of the budget within 1h (over 5m) or 5% within 6h (over 30m). */
  fast?: TierSpec | false;
  /** Ticket: 10% of the budget within 1d (over 2h) or 3d (over 6h). */
  slow?: TierSpec | false;
  /** Burn alerts stay quiet while the long window saw fewer events than this (about). */
  minEvents?: number;
  /** Alert when the SLI has no data (the counters are gone, the target is not scraped). */
  absent?: SimpleAlertSpec | false;
  /** Batch SLOs: a run failed or finished after its deadline. */
  lateOrFailed?: SimpleAlertSpec | false;
  /** Batch SLOs: no successful run for `every + deadline`. */
  noSuccess?: SimpleAlertSpec | false;
  /** `runbook_url` annotation of every alert. */
  runbookUrl?: string;
  /** Extra labels on every alert (e.g. `team`). */
  labels?: Record<string, string>;
}

/**
 * An SLO as written in code or in a YAML/JSON file.
 *
 * @example
 * ```ts
 * const availability: SloSpec = {
 *   id: 'api-availability',
 *   service: 'api',
 *   objective: '99.9%',
 *   window: '30d',
 *   sli: {
 *     kind: 'ratio',
 *     bad: 'http_server_request_duration_seconds_count{service="api", http_response_status_code=~"5.."}',
 *     total: 'http_server_request_duration_seconds_count{service="api"}',
 *   },
 * };
 * ```
 */
export interface SloSpec {
  /** Unique id, lowercase with `-`/`_` (it becomes the `slo` label). */
  id: string;
  /** The service the SLO belongs to (the `service` label). */
  service: string;
  description?: string;
  owner?: string;
  /** A ratio in (0, 1) such as `0.999`, or a percent below 100 such as `'99.9%'`. */
  objective: number | string;
  window: SloWindow;
  sli: SliSpec;
  alerting?: AlertingSpec;
  /** Extra metadata for the info series (`slo:info:labels`), never on the other series. */
  labels?: Record<string, string>;
  /** Evaluation interval of the rule group; it must divide 5m. @default '1m' */
  interval?: string;
}

/** The normalised SLI the generators use: selectors parsed, thresholds in seconds. */
export type ResolvedSli =
  | { kind: 'ratio'; total: Selector; bad?: Selector; good?: Selector; testLabels: Record<string, string> }
  | {
      kind: 'latency';
      metric: string;
      matchers: Matcher[];
      threshold: number;
      testLabels: Record<string, string>;
    }
  | { kind: 'boolean'; selector: Selector; testLabels: Record<string, string> }
  | {
      kind: 'batch';
      job: string;
      jobLabel: string;
      metric: string;
      lastSuccessMetric: string;
      matchers: Matcher[];
      deadlineSeconds: number;
      everyMs: number;
      testLabels: Record<string, string>;
    };

/** A resolved alert: labels and `for:` fixed. */
export interface ResolvedAlert {
  priority: string;
  severity: string;
  for?: string;
}

/** An SLO after validation: every default applied, numbers normalised. */
export interface Slo {
  id: string;
  service: string;
  description: string;
  owner?: string;
  /** The objective as a ratio, without float noise (`0.999`). */
  objective: number;
  /** The error budget, `1 - objective`, without float noise (`0.001`). */
  budget: number;
  window: SloWindow;
  windowMs: number;
  interval: string;
  sli: ResolvedSli;
  alerting: {
    fast?: ResolvedAlert;
    slow?: ResolvedAlert;
    minEvents?: number;
    absent?: ResolvedAlert;
    lateOrFailed?: ResolvedAlert;
    noSuccess?: ResolvedAlert;
    runbookUrl?: string;
    labels: Record<string, string>;
  };
  labels: Record<string, string>;
  /** The spec it came from (for export). */
  spec: SloSpec;
}

const SEMCONV_HTTP = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/**
 * Histograms @immo/metrics defines, with their default buckets (a service may add buckets). Copied
 * rather than imported: importing @immo/metrics loads prom-client into every `immo-slo` run, and a
 * test pins these lists to its constants.
 */
export const KNOWN_HISTOGRAMS: Readonly<Record<string, readonly number[]>> = {
  http_server_request_duration_seconds: SEMCONV_HTTP,
  http_client_request_duration_seconds: SEMCONV_HTTP,
  db_client_operation_duration_seconds: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10],
  immo_job_duration_seconds: [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600],
};

/** Options of {@link defineSlos}. */
export interface DefineSlosOptions {
  /**
   * Bucket boundaries (seconds) of the service's histograms, by metric name, e.g. the buckets the
   * service passed to `immoMetrics`. They win over {@link KNOWN_HISTOGRAMS}.
   */
  histograms?: Readonly<Record<string, readonly number[]>>;
  /** Prefix of every problem line (the file name, for the loaders). */
  source?: string;
  /** Per-spec prefixes (the file each spec came from); win over `source`. */
  sources?: readonly (string | undefined)[];
}

const ID = /^[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
// Alert annotations and labels are Go templates: a value with {{ }} would be executed as one.
const NO_TEMPLATE = /^(?!.*(\{\{|\}\})).*$/s;
const labelValue = z
  .string()
  .max(1024, 'a label value of at most 1024 characters')
  .regex(NO_TEMPLATE, 'a value without {{ or }} (alert templates would run it)');
const labels = z.record(z.string().regex(LABEL_NAME, 'a Prometheus label name'), labelValue);
/** Labels the generator sets on alerts itself; `alerting.labels` may not override them. */
const RESERVED_ALERT_LABELS = new Set([
  'slo',
  'service',
  'priority',
  'severity',
  'burn_tier',
  'alertname',
  'job_name',
]);
const alertLabels = z
  .record(z.string().regex(LABEL_NAME, 'a Prometheus label name'), labelValue)
  .superRefine((obj, ctx) => {
    for (const key of Object.keys(obj)) {
      if (key.startsWith('__')) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'a label name not starting with __ (reserved)',
        });
      } else if (RESERVED_ALERT_LABELS.has(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `a label the generator does not set itself (${[...RESERVED_ALERT_LABELS].join(', ')})`,
        });
      }
    }
  });
const duration = z
  .string()
  .refine((d) => parseDuration(d) !== undefined, 'a Prometheus duration such as 30m');
const alert = z
  .object({
    priority: z.string().min(1).optional(),
    severity: z.string().min(1).optional(),
    for: duration.optional(),
  })
  .strict();

const sliSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('ratio'),
      total: z.string(),
      bad: z.string().optional(),
      good: z.string().optional(),
      testLabels: labels.optional(),
    })
    .strict(),
  z
    .object({
      kind: z.literal('latency'),
      metric: z.string().regex(METRIC_NAME, 'a Prometheus metric name'),
      selector: z.string().optional(),
      threshold: z.union([z.number().positive(), duration]),
      buckets: z.array(z.number()).optional(),
      testLabels: labels.optional(),
    })
    .strict(),
  z.object({ kind: z.literal('boolean'), selector: z.string(), testLabels: labels.optional() }).strict(),
  z
    .object({
      kind: z.literal('batch'),
      job: z
        .string()
        .min(1, 'a job label value')
        .regex(/^[^{}\n\r]*$/, 'a job name without { or }'),
      jobLabel: z.string().regex(LABEL_NAME, 'a Prometheus label name').optional(),
      deadline: duration,
      every: duration,
      metric: z.string().regex(METRIC_NAME, 'a Prometheus metric name').optional(),
      lastSuccessMetric: z.string().regex(METRIC_NAME, 'a Prometheus metric name').optional(),
      selector: z.string().optional(),
      buckets: z.array(z.number()).optional(),
      testLabels: labels.optional(),
    })
    .strict(),
]);

const OBJECTIVE = 'a ratio in (0, 1) such as 0.999 or a percent below 100% such as "99.9%"';
const sloSchema = z
  .object({
    id: z.string().regex(ID, 'an id of lowercase letters, digits, - and _ (at most 63)'),
    service: z
      .string()
      .min(1, 'a service name')
      .max(128)
      .regex(/^[^\n\r{}]*$/, 'a single-line service name without { or }'),
    description: z.string().max(1024).regex(NO_TEMPLATE, 'a description without {{ or }}').optional(),
    owner: z.string().max(256).regex(NO_TEMPLATE, 'an owner without {{ or }}').optional(),
    objective: z.union([z.number(), z.string()]),
    window: z.enum(SLO_WINDOWS),
    sli: sliSchema,
    alerting: z
      .object({
        fast: z.union([z.literal(false), alert]).optional(),
        slow: z.union([z.literal(false), alert]).optional(),
        minEvents: z.number().positive().optional(),
        absent: z.union([z.literal(false), alert]).optional(),
        lateOrFailed: z.union([z.literal(false), alert]).optional(),
        noSuccess: z.union([z.literal(false), alert]).optional(),
        runbookUrl: z.url().optional(),
        labels: alertLabels.optional(),
      })
      .strict()
      .optional(),
    labels: labels.optional(),
    interval: duration.optional(),
  })
  .strict();

/** Parses an objective: a ratio in (0, 1) or a percent string; `undefined` when it is neither. */
export function parseObjective(value: unknown): number | undefined {
  let ratio: number;
  if (typeof value === 'number') ratio = value;
  else if (typeof value === 'string' && /^\d+(\.\d+)?%$/.test(value.trim())) {
    ratio = clean(Number(value.trim().slice(0, -1)) / 100);
  } else if (typeof value === 'string' && /^0?\.\d+$/.test(value.trim())) ratio = Number(value.trim());
  else return undefined;
  return Number.isFinite(ratio) && ratio > 0 && ratio < 1 ? clean(ratio) : undefined;
}

/**
 * The burn-rate alert windows of the Google SRE workbook: a tier fires when `budgetShare` of the
 * period's budget burns within `long`, confirmed over `short`. The factor is derived from the
 * period, so a 28d or 7d SLO alerts on the same budget shares as a 30d one.
 */
export const BURN_TIERS = {
  fast: [
    { long: '1h', short: '5m', budgetShare: 0.02 },
    { long: '6h', short: '30m', budgetShare: 0.05 },
  ],
  slow: [
    { long: '1d', short: '2h', budgetShare: 0.1 },
    { long: '3d', short: '6h', budgetShare: 0.1 },
  ],
} as const;

/** The windows every SLO records a burn rate for. */
export const BURN_WINDOWS = ['5m', '30m', '1h', '2h', '6h', '1d', '3d'] as const;
/** A burn-rate window. */
export type BurnWindow = (typeof BURN_WINDOWS)[number];

/**
 * The burn-rate factor of a condition: the budget share times the period over the long window
 * (30d: 0.02 × 720h / 1h = 14.4; 28d: 13.44; 7d: 3.36).
 *
 * @example
 * ```ts
 * burnFactor('30d', { long: '6h', budgetShare: 0.05 }); // 6
 * ```
 */
export function burnFactor(window: SloWindow, condition: { long: string; budgetShare: number }): number {
  return clean((condition.budgetShare * parseDuration(window)!) / parseDuration(condition.long)!);
}

function checkSelector(text: string | undefined, path: string, issues: string[], nameless = false) {
  if (text === undefined) return undefined;
  const parsed = parseSelector(nameless ? `__immo_placeholder__${text}` : text);
  if (typeof parsed === 'string') {
    issues.push(
      `${path}: expected ${nameless ? 'label matchers such as {service="api"}' : parsed}, received ${describeValue(text)}`,
    );
    return undefined;
  }
  return parsed;
}

function resolveAlert(
  spec: SimpleAlertSpec | false | undefined,
  defaults: ResolvedAlert,
): ResolvedAlert | undefined {
  if (spec === false) return undefined;
  return {
    priority: spec?.priority ?? defaults.priority,
    severity: spec?.severity ?? defaults.severity,
    ...((spec?.for ?? defaults.for) ? { for: spec?.for ?? defaults.for } : {}),
  };
}

function sameLe(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
}

function checkBucket(
  metric: string,
  threshold: number,
  given: readonly number[] | undefined,
  options: DefineSlosOptions,
  path: string,
  issues: string[],
): void {
  const buckets = given ?? options.histograms?.[metric] ?? KNOWN_HISTOGRAMS[metric];
  // Unknown histograms cannot be checked here; the generated tests still use the threshold as le.
  if (!buckets) return;
  if (!buckets.some((b) => sameLe(b, threshold))) {
    issues.push(
      `${path}: expected a bucket boundary of ${metric} (${buckets.join(', ')}), received ${threshold} — add the bucket to the histogram or pick one of these`,
    );
  }
}

function resolveSli(sli: SliSpec, options: DefineSlosOptions, issues: string[]): ResolvedSli | undefined {
  const testLabels = { ...sli.testLabels };
  switch (sli.kind) {
    case 'ratio': {
      if ((sli.bad === undefined) === (sli.good === undefined)) {
        issues.push(
          `sli: expected exactly one of bad or good, received ${sli.bad === undefined ? 'neither' : 'both'}`,
        );
      }
      const total = checkSelector(sli.total, 'sli.total', issues);
      const bad = checkSelector(sli.bad, 'sli.bad', issues);
      const good = checkSelector(sli.good, 'sli.good', issues);
      if (!total || (sli.bad !== undefined && !bad) || (sli.good !== undefined && !good)) return undefined;
      return { kind: 'ratio', total, ...(bad ? { bad } : {}), ...(good ? { good } : {}), testLabels };
    }
    case 'latency': {
      const sel = checkSelector(sli.selector ?? '', 'sli.selector', issues, true);
      const threshold =
        typeof sli.threshold === 'number' ? sli.threshold : clean(parseDuration(sli.threshold)! / 1000);
      checkBucket(sli.metric, threshold, sli.buckets, options, 'sli.threshold', issues);
      if (!sel) return undefined;
      return { kind: 'latency', metric: sli.metric, matchers: sel.matchers, threshold, testLabels };
    }
    case 'boolean': {
      const selector = checkSelector(sli.selector, 'sli.selector', issues);
      return selector ? { kind: 'boolean', selector, testLabels } : undefined;
    }
    case 'batch': {
      const sel = checkSelector(sli.selector ?? '', 'sli.selector', issues, true);
      const metric = sli.metric ?? 'immo_job_duration_seconds';
      const deadlineSeconds = parseDuration(sli.deadline)! / 1000;
      const everyMs = parseDuration(sli.every)!;
      checkBucket(metric, deadlineSeconds, sli.buckets, options, 'sli.deadline', issues);
      if (everyMs < parseDuration('5m')!) {
        issues.push(`sli.every: expected a schedule of at least 5m, received ${describeValue(sli.every)}`);
      }
      if (!sel) return undefined;
      return {
        kind: 'batch',
        job: sli.job,
        jobLabel: sli.jobLabel ?? 'job_name',
        metric,
        lastSuccessMetric: sli.lastSuccessMetric ?? 'immo_job_last_success_timestamp_seconds',
        matchers: sel.matchers.filter((m) => m.name !== (sli.jobLabel ?? 'job_name')),
        deadlineSeconds,
        everyMs,
        testLabels,
      };
    }
  }
}

function resolveOne(spec: SloSpec, options: DefineSlosOptions, issues: string[]): Slo | undefined {
  const objective = parseObjective(spec.objective);
  if (objective === undefined) {
    issues.push(`objective: expected ${OBJECTIVE}, received ${describeValue(spec.objective)}`);
  }
  const intervalMs = parseDuration(spec.interval ?? '1m')!;
  if (intervalMs > 300_000 || 300_000 % intervalMs !== 0) {
    issues.push(
      `interval: expected a duration that divides 5m (30s, 1m, 5m), received ${describeValue(spec.interval)}`,
    );
  }
  const sli = resolveSli(spec.sli, options, issues);
  const a = spec.alerting ?? {};
  const batch = spec.sli.kind === 'batch';
  if (batch) {
    for (const key of ['fast', 'slow', 'minEvents', 'absent'] as const) {
      if (a[key] !== undefined && a[key] !== false) {
        issues.push(
          `alerting.${key}: expected nothing for a batch SLO (burn-rate alerts are meaningless at a few runs a day; it gets lateOrFailed and noSuccess alerts), received ${describeValue(a[key])}`,
        );
      }
    }
  } else {
    for (const key of ['lateOrFailed', 'noSuccess'] as const) {
      if (a[key] !== undefined && a[key] !== false) {
        issues.push(
          `alerting.${key}: expected nothing for a ${spec.sli.kind} SLO (batch SLOs only), received ${describeValue(a[key])}`,
        );
      }
    }
  }
  const budget = objective === undefined ? undefined : clean(1 - objective);
  const alerting: Slo['alerting'] = { labels: { ...a.labels } };
  if (!batch) {
    alerting.fast = resolveAlert(a.fast, { priority: 'P0', severity: 'critical', for: '2m' });
    alerting.slow = resolveAlert(a.slow, { priority: 'P2', severity: 'warning', for: '15m' });
    alerting.absent = resolveAlert(a.absent, { priority: 'P2', severity: 'warning', for: '15m' });
    if (a.minEvents !== undefined) alerting.minEvents = a.minEvents;
    if (budget !== undefined) {
      for (const tier of ['fast', 'slow'] as const) {
        if (!alerting[tier]) continue;
        // A tier fires when any of its conditions can; one impossible condition alone (the 1h page
        // at a 93% objective) leaves the other to do the work.
        const conditions = BURN_TIERS[tier].map((c) => ({ c, factor: burnFactor(spec.window, c) }));
        if (conditions.every(({ factor }) => factor * budget >= 1)) {
          const { c, factor } = conditions.reduce((a, b) => (b.factor < a.factor ? b : a));
          issues.push(
            `alerting.${tier}: expected a tier that can fire, received objective ${formatNumber(objective!)} — even its ${c.long}/${c.short} condition needs an error ratio above ${formatNumber(factor)} × ${formatNumber(budget)} = ${formatNumber(factor * budget)}, which can never happen; raise the objective above ${formatNumber(1 - 1 / factor)} or set alerting.${tier}: false`,
          );
        }
      }
    }
  } else {
    alerting.lateOrFailed = resolveAlert(a.lateOrFailed, { priority: 'P1', severity: 'warning', for: '1m' });
    alerting.noSuccess = resolveAlert(a.noSuccess, { priority: 'P1', severity: 'critical', for: '5m' });
  }
  if (a.runbookUrl !== undefined) alerting.runbookUrl = a.runbookUrl;
  if (objective === undefined || budget === undefined || !sli) return undefined;
  return {
    id: spec.id,
    service: spec.service,
    description: spec.description ?? defaultDescription(spec, objective, sli),
    ...(spec.owner !== undefined ? { owner: spec.owner } : {}),
    objective,
    budget,
    window: spec.window,
    windowMs: parseDuration(spec.window)!,
    interval: formatDuration(intervalMs),
    sli,
    alerting,
    labels: { ...spec.labels },
    spec,
  };
}

function defaultDescription(spec: SloSpec, objective: number, sli: ResolvedSli): string {
  const pct = `${formatNumber(objective * 100)}%`;
  switch (sli.kind) {
    case 'latency':
      return `${pct} of ${spec.service} requests within ${formatNumber(sli.threshold)} s over ${spec.window}`;
    case 'batch':
      return `${pct} of ${sli.job} runs succeed within ${formatDuration(sli.deadlineSeconds * 1000)} over ${spec.window}`;
    case 'boolean':
      return `${spec.service} good ${pct} of the time over ${spec.window}`;
    default:
      return `${pct} of ${spec.service} events good over ${spec.window}`;
  }
}

/**
 * Validates SLO specs whole and returns them resolved, or the list of every problem (never throws).
 * Each problem reads `<source>: <slo id>: path: expected X, received Y`.
 *
 * @example
 * ```ts
 * const result = validateSlos(specs);
 * if (!result.ok) for (const line of result.issues) console.error(line);
 * ```
 */
export function validateSlos(
  specs: readonly unknown[],
  options: DefineSlosOptions = {},
): { ok: true; slos: Slo[] } | { ok: false; issues: string[] } {
  const issues: string[] = [];
  const slos: Slo[] = [];
  const seen = new Map<string, string>();
  specs.forEach((raw, i) => {
    const source = options.sources?.[i] ?? options.source;
    const prefix = source ? `${source}: ` : '';
    const rawId = (raw as { id?: unknown } | null)?.id;
    const where = `${prefix}${typeof rawId === 'string' && rawId ? rawId : `slos[${i}]`}: `;
    if (typeof rawId === 'string') {
      if (seen.has(rawId)) {
        issues.push(
          `${where}id: expected a unique SLO id, received ${describeValue(rawId)} (also ${seen.get(rawId)})`,
        );
      } else seen.set(rawId, source ? `in ${source}` : `slos[${i}]`);
    }
    const parsed = sloSchema.safeParse(raw);
    const shape = parsed.success ? [] : formatIssues(parsed.error, raw);
    // The checks beyond the shape (objective range, selectors, buckets, tiers) run even when the
    // shape is wrong elsewhere, so one pass lists every problem; a field the shape check already
    // reported is not reported twice, and a spec too broken to read only gets the shape lines.
    const own: string[] = [];
    let slo: Slo | undefined;
    try {
      slo = resolveOne((parsed.success ? parsed.data : raw) as SloSpec, options, own);
    } catch {
      slo = undefined;
    }
    const reported = shape.map((l) => l.slice(0, l.indexOf(':')));
    const extra = own.filter((l) => !reported.some((p) => l.startsWith(`${p}:`) || l.startsWith(`${p}.`)));
    if (slo && slo.sli.kind !== 'batch' && extra.length === 0) {
      try {
        testSeriesPlan(slo);
      } catch (err) {
        extra.push(
          `sli.testLabels: expected labels for the generated tests, received none that fit (${(err as Error).message})`,
        );
      }
    }
    for (const line of [...shape, ...extra]) issues.push(where + line);
    if (!parsed.success) return;
    if (slo && own.length === 0) slos.push(slo);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, slos };
}

/**
 * Validates SLO specs whole and returns them resolved; throws {@link SloError}
 * `IMMO_SLO_INVALID_SPEC` listing every problem.
 *
 * @example
 * ```ts
 * const slos = defineSlos([availability, latency, billingRun], { histograms: { http_server_request_duration_seconds: buckets } });
 * ```
 */
export function defineSlos(specs: readonly SloSpec[], options: DefineSlosOptions = {}): Slo[] {
  const result = validateSlos(specs, options);
  if (!result.ok) throw new SloError('IMMO_SLO_INVALID_SPEC', 'Invalid SLO definitions', result.issues);
  return result.slos;
}
