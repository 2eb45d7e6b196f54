import type { CompiledPattern } from './detectors/scan.js';
import { RedactOptionsError } from './errors.js';
import { normalizeKey } from './keys.js';

/**
 * The names of the built-in value detectors.
 *
 * @example
 * ```ts
 * import type { DetectorName } from '@immo/redact';
 * const off: DetectorName = 'email';
 * ```
 */
export type DetectorName = 'iban' | 'card' | 'email' | 'bearer' | 'jwt' | 'assignment';

/**
 * An extra value pattern. Every match (that `validate` accepts) becomes `[REDACTED:<name>]`.
 *
 * @example
 * ```ts
 * import { createRedactor, type RedactPattern } from '@immo/redact';
 * const tenantNo: RedactPattern = { name: 'tenant', pattern: /\bT-\d{6}\b/ };
 * createRedactor({ patterns: [tenantNo] }).redactString('T-123456 paid'); // '[REDACTED:tenant] paid'
 * ```
 */
export interface RedactPattern {
  /** Appears in the censor: `[REDACTED:<name>]`. Letters, digits, `_`, `.` and `-` only. */
  name: string;
  /** The global flag is added if missing; must not match the empty string. Runs before the built-in detectors. */
  pattern: RegExp;
  /** Return false to keep a match (e.g. a checksum test). A throwing validator redacts the match. */
  validate?: (match: string) => boolean;
}

/**
 * Options for {@link createRedactor}. All are optional.
 *
 * @example
 * ```ts
 * import { createRedactor } from '@immo/redact';
 * const r = createRedactor({ extraKeys: ['dsn', /^x-internal-/i], detectors: { email: false }, maxDepth: 16 });
 * ```
 */
export interface RedactOptions {
  /**
   * Key rules that REPLACE the defaults. Strings match case- and separator-insensitively as a substring
   * of the key; RegExps are tested against the raw key.
   * @default DEFAULT_KEYS
   */
  keys?: readonly (string | RegExp)[];
  /**
   * Key rules ADDED to `keys` (or to the defaults).
   * @default the comma-separated list in `IMMO_REDACT_EXTRA_KEYS`, else none
   */
  extraKeys?: readonly (string | RegExp)[];
  /**
   * Switch built-in value detectors on or off.
   * @default all true
   */
  detectors?: Partial<Record<DetectorName, boolean>>;
  /**
   * Extra value patterns; matches become `[REDACTED:<name>]`.
   * @default []
   */
  patterns?: readonly RedactPattern[];
  /**
   * Containers nested deeper than this become `'[Truncated:depth]'`. Integer 0–1000.
   * @default 32
   */
  maxDepth?: number;
  /**
   * Values visited per `redact()` call; the first value beyond becomes `'[Truncated:size]'` and its
   * container stops there. Integer >= 1.
   * @default 10000
   */
  maxNodes?: number;
  /**
   * Characters scanned per string; longer strings are cut and end with `'…[Truncated:length]'`.
   * Integer >= 16.
   * @default 100000
   */
  maxStringLength?: number;
}

export const DEFAULTS = {
  maxDepth: 32,
  maxNodes: 10_000,
  maxStringLength: 100_000,
} as const;

export const MAX_DEPTH_LIMIT = 1000;
export const ENV_EXTRA_KEYS = 'IMMO_REDACT_EXTRA_KEYS';

const DETECTOR_NAMES: readonly DetectorName[] = ['iban', 'card', 'email', 'bearer', 'jwt', 'assignment'];
const OPTION_NAMES = [
  'keys',
  'extraKeys',
  'detectors',
  'patterns',
  'maxDepth',
  'maxNodes',
  'maxStringLength',
] as const;

export interface ResolvedOptions {
  readonly keyRules: readonly (string | RegExp)[];
  readonly detectors: Readonly<Record<DetectorName, boolean>>;
  readonly patterns: readonly CompiledPattern[];
  readonly maxDepth: number;
  readonly maxNodes: number;
  readonly maxStringLength: number;
}

/** Describes a received value for an issue message: its type, and the value itself when short. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `array (length ${value.length})`;
  if (value instanceof RegExp) return `RegExp (${String(value)})`;
  switch (typeof value) {
    case 'string': {
      const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
      return `string (${JSON.stringify(shown)})`;
    }
    case 'number':
    case 'boolean':
    case 'bigint':
      return `${typeof value} (${String(value)})`;
    case 'undefined':
      return 'undefined';
    case 'function':
      return 'function';
    case 'symbol':
      return 'symbol';
    default:
      return 'object';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function checkKeyList(path: string, value: unknown, issues: string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    issues.push(`${path}: expected an array of strings or RegExps, received ${describe(value)}`);
    return;
  }
  value.forEach((rule, index) => {
    if (rule instanceof RegExp) return;
    if (typeof rule === 'string' && normalizeKey(rule) !== '') return;
    issues.push(
      `${path}[${index}]: expected a string containing a letter or digit, or a RegExp, received ${describe(rule)}`,
    );
  });
}

function checkInteger(path: string, value: unknown, min: number, max: number, issues: string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `between ${min} and ${max}`;
    issues.push(`${path}: expected an integer ${range}, received ${describe(value)}`);
  }
}

function compilePattern(p: RedactPattern): CompiledPattern {
  const flags = p.pattern.flags.replace('y', '');
  const re = new RegExp(p.pattern.source, flags.includes('g') ? flags : `${flags}g`);
  const censor = `[REDACTED:${p.name}]`;
  const validate = p.validate;
  const replacer =
    validate === undefined
      ? (match: string): string => (match === '' ? match : censor)
      : (match: string): string => {
          if (match === '') return match;
          let keep: boolean;
          try {
            keep = validate(match) === false;
          } catch {
            keep = false;
          }
          return keep ? match : censor;
        };
  return { name: p.name, re, replacer };
}

function checkPatterns(value: unknown, issues: string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    issues.push(
      `options.patterns: expected an array of { name, pattern, validate? }, received ${describe(value)}`,
    );
    return;
  }
  value.forEach((p: unknown, index) => {
    const path = `options.patterns[${index}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) {
      issues.push(`${path}: expected an object { name, pattern, validate? }, received ${describe(p)}`);
      return;
    }
    const { name, pattern, validate } = p as Record<string, unknown>;
    if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,40}$/.test(name)) {
      issues.push(
        `${path}.name: expected 1–40 characters of letters, digits, "_", "." or "-", received ${describe(name)}`,
      );
    }
    if (!(pattern instanceof RegExp)) {
      issues.push(`${path}.pattern: expected a RegExp, received ${describe(pattern)}`);
    } else if (new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test('')) {
      issues.push(
        `${path}.pattern: expected a RegExp that cannot match the empty string, received ${describe(pattern)} — use + instead of *`,
      );
    }
    if (validate !== undefined && typeof validate !== 'function') {
      issues.push(
        `${path}.validate: expected a function (match: string) => boolean, received ${describe(validate)}`,
      );
    }
  });
}

/** Reads `IMMO_REDACT_EXTRA_KEYS` (comma-separated); entries without a letter or digit are ignored. */
export function readEnvExtraKeys(): string[] | undefined {
  const env = typeof process === 'object' && process !== null ? process.env : undefined;
  const raw = env?.[ENV_EXTRA_KEYS];
  if (raw === undefined || raw.trim() === '') return undefined;
  return raw
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => normalizeKey(entry) !== '');
}

/**
 * Validates options as a whole and resolves them against the environment and the defaults
 * (explicit option > environment > default). Throws one RedactOptionsError listing every problem.
 */
export function resolveOptions(options: unknown, defaultKeys: readonly (string | RegExp)[]): ResolvedOptions {
  const issues: string[] = [];
  if (options !== undefined && !isPlainObject(options)) {
    throw new RedactOptionsError([
      `options: expected a plain object or undefined, received ${describe(options)}`,
    ]);
  }
  const o = (options ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!(OPTION_NAMES as readonly string[]).includes(key)) {
      issues.push(
        `options.${key}: expected no such option (known: ${OPTION_NAMES.join(', ')}), received ${describe(o[key])} — check the spelling`,
      );
    }
  }
  checkKeyList('options.keys', o.keys, issues);
  checkKeyList('options.extraKeys', o.extraKeys, issues);
  if (o.detectors !== undefined) {
    if (!isPlainObject(o.detectors)) {
      issues.push(
        `options.detectors: expected an object like { email: false }, received ${describe(o.detectors)}`,
      );
    } else {
      for (const [name, enabled] of Object.entries(o.detectors)) {
        if (!(DETECTOR_NAMES as readonly string[]).includes(name)) {
          issues.push(
            `options.detectors.${name}: expected one of ${DETECTOR_NAMES.join(', ')}, received ${describe(enabled)}`,
          );
        } else if (enabled !== undefined && typeof enabled !== 'boolean') {
          issues.push(`options.detectors.${name}: expected a boolean, received ${describe(enabled)}`);
        }
      }
    }
  }
  checkPatterns(o.patterns, issues);
  checkInteger('options.maxDepth', o.maxDepth, 0, MAX_DEPTH_LIMIT, issues);
  checkInteger('options.maxNodes', o.maxNodes, 1, Number.MAX_SAFE_INTEGER, issues);
  checkInteger('options.maxStringLength', o.maxStringLength, 16, Number.MAX_SAFE_INTEGER, issues);
  if (issues.length > 0) throw new RedactOptionsError(issues);

  const keys = (o.keys as readonly (string | RegExp)[] | undefined) ?? defaultKeys;
  const extra = (o.extraKeys as readonly (string | RegExp)[] | undefined) ?? readEnvExtraKeys() ?? [];
  const d = (o.detectors ?? {}) as Partial<Record<DetectorName, boolean>>;
  return {
    keyRules: [...keys, ...extra],
    detectors: {
      iban: d.iban ?? true,
      card: d.card ?? true,
      email: d.email ?? true,
      bearer: d.bearer ?? true,
      jwt: d.jwt ?? true,
      assignment: d.assignment ?? true,
    },
    patterns: ((o.patterns as readonly RedactPattern[] | undefined) ?? []).map(compilePattern),
    maxDepth: (o.maxDepth as number | undefined) ?? DEFAULTS.maxDepth,
    maxNodes: (o.maxNodes as number | undefined) ?? DEFAULTS.maxNodes,
    maxStringLength: (o.maxStringLength as number | undefined) ?? DEFAULTS.maxStringLength,
  };
}
