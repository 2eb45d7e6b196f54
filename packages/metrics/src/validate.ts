import { MetricDefinitionError } from './errors.js';

export const METRIC_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const UNIT = /^[a-z][a-z0-9_]*[a-z0-9]$|^[a-z]$/;

// promtool's lint asks for base units; these are the ones people reach for instead.
const NON_BASE_UNITS: Record<string, string> = {
  milliseconds: 'seconds',
  microseconds: 'seconds',
  nanoseconds: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  ms: 'seconds',
  kilobytes: 'bytes',
  megabytes: 'bytes',
  gigabytes: 'bytes',
  kibibytes: 'bytes',
  mebibytes: 'bytes',
  bits: 'bytes',
  percent: 'ratio',
  celsius: 'celsius (fine), or kelvin',
};

export type MetricKind = 'counter' | 'gauge' | 'histogram';

export interface RawDefinition {
  name?: unknown;
  help?: unknown;
  unit?: unknown;
  labelNames?: unknown;
  buckets?: unknown;
  maxSeries?: unknown;
  collect?: unknown;
}

/**
 * Checks a definition against Prometheus' rules and promtool's lint, so that a bad name fails at
 * creation rather than as a scrape error in production. Collects every problem.
 */
export function validateDefinition(
  kind: MetricKind,
  def: RawDefinition,
  reservedLabels: readonly string[],
): void {
  const issues: string[] = [];
  const name = def?.name;
  const shown = typeof name === 'string' ? name : String(name);
  if (def === null || typeof def !== 'object') {
    throw new MetricDefinitionError('IMMO_METRICS_INVALID_METRIC', shown, [
      `(definition): expected object, received ${def === null ? 'null' : typeof def}`,
    ]);
  }
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    issues.push(
      `name: expected snake_case matching [a-zA-Z_][a-zA-Z0-9_]*, received ${JSON.stringify(name)}`,
    );
  } else {
    if (/[A-Z]/.test(name)) issues.push(`name: expected snake_case (lower case), received "${name}"`);
    if (name.startsWith('__')) issues.push(`name: names starting with __ are reserved, received "${name}"`);
    if (kind === 'counter' && !name.endsWith('_total'))
      issues.push(`name: a counter name ends in _total, received "${name}" — rename to "${name}_total"`);
    if (kind !== 'counter' && name.endsWith('_total'))
      issues.push(`name: only counters end in _total, received "${name}" for a ${kind}`);
    // promtool's lint flags these on any metric that is not a histogram or summary.
    for (const suffix of ['_bucket', '_count', '_sum', '_created'])
      if (name.endsWith(suffix))
        issues.push(`name: "${suffix}" is a reserved suffix (the exposition adds it), received "${name}"`);
    for (const [bad, good] of Object.entries(NON_BASE_UNITS)) {
      if (name.endsWith(`_${bad}`) || name.includes(`_${bad}_`))
        issues.push(`name: use the base unit ${good} instead of ${bad}, received "${name}"`);
    }
  }
  if (typeof def.help !== 'string' || def.help.trim() === '')
    issues.push(`help: expected a non-empty string, received ${describe(def.help)}`);
  if (kind === 'histogram') {
    const unit = def.unit;
    if (typeof unit !== 'string' || !UNIT.test(unit)) {
      issues.push(
        `unit: expected a snake_case unit such as "seconds", "bytes" or "ratio", received ${describe(unit)}`,
      );
    } else {
      if (NON_BASE_UNITS[unit])
        issues.push(`unit: use the base unit ${NON_BASE_UNITS[unit]}, received "${unit}"`);
      if (typeof name === 'string' && !name.endsWith(`_${unit}`))
        issues.push(`name: a histogram name ends with its unit "_${unit}", received "${name}"`);
    }
  } else if (def.unit !== undefined) {
    issues.push(`unit: only histograms take a unit (put it in the name), received ${describe(def.unit)}`);
  }
  const labels = def.labelNames;
  if (labels !== undefined) {
    if (!Array.isArray(labels)) {
      issues.push(`labelNames: expected an array of label names, received ${describe(labels)}`);
    } else {
      const seen = new Set<string>();
      labels.forEach((l: unknown, i) => {
        if (typeof l !== 'string' || !LABEL_NAME.test(l)) {
          issues.push(
            `labelNames.${i}: expected a label name matching [a-zA-Z_][a-zA-Z0-9_]*, received ${describe(l)}`,
          );
          return;
        }
        if (/[A-Z]/.test(l))
          issues.push(`labelNames.${i}: expected snake_case (lower case), received "${l}"`);
        if (l.startsWith('__'))
          issues.push(`labelNames.${i}: label names starting with __ are reserved, received "${l}"`);
        if (l === 'le' || l === 'quantile')
          issues.push(`labelNames.${i}: "${l}" is reserved for histogram buckets and summary quantiles`);
        // Prometheus sets job and instance on every scraped series; a metric's own label of that
        // name is renamed to exported_job/exported_instance, and selectors on it silently miss.
        if (l === 'job' || l === 'instance')
          issues.push(
            `labelNames.${i}: "${l}" is set by Prometheus on every scraped series (yours would become exported_${l}); use another name such as ${l}_name`,
          );
        if (reservedLabels.includes(l))
          issues.push(`labelNames.${i}: "${l}" is a default label on every series already`);
        if (seen.has(l)) issues.push(`labelNames.${i}: duplicate label "${l}"`);
        seen.add(l);
      });
    }
  }
  if (def.buckets !== undefined) {
    if (kind !== 'histogram') {
      issues.push(`buckets: only histograms take buckets, received ${describe(def.buckets)}`);
    } else if (!Array.isArray(def.buckets) || def.buckets.length === 0) {
      issues.push(`buckets: expected a non-empty array of numbers, received ${describe(def.buckets)}`);
    } else {
      const b = def.buckets as unknown[];
      b.forEach((v, i) => {
        if (typeof v !== 'number' || !Number.isFinite(v))
          issues.push(
            `buckets.${i}: expected a finite number (+Inf is added for you), received ${describe(v)}`,
          );
        else if (i > 0 && typeof b[i - 1] === 'number' && v <= (b[i - 1] as number))
          issues.push(
            `buckets.${i}: expected buckets sorted ascending without duplicates, received ${v} after ${b[i - 1]}`,
          );
      });
    }
  }
  if (def.maxSeries !== undefined && !(Number.isInteger(def.maxSeries) && (def.maxSeries as number) >= 1))
    issues.push(`maxSeries: expected a positive integer, received ${describe(def.maxSeries)}`);
  if (def.collect !== undefined && (kind !== 'gauge' || typeof def.collect !== 'function'))
    issues.push(`collect: expected a function (gauges only), received ${describe(def.collect)}`);
  if (issues.length > 0) throw new MetricDefinitionError('IMMO_METRICS_INVALID_METRIC', shown, issues);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return `"${value.slice(0, 60)}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/**
 * Sorted, de-duplicated union of bucket lists: how a service adds its SLO thresholds to the
 * defaults.
 *
 * @example
 * ```ts
 * await app.register(immoMetrics, { buckets: addBuckets(HTTP_SERVER_DURATION_BUCKETS, [2]) });
 * ```
 */
export function addBuckets(base: readonly number[], extra: readonly number[]): number[] {
  return [...new Set([...base, ...extra])].sort((a, b) => a - b);
}
