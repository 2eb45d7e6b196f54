import { describe, expect, it } from 'vitest';
import { createRedactor, redact, redactString } from '../src/index.js';
import { breakLuhn, makeCard } from './helpers.js';

const CARDS: readonly [string, string][] = [
  ['Visa', '4111111111111111'],
  ['Mastercard', '5555555555554444'],
  ['American Express', '378282246310005'],
  ['Mastercard 2-series', makeCard('2221', 16)],
  ['Discover', makeCard('6011', 16)],
  ['JCB', makeCard('3530', 16)],
  ['Diners', makeCard('36', 14)],
  ['UnionPay', makeCard('62', 19)],
  ['Maestro', makeCard('6759', 18)],
  ['Visa 13', makeCard('4', 13)],
];

describe('card detector', () => {
  it.each(CARDS)('redacts a %s number keeping the last 4 when written compact', (_issuer, card) => {
    expect(redactString(`card ${card} declined`)).toBe(`card [REDACTED:card:…${card.slice(-4)}] declined`);
  });

  it.each(CARDS)('redacts a %s number when written with spaces or dashes', (_issuer, card) => {
    const spaced = card.replace(/(\d{4})(?=\d)/g, '$1 ');
    const dashed = card.replace(/(\d{4})(?=\d)/g, '$1-');
    expect(redactString(spaced)).toBe(`[REDACTED:card:…${card.slice(-4)}]`);
    expect(redactString(`(${dashed})`)).toBe(`([REDACTED:card:…${card.slice(-4)}])`);
  });

  it('redacts an Amex number when grouped 4-6-5', () => {
    expect(redactString('3782 822463 10005')).toBe('[REDACTED:card:…0005]');
  });

  it('redacts the card and keeps the CVV when the CVV follows in the same run', () => {
    expect(redactString('4111 1111 1111 1111 123')).toBe('[REDACTED:card:…1111] 123');
  });

  it('redacts card numbers stored as numbers and bigints', () => {
    expect(redact({ n: 4111111111111111, b: 5555555555554444n, amex: 378282246310005 })).toEqual({
      n: '[REDACTED:card:…1111]',
      b: '[REDACTED:card:…4444]',
      amex: '[REDACTED:card:…0005]',
    });
  });

  it.each([
    ['a 13-digit millisecond timestamp', '1732712345678'],
    ['16 digits failing Luhn', breakLuhn('4111111111111111')],
    ['a UUID', '550e8400-e29b-41d4-a716-446655440000'],
    ['an all-digit UUID', '41111111-1111-1111-1111-111111111111'],
    ['an order number', 'ORD-2024-000123'],
    ['an amount', '1234.56'],
    ['a long amount', '4111111111111111.50'],
    ['an ISO date', '2024-11-27T12:13:27.123Z'],
    ['a phone number with country code', '+49 4111 1111 1111 11'],
    ['a phone number', '0049 170 1234567'],
    ['a float', '0.4111111111111111'],
    ['a Luhn-valid number without a known issuer', makeCard('9', 16)],
    ['a Visa prefix with a wrong length', makeCard('4', 15)],
    ['digits inside a longer number', '94111111111111111'],
    ['digits glued to letters', 'id4111111111111111x'],
  ])('keeps %s', (_what, value) => {
    expect(redactString(value)).toBe(value);
  });

  it('keeps timestamps and other large integers when they are numbers', () => {
    const input = { time: 1732712345678, big: 9_007_199_254_740_991, id: 12345678901234n };
    expect(redact(input)).toBe(input);
  });

  it('does not run when the card detector is disabled', () => {
    const r = createRedactor({ detectors: { card: false } });
    expect(r.redactString('4111111111111111')).toBe('4111111111111111');
    expect(r.redact(4111111111111111)).toBe(4111111111111111);
  });
});

describe('card detector runs', () => {
  it('finds the card when a number that could start a shorter card precedes it', () => {
    // 36xxxx + the card's first two groups would be a Luhn-valid 14-digit Diners number for some
    // prefixes; the detector must prefer the window that covers the card.
    for (let p = 360000; p < 360050; p++) {
      const text = `${p} 4111 1111 1111 1111`;
      expect(redactString(text)).not.toMatch(/1111 1111/);
    }
  });

  it('redacts two cards when they follow each other in one run', () => {
    expect(redactString('4111 1111 1111 1111 5555 5555 5555 4444')).toBe(
      '[REDACTED:card:…1111] [REDACTED:card:…4444]',
    );
  });
});
