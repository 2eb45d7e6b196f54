import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CENSOR_EMAIL } from '../src/constants.js';
import { EMAIL_RE, redactEmails } from '../src/detectors/scan.js';
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

  // A value that is exactly one address skips the global replace (see EMAIL_WHOLE_RE in scan.ts).
  const part = fc.oneof(
    fc.constantFrom('ann', 'a', 'jörg', 'x1', '9', 'a-b', 'b_c', 'é', 'ß', 'Z', 'co', 'uk', 'de1'),
    fc.constantFrom('@', '.', '..', '-', '+', '%', '_', ' ', '!', ':', '"', '\n'),
    fc.string({ unit: fc.constantFrom(...'ab1.-@é'), maxLength: 8 }),
    fc.string({ unit: fc.constantFrom('x'), minLength: 60, maxLength: 70 }),
  );
  const emailish = fc.oneof(
    fc.emailAddress(),
    fc.array(part, { minLength: 1, maxLength: 12 }).map((p) => p.join('')),
    fc.tuple(fc.emailAddress(), part).map(([e, p]) => e + p),
    fc.tuple(part, fc.emailAddress()).map(([p, e]) => p + e),
  );
  it('gives what the global replace gives, for whole addresses and anything near one', () => {
    fc.assert(
      fc.property(emailish, (s) => {
        EMAIL_RE.lastIndex = 0;
        expect(redactEmails(s)).toBe(s.replace(EMAIL_RE, CENSOR_EMAIL));
      }),
      { numRuns: 20_000 },
    );
  });
});
