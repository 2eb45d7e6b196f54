import type { z } from 'zod';

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
