import { describe, expect, it } from 'vitest';
import { CENSOR, createRedactor } from '../src/index.js';

const r = createRedactor();

describe('assignment detector (secrets written as name=value in free text)', () => {
  it.each([
    ['db login failed: password=hunter2 for user 7', 'db login failed: password=[REDACTED] for user 7'],
    ['retry with token: abc123def', 'retry with token: [REDACTED]'],
    ['{"user":"u1","password":"s3cr3t pass"}', '{"user":"u1","password":"[REDACTED]"}'],
    ["config client_secret='a b c' loaded", "config client_secret='[REDACTED]' loaded"],
    ['GET /cb?code=1&access_token=xyz&state=2', 'GET /cb?code=1&access_token=[REDACTED]&state=2'],
    ['X-Api-Key: k-123', 'X-Api-Key: [REDACTED]'],
    ['pin=1234 otp = 998877', 'pin=[REDACTED] otp = [REDACTED]'],
  ])('%s', (input, expected) => {
    expect(r.redactString(input)).toBe(expected);
  });

  it.each([
    'starts at 12:30, ends at 13:45',
    'https://example.com:8443/a?b=c',
    'count=3 status: ok route=/api/orgs/:id',
    'passenger=12 footprint: small',
    'token bucket refilled',
    'password reset requested',
  ])('keeps %s', (input) => {
    expect(r.redactString(input)).toBe(input);
  });

  it('follows the configured key rules and can be switched off', () => {
    expect(createRedactor({ extraKeys: ['dsn'] }).redactString('dsn=postgres://x')).toBe(`dsn=${CENSOR}`);
    expect(createRedactor({ detectors: { assignment: false } }).redactString('password=x')).toBe(
      'password=x',
    );
  });

  it('is idempotent', () => {
    const once = r.redactString('password=hunter2 token: abc');
    expect(r.redactString(once)).toBe(once);
  });

  it('stays linear on hostile input', () => {
    const s = `${'a'.repeat(60)}=`.repeat(2000);
    const t = Date.now();
    r.redactString(s);
    expect(Date.now() - t).toBeLessThan(2000);
  });
});
