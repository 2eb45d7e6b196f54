// Test helpers: generators for valid identifiers (computed, never copied from a real person) and a
// deep-freeze to prove inputs are not mutated.

function mod97(numeric: string): number {
  let rem = 0;
  for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
  return rem;
}

function toNumeric(s: string): string {
  return [...s.toUpperCase()].map((ch) => (/[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch)).join('');
}

/** Builds an IBAN with correct MOD 97-10 check digits for `country` + `bban`. */
export function makeIban(country: string, bban: string): string {
  const check = 98 - mod97(toNumeric(`${bban}${country}00`));
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

/** Same IBAN with the check digits changed so that MOD 97-10 fails. */
export function breakIban(iban: string): string {
  const check = Number(iban.slice(2, 4));
  const wrong = check === 98 ? 97 : check + 1;
  return `${iban.slice(0, 2)}${String(wrong).padStart(2, '0')}${iban.slice(4)}`;
}

/** Groups a compact IBAN in fours, the print format. */
export function printFormat(compact: string): string {
  return compact.replace(/(.{4})/g, '$1 ').trim();
}

function luhnSum(digits: string): number {
  let sum = 0;
  let double = false;
  for (let k = digits.length - 1; k >= 0; k--) {
    let d = Number(digits[k]);
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum;
}

/** Completes `prefix` + `body` with a Luhn check digit to a number of `length` digits. */
export function makeCard(prefix: string, length: number, fill = '7'): string {
  const partial = (prefix + fill.repeat(length)).slice(0, length - 1);
  for (let d = 0; d <= 9; d++) if (luhnSum(partial + d) % 10 === 0) return partial + d;
  throw new Error('unreachable');
}

/** A number of the same length that fails Luhn (last digit changed). */
export function breakLuhn(card: string): string {
  const last = Number(card.at(-1));
  return card.slice(0, -1) + String((last + 1) % 10);
}

export function deepFreeze<T>(value: T, seen = new Set<unknown>()): T {
  if (typeof value !== 'object' || value === null || seen.has(value)) return value;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k, seen);
      deepFreeze(v, seen);
    }
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v, seen);
  }
  if (!ArrayBuffer.isView(value)) {
    for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key], seen);
    Object.freeze(value);
  }
  return value;
}

/** JSON with Maps and Sets converted, for "nothing planted survives" checks. */
export function serialize(value: unknown): string {
  // JSON.stringify returns undefined for a bare undefined.
  return (
    JSON.stringify(value, (_key, v: unknown) => {
      if (v instanceof Map) return Object.fromEntries([...v].map(([k, val]) => [String(k), val]));
      if (v instanceof Set) return [...v];
      if (typeof v === 'bigint') return v.toString();
      return v;
    }) ?? 'undefined'
  );
}
