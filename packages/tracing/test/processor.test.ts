import { createRedactor } from '@immo/redact';
import type { Span } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TracingLogger } from '../src/options.js';
import { ExportPipeline } from '../src/processor.js';
import { span } from './spans.js';

type Mode = 'ok' | 'fail' | 'hang';
function exporter() {
  const exported: ReadableSpan[][] = [];
  const state = { mode: 'ok' as Mode, calls: 0 };
  const e: SpanExporter = {
    export(spans, done) {
      state.calls++;
      if (state.mode === 'ok') {
        exported.push(spans);
        done({ code: ExportResultCode.SUCCESS });
      } else if (state.mode === 'fail') {
        done({ code: ExportResultCode.FAILED, error: new Error('connect ECONNREFUSED 127.0.0.1:4318') });
      } // hang: never calls back
    },
    shutdown: async () => undefined,
  };
  return { e, exported, state };
}

function logger() {
  return { warn: vi.fn(), info: vi.fn() };
}

function pipeline(
  e: SpanExporter,
  log: TracingLogger = logger(),
  over: Partial<ConstructorParameters<typeof ExportPipeline>[0]> = {},
) {
  return new ExportPipeline({
    exporter: e,
    redactor: createRedactor(),
    maxQueueSize: 100,
    maxExportBatchSize: 10,
    scheduledDelayMs: 1000,
    exportTimeoutMs: 500,
    logger: log,
    endpoint: 'http://127.0.0.1:4318/v1/traces',
    ...over,
  });
}

afterEach(() => vi.useRealTimers());

describe('export pipeline', () => {
  it('exports in batches of at most maxExportBatchSize, after the delay or when a batch is full', async () => {
    vi.useFakeTimers();
    const x = exporter();
    const p = pipeline(x.e);
    for (let i = 0; i < 25; i++) p.onEnd(span(`s${i}`));
    await vi.advanceTimersByTimeAsync(0);
    expect(x.exported.map((b) => b.length)).toEqual([10, 10]); // two full batches at once
    await vi.advanceTimersByTimeAsync(999);
    expect(x.exported).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(x.exported.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(p.stats()).toMatchObject({ ended: 25, exported: 25, queued: 0, droppedQueueFull: 0 });
  });

  it('ignores unsampled spans', () => {
    const x = exporter();
    const p = pipeline(x.e);
    p.onEnd(span('unsampled', false));
    expect(p.stats().ended).toBe(0);
  });

  it('with the exporter down: bounded queue, drops counted, one warning, one recovery line', async () => {
    vi.useFakeTimers();
    const x = exporter();
    x.state.mode = 'fail';
    const log = logger();
    const p = pipeline(x.e, log);
    for (let i = 0; i < 5000; i++) {
      p.onEnd(span(`s${i}`));
      if (i % 100 === 0) await vi.advanceTimersByTimeAsync(10);
    }
    await vi.advanceTimersByTimeAsync(5000);
    const s = p.stats();
    expect(s.queued).toBeLessThanOrEqual(100);
    expect(s.exported).toBe(0);
    expect(s.droppedExportFailed + s.droppedQueueFull + s.queued).toBe(5000);
    expect(s.exportFailures).toBeGreaterThan(1);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(log.warn.mock.calls[0]?.[0]).toMatchObject({ reason: expect.stringContaining('ECONNREFUSED') });
    x.state.mode = 'ok';
    p.onEnd(span('after'));
    await vi.advanceTimersByTimeAsync(2000);
    expect(log.info).toHaveBeenCalledTimes(1);
    expect(log.info.mock.calls[0]?.[1]).toBe('span export recovered');
    expect(log.info.mock.calls[0]?.[0]).toMatchObject({ failed_exports: s.exportFailures });
    expect(p.stats().exported).toBeGreaterThan(0);
  });

  it('a hanging exporter: one export at a time, timed out, the queue stays bounded', async () => {
    vi.useFakeTimers();
    const x = exporter();
    x.state.mode = 'hang';
    const log = logger();
    const p = pipeline(x.e, log);
    for (let i = 0; i < 1000; i++) p.onEnd(span(`s${i}`));
    await vi.advanceTimersByTimeAsync(0);
    expect(x.state.calls).toBe(1); // the other batches wait for the one in flight
    expect(p.stats().queued).toBe(100);
    expect(p.stats().droppedQueueFull).toBe(1000 - 100 - 10);
    await vi.advanceTimersByTimeAsync(500);
    expect(p.stats().exportFailures).toBe(1);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('forceFlush exports everything queued and returns within its deadline when the exporter hangs', async () => {
    const x = exporter();
    const p = pipeline(x.e);
    for (let i = 0; i < 35; i++) p.onEnd(span(`s${i}`));
    await p.forceFlush(1000);
    expect(x.exported.flat()).toHaveLength(35);
    x.state.mode = 'hang';
    p.onEnd(span('stuck'));
    const t0 = Date.now();
    await p.forceFlush(200);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('scrubs spans before the exporter sees them', async () => {
    const x = exporter();
    const p = pipeline(x.e);
    p.onEnd(
      span('GET /pay', true, {
        'enduser.email': 'ann@example.com',
        password: 'x',
        'url.full': 'http://a/b?token=t1&page=2',
      }),
    );
    await p.forceFlush(1000);
    const [s] = x.exported.flat();
    expect(s?.attributes).toEqual({
      'enduser.email': '[REDACTED:email]',
      password: '[REDACTED]',
      'url.full': 'http://a/b?token=[REDACTED]&page=2',
    });
  });

  it('a logger that throws never reaches the caller', async () => {
    vi.useFakeTimers();
    const x = exporter();
    x.state.mode = 'fail';
    const bad = {
      warn: () => {
        throw new Error('logger down');
      },
      info: () => {
        throw new Error('logger down');
      },
    };
    const p = pipeline(x.e, bad);
    expect(() => {
      for (let i = 0; i < 300; i++) p.onEnd(span(`s${i}`));
    }).not.toThrow();
    await vi.advanceTimersByTimeAsync(2000);
  });

  it('onStart is free and shutdown stops accepting spans', async () => {
    const x = exporter();
    const p = pipeline(x.e);
    p.onStart({} as Span as never, {} as never);
    await p.shutdown(500);
    p.onEnd(span('late'));
    expect(p.stats().ended).toBe(0);
  });
});
