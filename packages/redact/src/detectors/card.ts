/** Luhn (mod 10) over a string of ASCII digits. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let k = digits.length - 1; k >= 0; k--) {
    let d = digits.charCodeAt(k) - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

function between(value: number, lo: number, hi: number): boolean {
  return value >= lo && value <= hi;
}

/**
 * Known issuer prefixes (IIN ranges) and their card lengths: Visa, Mastercard, American Express,
 * Discover, Diners Club, JCB, UnionPay, Maestro and Mir. A number that is Luhn-valid but has no known
 * issuer (a 13-digit millisecond timestamp starts with 1) is not a card.
 */
export function knownIssuer(digits: string): boolean {
  const len = digits.length;
  if (len < 4) return false;
  const p1 = digits.charCodeAt(0) - 48;
  // Arithmetic prefixes instead of slices: this runs for every long enough digit run and large integer.
  const p2 = p1 * 10 + digits.charCodeAt(1) - 48;
  const p3 = p2 * 10 + digits.charCodeAt(2) - 48;
  const p4 = p3 * 10 + digits.charCodeAt(3) - 48;
  const len16to19 = len >= 16 && len <= 19;
  if (p1 === 4) return len === 13 || len === 16 || len === 19; // Visa
  if (between(p2, 51, 55) || between(p4, 2221, 2720)) return len === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return len === 15; // American Express
  if (p4 === 6011 || between(p3, 644, 649) || p2 === 65) return len16to19; // Discover
  if (p2 === 62) return len16to19; // UnionPay (includes Discover's 622126–622925)
  if (between(p4, 3528, 3589)) return len16to19; // JCB
  if (between(p3, 300, 305) || p4 === 3095 || p2 === 36 || p2 === 38 || p2 === 39)
    return len >= 14 && len <= 19; // Diners
  if (between(p4, 2200, 2204)) return len16to19; // Mir
  if (
    p4 === 5018 ||
    p4 === 5020 ||
    p4 === 5038 ||
    p4 === 5893 ||
    p4 === 6304 ||
    p4 === 6759 ||
    between(p4, 6761, 6763)
  ) {
    return len >= 13 && len <= 19; // Maestro
  }
  return false;
}

/** True when `digits` (ASCII digits only) is a payment card number: known issuer, valid length, Luhn. */
export function isCardNumber(digits: string): boolean {
  return digits.length >= 13 && digits.length <= 19 && knownIssuer(digits) && luhnValid(digits);
}

export function cardCensor(digits: string): string {
  return `[REDACTED:card:…${digits.slice(-4)}]`;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isWordChar(c: number): boolean {
  return isDigit(c) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95;
}

// Group boundaries of the current run; module-level so a scan allocates nothing until it finds a card.
const groupStart: number[] = [];
const groupEnd: number[] = [];
const bestCover: number[] = [];
const choiceEnd: number[] = [];

// An all-digit UUID (8-4-4-4-12 with dashes) holds Luhn-valid 16-digit windows now and then.
function isUuidShape(s: string, groups: number): boolean {
  if (groups !== 5) return false;
  for (let g = 0; g < 5; g++) {
    const len = (groupEnd[g] as number) - (groupStart[g] as number);
    if (len !== UUID_GROUPS[g] || (g > 0 && s.charCodeAt((groupStart[g] as number) - 1) !== 45)) return false;
  }
  return true;
}

const UUID_GROUPS = [8, 4, 4, 4, 12];

/**
 * Replaces payment card numbers in `s`. A run is a sequence of digits where single spaces or dashes may
 * separate groups; it must not touch letters, `_`, `+` (phone numbers), `-` (order numbers, UUIDs) or a
 * decimal separator (amounts, floats). Inside a run every window of whole groups holding 13–19 digits
 * is tried and the non-overlapping set covering the most digits wins, so "4111 1111 1111 1111 123" (card + CVV) is still found while
 * digits inside a longer unseparated number are never considered. Returns `s` itself when nothing was
 * replaced.
 */
export function redactCards(s: string): string {
  const n = s.length;
  let out = '';
  let last = 0;
  let i = 0;
  while (i < n) {
    if (!isDigit(s.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    let groups = 0;
    let total = 0;
    let j = i;
    for (;;) {
      const gs = j;
      while (j < n && isDigit(s.charCodeAt(j))) j++;
      groupStart[groups] = gs;
      groupEnd[groups] = j;
      groups++;
      total += j - gs;
      if (j + 1 < n && (s.charCodeAt(j) === 32 || s.charCodeAt(j) === 45) && isDigit(s.charCodeAt(j + 1))) {
        j++;
        continue;
      }
      break;
    }
    i = j;
    if (total < 13 || isUuidShape(s, groups)) continue;
    const before = start > 0 ? s.charCodeAt(start - 1) : 32;
    if (isWordChar(before) || before === 43 || before === 45 || before === 46 || before === 44) continue;
    if (j < n) {
      const after = s.charCodeAt(j);
      if (isWordChar(after) || after === 45) continue;
      if ((after === 46 || after === 44) && j + 1 < n && isDigit(s.charCodeAt(j + 1))) continue;
    }
    // Choose non-overlapping windows that cover the most digits (dynamic programming from the right),
    // so a number written just before a card cannot "use up" the card's first groups.
    bestCover[groups] = 0;
    for (let g = groups - 1; g >= 0; g--) {
      let best = bestCover[g + 1] as number;
      let end = -1;
      let digits = '';
      for (let b = g; b < groups; b++) {
        const gs = groupStart[b] as number;
        const ge = groupEnd[b] as number;
        if (digits.length + (ge - gs) > 19) break;
        digits += s.slice(gs, ge);
        if (digits.length >= 13 && isCardNumber(digits)) {
          const cover = digits.length + (bestCover[b + 1] as number);
          if (cover > best) {
            best = cover;
            end = b;
          }
        }
      }
      bestCover[g] = best;
      choiceEnd[g] = end;
    }
    let g = 0;
    while (g < groups) {
      const end = choiceEnd[g] as number;
      if (end < 0) {
        g++;
        continue;
      }
      let digits = '';
      for (let b = g; b <= end; b++) digits += s.slice(groupStart[b], groupEnd[b]);
      out += s.slice(last, groupStart[g]) + cardCensor(digits);
      last = groupEnd[end] as number;
      g = end + 1;
    }
  }
  return last === 0 ? s : out + s.slice(last);
}
