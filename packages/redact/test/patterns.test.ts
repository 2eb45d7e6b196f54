import { describe, expect, it } from 'vitest';
import { createRedactor } from '../src/index.js';

describe('extra patterns', () => {
  it('redacts matches with the pattern name when a pattern is configured', () => {
    const r = createRedactor({ patterns: [{ name: 'tenant', pattern: /\bT-\d{6}\b/ }] });
    expect(r.redactString('tenants T-123456 and T-654321')).toBe(
      'tenants [REDACTED:tenant] and [REDACTED:tenant]',
    );
    expect(r.redact({ note: 'T-123456' })).toEqual({ note: '[REDACTED:tenant]' });
  });

  it('keeps a match when validate returns false', () => {
    const r = createRedactor({
      patterns: [{ name: 'even', pattern: /\b\d{3}\b/g, validate: (m) => Number(m) % 2 === 0 }],
    });
    expect(r.redactString('100 101 102')).toBe('[REDACTED:even] 101 [REDACTED:even]');
  });

  it('redacts the match when validate throws', () => {
    const r = createRedactor({
      patterns: [
        {
          name: 'x',
          pattern: /secret-\w+/,
          validate: () => {
            throw new Error('bug');
          },
        },
      ],
    });
    expect(r.redactString('a secret-abc b')).toBe('a [REDACTED:x] b');
  });

  it('runs patterns on short strings when the built-in pre-checks would skip them', () => {
    const r = createRedactor({ patterns: [{ name: 'pin', pattern: /\b\d{4}\b/ }] });
    expect(r.redactString('1234')).toBe('[REDACTED:pin]');
  });

  it('behaves the same on repeated calls when the pattern is sticky', () => {
    const r = createRedactor({ patterns: [{ name: 's', pattern: /abc/y }] });
    expect(r.redactString('xx abc abc')).toBe('xx [REDACTED:s] [REDACTED:s]');
    expect(r.redactString('xx abc abc')).toBe('xx [REDACTED:s] [REDACTED:s]');
  });

  it('runs only the patterns when every built-in detector is disabled', () => {
    const r = createRedactor({
      detectors: { iban: false, card: false, email: false, bearer: false, jwt: false, assignment: false },
      patterns: [{ name: 'ref', pattern: /REF\d+/ }],
    });
    expect(r.redactString('ann@example.com REF42')).toBe('ann@example.com [REDACTED:ref]');
  });
});

describe('documented pattern recipes', () => {
  it('redacts the password of a connection URL when the README recipe is used', () => {
    const r = createRedactor({
      patterns: [{ name: 'url-password', pattern: /(?<=:\/\/[^:/@\s]+:)[^@\s]+(?=@)/ }],
    });
    expect(r.redactString('connect postgres://app:s3cr3t@db.internal:5432/app failed')).toBe(
      'connect postgres://app:[REDACTED:url-password]@db.internal:5432/app failed',
    );
  });
});
