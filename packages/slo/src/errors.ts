/** Stable error codes of @immo/slo. Each is documented in the README's error table. */
export type SloErrorCode =
  | 'IMMO_SLO_INVALID_SPEC'
  | 'IMMO_SLO_INVALID_FILE'
  | 'IMMO_SLO_INVALID_OPTIONS'
  | 'IMMO_SLO_PROMETHEUS_QUERY';

/**
 * Thrown by `defineSlos`, the loaders and the report. Every problem is listed, one per line, as
 * `where: path: expected X, received Y` (where = file and SLO id when known).
 *
 * @example
 * ```ts
 * try {
 *   defineSlos([{ id: 'api', service: 'api', objective: 1, window: '30d', sli }]);
 * } catch (err) {
 *   if (err instanceof SloError) console.error(err.code, err.issues.join('\n'));
 * }
 * ```
 */
export class SloError extends Error {
  override readonly name = 'SloError';
  readonly code: SloErrorCode;
  readonly issues: readonly string[];

  constructor(code: SloErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

export { describeValue, formatIssues } from '@immo/zod-issues';
