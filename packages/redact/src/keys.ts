/**
 * The default key rules. A string rule matches every key whose normalized form (lower-cased, every
 * character other than a–z and 0–9 removed) contains the normalized rule, so `token` matches
 * `accessToken`, `refresh_token` and `X-Csrf-Token`. Short words that would match inside unrelated
 * keys (`pass` in `passenger`, `otp` in `footprint`) are exact-match RegExp rules instead.
 *
 * @example
 * ```ts
 * import { DEFAULT_KEYS, createRedactor } from '@immo/redact';
 * const r = createRedactor({ keys: [...DEFAULT_KEYS, 'dsn'] }); // same as extraKeys: ['dsn']
 * ```
 */
export const DEFAULT_KEYS: readonly (string | RegExp)[] = Object.freeze([
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'secret',
  'token',
  'authorization',
  'cookie',
  'apikey',
  'credential',
  'privatekey',
  'iban',
  'cardnumber',
  'creditcard',
  'cvv',
  'cvc',
  /^(?:auth|pass|pin|otp|ssn)$/i,
]);

/** Lower-case and drop every character that is not a–z or 0–9. */
export function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

export interface KeyRules {
  readonly words: readonly string[];
  readonly regexps: readonly RegExp[];
}

export function compileKeyRules(rules: readonly (string | RegExp)[]): KeyRules {
  const words: string[] = [];
  const regexps: RegExp[] = [];
  for (const rule of rules) {
    if (typeof rule === 'string') {
      const word = normalizeKey(rule);
      if (word !== '' && !words.includes(word)) words.push(word);
    } else {
      // A global or sticky RegExp keeps lastIndex between test() calls and would skip matches.
      regexps.push(new RegExp(rule.source, rule.flags.replace(/[gy]/g, '')));
    }
  }
  return { words, regexps };
}

export function matchesKeyRules(key: string, rules: KeyRules): boolean {
  const normalized = normalizeKey(key);
  for (const word of rules.words) if (normalized.includes(word)) return true;
  for (const re of rules.regexps) if (re.test(key)) return true;
  return false;
}
