import type { z } from 'zod';

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

function describe(value: unknown): string {
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

/**
 * Turns zod issues into `path: expected X, received Y` lines. The received value is described by
 * type (short strings quoted) so that a secret passed by mistake is not echoed.
 */
export function formatIssues(
  error: z.ZodError,
  input: unknown,
  sources: Record<string, string> = {},
): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    const received = describe(valueAt(input, issue.path));
    const source = sources[path] ? ` (from ${sources[path]})` : '';
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
    return `${path}: expected ${expected}, received ${received}${source}`;
  });
}
