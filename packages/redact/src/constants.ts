/**
 * The censor that replaces the whole value of a property whose key matches a key rule.
 *
 * @example
 * ```ts
 * import { CENSOR, redact } from '@immo/redact';
 * redact({ password: 'hunter2' }).password === CENSOR; // true
 * ```
 */
export const CENSOR = '[REDACTED]' as const;

/**
 * The markers `redact()` writes where it stopped instead of walking further. They are stable strings so
 * that dashboards and log queries can search for them.
 *
 * @example
 * ```ts
 * import { REDACT_MARKERS, createRedactor } from '@immo/redact';
 * const r = createRedactor({ maxDepth: 1 });
 * r.redact({ a: { b: { c: 1 } } }).a.b === REDACT_MARKERS.depth; // true
 * ```
 */
export const REDACT_MARKERS = {
  /** A container nested deeper than `maxDepth`. */
  depth: '[Truncated:depth]',
  /** The first value after the `maxNodes` budget ran out; its container stops there. */
  size: '[Truncated:size]',
  /** Appended to a string cut at `maxStringLength`. */
  length: '…[Truncated:length]',
  /** A reference back to an object that is already being walked (a cycle). */
  circular: '[Circular]',
  /** A value that could not be read or walked (throwing getter, revoked proxy, internal failure). */
  unredactable: '[Unredactable]',
} as const;

export const CENSOR_EMAIL = '[REDACTED:email]';
export const CENSOR_JWT = '[REDACTED:jwt]';
export const CENSOR_BEARER = 'Bearer [REDACTED:token]';
