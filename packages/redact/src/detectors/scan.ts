import { CENSOR, CENSOR_BEARER, CENSOR_EMAIL, CENSOR_JWT, REDACT_MARKERS } from '../constants.js';
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
  /** `password=…`, `token: …`, `"secret":"…"` in free text, judged by the key rules. */
  readonly assignment: boolean;
  /** The key rules, for the assignment detector. */
  readonly isSensitiveKey: (key: string) => boolean;
  readonly patterns: readonly CompiledPattern[];
  readonly maxStringLength: number;
}

// RFC 6750 b64token after "Bearer" (case-insensitive scheme, RFC 9110 §11.1).
const BEARER_RE = /\bbearer\s+[A-Za-z0-9\-._~+/]+=*/gi;
// Three base64url segments, the header being a JSON object ('{"' encodes to "eyJ"); the signature may be
// empty (unsecured JWT).
const JWT_RE = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*/g;
// Bounded quantifiers keep this linear on hostile input (no run longer than 64 is retried per position).
/** @internal */
export const EMAIL_RE =
  /(?<![\p{L}\p{N}._%+-])[\p{L}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,8}\p{L}{2,63}(?![\p{L}\p{N}-])/gu;

// EMAIL_RE anchored at both ends: a value that is one address and nothing else (the usual `email`
// field). For such a string EMAIL_RE's first match starts at 0 and, the domain being split by its dots
// and the TLD running to the end, ends at the end, so the replacement is the censor alone; one anchored
// test is a third of the cost of the replace. The equivalence is property-tested (email.test.ts).
const EMAIL_WHOLE_RE =
  /^[\p{L}\p{N}._%+-]{1,64}@(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.){1,8}\p{L}{2,63}$/u;

/** @internal Every e-mail address in `s` replaced by the censor. */
export function redactEmails(s: string): string {
  // An address has no spaces: free text, where addresses sit between words, skips the anchored test.
  return s.indexOf(' ') === -1 && EMAIL_WHOLE_RE.test(s) ? CENSOR_EMAIL : s.replace(EMAIL_RE, CENSOR_EMAIL);
}

// `name = value`, `name: value`, `"name":"value"`, `name='value'`: a name, then a separator with an
// optional quote closing the name. The value is read by hand (see redactAssignments), so a name that no
// key rule covers consumes nothing and `note: password=x` is still found. Bounded quantifiers keep it
// linear.
const ASSIGNMENT_RE = /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,63})(["']?[ \t]{0,8}[:=][ \t]{0,8})/g;
// An authorization scheme before the credentials: `authorization: Basic dXNlcjpw`.
const AUTH_SCHEME_RE = /^(?:basic|bearer|digest|token|negotiate|apikey)[ \t]+/i;
const MAX_VALUE = 512;

const HAS_AT = 1;
const HAS_JWT = 2;
const HAS_BEARER = 4;
const HAS_IBAN_START = 8;
const HAS_ASSIGNMENT = 16;
const RUN_CARD = 32;

function isWordCode(c: number): boolean {
  return (c >= 48 && c <= 57) || ((c | 32) >= 97 && (c | 32) <= 122) || c === 95;
}

function isLetterCode(c: number): boolean {
  return (c | 32) >= 97 && (c | 32) <= 122;
}

/**
 * One pass over the string that decides which detectors can possibly match: '@' for e-mail, "eyJ" for
 * JWTs, "earer" for bearer tokens, two letters + two digits at a word boundary plus a run of >= 10
 * digits for IBANs, and a run of >= 13 digits that does not touch a letter, '_', '+', '-', '.' or ','
 * for cards (runs may have single spaces or dashes between digits, as in the detectors). Most log
 * strings fail every check and never reach a regular expression or a detector loop.
 *
 * Ids and dates start many short digit runs, and a card needs a long one, so the card boundary is
 * looked at only when a run reaches 13 digits; an IBAN start only where a letter precedes a run.
 */
function precheck(s: string): number {
  let flags = 0;
  let run = 0;
  let start = 0;
  let max = 0;
  let cardMax = 0;
  let sep = false;
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    // Letters first: they are most of a log string, and only 'J' and 'r'/'R' need a closer look.
    if (c > 64) {
      run = 0;
      if (c === 74) {
        if (i >= 2 && s.charCodeAt(i - 1) === 121 && s.charCodeAt(i - 2) === 101) flags |= HAS_JWT;
      } else if (
        (c === 114 || c === 82) &&
        i >= 4 &&
        (s.charCodeAt(i - 1) | 32) === 101 &&
        (s.charCodeAt(i - 2) | 32) === 114 &&
        (s.charCodeAt(i - 3) | 32) === 97 &&
        (s.charCodeAt(i - 4) | 32) === 101
      ) {
        flags |= HAS_BEARER;
      }
    } else if (c >= 48 && c <= 57) {
      if (run === 0) {
        start = i;
        if (i >= 2 && isLetterCode(s.charCodeAt(i - 1)) && ibanStartAt(s, i)) flags |= HAS_IBAN_START;
      }
      run++;
      sep = false;
      if (run > max) max = run;
      // Only whether some card-eligible run reaches 13 is used, so shorter ones are not measured.
      if (run >= 13 && run > cardMax && cardRunStart(s, start)) cardMax = run;
    } else if ((c === 32 || c === 45) && run > 0 && !sep) {
      sep = true;
    } else {
      run = 0;
      if (c === 64) flags |= HAS_AT;
      else if (c === 61) flags |= HAS_ASSIGNMENT;
      else if (c === 58 && i + 1 < n) {
        // ':' before a space or a quote ("password: x", '"token":"x"'); not in a URL or a time.
        const d = s.charCodeAt(i + 1);
        if (d === 32 || d === 34 || d === 39 || d === 9) flags |= HAS_ASSIGNMENT;
      }
    }
  }
  // An IBAN needs a run of >= 10 digits somewhere, a card one of >= 13 that may start one.
  if (max < 10) flags &= ~HAS_IBAN_START;
  if (cardMax >= 13) flags |= RUN_CARD;
  return flags;
}

/** A digit run starting at `start` may be a card: it does not follow a word character, '+', '-', '.' or ','. */
function cardRunStart(s: string, start: number): boolean {
  const p = start > 0 ? s.charCodeAt(start - 1) : 32;
  return !(isWordCode(p) || p === 43 || p === 45 || p === 46 || p === 44);
}

/** Whether the digit at `i`, after a letter, starts an IBAN: two letters at a word boundary, two digits. */
function ibanStartAt(s: string, i: number): boolean {
  return (
    isLetterCode(s.charCodeAt(i - 2)) &&
    (i === 2 || !isWordCode(s.charCodeAt(i - 3))) &&
    i + 1 < s.length &&
    s.charCodeAt(i + 1) >= 48 &&
    s.charCodeAt(i + 1) <= 57
  );
}

/**
 * @internal Which detectors can match in `s`: the HAS_* flags, with HAS_IBAN_START standing for "the
 * IBAN detector runs" and RUN_CARD for "the card detector runs".
 */
export const detectorsFor: (s: string) => number = precheck;

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

function isBareValueCode(c: number): boolean {
  // Ends at whitespace, a quote, or a delimiter of lists, queries and JSON.
  return !(
    c <= 32 ||
    c === 34 ||
    c === 39 ||
    c === 38 ||
    c === 44 ||
    c === 59 ||
    c === 41 ||
    c === 125 ||
    c === 93
  );
}

/** Censors the values of assignments whose name a key rule covers; `s` itself when none does. */
function redactAssignments(s: string, isSensitiveKey: (key: string) => boolean): string {
  const re = ASSIGNMENT_RE;
  re.lastIndex = 0;
  let out = '';
  let from = 0;
  let m: RegExpExecArray | null;
  // biome-ignore lint/suspicious/noAssignInExpressions: the usual exec loop
  while ((m = re.exec(s)) !== null) {
    const name = m[1] as string;
    if (!isSensitiveKey(name)) continue;
    let start = re.lastIndex;
    let end: number;
    const q = s.charCodeAt(start);
    const quoted = q === 34 || q === 39;
    if (quoted) start++;
    const scheme = AUTH_SCHEME_RE.exec(s.slice(start, start + 24));
    if (scheme !== null) start += scheme[0].length;
    if (quoted) {
      const close = s.indexOf(q === 34 ? '"' : "'", start);
      end = close === -1 || close - start > MAX_VALUE ? Math.min(s.length, start + MAX_VALUE) : close;
    } else {
      end = start;
      while (end < s.length && end - start < MAX_VALUE && isBareValueCode(s.charCodeAt(end))) end++;
    }
    const value = s.slice(start, end);
    // Empty, or already censored (by a detector above or an earlier pass): nothing to do.
    if (value === '' || value.startsWith('[REDACTED')) {
      re.lastIndex = Math.max(re.lastIndex, end);
      continue;
    }
    out += `${s.slice(from, start)}${CENSOR}`;
    from = end;
    re.lastIndex = end;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** Runs every enabled value detector over `s`; returns `s` itself when nothing matched. */
export function scanString(s: string, c: ScanConfig): string {
  let out = s;
  const truncated = s.length > c.maxStringLength;
  if (truncated) out = cut(s, c.maxStringLength);
  // User patterns first: they are the more specific rules and must win over a generic detector (a
  // connection-URL password would otherwise be swallowed by the e-mail detector together with the host).
  const patterns = c.patterns;
  for (let k = 0; k < patterns.length; k++) {
    const p = patterns[k] as CompiledPattern;
    out = out.replace(p.re, p.replacer);
  }
  if (out.length >= 6) {
    const flags = detectorsFor(out);
    if ((flags & HAS_BEARER) !== 0 && c.bearer) out = out.replace(BEARER_RE, CENSOR_BEARER);
    if ((flags & HAS_JWT) !== 0 && c.jwt) out = out.replace(JWT_RE, CENSOR_JWT);
    if ((flags & HAS_AT) !== 0 && c.email) out = redactEmails(out);
    if ((flags & HAS_IBAN_START) !== 0 && c.iban) out = redactIbans(out);
    if ((flags & RUN_CARD) !== 0 && c.card) out = redactCards(out);
    // Last, so that a value a detector above recognised keeps its more telling censor.
    if ((flags & HAS_ASSIGNMENT) !== 0 && c.assignment) out = redactAssignments(out, c.isSensitiveKey);
  }
  return truncated ? out + REDACT_MARKERS.length : out;
}
