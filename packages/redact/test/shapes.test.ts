import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CENSOR, createRedactor } from '../src/index.js';
import { makerSource } from '../src/shapes.js';

// A copy is built key by key the first time a shape is seen at a position, and by a compiled object
// literal from the second time on (see src/shapes.ts). Every case here redacts the same shape several
// times, so both ways are compared with the same expectation.
const TIMES = 5;

function repeatedly<T>(make: () => T, redactor = createRedactor()): unknown[] {
  return Array.from({ length: TIMES }, () => redactor.redact(make()));
}

describe('copies of objects of a repeated shape', () => {
  it('are the same, key order included, whether built key by key or by a compiled literal', () => {
    const make = () => ({
      org_id: 'org_1',
      user: { id: 'u1', password: 'hunter2', role: 'admin' },
      note: 'mail ann@example.com',
      n: 3,
    });
    for (const out of repeatedly(make)) {
      expect(out).toEqual({
        org_id: 'org_1',
        user: { id: 'u1', password: CENSOR, role: 'admin' },
        note: 'mail [REDACTED:email]',
        n: 3,
      });
      expect(Object.keys(out as object)).toEqual(['org_id', 'user', 'note', 'n']);
      expect(Object.keys((out as { user: object }).user)).toEqual(['id', 'password', 'role']);
    }
  });

  it('are new plain objects each time and never the caller’s', () => {
    const r = createRedactor();
    const seen = new Set<unknown>();
    for (let i = 0; i < TIMES; i++) {
      const input = { id: i, token: `t${i}` };
      const out = r.redact(input) as Record<string, unknown>;
      expect(out).not.toBe(input);
      expect(input.token).toBe(`t${i}`);
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(out).toEqual({ id: i, token: CENSOR });
      seen.add(out);
    }
    expect(seen.size).toBe(TIMES);
  });

  it('keep `__proto__` an own property instead of setting the prototype', () => {
    const make = () => JSON.parse('{"__proto__":{"password":"x","polluted":true},"token":"t"}') as object;
    for (const out of repeatedly(make)) {
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.hasOwn(out as object, '__proto__')).toBe(true);
      expect(JSON.stringify(out)).toBe(
        '{"__proto__":{"password":"[REDACTED]","polluted":true},"token":"[REDACTED]"}',
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('write keys that need quoting or escaping as they are', () => {
    const keys = ['a"b', 'back\\slash', 'line\u2028sep', 'lone\ud800', '', 'x y', '0', '10', 'constructor'];
    const make = () => {
      const o: Record<string, unknown> = {};
      for (const k of keys) o[k] = k;
      o.secret = 's';
      return o;
    };
    const expected: Record<string, unknown> = {};
    for (const k of keys) expected[k] = k;
    expected.secret = CENSOR;
    for (const out of repeatedly(make)) {
      expect(out).toEqual(expected);
      expect(Object.keys(out as object)).toEqual(Object.keys(make()));
    }
  });

  it('keep the last value of two keys renamed to the same censor, at the first one’s place', () => {
    const make = () => ({ 'ann@example.com': 1, id: 'x', 'bob@example.com': 2 });
    for (const out of repeatedly(make)) {
      expect(JSON.stringify(out)).toBe('{"[REDACTED:email]":2,"id":"x"}');
    }
  });

  it('follow a position whose shape changes from call to call', () => {
    const r = createRedactor();
    const a = () => ({ a: 1, password: 'p' });
    const b = () => ({ b: 2, token: 't', c: 3 });
    const c = () => ({ a: 1, token: 't' });
    for (let i = 0; i < 4 * TIMES; i++) {
      expect(r.redact(a())).toEqual({ a: 1, password: CENSOR });
      expect(r.redact(b())).toEqual({ b: 2, token: CENSOR, c: 3 });
      if (i % 3 === 0) expect(r.redact(c())).toEqual({ a: 1, token: CENSOR });
    }
  });

  it('stay right for more shapes than the redactor compiles', () => {
    const r = createRedactor();
    for (let s = 0; s < 700; s++) {
      for (let i = 0; i < 3; i++) {
        expect(r.redact({ [`k${s}`]: s, password: 'p' })).toEqual({ [`k${s}`]: s, password: CENSOR });
      }
    }
  });

  it('equal a fresh redactor’s output for random objects redacted again and again', () => {
    const key = fc.constantFrom('id', 'password', 'note', 'token', 'ann@example.com', '__proto__', '1', 'x');
    const value = fc.oneof(
      fc.constantFrom('plain', 'ann@example.com', 'DE89370400440532013000'),
      fc.integer(),
    );
    const shape = fc.dictionary(key, fc.oneof(value, fc.dictionary(key, value, { maxKeys: 4 })), {
      maxKeys: 6,
    });
    const shared = createRedactor();
    fc.assert(
      fc.property(shape, (o) => {
        const expected = JSON.stringify(createRedactor().redact(o));
        for (let i = 0; i < 3; i++) expect(JSON.stringify(shared.redact(o))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('are never compiled, nor their keys remembered, when a key is longer than 256 characters', () => {
    const r = createRedactor();
    const compiled = () => (r as unknown as { shapes: { compiled: number } }).shapes.compiled;
    const long = 'k'.repeat(300);
    for (let i = 0; i < TIMES; i++) {
      expect(r.redact({ [long]: i, password: 'p' })).toEqual({ [long]: i, password: CENSOR });
    }
    expect(compiled()).toBe(0);
    for (let i = 0; i < TIMES; i++) r.redact({ short: i, password: 'p' });
    expect(compiled()).toBe(1);
  });

  it('are the same on the first call and later ones when Object.prototype is frozen or has a setter', () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { createRedactor } = await import(${JSON.stringify(dist)});
      let stolen;
      Object.defineProperty(Object.prototype, 'user', { set(v) { stolen = v; }, configurable: true });
      Object.freeze(Object.prototype);
      const r = createRedactor();
      const outs = [];
      for (let i = 0; i < 4; i++) outs.push(JSON.stringify(r.redact({ toString: 'x', user: 'ann', password: 'p' })));
      console.log(JSON.stringify({ outs, stolen: stolen ?? null }));
    `;
    const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(res.stderr).toBe('');
    const { outs, stolen } = JSON.parse(res.stdout) as { outs: string[]; stolen: unknown };
    expect(outs).toEqual(Array(4).fill('{"toString":"x","user":"ann","password":"[REDACTED]"}'));
    expect(stolen).toBeNull();
  });

  it('are built key by key where code generation from strings is disallowed', () => {
    // The built package (turbo builds it before its tests): a fresh Node process cannot load TypeScript.
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      const { createRedactor } = await import(${JSON.stringify(dist)});
      const r = createRedactor();
      const outs = [];
      for (let i = 0; i < 5; i++) outs.push(r.redact({ id: i, user: { password: 'p', name: 'n' } }));
      let evalWorks = true;
      try { new Function('return 1'); } catch { evalWorks = false; }
      console.log(JSON.stringify({ evalWorks, outs }));
    `;
    const res = spawnSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    expect(res.stderr).toBe('');
    const { evalWorks, outs } = JSON.parse(res.stdout) as { evalWorks: boolean; outs: unknown[] };
    expect(evalWorks).toBe(false);
    expect(outs).toEqual(
      Array.from({ length: 5 }, (_, i) => ({ id: i, user: { password: CENSOR, name: 'n' } })),
    );
  });
});

describe('makerSource', () => {
  it('writes `__proto__` as a computed key and every other key as a JSON string', () => {
    expect(makerSource(['a', '__proto__', 'b"c'])).toBe(
      'return {"a": p[b + 1], ["__proto__"]: p[b + 3], "b\\"c": p[b + 5]};',
    );
  });
});
