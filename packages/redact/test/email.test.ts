import { describe, expect, it } from 'vitest';
import { createRedactor, redactString } from '../src/index.js';

describe('e-mail detector', () => {
  it.each([
    ['ann@example.com', '[REDACTED:email]'],
    ['mail Ann.Lee+billing@sub.example.co.uk now', 'mail [REDACTED:email] now'],
    ['<jörg.müller@beispiel.de>', '<[REDACTED:email]>'],
    ['a@b.de, c_d@e-f.org', '[REDACTED:email], [REDACTED:email]'],
    ['Error: user "ann@example.com" not found', 'Error: user "[REDACTED:email]" not found'],
    ['mailto:ann@example.com.', 'mailto:[REDACTED:email].'],
  ])('redacts %s', (input, expected) => {
    expect(redactString(input)).toBe(expected);
  });

  it.each(['ann at example dot com', '@scope/package@1.2.3', 'user@localhost', 'price @ 12.50', 'a@b'])(
    'keeps %s when it is not an address with a domain',
    (input) => {
      expect(redactString(input)).toBe(input);
    },
  );

  it('stays fast and linear when the input is hostile', () => {
    const hostile = `${'a'.repeat(40_000)}@${'b'.repeat(40_000)}!`;
    expect(redactString(hostile)).toBe(hostile);
  });

  it('does not run when the email detector is disabled', () => {
    expect(createRedactor({ detectors: { email: false } }).redactString('ann@example.com')).toBe(
      'ann@example.com',
    );
  });
});
