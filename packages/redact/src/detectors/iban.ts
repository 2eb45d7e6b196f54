// IBAN lengths per country from the SWIFT IBAN registry (ISO 13616), release 99 (2025).
const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24,
  AE: 23,
  AL: 28,
  AT: 20,
  AZ: 28,
  BA: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BI: 27,
  BR: 29,
  BY: 28,
  CH: 21,
  CR: 22,
  CY: 28,
  CZ: 24,
  DE: 22,
  DJ: 27,
  DK: 18,
  DO: 28,
  EE: 20,
  EG: 29,
  ES: 24,
  FI: 18,
  FK: 18,
  FO: 18,
  FR: 27,
  GB: 22,
  GE: 22,
  GI: 23,
  GL: 18,
  GR: 27,
  GT: 28,
  HN: 28,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IQ: 23,
  IS: 26,
  IT: 27,
  JO: 30,
  KW: 30,
  KZ: 20,
  LB: 28,
  LC: 32,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  LY: 25,
  MC: 27,
  MD: 24,
  ME: 22,
  MK: 19,
  MN: 20,
  MR: 27,
  MT: 31,
  MU: 30,
  NI: 28,
  NL: 18,
  NO: 15,
  OM: 23,
  PK: 24,
  PL: 28,
  PS: 29,
  PT: 25,
  QA: 29,
  RO: 24,
  RS: 22,
  RU: 33,
  SA: 24,
  SC: 31,
  SD: 18,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  SO: 23,
  ST: 25,
  SV: 28,
  TL: 23,
  TN: 24,
  TR: 26,
  UA: 29,
  VA: 22,
  VG: 24,
  XK: 20,
  YE: 30,
};

/** ISO 13616 length for a country code, or undefined when the country has no IBAN. */
export function ibanLength(countryCode: string): number | undefined {
  return Object.hasOwn(IBAN_LENGTHS, countryCode) ? IBAN_LENGTHS[countryCode] : undefined;
}

/** The country codes the detector knows, for the README and tests. */
export const IBAN_COUNTRIES: readonly string[] = Object.freeze(Object.keys(IBAN_LENGTHS));

/**
 * ISO 7064 MOD 97-10 over an upper-case compact IBAN: the first four characters move to the end,
 * letters become 10..35, and the remainder must be 1.
 */
export function ibanChecksumValid(compact: string): boolean {
  const n = compact.length;
  let rem = 0;
  for (let k = 0; k < n; k++) {
    const c = compact.charCodeAt((k + 4) % n);
    if (c >= 48 && c <= 57) {
      rem = (rem * 10 + (c - 48)) % 97;
    } else if (c >= 65 && c <= 90) {
      rem = (rem * 100 + (c - 55)) % 97;
    } else {
      return false;
    }
  }
  return rem === 1;
}

function isAlnum(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** True for characters that glue a token together, so an IBAN must not touch them. */
function isWordChar(c: number): boolean {
  return isAlnum(c) || c === 95;
}

/**
 * Replaces every valid IBAN in `s`. A candidate starts at a word boundary with two letters (a known
 * country) and two digits, may be grouped in fours by single spaces (the print format), must have
 * exactly the country's length, end at a word boundary, carry at least half digits in the BBAN, and pass
 * MOD 97-10. Returns `s` itself when nothing was replaced.
 */
export function redactIbans(s: string): string {
  const n = s.length;
  let out = '';
  let last = 0;
  let i = 0;
  while (i + 15 <= n) {
    const c0 = s.charCodeAt(i);
    const c0u = c0 & ~32;
    if (c0u < 65 || c0u > 90 || (i > 0 && isWordChar(s.charCodeAt(i - 1)))) {
      i++;
      continue;
    }
    const c1u = s.charCodeAt(i + 1) & ~32;
    if (c1u < 65 || c1u > 90 || !isDigit(s.charCodeAt(i + 2)) || !isDigit(s.charCodeAt(i + 3))) {
      i++;
      continue;
    }
    const country = String.fromCharCode(c0u, c1u);
    const len = ibanLength(country);
    if (len === undefined) {
      i++;
      continue;
    }
    let j = i;
    let count = 0;
    let digits = 0;
    while (j < n && count < len) {
      const c = s.charCodeAt(j);
      if (isAlnum(c)) {
        if (isDigit(c)) digits++;
        count++;
        j++;
      } else if (c === 32 && count % 4 === 0 && count > 0 && j + 1 < n && isAlnum(s.charCodeAt(j + 1))) {
        j++;
      } else {
        break;
      }
    }
    if (count === len && (j >= n || !isWordChar(s.charCodeAt(j))) && digits - 2 >= (len - 4) / 2) {
      // Built only for a candidate of the right shape: most strings never get here.
      const compact = s.slice(i, j).replace(/ /g, '').toUpperCase();
      if (ibanChecksumValid(compact)) {
        out += s.slice(last, i) + `[REDACTED:iban:${country}…${compact.slice(-4)}]`;
        last = j;
        i = j;
        continue;
      }
    }
    i++;
  }
  return last === 0 ? s : out + s.slice(last);
}
