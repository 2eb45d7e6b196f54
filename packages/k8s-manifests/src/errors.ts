import type { z } from 'zod';

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

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return value.length > 60 ? `string "${value.slice(0, 60)}…"` : `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Turns zod issues into `path: expected X, received Y` lines. */
export function formatIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    const received = describe(valueAt(input, issue.path));
    let expected: string;
    switch (issue.code) {
      case 'invalid_type':
        expected = issue.expected === 'int' ? 'an integer' : issue.expected;
        break;
      case 'invalid_value':
        expected = `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'too_small':
        expected = `${issue.origin === 'string' ? 'length ' : ''}${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
        break;
      case 'too_big':
        expected = `${issue.origin === 'string' ? 'length ' : ''}${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
        break;
      case 'unrecognized_keys':
        return `${path}: unknown option(s) ${issue.keys.join(', ')} — remove them or check the spelling`;
      default:
        expected = issue.message;
    }
    return `${path}: expected ${expected}, received ${received}`;
  });
}
