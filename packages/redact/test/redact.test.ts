import { describe, expect, it } from 'vitest';
import { CENSOR, createRedactor, REDACT_MARKERS, redact, redactString } from '../src/index.js';

describe('redact', () => {
  it('censors sensitive keys and PII values when both occur in one object', () => {
    const input = {
      msg: 'payment for ann@example.com',
      headers: { authorization: 'Bearer abc', 'x-request-id': 'r-1' },
      payer: 'DE89 3704 0044 0532 0130 00',
      card: 4111111111111111,
    };
    expect(redact(input)).toEqual({
      msg: 'payment for [REDACTED:email]',
      headers: { authorization: CENSOR, 'x-request-id': 'r-1' },
      payer: '[REDACTED:iban:DE…3000]',
      card: '[REDACTED:card:…1111]',
    });
  });

  it('returns the same reference when nothing needs changing', () => {
    const input = { msg: 'hello', status: 200, route: '/api/orgs/:id', tags: ['a', 'b'] };
    expect(redact(input)).toBe(input);
  });

  it('redacts strings with the value detectors when called with redactString', () => {
    expect(redactString('authorization: Bearer xyz')).toBe('authorization: Bearer [REDACTED:token]');
    expect(redactString('nothing here')).toBe('nothing here');
  });

  it('truncates containers beyond maxDepth when a custom limit is set', () => {
    const r = createRedactor({ maxDepth: 1 });
    expect(r.redact({ a: { b: { c: 1 } } })).toEqual({ a: { b: REDACT_MARKERS.depth } });
  });
});
