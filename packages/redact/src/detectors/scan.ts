import { CENSOR_BEARER, CENSOR_EMAIL, CENSOR_JWT, REDACT_MARKERS } from '../constants.js';
import { redactCards } from './card.js';
import { redactIbans } from './iban.js';

/** A user pattern after validation: global flag set, censor precomputed, replacer built once. */
export interface CompiledPattern {
  readonly name: string;
  readonly re: RegExp;
  readonly replacer: (match: string) => string;
}

export interface ScanConfig {
  readonly iban: boolean;
  readonly card: boolean;
  readonly email: boolean;
  readonly bearer: boolean;
  readonly jwt: boolean;
  readonly patterns: readonly CompiledPattern[];
  readonly maxStringLength: number;
}

// RFC 6750 b64token after "Bearer" (case-insensitive scheme, RFC 9110 §11.1).
const BEARER_RE = /\bbearer\s+[A-Za-z0-9\-._~+/]+=*/gi;
// Three base64url segments, the header being a JSON object ('{"' encodes to "eyJ"); the signature may be
// empty (unsecured JWT).
const JWT_RE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
// Bounded quantifiers keep this linear on hostile input (no run longer than 64 is retried per position).
const EMAIL_RE =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,8}\p{L}{2,63}(?![\p{L}\p{N}-])/gu;

const HAS_AT = 1;
const HAS_JWT = 2;
const HAS_BEARER = 4;

// Set by precheck() so that it can return two results without allocating.
let maxDigitRun = 0;

/**
 * One pass over the string that decides which detectors can possibly match: '@' for e-mail, "eyJ" for
 * JWTs, "earer" for bearer tokens, and the longest run of digits (single spaces or dashes allowed
 * between them) for IBANs (>= 10) and cards (>= 13). Most log strings fail every check and never reach a
 * regular expression.
 */
function precheck(s: string): number {
  let flags = 0;
  let run = 0;
  let max = 0;
  let sep = false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      run++;
      sep = false;
      if (run > max) max = run;
    } else if ((c === 32 || c === 45) && run > 0 && !sep) {
      sep = true;
    } else {
      run = 0;
      sep = false;
      if (c === 64) {
        flags |= HAS_AT;
      } else if (c === 74) {
        if (i >= 2 && s.charCodeAt(i - 1) === 121 && s.charCodeAt(i - 2) === 101) flags |= HAS_JWT;
      } else if (
        (c | 32) === 114 &&
        i >= 4 &&
        (s.charCodeAt(i - 1) | 32) === 101 &&
        (s.charCodeAt(i - 2) | 32) === 114 &&
        (s.charCodeAt(i - 3) | 32) === 97 &&
        (s.charCodeAt(i - 4) | 32) === 101
      ) {
        flags |= HAS_BEARER;
      }
    }
  }
  maxDigitRun = max;
  return flags;
}

const TOKEN_CHAR = /[A-Za-z0-9@._+\-:/=%]/;

/**
 * Cuts a string to `max` characters. A secret that straddles the cut would survive half-kept and no
 * longer match its detector, so a trailing token-like run (at most 128 characters) is dropped as well.
 */
function cut(s: string, max: number): string {
  let end = max;
  const floor = Math.max(0, max - 128);
  while (end > floor && TOKEN_CHAR.test(s[end - 1] as string)) end--;
  if (end === floor && floor > 0) end = max;
  return s.slice(0, end);
}

/** Runs every enabled value detector over `s`; returns `s` itself when nothing matched. */
export function scanString(s: string, c: ScanConfig): string {
  let out = s;
  const truncated = s.length > c.maxStringLength;
  if (truncated) out = cut(s, c.maxStringLength);
  if (out.length >= 6) {
    const flags = precheck(out);
    if ((flags & HAS_BEARER) !== 0 && c.bearer) out = out.replace(BEARER_RE, CENSOR_BEARER);
    if ((flags & HAS_JWT) !== 0 && c.jwt) out = out.replace(JWT_RE, CENSOR_JWT);
    if ((flags & HAS_AT) !== 0 && c.email) out = out.replace(EMAIL_RE, CENSOR_EMAIL);
    if (maxDigitRun >= 10 && c.iban) out = redactIbans(out);
    if (maxDigitRun >= 13 && c.card) out = redactCards(out);
  }
  const patterns = c.patterns;
  for (let k = 0; k < patterns.length; k++) {
    const p = patterns[k] as CompiledPattern;
    out = out.replace(p.re, p.replacer);
  }
  return truncated ? out + REDACT_MARKERS.length : out;
}
