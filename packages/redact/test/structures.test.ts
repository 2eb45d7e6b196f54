import { describe, expect, it } from 'vitest';
import { CENSOR, createRedactor, REDACT_MARKERS, redact } from '../src/index.js';

describe('value types', () => {
  it('replaces a back-reference with [Circular] when the input has a cycle', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a, { parent: a }];
    const out = redact(a) as Record<string, unknown>;
    expect(out).toEqual({ name: 'a', self: '[Circular]', list: ['[Circular]', { parent: '[Circular]' }] });
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('walks a shared object twice when it is referenced from two places', () => {
    const shared = { email: 'ann@example.com' };
    expect(redact({ x: shared, y: shared })).toEqual({
      x: { email: '[REDACTED:email]' },
      y: { email: '[REDACTED:email]' },
    });
  });

  it('replaces binary data with a size marker when it meets Buffers and typed arrays', () => {
    const input = {
      buf: Buffer.from('ann@example.com'),
      u8: new Uint8Array(4),
      f64: new Float64Array(2),
      ab: new ArrayBuffer(3),
      dv: new DataView(new ArrayBuffer(5)),
    };
    expect(redact(input)).toEqual({
      buf: '[Binary:15]',
      u8: '[Binary:4]',
      f64: '[Binary:16]',
      ab: '[Binary:3]',
      dv: '[Binary:5]',
    });
  });

  it('keeps Dates, RegExps, functions, symbols and booleans as they are', () => {
    const fn = () => 1;
    const sym = Symbol('s');
    const input = { d: new Date(0), re: /x/, fn, sym, yes: true, nil: null, undef: undefined };
    expect(redact(input)).toBe(input);
    expect(redact(sym)).toBe(sym);
  });

  it('redacts Map keys and values and Set members when they hold PII', () => {
    const out = redact({
      m: new Map<unknown, unknown>([
        ['ann@example.com', 'x'],
        [{ token: 't' }, 'DE89370400440532013000'],
      ]),
      s: new Set([1, 'Bearer abc']),
    });
    expect([...out.m]).toEqual([
      ['[REDACTED:email]', 'x'],
      [{ token: CENSOR }, '[REDACTED:iban:DE…3000]'],
    ]);
    expect([...out.s]).toEqual([1, 'Bearer [REDACTED:token]']);
  });

  it('copies own enumerable fields into a plain object when a class instance holds PII', () => {
    class User {
      constructor(
        public id: number,
        public email: string,
      ) {}
      get display(): string {
        return this.email;
      }
    }
    const clean = new User(1, 'nobody');
    expect(redact(clean)).toBe(clean);
    const out = redact(new User(1, 'ann@example.com'));
    expect(out).toEqual({ id: 1, email: '[REDACTED:email]' });
  });

  it('redacts the toJSON() result when an object defines toJSON', () => {
    const url = new URL('https://api.example.com/cb?mail=ann@example.com');
    expect(redact({ url })).toEqual({ url: 'https://api.example.com/cb?mail=[REDACTED:email]' });
    const custom = { toJSON: () => ({ password: 'x', ok: 1 }) };
    expect(redact(custom)).toEqual({ password: CENSOR, ok: 1 });
  });

  it('keeps symbol values and ignores symbol keys when they are present', () => {
    const key = Symbol('k');
    const input = { [key]: 'ann@example.com', s: Symbol('v') };
    expect(redact(input)).toBe(input);
  });

  it('redacts bigint and boxed primitives when they carry PII', () => {
    expect(redact(4111111111111111n)).toBe('[REDACTED:card:…1111]');
    expect(redact(12n)).toBe(12n);
    expect(redact({ boxed: new String('ann@example.com') })).toEqual({ boxed: '[REDACTED:email]' });
  });

  it('writes [Unredactable] for a property when its getter throws', () => {
    const input = {
      ok: 1,
      get broken(): string {
        throw new Error('boom');
      },
    };
    expect(redact(input)).toEqual({ ok: 1, broken: REDACT_MARKERS.unredactable });
  });

  it('writes [Unredactable] for an object when it is a revoked proxy', () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
    revoke();
    expect(redact({ p: proxy, b: 2 })).toEqual({ p: REDACT_MARKERS.unredactable, b: 2 });
  });

  it('writes [Unredactable] when toJSON throws', () => {
    expect(
      redact({
        bad: {
          toJSON() {
            throw new Error('no');
          },
        },
      }),
    ).toEqual({ bad: REDACT_MARKERS.unredactable });
  });

  it('keeps an own __proto__ key as data when the object is copied', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "mail": "ann@example.com"}');
    const out = redact(input) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out.mail).toBe('[REDACTED:email]');
  });

  it('ignores inherited enumerable properties when Object.prototype is polluted', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.injected = 'ann@example.com';
    try {
      const out = redact({ mail: 'bob@example.com' }) as Record<string, unknown>;
      expect(Object.keys(out)).toEqual(['mail']);
    } finally {
      delete proto.injected;
    }
  });

  it('handles a nested redact() call when a getter redacts too', () => {
    const r = createRedactor();
    const input = {
      get inner() {
        return r.redact({ email: 'ann@example.com' });
      },
      outer: 'bob@example.com',
    };
    expect(r.redact(input)).toEqual({ inner: { email: '[REDACTED:email]' }, outer: '[REDACTED:email]' });
  });

  it('passes primitives through unchanged when they cannot hold PII', () => {
    expect(redact(42)).toBe(42);
    expect(redact(null)).toBe(null);
    expect(redact(undefined)).toBe(undefined);
    expect(redact(Number.NaN)).toBeNaN();
    expect(redact('plain')).toBe('plain');
  });
});
