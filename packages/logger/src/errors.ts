/** Stable error codes of @immo/logger. Each is documented in the README's error table. */
export type LoggerErrorCode = 'IMMO_LOGGER_INVALID_OPTIONS' | 'IMMO_LOGGER_INVALID_PLUGIN_OPTIONS';

/**
 * Thrown when `createLogger` or the Fastify plugin receives invalid options. Every problem is
 * listed, one per line, as `path: expected X, received Y`.
 *
 * @example
 * ```ts
 * try {
 *   createLogger({ service: '', level: 'loud' as never });
 * } catch (err) {
 *   if (err instanceof LoggerOptionsError) console.error(err.issues.join('\n'));
 * }
 * ```
 */
export class LoggerOptionsError extends Error {
  override readonly name = 'LoggerOptionsError';
  readonly code: LoggerErrorCode;
  readonly issues: readonly string[];

  constructor(code: LoggerErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

// One formatter for every package's option errors (tooling/zod-issues, bundled at build time).
export { describeValue, formatIssues } from '@immo/zod-issues';
