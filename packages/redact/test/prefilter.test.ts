import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { detectorsFor } from '../src/detectors/scan.js';
import { createRedactor } from '../src/index.js';
import { makeCard, makeIban, printFormat } from './helpers.js';

// The pre-check looks at digit-run boundaries only for long runs. This is the pre-check as it was
// before that (boundaries at every run start), kept as the oracle: the new one must enable exactly
// the detectors this one enables.
const HAS_IBAN_START = 8;
const RUN_CARD = 32;
function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95;
}
function isLetterCode(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}
function referenceDetectors(s: string): number {
  let flags = 0;
  let run = 0;
  let max = 0;
  let cardMax = 0;
  let cardRun = false;
  let sep = false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c > 64) {
      run = 0;
      if (c === 74) {
        if (i >= 2 && s.charCodeAt(i - 1) === 121 && s.charCodeAt(i - 2) === 101) flags |= 2;
      } else if (
        (c === 114 || c === 82) &&
        i >= 4 &&
        (s.charCodeAt(i - 1) | 32) === 101 &&
        (s.charCodeAt(i - 2) | 32) === 114 &&
        (s.charCodeAt(i - 3) | 32) === 97 &&
        (s.charCodeAt(i - 4) | 32) === 101
      ) {
        flags |= 4;
      }
    } else if (c >= 48 && c <= 57) {
      if (run === 0) {
        const p = i > 0 ? s.charCodeAt(i - 1) : 32;
        cardRun = !(isWordCode(p) || p === 43 || p === 45 || p === 46 || p === 44);
        if (
          i >= 2 &&
          isLetterCode(p) &&
          isLetterCode(s.charCodeAt(i - 2)) &&
          (i === 2 || !isWordCode(s.charCodeAt(i - 3))) &&
          i + 1 < n &&
          s.charCodeAt(i + 1) >= 48 &&
          s.charCodeAt(i + 1) <= 57
        ) {
          flags |= HAS_IBAN_START;
        }
      }
      run++;
      sep = false;
      if (run > max) max = run;
      if (cardRun && run > cardMax) cardMax = run;
    } else if ((c === 32 || c === 45) && run > 0 && !sep) {
      sep = true;
    } else {
      run = 0;
      if (c === 64) flags |= 1;
      else if (c === 61) flags |= 16;
      else if (c === 58 && i + 1 < n) {
        const d = s.charCodeAt(i + 1);
        if (d === 32 || d === 34 || d === 39 || d === 9) flags |= 16;
      }
    }
  }
  if (max < 10) flags &= ~HAS_IBAN_START;
  if (cardMax >= 13) flags |= RUN_CARD;
  return flags;
}

// Strings around the boundaries: digit runs of 1 to 20 digits, alone or with single and double spaces
// and dashes, glued to letters, '_', '+', '.' or ',' on either side, next to the other triggers.
const piece = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 1, maxLength: 20 }),
  fc.constantFrom(' ', '-', '  ', '--', ' - ', '_', '+', '.', ',', '@', '=', ': ', '"', "'"),
  fc.constantFrom('DE', 'GB', 'at', 'x', 'AB', 'eyJ', 'bearer ', 'Bearer ', 'token=', 'iban '),
  fc.string({ unit: fc.constantFrom(...'abJrRDE019 -'), minLength: 1, maxLength: 6 }),
);
const nearBoundary = fc.array(piece, { minLength: 1, maxLength: 10 }).map((parts) => parts.join(''));
describe('pre-check: boundaries of long digit runs only', () => {
  it('enables exactly the detectors the previous pre-check enabled', () => {
    fc.assert(
      fc.property(nearBoundary, (s) => {
        expect(detectorsFor(s)).toBe(referenceDetectors(s));
      }),
      { numRuns: 5000 },
    );
  });

  it('enables exactly the detectors the previous pre-check enabled, on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        expect(detectorsFor(s)).toBe(referenceDetectors(s));
      }),
      { numRuns: 2000 },
    );
  });

  it('still finds IBANs and cards whose digit runs are just long enough', () => {
    const r = createRedactor();
    // 'NO93 8601 1117 947': Norway, 15 characters, the shortest IBAN (11 digits after the country).
    const shortIban = makeIban('NO', '86011117947');
    // A 13-digit Visa: the shortest card.
    const shortCard = makeCard('4', 13);
    for (const text of [shortIban, printFormat(shortIban), shortCard]) {
      for (const wrapped of [text, `paid ${text} today`, `${text},`, `x=${text}`]) {
        const out = r.redactString(wrapped);
        expect(out).not.toContain(text.replace(/ /g, '').slice(4, 12));
        expect(out).toContain('[REDACTED:');
      }
    }
  });
});
