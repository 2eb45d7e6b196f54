/**
 * Thrown by {@link createRedactor} when its options are invalid. `issues` lists every problem at once,
 * each as `path: expected X, received Y — how to fix`.
 *
 * @example
 * ```ts
 * import { createRedactor, RedactOptionsError } from '@immo/redact';
 * try {
 *   createRedactor({ maxDepth: -1 });
 * } catch (error) {
 *   if (error instanceof RedactOptionsError) console.error(error.code, error.issues);
 * }
 * ```
 */
export class RedactOptionsError extends Error {
  /** Stable error code, documented in the README's error table. */
  readonly code = 'IMMO_REDACT_INVALID_OPTIONS' as const;
  /** Every problem found, one string each: `path: expected X, received Y — how to fix`. */
  readonly issues: readonly string[];

  constructor(issues: readonly string[]) {
    super(
      `Invalid @immo/redact options (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue}`).join('\n'),
    );
    this.name = 'RedactOptionsError';
    this.issues = Object.freeze([...issues]);
  }
}
