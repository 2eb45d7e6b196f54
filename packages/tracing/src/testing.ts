import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { TracingOptions } from './options.js';
import { getTracing, initTracing, type Tracing } from './tracing.js';

/**
 * An exporter that keeps what it is given in memory: the spans exactly as they would have left the
 * process (after PII scrubbing).
 */
export class MemorySpanExporter implements SpanExporter {
  private finished: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: { code: ExportResultCode }) => void): void {
    this.finished.push(...spans);
    done({ code: ExportResultCode.SUCCESS });
  }
  async shutdown(): Promise<void> {}
  async forceFlush(): Promise<void> {}
  /** The exported spans, oldest first. */
  spans(): ReadableSpan[] {
    return [...this.finished];
  }
  reset(): void {
    this.finished = [];
  }
}

/** What {@link createTestTracing} returns. */
export interface TestTracing {
  readonly tracing: Tracing;
  readonly exporter: MemorySpanExporter;
  /** Flushes, then returns every span exported so far (scrubbed), oldest first. */
  spans(): Promise<ReadableSpan[]>;
  /** The first exported span with this name (after a flush), or undefined. */
  span(name: string): Promise<ReadableSpan | undefined>;
  /** Flushes what is still queued, then forgets every span exported so far. */
  reset(): Promise<void>;
  /** Shuts tracing down and removes the OpenTelemetry globals, so a later test can set it up again. */
  close(): Promise<void>;
}

/**
 * Sets tracing up for a test with an in-memory exporter: every span (sampling 1, scrubbed by the
 * same policy as in production) is available right after the code under test ran. One per process at
 * a time; close it in `afterEach`/`afterAll`.
 *
 * @example
 * ```ts
 * import { createTestTracing } from '@immo/tracing/testing';
 * const t = createTestTracing({ serviceName: 'billing-api' });
 * await app.inject({ url: '/api/orgs/1' });
 * expect((await t.span('GET /api/orgs/:id'))?.attributes['http.response.status_code']).toBe(200);
 * await t.close();
 * ```
 */
export function createTestTracing(options: Omit<TracingOptions, 'exporter'> = {}): TestTracing {
  const existing = getTracing();
  if (existing !== undefined) {
    throw new Error(
      'createTestTracing(): tracing is already set up in this process; close() the previous one first',
    );
  }
  const exporter = new MemorySpanExporter();
  const tracing = initTracing({
    sampleRatio: 1,
    scheduledDelayMs: 0,
    instrumentPg: false,
    instrumentUndici: false,
    ...options,
    exporter,
  });
  return {
    tracing,
    exporter,
    async spans() {
      await tracing.flush(2000);
      return exporter.spans();
    },
    async span(name) {
      await tracing.flush(2000);
      return exporter.spans().find((s) => s.name === name);
    },
    async reset() {
      await tracing.flush(2000);
      exporter.reset();
    },
    close: () => tracing.shutdown(2000),
  };
}
