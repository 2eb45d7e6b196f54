import type { z } from 'zod';

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

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return value.length > 40 ? `string "${value.slice(0, 40)}…"` : `"${value}"`;
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

/** zod issues as `path: expected X, received Y` lines (the house format, see @immo/logger). */
export function formatIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    const received = describeValue(valueAt(input, issue.path));
    switch (issue.code) {
      case 'invalid_type':
        return `${path}: expected ${issue.expected}, received ${received}`;
      case 'unrecognized_keys':
        return `${path}: unknown option(s) ${issue.keys.join(', ')} — remove them or check the spelling`;
      default:
        return `${path}: expected ${issue.message}, received ${received}`;
    }
  });
}
