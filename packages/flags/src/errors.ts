/**
 * Stable error codes of @immo/flags. Each is documented in the README's error table.
 *
 * - Thrown: `IMMO_FLAGS_INVALID_REGISTRY`, `IMMO_FLAGS_INVALID_OPTIONS`, `IMMO_FLAGS_INVALID_PLUGIN_OPTIONS`.
 * - Reported (logger, `flags.on('error')`), never thrown: `IMMO_FLAGS_INVALID_FILE`,
 *   `IMMO_FLAGS_FILE_UNREADABLE`, `IMMO_FLAGS_INVALID_ENV`, `IMMO_FLAGS_STALE_FLAGS`.
 * - Admin endpoint answers: `IMMO_FLAGS_UNAUTHORIZED`, `IMMO_FLAGS_UNKNOWN_FLAG`,
 *   `IMMO_FLAGS_NOT_A_KILL_SWITCH`, `IMMO_FLAGS_INVALID_REQUEST`.
 */
export type FlagsErrorCode =
  | 'IMMO_FLAGS_INVALID_REGISTRY'
  | 'IMMO_FLAGS_INVALID_OPTIONS'
  | 'IMMO_FLAGS_INVALID_PLUGIN_OPTIONS'
  | 'IMMO_FLAGS_INVALID_FILE'
  | 'IMMO_FLAGS_FILE_UNREADABLE'
  | 'IMMO_FLAGS_INVALID_ENV'
  | 'IMMO_FLAGS_STALE_FLAGS';

/** Codes of the lint's findings (`immo-flags lint`, {@link lintFlags}). */
export type FlagsLintCode =
  | 'IMMO_FLAGS_LINT_NAME'
  | 'IMMO_FLAGS_LINT_OWNER'
  | 'IMMO_FLAGS_LINT_EXPIRY'
  | 'IMMO_FLAGS_LINT_STALE'
  | 'IMMO_FLAGS_LINT_EXPIRING'
  | 'IMMO_FLAGS_LINT_DECLARATION';

/**
 * An @immo/flags error: a stable `code` and every problem, one per line, as
 * `path: expected X, received Y`.
 *
 * @example
 * ```ts
 * flags.on('error', (err) => {
 *   if (err.code === 'IMMO_FLAGS_INVALID_FILE') console.error(err.issues.join('\n'));
 * });
 * ```
 */
export class FlagsError extends Error {
  override readonly name = 'FlagsError';
  readonly code: FlagsErrorCode;
  readonly issues: readonly string[];

  constructor(code: FlagsErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

// One formatter for every package's option errors (tooling/zod-issues, bundled at build time).
export { describeValue, formatIssues } from '@immo/zod-issues';
