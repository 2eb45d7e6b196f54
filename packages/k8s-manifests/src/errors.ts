/** Stable error codes of @immo/k8s-manifests. Each is documented in the README's error table. */
export type K8sManifestsErrorCode =
  | 'IMMO_K8S_INVALID_OPTIONS'
  | 'IMMO_K8S_INVALID_IMAGE_LOCK'
  | 'IMMO_K8S_INVALID_MIXIN'
  | 'IMMO_K8S_SCHEMA';

/**
 * Thrown by the generators and loaders. Every problem is listed, one per line, as
 * `path: expected X, received Y`.
 *
 * @example
 * ```ts
 * try {
 *   renderService(defineService({ name: 'api', image: 'api:1.0', port: 3000 }));
 * } catch (err) {
 *   if (err instanceof K8sManifestsError) console.error(err.code, err.issues.join('\n'));
 * }
 * ```
 */
export class K8sManifestsError extends Error {
  override readonly name = 'K8sManifestsError';
  readonly code: K8sManifestsErrorCode;
  readonly issues: readonly string[];

  constructor(code: K8sManifestsErrorCode, what: string, issues: readonly string[], cause?: unknown) {
    super(`${what}:\n  - ${issues.join('\n  - ')}`, { cause });
    this.code = code;
    this.issues = issues;
  }
}

// One formatter for every package's option errors (tooling/zod-issues, bundled at build time).
export { describeValue, formatIssues } from '@immo/zod-issues';
