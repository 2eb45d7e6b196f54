import { describe, expect, it } from 'vitest';
import { MAX_OUTPUT_LENGTH, sanitizeOutput } from '../src/index.js';

describe('sanitizeOutput', () => {
  it.each([
    [
      'connect to postgres://app:hunter2@db:5432/app failed',
      'connect to postgres://[REDACTED]@db:5432/app failed',
      'hunter2',
    ],
    ['redis://:s3cret@cache:6379', 'redis://[REDACTED]@cache:6379', 's3cret'],
    [
      'host=db user=app password=hunter2 dbname=app',
      'host=db user=app password=[REDACTED] dbname=app',
      'hunter2',
    ],
    ['{"token": "abc.def.ghi"}', '{"token": [REDACTED]}', 'abc.def'],
    ['Authorization: Bearer abcdefghijklmnop', 'Authorization: [REDACTED]', 'abcdefghijklmnop'],
    ['jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl rejected', 'jwt [REDACTED] rejected', 'eyJhbGci'],
    ['api_key=AKIA1234567890', 'api_key=[REDACTED]', 'AKIA'],
  ])('removes the secret from %s', (input, expected, secret) => {
    const out = sanitizeOutput(input);
    expect(out).not.toContain(secret);
    expect(out).toBe(expected);
  });

  it('keeps ordinary error text as it is', () => {
    expect(sanitizeOutput('connect ECONNREFUSED 127.0.0.1:5432')).toBe('connect ECONNREFUSED 127.0.0.1:5432');
  });

  it('replaces control characters and cuts long text', () => {
    expect(sanitizeOutput('a\nb\u0000c')).toBe('a b c');
    const long = sanitizeOutput('x'.repeat(10_000));
    expect(long).toHaveLength(MAX_OUTPUT_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });
});
