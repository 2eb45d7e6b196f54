import type { SeriesSnapshot } from './metric.js';
import { createMetrics, getMetrics, internals, type Metrics } from './metrics.js';
import type { MetricsOptions } from './options.js';

/** Which metrics instance a helper reads: the process-wide one unless given. */
export interface TestingOptions {
  /** @default getMetrics() */
  metrics?: Metrics;
}

/**
 * A metrics instance of its own for one test (not the process-wide one): runtime metrics off,
 * exemplars off, `service="test"`, unless overridden. Pass it to the plugin as `{ metrics }`.
 *
 * @example
 * ```ts
 * const metrics = createTestMetrics();
 * await app.register(immoMetrics, { metrics });
 * ```
 */
export function createTestMetrics(options: MetricsOptions = {}): Metrics {
  return createMetrics(
    { service: 'test', version: '0.0.0', runtimeMetrics: false, exemplars: false, ...options },
    {},
  );
}

/**
 * Zeroes every metric (ours and prom-client's in the same registry). Label sets and handles stay
 * valid; series are shown again once recorded into.
 *
 * @example
 * ```ts
 * beforeEach(() => resetMetrics());
 * ```
 */
export function resetMetrics(options: TestingOptions = {}): void {
  (options.metrics ?? getMetrics()).registry.resetMetrics();
}

function matching(
  name: string,
  labels: Record<string, string | number> | undefined,
  metrics: Metrics,
): SeriesSnapshot[] {
  const m = internals(metrics).ownMetric(name);
  if (m === undefined) {
    throw new Error(
      `@immo/metrics/testing: no metric named "${name}" (of @immo/metrics) in this registry; known: ${metrics.registry
        .getMetricsAsArray()
        .map((x) => x.name)
        .join(', ')}`,
    );
  }
  if (m.type === 'gauge' && m.collectFn !== undefined) {
    // Collected as for a scrape; an asynchronous collect is not awaited here.
    void Promise.resolve(m.collectFn(m)).catch(() => {});
  }
  const want = Object.entries(labels ?? {}).map(([k, v]) => [k, String(v)] as const);
  return m.snapshot().filter((s) => want.every(([k, v]) => (s.labels[k] ?? '') === v));
}

/**
 * The value of a counter or gauge, summed over the series whose labels include `labels`
 * (all series when omitted); for a histogram, the sum of its observations. `undefined` when no
 * series matches. Throws when no metric has this name.
 *
 * @example
 * ```ts
 * recordSecurityEvent('csrf_rejected');
 * expect(metricValue('immo_security_events_total', { type: 'csrf_rejected' })).toBe(1);
 * ```
 */
export function metricValue(
  name: string,
  labels?: Record<string, string | number>,
  options: TestingOptions = {},
): number | undefined {
  const series = matching(name, labels, options.metrics ?? getMetrics());
  if (series.length === 0) return undefined;
  return series.reduce((sum, s) => sum + s.value, 0);
}

/**
 * How many observations a histogram holds in the series whose labels include `labels`.
 *
 * @example
 * ```ts
 * await app.inject('/orgs/1');
 * expect(histogramCount('http_server_request_duration_seconds', { http_route: '/orgs/:id' })).toBe(1);
 * ```
 */
export function histogramCount(
  name: string,
  labels?: Record<string, string | number>,
  options: TestingOptions = {},
): number {
  return matching(name, labels, options.metrics ?? getMetrics()).reduce((n, s) => n + s.count, 0);
}

/**
 * How many series (label sets) a metric shows, the overflow series included.
 *
 * @example
 * ```ts
 * expect(seriesCount('http_server_request_duration_seconds')).toBeLessThanOrEqual(2001);
 * ```
 */
export function seriesCount(name: string, options: TestingOptions = {}): number {
  return matching(name, undefined, options.metrics ?? getMetrics()).length;
}

/**
 * The exposition as a scrape gets it (Prometheus text unless `accept` asks for OpenMetrics).
 *
 * @example
 * ```ts
 * expect(await scrape()).toContain('immo_job_duration_seconds_count{');
 * ```
 */
export async function scrape(accept?: string, options: TestingOptions = {}): Promise<string> {
  return (await (options.metrics ?? getMetrics()).render(accept)).body;
}
