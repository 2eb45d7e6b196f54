/** Stable error codes of @immo/health. Each is documented in the README's error table. */
export type HealthErrorCode =
  | 'IMMO_HEALTH_INVALID_OPTIONS'
  | 'IMMO_HEALTH_INVALID_CHECK'
  | 'IMMO_HEALTH_INVALID_HOOK'
  | 'IMMO_HEALTH_INVALID_PLUGIN_OPTIONS';

/** Codes that appear in check outputs and HTTP bodies, never thrown into user code. */
export type HealthOutputCode =
  | 'IMMO_HEALTH_CHECK_TIMEOUT'
  | 'IMMO_HEALTH_CHECK_INVALID_RESULT'
  | 'IMMO_HEALTH_CHECK_STILL_RUNNING'
  | 'IMMO_HEALTH_OVERLOADED';

/**
 * Thrown when `createHealth`, `addCheck` or the Fastify plugin receive invalid options. Every
 * problem is listed, one per line, as `path: expected X, received Y`.
 *
 * @example
 * ```ts
 * try {
 *   createHealth({ checkIntervalMs: -1 });
 * } catch (err) {
 *   if (err instanceof HealthOptionsError) console.error(err.code, err.issues.join('\n'));
 * }
 * ```
 */
export class HealthOptionsError extends Error {
  override readonly name = 'HealthOptionsError';
  readonly code: HealthErrorCode;
  readonly issues: readonly string[];

  constructor(code: HealthErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

/**
 * The error a check is reported with when it did not settle within its timeout. It is not thrown
 * into your code: it is the `output` of the failed check (`IMMO_HEALTH_CHECK_TIMEOUT: …`).
 *
 * @example
 * ```ts
 * const report = await health.runChecks();
 * report.checks['postgres:responseTime']?.[0]?.output; // 'IMMO_HEALTH_CHECK_TIMEOUT: check "postgres" did not settle within 2000 ms'
 * ```
 */
export class CheckTimeoutError extends Error {
  override readonly name = 'CheckTimeoutError';
  readonly code = 'IMMO_HEALTH_CHECK_TIMEOUT';
  constructor(check: string, timeoutMs: number) {
    super(`check "${check}" did not settle within ${timeoutMs} ms`);
  }
}

// One formatter for every package's option errors (tooling/zod-issues, bundled at build time).
export { describeValue, formatIssues } from '@immo/zod-issues';
