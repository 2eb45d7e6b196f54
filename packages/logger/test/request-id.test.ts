import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveRequestId, sanitizeRequestId, traceIdFromTraceparent } from '../src/index.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('sanitizeRequestId', () => {
  it('keeps ids from ingress controllers, UUIDs and trace ids', () => {
    for (const id of [
      '7f2c1e0a-4b1d-4c38-9a51-0c3b8e0d1f2a',
      'Root=1-67891233-abcdef012345678912345678',
      'req_01HZX3',
      'a:b/c.d',
    ]) {
      expect(sanitizeRequestId(id)).toBe(id);
    }
  });

  it('rejects empty, oversized, CRLF, control, quote, space and non-ASCII ids', () => {
    for (const id of [
      '',
      'a'.repeat(129),
      'x'.repeat(8192),
      'abc\r\nSet-Cookie: a=1',
      'a\u0000b',
      'a"b',
      'a b',
      'ünï',
      'a\u2028b',
      'a,b',
      undefined,
      42,
      ['a'],
    ]) {
      expect(sanitizeRequestId(id)).toBeUndefined();
    }
  });

  it('never returns anything but a safe string for arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.anything()), (v) => {
        const out = sanitizeRequestId(v);
        if (out !== undefined) expect(out).toMatch(/^[A-Za-z0-9\-_.:/+=]{1,128}$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('traceIdFromTraceparent', () => {
  it('returns the trace id of a valid header', () => {
    expect(traceIdFromTraceparent(TP)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('accepts fields appended by a future version but not by version 00', () => {
    expect(traceIdFromTraceparent(`01${TP.slice(2)}-future`)).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdFromTraceparent(`${TP}-future`)).toBeUndefined();
  });

  it('rejects malformed headers', () => {
    for (const tp of [
      '',
      'garbage',
      TP.toUpperCase(),
      `ff${TP.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01',
      '00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01',
      '00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g',
      `${TP}\r\n`,
    ]) {
      expect(traceIdFromTraceparent(tp)).toBeUndefined();
    }
  });

  it('never throws and only returns 32 lowercase hex characters', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 120 }), (v) => {
        const out = traceIdFromTraceparent(v);
        if (out !== undefined) expect(out).toMatch(/^[0-9a-f]{32}$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('resolveRequestId', () => {
  it('prefers a valid x-request-id, then the traceparent, then a generated UUID', () => {
    expect(resolveRequestId({ headers: { 'x-request-id': 'abc-1', traceparent: TP } })).toBe('abc-1');
    expect(resolveRequestId({ headers: { 'x-request-id': 'bad id', traceparent: TP } })).toBe(
      '4bf92f3577b34da6a3ce929d0e0e4736',
    );
    expect(resolveRequestId({ headers: { 'x-request-id': ['a', 'b'] } })).toMatch(UUID);
    expect(resolveRequestId({ headers: {} })).toMatch(UUID);
  });

  it('reads a custom header name', () => {
    expect(resolveRequestId({ headers: { 'x-correlation-id': 'c-1' } }, 'x-correlation-id')).toBe('c-1');
  });
});
