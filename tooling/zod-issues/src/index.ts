import type { z } from 'zod';

/**
 * The received value, described by type (short strings quoted, long ones cut) so that a secret
 * passed by mistake as an option is never echoed whole into an error message or a log.
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
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
 * Turns zod issues into the lines every @immo package's coded option errors list:
 * `path: expected X, received Y` (plus `(from VARIABLE)` when `sources` names the environment
 * variable a value came from). One formatter for all packages, so their errors read alike.
 *
 * @example
 * ```ts
 * const r = schema.safeParse(input);
 * if (!r.success) throw new MyOptionsError('MY_INVALID_OPTIONS', 'Invalid options', formatIssues(r.error, input));
 * ```
 */
export function formatIssues(
  error: z.ZodError,
  input: unknown,
  sources: Record<string, string> = {},
): string[] {
  return error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : '(options)';
    const received = describeValue(valueAt(input, issue.path));
    const source = sources[path] ? ` (from ${sources[path]})` : '';
    // A message the schema author wrote ("a non-empty service name") says it best; zod's own
    // defaults ("Too small: expected string to have >=1 characters") are rewritten.
    const custom = !/^(Too small|Too big|Invalid input|Invalid option)/.test(issue.message);
    let expected: string;
    switch (issue.code) {
      case 'invalid_type':
        expected = custom ? issue.message : issue.expected === 'int' ? 'an integer' : issue.expected;
        break;
      case 'invalid_value':
        expected = `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'too_small':
        expected = custom
          ? issue.message
          : `${issue.origin === 'string' || issue.origin === 'array' ? 'length ' : ''}${issue.inclusive ? '>=' : '>'} ${String(issue.minimum)}`;
        break;
      case 'too_big':
        expected = custom
          ? issue.message
          : `${issue.origin === 'string' || issue.origin === 'array' ? 'length ' : ''}${issue.inclusive ? '<=' : '<'} ${String(issue.maximum)}`;
        break;
      case 'unrecognized_keys':
        return `${path}: unknown option(s) ${issue.keys.join(', ')} — remove them or check the spelling`;
      default:
        expected = issue.message;
    }
    return `${path}: expected ${expected}, received ${received}${source}`;
  });
}
