import { createRedactor } from '@immo/redact';
import { context, createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, isTracingSuppressed } from '@opentelemetry/core';
import { SamplingDecision, TraceIdRatioBasedSampler } from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { accumulate, PooledIdGenerator, RatioSampler } from '../src/ids.js';
import { ExportPipeline } from '../src/processor.js';
import { requestContext } from '../src/request-context.js';
import { kRequestIdHolder, type RequestIdHolder } from '../src/tracing.js';
import { span } from './spans.js';

const hex = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: n, maxLength: n });

describe('ratio sampler', () => {
  it('decides exactly as the SDK TraceIdRatioBasedSampler, for valid and invalid trace ids', () => {
    const ids = fc.oneof(
      hex(32),
      fc.constant('0'.repeat(32)),
      fc.string({ minLength: 0, maxLength: 40 }),
      hex(31),
      hex(33),
    );
    const ratios = fc.oneof(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.constantFrom(0, 1, 0.1, 0.5, -1, 2, Number.NaN),
    );
    fc.assert(
      fc.property(ids, ratios, (id, ratio) => {
        const ours = new RatioSampler(ratio).shouldSample(ROOT_CONTEXT, id).decision;
        const sdk = new TraceIdRatioBasedSampler(ratio).shouldSample(ROOT_CONTEXT, id).decision;
        expect(ours).toBe(sdk);
      }),
      { numRuns: 5000 },
    );
    expect(new RatioSampler(0.1).toString()).toBe(new TraceIdRatioBasedSampler(0.1).toString());
  });

  it('samples about the configured share of generated ids', () => {
    const ids = new PooledIdGenerator();
    const s = new RatioSampler(0.1);
    let sampled = 0;
    for (let i = 0; i < 20_000; i++)
      if (
        s.shouldSample(ROOT_CONTEXT, ids.generateTraceId()).decision === SamplingDecision.RECORD_AND_SAMPLED
      )
        sampled++;
    expect(sampled / 20_000).toBeGreaterThan(0.08);
    expect(sampled / 20_000).toBeLessThan(0.12);
    expect(accumulate('0'.repeat(32))).toBe(-1);
  });
});

describe('pooled id generator', () => {
  it('returns lowercase hex ids of W3C length, never all zeros, without repeats', () => {
    const g = new PooledIdGenerator();
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const t = g.generateTraceId();
      const s = g.generateSpanId();
      expect(t).toMatch(/^[0-9a-f]{32}$/);
      expect(s).toMatch(/^[0-9a-f]{16}$/);
      expect(t).not.toBe('0'.repeat(32));
      expect(s).not.toBe('0'.repeat(16));
      seen.add(t);
      seen.add(s);
    }
    expect(seen.size).toBe(10_000);
  });
});

describe('request context', () => {
  const span = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0 });
  const other = createContextKey('other');
  const parent = ROOT_CONTEXT.setValue(other, 'from-parent');

  it('holds the span, the request id holder and the parent values, and derives like the api', () => {
    const holder: RequestIdHolder = { requestId: 'r1' };
    const ctx = requestContext(parent, span, holder);
    expect(trace.getSpan(ctx)).toBe(span);
    expect(ctx.getValue(kRequestIdHolder)).toBe(holder);
    expect(ctx.getValue(other)).toBe('from-parent');

    const key = createContextKey('added');
    const derived = ctx.setValue(key, 42);
    expect(derived.getValue(key)).toBe(42);
    expect(trace.getSpan(derived)).toBe(span);
    expect(derived.getValue(kRequestIdHolder)).toBe(holder);
    expect(derived.getValue(other)).toBe('from-parent');
    expect(ctx.getValue(key)).toBeUndefined();

    const child = trace.wrapSpanContext({ traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), traceFlags: 0 });
    expect(trace.getSpan(trace.setSpan(ctx, child))).toBe(child);
    expect(trace.getSpan(trace.deleteSpan(ctx))).toBeUndefined();
    expect(trace.deleteSpan(ctx).getValue(kRequestIdHolder)).toBe(holder);
    expect(ctx.deleteValue(other).getValue(other)).toBeUndefined();
  });
});

describe('export pipeline context', () => {
  const manager = new AsyncLocalStorageContextManager();
  beforeAll(() => {
    context.setGlobalContextManager(manager.enable());
  });
  afterAll(() => {
    context.disable();
  });

  it('exports outside the context of the request that filled the batch, with tracing suppressed', async () => {
    const key = createContextKey('request');
    const seen: { suppressed: boolean; request: unknown }[] = [];
    const p = new ExportPipeline({
      exporter: {
        export(_spans, done) {
          seen.push({
            suppressed: isTracingSuppressed(context.active()),
            request: context.active().getValue(key),
          });
          done({ code: ExportResultCode.SUCCESS });
        },
        shutdown: async () => undefined,
      },
      redactor: createRedactor(),
      maxQueueSize: 100,
      maxExportBatchSize: 2,
      scheduledDelayMs: 10,
      exportTimeoutMs: 500,
      logger: { warn: () => undefined, info: () => undefined },
      endpoint: 'test',
    });
    const requestCtx = ROOT_CONTEXT.setValue(key, 'req-1');
    // A full batch (exported at once) and a partial one (exported by the timer).
    context.with(requestCtx, () => {
      for (let i = 0; i < 3; i++) p.onEnd(span(`s${i}`));
    });
    // the partial batch waits for the 10 ms timer: poll for it rather than sleep a fixed time,
    // which a loaded CI machine can overrun
    await vi.waitFor(() => expect(seen.length).toBe(2), { timeout: 10_000, interval: 20 });
    for (const s of seen) expect(s).toEqual({ suppressed: true, request: undefined });
    expect(p.stats().exported).toBe(3);
  });
});
