/**
 * Stable error codes of `@immo/metrics/mixin`; each is documented in docs/mixin.md.
 *
 * @example
 * ```ts
 * const code: MixinErrorCode = 'IMMO_METRICS_UNKNOWN_VARIABLE';
 * ```
 */
export type MixinErrorCode = 'IMMO_METRICS_INVALID_MIXIN_OPTIONS' | 'IMMO_METRICS_UNKNOWN_VARIABLE';

/**
 * Thrown when a mixin function receives invalid options, or when {@link substituteVariables} meets a
 * variable it has no value for. Every problem is listed in `issues`, one per line.
 *
 * @example
 * ```ts
 * try {
 *   recordingRules({ windows: ['five minutes'] });
 * } catch (err) {
 *   if (err instanceof MixinError) console.error(err.code, err.issues.join('\n'));
 * }
 * ```
 */
export class MixinError extends Error {
  override readonly name = 'MixinError';
  readonly code: MixinErrorCode;
  readonly issues: readonly string[];

  constructor(code: MixinErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

// The package's one zod-issue formatter (`path: expected X, received Y`), shared with the core options.
export { formatIssues } from '../errors.js';
