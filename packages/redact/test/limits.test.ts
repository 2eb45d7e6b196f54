import { describe, expect, it } from 'vitest';
import { createRedactor, REDACT_MARKERS, redact, redactString } from '../src/index.js';

describe('limits', () => {
  it('stops at maxDepth with a marker when the input is 100k levels deep', () => {
    const root: Record<string, unknown> = {};
    let cur = root;
    for (let i = 0; i < 100_000; i++) {
      const next: Record<string, unknown> = { mail: 'ann@example.com' };
      cur.next = next;
      cur = next;
    }
    const out = redact(root) as Record<string, unknown>;
    let depth = 0;
    let node: unknown = out;
    while (typeof node === 'object' && node !== null) {
      node = (node as Record<string, unknown>).next;
      depth++;
    }
    expect(node).toBe(REDACT_MARKERS.depth);
    expect(depth).toBe(33);
    expect(JSON.stringify(out)).not.toContain('ann@example.com');
  });

  it('stops at maxDepth when arrays are nested 100k levels deep', () => {
    let arr: unknown[] = ['x'];
    for (let i = 0; i < 100_000; i++) arr = [arr];
    expect(() => JSON.stringify(redact(arr))).not.toThrow();
  });

  it('counts the root as depth 0 when maxDepth is 0', () => {
    const r = createRedactor({ maxDepth: 0 });
    expect(r.redact({ a: 1, b: { c: 1 } })).toEqual({ a: 1, b: REDACT_MARKERS.depth });
  });

  it('cuts a 1M-element array after maxNodes with one size marker', () => {
    const big = Array.from({ length: 1_000_000 }, (_, i) => i);
    const out = redact(big) as unknown[];
    expect(out.length).toBe(10_000);
    expect(out.at(-1)).toBe(REDACT_MARKERS.size);
    expect(out.at(-2)).toBe(9_998);
  });

  it('stops objects at the budget when a custom maxNodes is set', () => {
    const r = createRedactor({ maxNodes: 4 });
    expect(r.redact({ a: 1, b: 2, c: 3, d: 4, e: 5 })).toEqual({ a: 1, b: 2, c: 3, d: REDACT_MARKERS.size });
  });

  it('bounds a sparse array with a huge length when it is walked', () => {
    const sparse = new Array(2 ** 31);
    const out = redact(sparse) as unknown[];
    expect(out.length).toBe(10_000);
  });

  it('cuts strings at maxStringLength with a marker when they are longer', () => {
    const r = createRedactor({ maxStringLength: 20 });
    expect(r.redactString('0123456789 0123456789 0123456789')).toBe(`0123456789 ${REDACT_MARKERS.length}`);
    expect(r.redactString('short')).toBe('short');
  });

  it('does not leave half a secret behind when a token straddles the cut', () => {
    const r = createRedactor({ maxStringLength: 40 });
    const out = r.redactString(`message for the card  ${'4111111111111111'} and more`);
    expect(out).not.toMatch(/4111/);
  });

  it('redacts a long string in one pass when it is 100k characters of log text', () => {
    const text = `${'lorem ipsum 12 dolor '.repeat(5_000)} ann@example.com`;
    const out = redactString(text);
    expect(out.endsWith(REDACT_MARKERS.length)).toBe(true);
    expect(out.length).toBeLessThanOrEqual(100_000 + REDACT_MARKERS.length.length);
  });

  it('completes without throwing when an object has a million keys', () => {
    const wide: Record<string, number> = {};
    for (let i = 0; i < 1_000_000; i++) wide[`k${i}`] = i;
    const out = redact(wide) as Record<string, unknown>;
    const keys = Object.keys(out);
    expect(keys.length).toBe(10_000);
    expect(out[keys.at(-1) as string]).toBe(REDACT_MARKERS.size);
  });

  it('returns [Unredactable] when walking fails unexpectedly', () => {
    const evil = new Proxy([], {
      get() {
        throw new Error('trap');
      },
    });
    expect(redact(evil)).toBe(REDACT_MARKERS.unredactable);
  });
});

describe('limits on huge strings', () => {
  it('scans only the first maxStringLength characters when a string is 20 MB', () => {
    const huge = `${'x'.repeat(20_000_000)} ann@example.com`;
    const out = redactString(huge);
    expect(out.length).toBe(100_000 + REDACT_MARKERS.length.length);
  });
});
