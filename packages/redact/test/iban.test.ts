import { describe, expect, it } from 'vitest';
import { createRedactor, redact, redactString } from '../src/index.js';
import { breakIban, makeIban, printFormat } from './helpers.js';

// Synthetic IBANs with computed check digits, one per length class and BBAN shape.
const IBANS = [
  'DE89370400440532013000',
  'GB82WEST12345698765432',
  makeIban('FR', '20041010050500013M02606'),
  makeIban('NL', 'ABNA0417164300'),
  makeIban('NO', '86011117947'),
  makeIban('AT', '1904300234573201'),
  makeIban('CH', '00762011623852957'),
  makeIban('IT', 'X0542811101000000123456'),
  makeIban('ES', '21000418450200051332'),
  makeIban('PL', '109010140000071219812874'),
  makeIban('MT', 'MALT011000012345MTLCAST001S'),
  makeIban('LC', 'HEMM000100010012001200023015'),
  makeIban('BR', '00360305000010009795493C1'),
  makeIban('RU', '04452560040702810412345678901'),
];

describe('IBAN detector', () => {
  it.each(IBANS)('redacts %s with country code and last 4 kept when written compact', (iban) => {
    expect(redactString(`paid from ${iban} today`)).toBe(
      `paid from [REDACTED:iban:${iban.slice(0, 2)}…${iban.slice(-4)}] today`,
    );
  });

  it.each(IBANS)('redacts %s when written in groups of four', (iban) => {
    expect(redactString(`IBAN: ${printFormat(iban)}.`)).toBe(
      `IBAN: [REDACTED:iban:${iban.slice(0, 2)}…${iban.slice(-4)}].`,
    );
  });

  it('redacts an IBAN when it is lower case', () => {
    expect(redactString('de89370400440532013000')).toBe('[REDACTED:iban:DE…3000]');
  });

  it('redacts every IBAN when a string holds several', () => {
    expect(redactString('from DE89 3704 0044 0532 0130 00 to GB82WEST12345698765432')).toBe(
      'from [REDACTED:iban:DE…3000] to [REDACTED:iban:GB…5432]',
    );
  });

  it('redacts an IBAN when it is a whole property value', () => {
    expect(redact({ account: 'DE89370400440532013000' })).toEqual({ account: '[REDACTED:iban:DE…3000]' });
  });

  it.each(IBANS.map(breakIban))('keeps %s when the check digits are wrong', (bad) => {
    expect(redactString(`ref ${bad}`)).toBe(`ref ${bad}`);
  });

  it('keeps an IBAN-shaped string when its length does not fit the country', () => {
    const tooLong = makeIban('DE', '3704004405320130001');
    expect(redactString(tooLong)).toBe(tooLong);
  });

  it('keeps an IBAN-shaped string when the country has no IBAN', () => {
    const us = makeIban('US', '370400440532013000');
    expect(redactString(us)).toBe(us);
  });

  it('keeps a valid IBAN when it is glued to more letters or digits', () => {
    expect(redactString('XDE89370400440532013000')).toBe('XDE89370400440532013000');
    expect(redactString('DE89370400440532013000123')).toBe('DE89370400440532013000123');
  });

  it('does not run when the iban detector is disabled', () => {
    const r = createRedactor({ detectors: { iban: false } });
    expect(r.redactString('DE89370400440532013000')).toBe('DE89370400440532013000');
  });

  it('finds the IBAN when a failing candidate precedes it', () => {
    expect(redactString('XX12 foo DE89370400440532013000')).toBe('XX12 foo [REDACTED:iban:DE…3000]');
    expect(redactString('DE12 is DE89 3704 0044 0532 0130 00')).toBe('DE12 is [REDACTED:iban:DE…3000]');
  });
});
