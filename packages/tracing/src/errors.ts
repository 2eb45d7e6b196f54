/** Stable error codes of @immo/tracing. Each is documented in the README's error table. */
export type TracingErrorCode =
  | 'IMMO_TRACING_INVALID_OPTIONS'
  | 'IMMO_TRACING_ALREADY_INITIALIZED'
  | 'IMMO_TRACING_INVALID_PLUGIN_OPTIONS'
  | 'IMMO_SENTRY_INVALID_OPTIONS'
  | 'IMMO_SENTRY_NOT_INSTALLED';

/**
 * Thrown when `initTracing`, `initSentry` or the Fastify plugin receive invalid options, or when
 * `initTracing` is called again with different options. Every problem is listed, one per line, as
 * `path: expected X, received Y`.
 *
 * @example
 * ```ts
 * try {
 *   initTracing({ sampleRatio: 2 });
 * } catch (err) {
 *   if (err instanceof TracingOptionsError) console.error(err.code, err.issues.join('\n'));
 * }
 * ```
 */
export class TracingOptionsError extends Error {
  override readonly name = 'TracingOptionsError';
  readonly code: TracingErrorCode;
  readonly issues: readonly string[];

  constructor(code: TracingErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

// One formatter for every package's option errors (tooling/zod-issues, bundled at build time).
export { describeValue, formatIssues } from '@immo/zod-issues';
