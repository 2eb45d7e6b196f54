/** Longest check output kept; the rest is cut and marked with `…`. */
export const MAX_OUTPUT_LENGTH = 256;

// Check outputs are served to anyone who can reach the probe port, and drivers like to put the
// connection string or a DSN's password into their error messages. Credentials are removed by
// shape, not by a list of known drivers.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi;
const KEY_VALUE =
  /\b(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|authorization|credentials?)("?\s*[=:]\s*)(?:(?:bearer|basic)\s+)?("[^"]*"|'[^']*'|[^\s,;&)}]+)/gi;
const BEARER = /\b(bearer|basic)\s+[a-z0-9._~+/=-]{8,}/gi;
// JWT-like and long opaque tokens (API keys) in free text.
const JWT = /\beyJ[a-z0-9_-]{5,}\.[a-z0-9_-]{5,}\.[a-z0-9_-]{5,}/gi;
const CONTROL = /[\u0000-\u001f\u007f]+/g;

/**
 * Makes a check's output safe to serve: credentials in URLs (`postgres://user:pass@host`), in
 * `key=value` pairs (`password=…`, `token: …`), bearer/basic tokens and JWTs are replaced, control
 * characters become spaces, and the text is cut to {@link MAX_OUTPUT_LENGTH} characters.
 *
 * @example
 * ```ts
 * sanitizeOutput('connect failed: postgres://app:s3cret@db:5432/app');
 * // 'connect failed: postgres://[REDACTED]@db:5432/app'
 * ```
 */
export function sanitizeOutput(text: string, maxLength: number = MAX_OUTPUT_LENGTH): string {
  let s = text
    .replace(CONTROL, ' ')
    .replace(URL_USERINFO, '$1[REDACTED]@')
    .replace(KEY_VALUE, '$1$2[REDACTED]')
    .replace(BEARER, '$1 [REDACTED]')
    .replace(JWT, '[REDACTED]')
    .trim();
  if (s.length > maxLength) s = `${s.slice(0, maxLength - 1)}…`;
  return s;
}

/** The output line for a thrown value: `<code or name>: <message>`, sanitised. */
export function errorOutput(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    const prefix = typeof code === 'string' && code !== '' ? code : err.name;
    const message = err.message;
    return sanitizeOutput(message ? `${prefix}: ${message}` : prefix);
  }
  if (typeof err === 'string') return sanitizeOutput(err);
  return sanitizeOutput(`non-error thrown: ${typeof err}`);
}
