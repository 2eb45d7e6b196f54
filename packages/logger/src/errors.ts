import type { z } from 'zod';

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
 * Turns zod issues into `path: expected X, received Y — hint` lines. The received value is
 * described by type (and short strings quoted) so that secrets passed by mistake are not echoed.
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
        expected = issue.expected;
        break;
      case 'invalid_value':
        expected = `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'unrecognized_keys':
        return `${path}: unknown option(s) ${issue.keys.join(', ')} — remove them or check the spelling`;
      default:
        expected = issue.message;
    }
    return `${path}: expected ${expected}, received ${received}${source}`;
  });
}
