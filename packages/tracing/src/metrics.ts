import { getTracing, type Tracing } from './tracing.js';

/** The part of @immo/metrics' `Metrics` this needs (so @immo/tracing does not depend on it). */
export interface MetricsLike {
  counter(def: { name: string; help: string; labelNames?: readonly string[] }): {
    inc(labels: Record<string, string>, value?: number): void;
  };
  gauge(def: {
    name: string;
    help: string;
    collect?: (gauge: { set(labels: Record<string, never>, value: number): void }) => void;
  }): unknown;
}

/**
 * Exposes the export pipeline's counters as metrics, read at each scrape:
 * `immo_tracing_spans_total{outcome="exported"|"dropped_queue_full"|"dropped_export_failed"}`,
 * `immo_tracing_export_failures_total` and the gauge `immo_tracing_export_queue_spans`. Pass
 * @immo/metrics' `Metrics` (or anything with the same `counter`/`gauge` methods).
 *
 * @example
 * ```ts
 * import { getMetrics } from '@immo/metrics';
 * registerTracingMetrics(getMetrics());
 * ```
 */
export function registerTracingMetrics(
  metrics: MetricsLike,
  tracing: Tracing | undefined = getTracing(),
): void {
  if (tracing === undefined) return;
  const spans = metrics.counter({
    name: 'immo_tracing_spans_total',
    help: 'Finished, sampled spans by what became of them: exported, or dropped (queue full, export failed).',
    labelNames: ['outcome'],
  });
  const failures = metrics.counter({
    name: 'immo_tracing_export_failures_total',
    help: 'Span export requests that failed or timed out.',
  });
  const last = { exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, exportFailures: 0 };
  metrics.gauge({
    name: 'immo_tracing_export_queue_spans',
    help: 'Spans waiting for export.',
    collect: (gauge) => {
      // Counters advance by what changed since the last scrape: the pipeline keeps the totals.
      const s = tracing.stats();
      const step = (key: keyof typeof last, inc: (d: number) => void) => {
        const d = s[key] - last[key];
        if (d > 0) inc(d);
        last[key] = s[key];
      };
      step('exported', (d) => spans.inc({ outcome: 'exported' }, d));
      step('droppedQueueFull', (d) => spans.inc({ outcome: 'dropped_queue_full' }, d));
      step('droppedExportFailed', (d) => spans.inc({ outcome: 'dropped_export_failed' }, d));
      step('exportFailures', (d) => failures.inc({}, d));
      gauge.set({}, s.queued);
    },
  });
}
