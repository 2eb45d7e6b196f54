/** Stable error codes of @immo/metrics. Each is documented in the README's error table. */
export type MetricsErrorCode =
  | 'IMMO_METRICS_INVALID_OPTIONS'
  | 'IMMO_METRICS_ALREADY_INITIALIZED'
  | 'IMMO_METRICS_INVALID_PLUGIN_OPTIONS'
  | 'IMMO_METRICS_INVALID_METRIC'
  | 'IMMO_METRICS_CONFLICT';

/**
 * Thrown when `initMetrics`, the Fastify plugin or an instrumentation helper receives invalid
 * options, or when `initMetrics` is called again with options that differ from the first call.
 * Every problem is listed, one per line, as `path: expected X, received Y`.
 *
 * @example
 * ```ts
 * try {
 *   initMetrics({ maxSeriesPerMetric: -1 });
 * } catch (err) {
 *   if (err instanceof MetricsOptionsError) console.error(err.code, err.issues.join('\n'));
 * }
 * ```
 */
export class MetricsOptionsError extends Error {
  override readonly name = 'MetricsOptionsError';
  readonly code: MetricsErrorCode;
  readonly issues: readonly string[];

  constructor(code: MetricsErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

/**
 * Thrown when a metric is created with a name, unit, label or bucket list Prometheus would reject
 * (`IMMO_METRICS_INVALID_METRIC`), or under a name already used with another definition
 * (`IMMO_METRICS_CONFLICT`). Thrown at creation, never at scrape time.
 *
 * @example
 * ```ts
 * try {
 *   metrics.counter({ name: 'requests', help: 'Requests.' }); // counters end in _total
 * } catch (err) {
 *   if (err instanceof MetricDefinitionError) console.error(err.issues);
 * }
 * ```
 */
export class MetricDefinitionError extends Error {
  override readonly name = 'MetricDefinitionError';
  readonly code: MetricsErrorCode;
  /** The metric name the definition was for. */
  readonly metric: string;
  readonly issues: readonly string[];

  constructor(code: MetricsErrorCode, metric: string, issues: readonly string[]) {
    super(
      `${code === 'IMMO_METRICS_CONFLICT' ? 'Conflicting' : 'Invalid'} definition of metric "${metric}":\n  - ${issues.join('\n  - ')}`,
    );
    this.code = code;
    this.metric = metric;
    this.issues = issues;
  }
}

/** Describes a received value by type (short strings quoted) so that secrets are not echoed. */
// One formatter for every package's option errors (tooling/zod-issues, bundled at build time).
export { describeValue, formatIssues } from '@immo/zod-issues';
