import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact } from '../src/index.js';
import { makeCard, makeIban, printFormat, serialize } from './helpers.js';

const RUNS = 500;

// ---------------------------------------------------------------------------------------------------
// Benign building blocks. They cannot produce PII by construction: no '@' (e-mail), no 'J' (JWT
// header), no 'r'/'R' ("bearer"), numbers of at most 7 digits never written next to another number or
// glued to letters (cards, IBANs), and keys from an alphabet that cannot spell a default key rule.
// ---------------------------------------------------------------------------------------------------
const WORD_CHARS = [...'abcdefgklmnquxyzABCDEFGKLMN'];
const KEY_CHARS = [...'abcdefgklmnquxyz_-0123456789'];

const word = fc.string({ unit: fc.constantFrom(...WORD_CHARS), minLength: 1, maxLength: 8 });
const smallNumber = fc.integer({ min: 0, max: 9_999_999 }).map(String);
const benignText = fc
  .array(fc.tuple(word, fc.option(smallNumber, { nil: undefined })), { maxLength: 5 })
  .map((parts) => parts.flatMap(([w, n]) => (n === undefined ? [w] : [w, n])).join(' '));
const benignKey = fc.string({ unit: fc.constantFrom(...KEY_CHARS), minLength: 1, maxLength: 10 });
const benignLeaf = fc.oneof(
  benignText,
  fc.integer(),
  fc.double({ max: 1e11, min: -1e11 }),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.date({ noInvalidDate: true }),
);

const { benign } = fc.letrec<{ benign: unknown }>((tie) => ({
  benign: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    benignLeaf,
    fc.dictionary(benignKey, tie('benign'), { maxKeys: 6 }),
    fc.array(tie('benign'), { maxLength: 6 }),
    fc.array(fc.tuple(benignKey, tie('benign')), { maxLength: 4 }).map((entries) => new Map(entries)),
  ),
}));

// ---------------------------------------------------------------------------------------------------
// Planted PII. Each plant knows its text and the fragments that must not survive redaction.
// ---------------------------------------------------------------------------------------------------
interface Plant {
  readonly text: string;
  /** Substrings that must not appear in the serialized output (compared after removing spaces/dashes). */
  readonly forbidden: readonly string[];
}

const digits = (min: number, max: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: min, maxLength: max });
const upper = (n: number) =>
  fc.string({ unit: fc.constantFrom(...'ABCDEFGHIKLMNOPQSTUVWXYZ'), minLength: n, maxLength: n });

/** The digits (and letters) that must go: everything but the kept last 4, as 8-character windows. */
function windows(hidden: string): string[] {
  const out: string[] = [];
  for (let k = 0; k + 8 <= hidden.length; k++) out.push(hidden.slice(k, k + 8));
  return out;
}

const ibanPlant: fc.Arbitrary<Plant> = fc
  .oneof(
    digits(18, 18).map((b) => makeIban('DE', b)),
    digits(16, 16).map((b) => makeIban('AT', b)),
    digits(17, 17).map((b) => makeIban('CH', b)),
    digits(20, 20).map((b) => makeIban('ES', b)),
    digits(23, 23).map((b) => makeIban('FR', b)),
    digits(24, 24).map((b) => makeIban('PL', b)),
    digits(11, 11).map((b) => makeIban('NO', b)),
    digits(12, 12).map((b) => makeIban('BE', b)),
    fc.tuple(upper(4), digits(14, 14)).map(([bank, acct]) => makeIban('GB', bank + acct)),
    fc.tuple(upper(4), digits(10, 10)).map(([bank, acct]) => makeIban('NL', bank + acct)),
    fc.tuple(upper(1), digits(22, 22)).map(([cin, acct]) => makeIban('IT', cin + acct)),
  )
  .chain((iban) =>
    fc.constantFrom(iban, printFormat(iban), iban.toLowerCase()).map((text) => ({
      text,
      forbidden: [iban, ...windows(iban.slice(0, -4))],
    })),
  );

const ISSUERS: readonly [string, number][] = [
  ['4', 16],
  ['4', 13],
  ['4', 19],
  ['51', 16],
  ['55', 16],
  ['2221', 16],
  ['2720', 16],
  ['34', 15],
  ['37', 15],
  ['6011', 16],
  ['65', 19],
  ['3530', 16],
  ['62', 17],
  ['36', 14],
  ['2200', 16],
];

const cardPlant: fc.Arbitrary<Plant> = fc
  .tuple(fc.constantFrom(...ISSUERS), digits(19, 19))
  .map(([[prefix, length], fill]) => makeCard(prefix + fill, length, '0'))
  .chain((card) =>
    fc
      .constantFrom(card, card.replace(/(\d{4})(?=\d)/g, '$1 '), card.replace(/(\d{4})(?=\d)/g, '$1-'))
      .map((text) => ({ text, forbidden: windows(card.slice(0, -4)) })),
  );

const alnum = [...'abcdefghijklmnopqrstuvwxyz0123456789'];
const emailPlant: fc.Arbitrary<Plant> = fc
  .tuple(
    fc.string({ unit: fc.constantFrom(...alnum, '.', '_', '+', '-'), minLength: 1, maxLength: 20 }),
    fc.array(fc.string({ unit: fc.constantFrom(...alnum), minLength: 1, maxLength: 10 }), {
      minLength: 1,
      maxLength: 3,
    }),
    fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 2, maxLength: 6 }),
  )
  .map(([local, labels, tld]) => {
    const email = `u${local}@${labels.join('.')}.${tld}`;
    return { text: email, forbidden: [email] };
  });

const b64u = (min: number, max: number) =>
  fc.string({
    unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'),
    minLength: min,
    maxLength: max,
  });

const bearerPlant: fc.Arbitrary<Plant> = fc
  .tuple(
    fc.constantFrom('Bearer', 'bearer', 'BEARER'),
    fc.string({
      unit: fc.constantFrom(...alnum, '-', '.', '_', '~', '+', '/'),
      minLength: 12,
      maxLength: 40,
    }),
    fc.boolean(),
  )
  .map(([scheme, rest, header]) => {
    const token = `tk${rest}`;
    return { text: `${header ? 'authorization: ' : ''}${scheme} ${token}`, forbidden: [token] };
  });

const jwtPlant: fc.Arbitrary<Plant> = fc.tuple(b64u(10, 40), b64u(10, 60), b64u(0, 43)).map(([h, p, s]) => {
  const jwt = `eyJ${h}.eyJ${p}.${s}`;
  return { text: jwt, forbidden: [jwt, `eyJ${p}`] };
});

const piiPlant = fc.oneof(ibanPlant, cardPlant, emailPlant, bearerPlant, jwtPlant);

/** PII inside a longer string, separated by spaces from benign text on both sides. */
const piiString = fc
  .tuple(benignText, piiPlant, benignText)
  .map(([before, plant, after]) => ({ value: `${before} ${plant.text} ${after}`, plants: [plant] }));

const SENSITIVE_KEYS = [
  'password',
  'accessToken',
  'refresh_token',
  'X-Api-Key',
  'client_secret',
  'Set-Cookie',
  'db_password',
  'Authorization',
  'payerIban',
  'privateKey',
];
const secret = fc
  .string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz'), minLength: 12, maxLength: 12 })
  .map((s) => `zq${s}`);

interface Planted {
  readonly value: unknown;
  readonly plants: readonly Plant[];
}

/** A value under a sensitive key: only the key rule protects it (it is not PII-shaped). */
const sensitiveEntry: fc.Arbitrary<Planted> = fc
  .tuple(fc.constantFrom(...SENSITIVE_KEYS), secret, fc.constantFrom('string', 'object', 'array', 'map'))
  .map(([key, s, shape]) => {
    const inner = shape === 'object' ? { inner: s } : shape === 'array' ? [s] : s;
    const value = shape === 'map' ? new Map([[key, s]]) : { [key]: inner };
    return { value, plants: [{ text: s, forbidden: [s] }] };
  });

const errorWithPii: fc.Arbitrary<Planted> = fc
  .tuple(piiString, fc.option(piiString, { nil: undefined }))
  .map(([msg, cause]) => {
    const err =
      cause === undefined
        ? new Error(msg.value as string)
        : new Error(msg.value as string, { cause: new Error(cause.value as string) });
    return { value: err, plants: [...msg.plants, ...(cause?.plants ?? [])] };
  });

const { planted } = fc.letrec<{ planted: Planted }>((tie) => {
  const benignPlanted = benign.map((value) => ({ value, plants: [] as Plant[] }));
  return {
    planted: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      benignPlanted,
      piiString,
      sensitiveEntry,
      errorWithPii,
      fc.array(fc.tuple(benignKey, tie('planted')), { maxLength: 5 }).map((entries) => ({
        value: Object.fromEntries(entries.map(([k, p]) => [k, p.value])),
        // Duplicate keys keep the last entry only: collect plants from the entries that survived.
        plants: entries
          .filter(([k], i) => entries.findLastIndex(([k2]) => k2 === k) === i)
          .flatMap(([, p]) => p.plants),
      })),
      fc.array(tie('planted'), { maxLength: 5 }).map((items) => ({
        value: items.map((p) => p.value),
        plants: items.flatMap((p) => p.plants),
      })),
      fc.array(fc.tuple(benignKey, tie('planted')), { maxLength: 4 }).map((entries) => ({
        value: new Map(entries.map(([k, p]) => [k, p.value])),
        plants: entries
          .filter(([k], i) => entries.findLastIndex(([k2]) => k2 === k) === i)
          .flatMap(([, p]) => p.plants),
      })),
    ),
  };
});

/** Wraps a value in 0–20 single-key objects or arrays so plants sit at random depths. */
const deepPlanted: fc.Arbitrary<Planted> = fc
  .tuple(planted, fc.array(fc.tuple(benignKey, fc.boolean()), { maxLength: 20 }))
  .map(([p, wrappers]) => ({
    value: wrappers.reduce<unknown>(
      (inner, [key, asArray]) => (asArray ? [inner] : { [key]: inner }),
      p.value,
    ),
    plants: p.plants,
  }));

function normalizeForCheck(serialized: string): string {
  return serialized.replace(/[ -]/g, '').toUpperCase();
}

describe('property: planted PII never survives', () => {
  it('removes every planted value when PII is planted at random depths', () => {
    fc.assert(
      fc.property(deepPlanted, ({ value, plants }) => {
        const out = redact(value);
        const text = normalizeForCheck(serialize(out));
        for (const plant of plants) {
          for (const fragment of plant.forbidden) {
            expect(text).not.toContain(normalizeForCheck(fragment));
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('removes the planted value when it is the whole string', () => {
    fc.assert(
      fc.property(piiPlant, (plant) => {
        const text = normalizeForCheck(serialize(redact({ field: plant.text })));
        for (const fragment of plant.forbidden) expect(text).not.toContain(normalizeForCheck(fragment));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: benign data is left alone', () => {
  it('returns the same reference and equal content when data cannot contain PII', () => {
    fc.assert(
      fc.property(benign, (value) => {
        const snapshot = serialize(value);
        const out = redact(value);
        expect(out).toBe(value);
        expect(out).toEqual(value);
        expect(serialize(value)).toBe(snapshot);
      }),
      { numRuns: RUNS },
    );
  });

  it('returns benign strings unchanged when they are redacted on their own', () => {
    fc.assert(
      fc.property(benignText, (text) => {
        expect(redact(text)).toBe(text);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('property: redaction is idempotent', () => {
  it('changes nothing when redacted output is redacted again', () => {
    fc.assert(
      fc.property(deepPlanted, ({ value }) => {
        const once = redact(value);
        expect(redact(once)).toBe(once);
      }),
      { numRuns: RUNS },
    );
  });
});
