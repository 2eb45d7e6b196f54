import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3Pair } from '../src/hash.js';
import { rolloutBucket } from '../src/index.js';

// Reference values of MurmurHash3 x86 32 (seed 0) over the UTF-8 bytes of "a:b", checked against
// the murmurhash3js package Unleash uses (which agrees with these for ASCII input).
describe('murmur3Pair', () => {
  it('matches the reference MurmurHash3 x86 32 values', () => {
    expect(murmur3Pair('hel', 'lo')).toBe(492472262);
    expect(murmur3Pair('payments-new-allocation', 'org-42')).toBe(3884236135);
    expect(murmur3Pair('', '')).toBe(723937430);
    expect(murmur3Pair('ä', '😀x')).toBe(2183622190); // UTF-8 bytes, surrogate pairs joined
  });
});

describe('sticky percentage rollouts', () => {
  const key = fc.stringMatching(/^[a-z]{1,8}(-[a-z0-9]{1,8}){1,3}$/);
  const id = fc.string({ minLength: 1, maxLength: 40 });

  it('gives the same key the same bucket, always in 0..9999', () => {
    fc.assert(
      fc.property(key, id, (k, t) => {
        const b = rolloutBucket(k, t);
        expect(b).toBeGreaterThanOrEqual(0);
        expect(b).toBeLessThan(10_000);
        expect(rolloutBucket(k, t)).toBe(b);
      }),
    );
  });

  it('enables about the configured share of many keys (±2 points over 5000 keys)', () => {
    fc.assert(
      fc.property(key, fc.integer({ min: 1, max: 99 }), (k, pct) => {
        let on = 0;
        for (let i = 0; i < 5000; i++) if (rolloutBucket(k, `user-${i}`) < pct * 100) on++;
        expect(Math.abs((on / 5000) * 100 - pct)).toBeLessThan(2.5);
      }),
      { numRuns: 30 },
    );
  });

  it('never turns the flag off for anyone who had it when the percentage is raised', () => {
    fc.assert(
      fc.property(
        key,
        id,
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (k, t, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          const bucket = rolloutBucket(k, t);
          if (bucket < low) expect(bucket < high).toBe(true);
        },
      ),
    );
  });

  it('assigns different flags independently (a key in one rollout is not in every rollout)', () => {
    let both = 0;
    for (let i = 0; i < 4000; i++) {
      if (rolloutBucket('a-flag', `u${i}`) < 5000 && rolloutBucket('b-flag', `u${i}`) < 5000) both++;
    }
    expect(both / 4000).toBeGreaterThan(0.2);
    expect(both / 4000).toBeLessThan(0.3);
  });
});
