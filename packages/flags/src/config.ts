import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { describeValue, formatIssues } from './errors.js';
import { type FlagDeclaration, type FlagRegistry, type JsonValue, jsonObject } from './registry.js';

/** Which field of the evaluation context a percentage rule hashes. */
export type Stickiness = 'targetingKey' | 'orgId' | 'userId';

/** One targeting rule of the flag file; all conditions given must match (AND), the first matching rule wins. */
export interface FileRule {
  orgs?: string[];
  users?: string[];
  environments?: string[];
  /** A sticky rollout: 0..100, in steps of 0.01. */
  percentage?: number;
  /** @default 'targetingKey' */
  stickiness?: Stickiness;
  value: JsonValue;
  variant?: string;
}

/** One flag's entry of the flag file (the long form; a plain value is short for `{ value }`). */
export interface FileEntry {
  /** `false`: the flag answers its declared default with reason `DISABLED`. @default true */
  enabled?: boolean;
  /** The value when no rule matches. @default the declared default */
  value?: JsonValue;
  variant?: string;
  rules?: FileRule[];
}

/** A validated flag file: known flags only. */
export interface FlagFile {
  flags: Record<string, FileEntry>;
}

/** The outcome of reading a flag file's text. */
export type ParsedFile = { ok: true; file: FlagFile; warnings: string[] } | { ok: false; issues: string[] };

// Numeric ids are written unquoted in YAML (`users: [7]`); they match the context's numbers and strings alike.
const ids = z.array(z.union([z.string().min(1).max(200), z.number().int().transform(String)])).max(10_000);
const variant = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'a variant of letters, digits, "_", ".", ":" or "-"');
const percentage = z
  .number()
  .min(0)
  .max(100)
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-9, 'a percentage in steps of 0.01');

function ruleSchema(value: z.ZodType) {
  return z
    .object({
      orgs: ids.optional(),
      users: ids.optional(),
      environments: ids.optional(),
      percentage: percentage.optional(),
      stickiness: z.enum(['targetingKey', 'orgId', 'userId']).optional(),
      value,
      variant: variant.optional(),
    })
    .strict()
    .refine(
      (r) =>
        r.orgs !== undefined ||
        r.users !== undefined ||
        r.environments !== undefined ||
        r.percentage !== undefined,
      'a rule with at least one of orgs, users, environments, percentage',
    );
}

const VALUE: Record<FlagDeclaration['valueType'], z.ZodType> = {
  boolean: z.boolean(),
  string: z.string().max(10_000),
  number: z.number().refine(Number.isFinite, 'a finite number'),
  object: jsonObject,
};

function entrySchema(decl: FlagDeclaration, entry: unknown) {
  const value = VALUE[decl.valueType];
  const long = z
    .object({
      enabled: z.boolean().optional(),
      value: value.optional(),
      variant: variant.optional(),
      rules: z.array(ruleSchema(value)).max(100).optional(),
    })
    .strict();
  // A plain value is short for { value }; object flags always use the long form. Choosing the
  // schema by the entry's shape (not a union) keeps the error about what was meant.
  const plain = entry === null || typeof entry !== 'object' || Array.isArray(entry);
  return decl.valueType !== 'object' && plain ? value.transform((v) => ({ value: v })) : long;
}

/** Reads YAML (a superset of JSON) into a value; syntax errors become one issue line each. */
export function parseText(text: string): { ok: true; value: unknown } | { ok: false; issues: string[] } {
  try {
    // maxAliasCount bounds alias expansion ("billion laughs"); the file is operator input.
    return { ok: true, value: parseYaml(text, { maxAliasCount: 100, prettyErrors: true }) };
  } catch (err) {
    const e = err as { message?: string; linePos?: { line: number; col: number }[] };
    const pos = e.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}` : '(file)';
    const first = String(e.message ?? 'unreadable')
      .split('\n')[0]
      ?.slice(0, 120);
    return {
      ok: false,
      issues: [`${where}: expected valid YAML or JSON, received a syntax error (${first})`],
    };
  }
}

/**
 * Validates a flag file against the registry. Every problem is listed; unknown flag keys are
 * warnings, not errors, because during a rollout the shared file (ConfigMap) legitimately names
 * flags that the older pods do not declare yet, or no longer declare.
 */
export function validateFlagFile(registry: FlagRegistry, input: unknown): ParsedFile {
  if (input === null || input === undefined) return { ok: true, file: { flags: {} }, warnings: [] };
  if (typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      issues: [`(file): expected an object with "flags", received ${describeValue(input)}`],
    };
  }
  const issues: string[] = [];
  const warnings: string[] = [];
  const top = input as Record<string, unknown>;
  for (const k of Object.keys(top)) {
    if (k !== 'flags') issues.push(`${k.slice(0, 40)}: unknown top-level key — the file holds "flags" only`);
  }
  const raw = top.flags ?? {};
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    issues.push(`flags: expected an object of flag key to entry, received ${describeValue(raw)}`);
    return { ok: false, issues };
  }
  const flags: Record<string, FileEntry> = {};
  for (const [key, entry] of Object.entries(raw as Record<string, unknown>)) {
    const decl = (registry.flags as Record<string, FlagDeclaration | undefined>)[key];
    if (decl === undefined || !Object.hasOwn(registry.flags, key)) {
      warnings.push(`flags.${key.slice(0, 60)}: unknown flag (not declared in this version) — ignored`);
      continue;
    }
    const r = entrySchema(decl, entry).safeParse(entry);
    if (!r.success) {
      for (const line of formatIssues(r.error, entry)) {
        issues.push(
          `flags.${key}${line.startsWith('(options)') ? line.slice('(options)'.length) : `.${line}`}`,
        );
      }
      continue;
    }
    flags[key] = r.data as FileEntry;
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, file: { flags }, warnings };
}
