/** Buckets of a percentage rollout: 0..9999, so a rollout can be set in steps of 0.01 %. */
export const BUCKETS = 10_000;

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3 x86 32-bit (seed 0) of the UTF-8 bytes of `a + ':' + b`, computed without building
 * the string or a byte buffer: the hash runs on every evaluation of a percentage rule, and the
 * bytes are fed as they are encoded. Same function and input shape as Unleash's stickiness
 * (`murmurhash3(groupId:userId)`), so the value can be reproduced in any language.
 */
// Hash state lives at module level so that hashing allocates nothing (no closures, no buffers).
let h = 0;
let k = 0;
let n = 0;

function feed(byte: number): void {
  k |= byte << ((n & 3) * 8);
  n++;
  if ((n & 3) === 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    k = 0;
  }
}

function feedString(s: string): void {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      feed(c);
      continue;
    }
    if (c < 0x800) {
      feed(0xc0 | (c >> 6));
      feed(0x80 | (c & 63));
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const lo = s.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
        i++;
        feed(0xf0 | (c >> 18));
        feed(0x80 | ((c >> 12) & 63));
        feed(0x80 | ((c >> 6) & 63));
        feed(0x80 | (c & 63));
        continue;
      }
    }
    // A lone surrogate is encoded as U+FFFD, as TextEncoder does.
    if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd;
    feed(0xe0 | (c >> 12));
    feed(0x80 | ((c >> 6) & 63));
    feed(0x80 | (c & 63));
  }
}

/**
 * MurmurHash3 x86 32-bit (seed 0) of the UTF-8 bytes of `a + ':' + b`, computed without building
 * the string or a byte buffer: the hash runs on every evaluation of a percentage rule. Same
 * function and input shape as Unleash's stickiness (`murmurhash3("<groupId>:<userId>")`), so a
 * bucket can be reproduced in any language.
 */
export function murmur3Pair(a: string, b: string): number {
  h = 0;
  k = 0;
  n = 0;
  feedString(a);
  feed(0x3a);
  feedString(b);
  if ((n & 3) !== 0) {
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The sticky rollout bucket (0..9999) of a targeting key for a flag: `murmur3("<flag>:<key>") % 10000`.
 * It depends on nothing but the two strings, so it is the same in every process, pod and version;
 * a targeting key in bucket `b` is in a rollout of `p` percent when `b < p * 100`, so raising the
 * percentage never takes the flag away from anyone who had it.
 *
 * @example
 * ```ts
 * rolloutBucket('payments-new-allocation', 'org-42'); // a number 0..9999, always the same
 * ```
 */
export function rolloutBucket(flagKey: string, targetingKey: string): number {
  return murmur3Pair(flagKey, targetingKey) % BUCKETS;
}
