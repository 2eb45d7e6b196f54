import type { Redactor } from '@immo/redact';
import { type Context, context, ROOT_CONTEXT, TraceFlags } from '@opentelemetry/api';
import { ExportResultCode, suppressTracing } from '@opentelemetry/core';
import type { ReadableSpan, Span, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TracingLogger } from './options.js';
import { scrubSpan } from './scrub.js';

/** Counters of the export pipeline, for a dashboard or a test. */
export interface TracingStats {
  /** Finished, sampled spans handed to the pipeline. */
  readonly ended: number;
  /** Spans the exporter accepted. */
  readonly exported: number;
  /** Spans dropped because the queue was full (exporter down or slow). */
  readonly droppedQueueFull: number;
  /** Spans in export requests that failed or timed out. */
  readonly droppedExportFailed: number;
  /** Export requests that failed or timed out. */
  readonly exportFailures: number;
  /** Spans waiting for export now. */
  readonly queued: number;
}

export interface PipelineOptions {
  exporter: SpanExporter;
  redactor: Redactor | undefined;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  logger: TracingLogger;
  endpoint: string;
}

// Exports and their timers run in an empty context with tracing suppressed, never in the context of
// the request whose span happened to fill the batch: the exporter's own HTTP requests must not become
// spans (of that request's trace) if something instruments outgoing HTTP, and the timer and the
// export's sockets must not keep that request's context (its span, logger, ids) alive.
const EXPORT_CONTEXT = suppressTracing(ROOT_CONTEXT);

/**
 * Why not the SDK's BatchSpanProcessor: a service team needs to know how many spans were lost and
 * why, to hear once (not per span) that the collector is unreachable and once that it is back, and
 * to scrub PII off the request path; BatchSpanProcessor drops silently (a debug line) and offers no
 * hook between queue and exporter. This keeps its semantics otherwise: a bounded queue, batches of at
 * most `maxExportBatchSize`, one export in flight, a timer that never keeps the process alive.
 */
export class ExportPipeline implements SpanProcessor {
  private readonly o: PipelineOptions;
  private queue: ReadableSpan[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private failuresSinceWarning = 0;
  private droppedSinceWarning = 0;
  private isShutdown = false;
  private counts = { ended: 0, exported: 0, droppedQueueFull: 0, droppedExportFailed: 0, exportFailures: 0 };

  constructor(options: PipelineOptions) {
    this.o = options;
  }

  stats(): TracingStats {
    return { ...this.counts, queued: this.queue.length };
  }

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    if (this.isShutdown || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return;
    this.counts.ended++;
    if (this.queue.length >= this.o.maxQueueSize) {
      this.counts.droppedQueueFull++;
      this.droppedSinceWarning++;
      if (!this.failing) this.startFailing('queue full: the exporter is slower than spans arrive');
      return;
    }
    this.queue.push(span);
    if (this.queue.length >= this.o.maxExportBatchSize) {
      if (this.inFlight === undefined) this.exportNow();
    } else if (this.timer === undefined && this.inFlight === undefined) {
      context.with(EXPORT_CONTEXT, this.schedule, this);
    }
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.exportNow();
    }, this.o.scheduledDelayMs);
    this.timer.unref();
  }

  private exportNow(): void {
    if (this.inFlight !== undefined || this.queue.length === 0) return;
    context.with(EXPORT_CONTEXT, this.startExport, this);
  }

  private startExport(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.inFlight = this.exportBatch().finally(() => {
      this.inFlight = undefined;
      if (this.queue.length >= this.o.maxExportBatchSize) this.exportNow();
      else if (this.queue.length > 0 && this.timer === undefined && !this.isShutdown) this.schedule();
    });
  }

  private async exportBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.o.maxExportBatchSize);
    const r = this.o.redactor;
    const out = r === undefined ? batch : batch.map((s) => scrubSpan(s, r));
    const result = await new Promise<{ ok: boolean; error?: Error }>((resolve) => {
      const timeout = setTimeout(
        () => resolve({ ok: false, error: new Error(`export timed out after ${this.o.exportTimeoutMs} ms`) }),
        this.o.exportTimeoutMs,
      );
      timeout.unref();
      try {
        this.o.exporter.export(out, (res) => {
          clearTimeout(timeout);
          resolve(
            res.code === ExportResultCode.SUCCESS
              ? { ok: true }
              : { ok: false, error: res.error ?? new Error('export failed') },
          );
        });
      } catch (error) {
        clearTimeout(timeout);
        resolve({ ok: false, error: error instanceof Error ? error : new Error(String(error)) });
      }
    });
    if (result.ok) {
      this.counts.exported += batch.length;
      if (this.failing) this.recover();
    } else {
      this.counts.exportFailures++;
      this.counts.droppedExportFailed += batch.length;
      this.droppedSinceWarning += batch.length;
      this.failuresSinceWarning++;
      if (!this.failing) this.startFailing(result.error?.message ?? 'export failed');
    }
  }

  private startFailing(reason: string): void {
    this.failing = true;
    try {
      this.o.logger.warn(
        { endpoint: this.o.endpoint, reason: reason.slice(0, 300) },
        'span export failing: spans are dropped and counted until it recovers (no further warnings until then)',
      );
    } catch {
      // A logger failure must not reach the request that ended the span.
    }
  }

  private recover(): void {
    try {
      this.o.logger.info(
        {
          endpoint: this.o.endpoint,
          failed_exports: this.failuresSinceWarning,
          dropped_spans: this.droppedSinceWarning,
        },
        'span export recovered',
      );
    } catch {
      // see startFailing
    }
    this.failing = false;
    this.failuresSinceWarning = 0;
    this.droppedSinceWarning = 0;
  }

  /** Exports everything queued, batch after batch, until the queue is empty or the deadline passes. */
  async forceFlush(deadlineMs = this.o.exportTimeoutMs): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (Date.now() < until) {
      if (this.inFlight !== undefined) {
        await Promise.race([this.inFlight, sleep(until - Date.now())]);
        continue;
      }
      if (this.queue.length === 0) return;
      this.exportNow();
    }
  }

  async shutdown(deadlineMs?: number): Promise<void> {
    if (this.isShutdown) return;
    await this.forceFlush(deadlineMs);
    this.isShutdown = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.queue = [];
    await this.o.exporter.shutdown().catch(() => undefined);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, Math.max(0, ms));
    t.unref();
  });
}
