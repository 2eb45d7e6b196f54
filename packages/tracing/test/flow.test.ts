import { SpanStatusCode } from '@opentelemetry/api';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { currentTraceId, withSpan } from '../src/index.js';
import { createTestTracing } from '../src/testing.js';

const t = createTestTracing({ serviceName: 'flow-test' });
afterAll(() => t.close());
beforeEach(() => t.reset());

describe('withSpan', () => {
  it('wraps synchronous code and returns its value', async () => {
    const v = withSpan('sync.work', { 'work.kind': 'sync' }, () => 42);
    expect(v).toBe(42);
    const s = await t.span('sync.work');
    expect(s?.attributes['work.kind']).toBe('sync');
    expect(s?.status.code).toBe(SpanStatusCode.UNSET);
    expect(s?.ended).toBe(true);
  });

  it('ends an async span when the promise settles, with children nested', async () => {
    const id = await withSpan('billing.run', async () => {
      await new Promise((r) => setTimeout(r, 5));
      await withSpan('billing.invoice', async () => undefined);
      return currentTraceId();
    });
    const spans = await t.spans();
    const run = spans.find((s) => s.name === 'billing.run');
    const child = spans.find((s) => s.name === 'billing.invoice');
    expect(run?.spanContext().traceId).toBe(id);
    expect(child?.parentSpanContext?.spanId).toBe(run?.spanContext().spanId);
  });

  it('records a throw or a rejection, sets the error status and rethrows the same error', async () => {
    const boom = new TypeError('no units for org 7');
    expect(() =>
      withSpan('sync.fail', () => {
        throw boom;
      }),
    ).toThrow(boom);
    await expect(withSpan('async.fail', async () => Promise.reject(boom))).rejects.toBe(boom);
    for (const name of ['sync.fail', 'async.fail']) {
      const s = await t.span(name);
      expect(s?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'no units for org 7' });
      expect(s?.attributes['error.type']).toBe('TypeError');
      expect(s?.events[0]?.name).toBe('exception');
      expect(s?.events[0]?.attributes?.['exception.type']).toBe('TypeError');
    }
  });

  it('keeps a generator span open until the iteration ends, each step inside it', async () => {
    const seen: (string | undefined)[] = [];
    const gen = withSpan('settlement.rows', function* () {
      seen.push(currentTraceId());
      yield 1;
      seen.push(currentTraceId());
      yield 2;
    });
    expect(await t.spans()).toHaveLength(0); // nothing ended yet
    expect([...gen]).toEqual([1, 2]);
    const s = await t.span('settlement.rows');
    expect(s).toBeDefined();
    expect(seen).toEqual([s?.spanContext().traceId, s?.spanContext().traceId]);
  });

  it('handles async generators, including an early return and a failure', async () => {
    async function* rows() {
      yield 'a';
      yield 'b';
      throw new RangeError('row 3 is broken');
    }
    const early = withSpan('rows.early', () => rows());
    for await (const r of early) if (r === 'a') break;
    expect((await t.span('rows.early'))?.status.code).toBe(SpanStatusCode.UNSET);
    const all: string[] = [];
    await expect(
      (async () => {
        for await (const r of withSpan('rows.all', () => rows())) all.push(r);
      })(),
    ).rejects.toThrow('row 3 is broken');
    expect(all).toEqual(['a', 'b']);
    expect((await t.span('rows.all'))?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('scrubs PII out of flow attributes and exception messages before export', async () => {
    await withSpan(
      'payment.allocate',
      { 'payer.iban': 'DE89 3704 0044 0532 0130 00', note: 'from ann@example.com' },
      async () => {
        throw new Error('allocation failed: password=hunter2 card 4111 1111 1111 1111');
      },
    ).catch(() => undefined);
    const s = await t.span('payment.allocate');
    const text = JSON.stringify({ a: s?.attributes, e: s?.events, st: s?.status });
    for (const secret of ['DE89', '3704 0044', 'ann@example.com', 'hunter2', '4111 1111 1111 1111']) {
      expect(text).not.toContain(secret);
    }
    expect(s?.attributes['payer.iban']).toBe('[REDACTED]');
  });

  it('has no trace id outside a span', () => {
    expect(currentTraceId()).toBeUndefined();
  });

  it('rejects a missing function', () => {
    expect(() => withSpan('x', {} as never)).toThrow(TypeError);
  });
});
