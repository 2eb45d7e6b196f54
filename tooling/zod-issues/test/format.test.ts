import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeValue, formatIssues } from '../src/index.ts';

const schema = z.strictObject({
  port: z.number().int().min(1).max(65_535),
  name: z.string().min(2),
  level: z.enum(['info', 'debug']),
  tags: z.array(z.string()).max(1),
  custom: z.string().regex(/^x/, 'a string starting with x').optional(),
  named: z.string().trim().min(1, 'a non-empty name').optional(),
});

describe('formatIssues', () => {
  it('writes one "path: expected X, received Y" line per problem, naming env sources', () => {
    const input = {
      port: 0.5,
      name: 'a',
      level: 'trace',
      tags: ['a', 'b'],
      custom: 'y',
      named: ' ',
      extra: 1,
    };
    const r = schema.safeParse(input);
    expect(r.success).toBe(false);
    expect(formatIssues(r.error!, input, { level: 'IMMO_X_LEVEL' }).sort()).toEqual(
      [
        'port: expected an integer, received number 0.5',
        'name: expected length >= 2, received "a"',
        'level: expected one of "info", "debug", received "trace" (from IMMO_X_LEVEL)',
        'tags: expected length <= 1, received array',
        'custom: expected a string starting with x, received "y"',
        'named: expected a non-empty name, received " "',
        '(options): unknown option(s) extra — remove them or check the spelling',
      ].sort(),
    );
  });

  it('never echoes a long value whole (a secret passed by mistake)', () => {
    const secret = `postgres://user:${'p'.repeat(60)}@db/app`;
    expect(describeValue(secret)).toBe(`string "${secret.slice(0, 40)}…"`);
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue({ a: 1 })).toBe('object');
  });
});
