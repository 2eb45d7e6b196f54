import { describe, expect, it } from 'vitest';
import { CENSOR, REDACT_MARKERS, redact } from '../src/index.js';
import { serialize } from './helpers.js';

type ErrOut = {
  type: string;
  message: string;
  stack: string;
  cause?: ErrOut;
  aggregateErrors?: ErrOut[];
  [key: string]: unknown;
};

describe('Error serialization', () => {
  it('returns a pino-style plain object when given an Error', () => {
    const out = redact(new TypeError('bad input')) as unknown as ErrOut;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.type).toBe('TypeError');
    expect(out.message).toBe('bad input');
    expect(out.stack).toMatch(/^TypeError: bad input\n\s+at /);
  });

  it('redacts message and stack when the message carries PII', () => {
    const out = redact(
      new Error('no account for ann@example.com, IBAN DE89370400440532013000'),
    ) as unknown as ErrOut;
    expect(out.message).toBe('no account for [REDACTED:email], IBAN [REDACTED:iban:DE…3000]');
    expect(out.stack).not.toContain('ann@example.com');
    expect(out.stack).not.toContain('0532013000');
  });

  it('follows the cause chain when causes are nested', () => {
    const root = new Error('db said token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig');
    const mid = new Error('query failed', { cause: root });
    const top = new Error('request failed', { cause: mid });
    const out = redact(top) as unknown as ErrOut;
    expect(out.cause?.message).toBe('query failed');
    expect(out.cause?.cause?.message).toBe('db said token=[REDACTED:jwt]');
    expect(out.cause?.cause?.type).toBe('Error');
  });

  it('redacts a non-Error cause when the cause is a plain value', () => {
    const out = redact(
      new Error('x', { cause: { password: 'p', mail: 'ann@example.com' } }),
    ) as unknown as ErrOut;
    expect(out.cause).toEqual({ password: CENSOR, mail: '[REDACTED:email]' });
  });

  it('serializes each error when an AggregateError holds several', () => {
    const agg = new AggregateError([new Error('a ann@example.com'), new RangeError('b')], 'two failed');
    const out = redact(agg) as unknown as ErrOut;
    expect(out.type).toBe('AggregateError');
    expect(out.aggregateErrors?.map((e) => [e.type, e.message])).toEqual([
      ['Error', 'a [REDACTED:email]'],
      ['RangeError', 'b'],
    ]);
  });

  it('keeps own enumerable properties and applies key rules when an error has extra fields', () => {
    const err = Object.assign(new Error('upstream'), {
      code: 'E_UPSTREAM',
      statusCode: 502,
      headers: { authorization: 'Bearer x', 'x-id': '1' },
      apiKey: 'k',
      payer: 'GB82WEST12345698765432',
    });
    const out = redact(err) as unknown as ErrOut;
    expect(out).toMatchObject({
      type: 'Error',
      code: 'E_UPSTREAM',
      statusCode: 502,
      headers: { authorization: CENSOR, 'x-id': '1' },
      apiKey: CENSOR,
      payer: '[REDACTED:iban:GB…5432]',
    });
  });

  it('marks a cyclic cause when an error is its own cause', () => {
    const err = new Error('loop') as Error & { cause?: unknown };
    err.cause = err;
    const out = redact(err) as unknown as ErrOut;
    expect(out.cause).toBe(REDACT_MARKERS.circular);
  });

  it('writes [Unredactable] for a field when the error message getter throws', () => {
    const err = new Error('x');
    Object.defineProperty(err, 'message', {
      get() {
        throw new Error('nope');
      },
    });
    const out = redact(err) as unknown as ErrOut;
    expect(out.message).toBe(REDACT_MARKERS.unredactable);
  });

  it('redacts errors nested in objects when they are logged as fields', () => {
    const out = redact({ err: new Error('card 5555 5555 5555 4444') });
    expect(serialize(out)).not.toContain('5555 5555 5555 4444');
    expect(serialize(out)).toContain('[REDACTED:card:…4444]');
  });

  it('uses the error name when the constructor has no name', () => {
    const err = new Error('x');
    Object.defineProperty(err, 'constructor', { value: undefined });
    err.name = 'CustomName';
    expect((redact(err) as unknown as ErrOut).type).toBe('CustomName');
  });
});
