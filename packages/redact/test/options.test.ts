import { describe, expect, it } from 'vitest';
import { createRedactor, type RedactOptions, RedactOptionsError } from '../src/index.js';

function issuesOf(options: unknown): readonly string[] {
  try {
    createRedactor(options as RedactOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(RedactOptionsError);
    const e = error as RedactOptionsError;
    expect(e.code).toBe('IMMO_REDACT_INVALID_OPTIONS');
    expect(e.name).toBe('RedactOptionsError');
    for (const issue of e.issues) expect(e.message).toContain(issue);
    return e.issues;
  }
  throw new Error('expected createRedactor to throw');
}

describe('option validation', () => {
  it('accepts valid options when every option is set', () => {
    expect(() =>
      createRedactor({
        keys: ['password', /^x-/],
        extraKeys: ['dsn'],
        detectors: { iban: true, card: false, email: true, bearer: true, jwt: false },
        patterns: [{ name: 'tenant', pattern: /T-\d+/, validate: () => true }],
        maxDepth: 10,
        maxNodes: 100,
        maxStringLength: 1000,
      }),
    ).not.toThrow();
  });

  it('lists every problem at once when several options are invalid', () => {
    const issues = issuesOf({
      keys: ['', 42],
      extraKeys: 'password',
      detectors: { email: 'no', ssn: true },
      patterns: [{ name: 'bad name!', pattern: 'x' }, { name: 'empty', pattern: /a*/ }, 7],
      maxDepth: -1,
      maxNodes: 1.5,
      maxStringLength: '100',
      typo: true,
    });
    expect(issues).toEqual([
      'options.typo: expected no such option (known: keys, extraKeys, detectors, patterns, maxDepth, maxNodes, maxStringLength), received boolean (true) — check the spelling',
      'options.keys[0]: expected a string containing a letter or digit, or a RegExp, received string ("")',
      'options.keys[1]: expected a string containing a letter or digit, or a RegExp, received number (42)',
      'options.extraKeys: expected an array of strings or RegExps, received string ("password")',
      'options.detectors.email: expected a boolean, received string ("no")',
      'options.detectors.ssn: expected one of iban, card, email, bearer, jwt, assignment, received boolean (true)',
      'options.patterns[0].name: expected 1–40 characters of letters, digits, "_", "." or "-", received string ("bad name!")',
      'options.patterns[0].pattern: expected a RegExp, received string ("x")',
      'options.patterns[1].pattern: expected a RegExp that cannot match the empty string, received RegExp (/a*/) — use + instead of *',
      'options.patterns[2]: expected an object { name, pattern, validate? }, received number (7)',
      'options.maxDepth: expected an integer between 0 and 1000, received number (-1)',
      'options.maxNodes: expected an integer >= 1, received number (1.5)',
      'options.maxStringLength: expected an integer >= 16, received string ("100")',
    ]);
  });

  it('reports the shape when options is not an object', () => {
    expect(issuesOf('strict')).toEqual([
      'options: expected a plain object or undefined, received string ("strict")',
    ]);
    expect(issuesOf([])).toEqual([
      'options: expected a plain object or undefined, received array (length 0)',
    ]);
  });

  it('follows `path: expected X, received Y` in every issue', () => {
    const issues = issuesOf({
      maxDepth: 5000,
      detectors: [],
      validate: 1,
      patterns: [{ name: 'x', pattern: /x/, validate: 1 }],
    });
    expect(issues.length).toBe(4);
    for (const issue of issues) expect(issue).toMatch(/^options(\.[\w]+|\[\d+\])*: expected .+, received .+/);
  });
});
