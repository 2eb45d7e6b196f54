import { describe, expect, it } from 'vitest';
import { createRedactor, redactString } from '../src/index.js';

describe('bearer token detector', () => {
  it.each([
    ['Bearer xyz', 'Bearer [REDACTED:token]'],
    ['authorization: Bearer abc.def-ghi_jkl~mno+p/q==', 'authorization: Bearer [REDACTED:token]'],
    ['Authorization: bearer 0123456789abcdef; next', 'Authorization: Bearer [REDACTED:token]; next'],
    ['BEARER    tok', 'Bearer [REDACTED:token]'],
    ['{"authorization":"Bearer secret-value"}', '{"authorization":"Bearer [REDACTED:token]"}'],
  ])('redacts %s', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  it('redacts a JWT carried as a bearer token', () => {
    expect(redactString('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln')).toBe('Bearer [REDACTED:token]');
  });

  it('keeps the text when "bearer" is not followed by a token', () => {
    expect(redactString('the bearer: none')).toBe('the bearer: none');
    expect(redactString('Bearer')).toBe('Bearer');
  });

  it('returns the same text when it is redacted twice', () => {
    const once = redactString('Bearer xyz');
    expect(redactString(once)).toBe(once);
  });

  it('does not run when the bearer detector is disabled', () => {
    expect(createRedactor({ detectors: { bearer: false } }).redactString('Bearer xyz')).toBe('Bearer xyz');
  });
});
