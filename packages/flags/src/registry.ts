import { z } from 'zod';
import { describeValue, FlagsError, formatIssues } from './errors.js';

/** A JSON value, as object flags hold. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
/** The value of an object flag: a JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/**
 * What a flag is for, which decides its lifecycle:
 * - `release`: hides unfinished work; removed once rolled out (expires).
 * - `experiment`: an A/B test; removed when decided (expires).
 * - `ops`: an operational toggle or tuning value (batch size, new code path); expires.
 * - `kill-switch`: turns a function off in an incident; permanent, never stale.
 * - `permission`: a long-lived entitlement (org X may use Y); permanent, never stale.
 */
export type FlagType = 'release' | 'experiment' | 'ops' | 'kill-switch' | 'permission';
/** The value type of a flag. */
export type FlagValueType = 'boolean' | 'string' | 'number' | 'object';

/** Flag types that never expire. */
export const PERMANENT_FLAG_TYPES: readonly FlagType[] = ['kill-switch', 'permission'];
/** Every flag type. */
export const FLAG_TYPES: readonly FlagType[] = ['release', 'experiment', 'ops', 'kill-switch', 'permission'];

interface DeclarationBase {
  /** The team that owns the flag and removes it (a team handle, e.g. `team-billing`). */
  owner: string;
  /** What turning it on does, for the admin endpoint and the lint report. */
  description: string;
  /** When it was added, `YYYY-MM-DD`. */
  created: string;
  /**
   * A kill switch that turns this flag off: while it is on, this flag answers its default with
   * reason `DISABLED`, whatever the other sources say.
   */
  killSwitch?: string;
}

type ValueDeclaration =
  | { valueType: 'boolean'; default: boolean }
  | { valueType: 'string'; default: string }
  | { valueType: 'number'; default: number }
  | { valueType: 'object'; default: JsonObject };

/** A flag that expires: `release`, `experiment` or `ops`. */
export type TemporaryFlagDeclaration = DeclarationBase &
  ValueDeclaration & {
    type: 'release' | 'experiment' | 'ops';
    /** The date (`YYYY-MM-DD`, UTC) from which the flag is stale and the lint fails. */
    expires: string;
  };

/** A permanent entitlement flag. */
export type PermissionFlagDeclaration = DeclarationBase &
  ValueDeclaration & {
    type: 'permission';
    expires?: never;
  };

/** A kill switch: boolean, `true` means killed (the guarded function is off). Permanent. */
export type KillSwitchDeclaration = DeclarationBase & {
  type: 'kill-switch';
  valueType: 'boolean';
  default: boolean;
  expires?: never;
};

/** One flag's declaration in {@link defineFlags}. */
export type FlagDeclaration = TemporaryFlagDeclaration | PermissionFlagDeclaration | KillSwitchDeclaration;

/** A map of flag key to declaration. */
export type FlagDeclarations = Record<string, FlagDeclaration>;

const kRegistry: unique symbol = Symbol.for('@immo/flags.registry') as never;

/** The result of {@link defineFlags}: validated, frozen declarations with typed keys. */
export interface FlagRegistry<T extends FlagDeclarations = FlagDeclarations> {
  /** The declarations, by key. */
  readonly flags: Readonly<T>;
  /** Every key, in declaration order. */
  readonly keys: readonly (keyof T & string)[];
  readonly [kRegistry]: true;
}

/** The keys of a registry. */
export type FlagKey<R extends FlagRegistry> = keyof R['flags'] & string;
/** The keys of a registry's flags of value type `V`. */
export type FlagKeyOfType<R extends FlagRegistry, V extends FlagValueType> = {
  [K in FlagKey<R>]: R['flags'][K]['valueType'] extends V ? K : never;
}[FlagKey<R>];
/** The keys of a registry's kill switches. */
export type KillSwitchKey<R extends FlagRegistry> = {
  [K in FlagKey<R>]: R['flags'][K]['type'] extends 'kill-switch' ? K : never;
}[FlagKey<R>];
/**
 * A declared default's type widened to what the flag can hold: literals become their primitive
 * types and tuples arrays (`const` type parameters keep `1000` and `['csv']` otherwise).
 */
export type Widen<T> = T extends string
  ? string
  : T extends number
    ? number
    : T extends boolean
      ? boolean
      : T extends readonly (infer U)[]
        ? readonly Widen<U>[]
        : T extends object
          ? { readonly [K in keyof T]: Widen<T[K]> }
          : T;

/** The value type a flag of the registry evaluates to. */
export type FlagValue<
  R extends FlagRegistry,
  K extends FlagKey<R>,
> = R['flags'][K]['valueType'] extends 'boolean'
  ? boolean
  : R['flags'][K]['valueType'] extends 'string'
    ? string
    : R['flags'][K]['valueType'] extends 'number'
      ? number
      : Widen<R['flags'][K]['default']>;

/** True for a {@link FlagRegistry} from any copy of this package. */
export function isFlagRegistry(v: unknown): v is FlagRegistry {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[kRegistry] === true;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isoDate = z
  .string()
  .regex(DATE, 'a date YYYY-MM-DD')
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    'a real calendar date YYYY-MM-DD',
  );

const jsonValue: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(jsonValue),
    z.record(z.string(), jsonValue),
  ]),
);
/** A JSON object (not an array, not null). */
export const jsonObject = z.record(z.string(), jsonValue);

const VALUE_SCHEMAS: Record<FlagValueType, z.ZodType> = {
  boolean: z.boolean(),
  string: z.string(),
  number: z.number().refine(Number.isFinite, 'a finite number'),
  object: jsonObject,
};

/** The structural schema of one declaration; the naming convention and owners are the lint's job. */
export const declarationSchema = z
  .object({
    type: z.enum(['release', 'experiment', 'ops', 'kill-switch', 'permission']),
    owner: z.string(),
    description: z.string(),
    created: isoDate,
    expires: isoDate.optional(),
    killSwitch: z.string().optional(),
    valueType: z.enum(['boolean', 'string', 'number', 'object']),
    default: z.unknown(),
  })
  .strict();

/** Problems of one declaration beyond its shape: the default's type and the expiry rule. */
function declarationRuleIssues(key: string, d: z.infer<typeof declarationSchema>): string[] {
  const issues: string[] = [];
  const schema = VALUE_SCHEMAS[d.valueType] as (typeof VALUE_SCHEMAS)[keyof typeof VALUE_SCHEMAS] | undefined;
  const value = schema?.safeParse(d.default);
  if (value && !value.success) {
    issues.push(
      `${key}.default: expected ${d.valueType === 'object' ? 'a JSON object' : d.valueType} (valueType), received ${describeValue(d.default)}`,
    );
  }
  const typed = declarationSchema.shape.type.safeParse(d.type).success;
  const permanent = PERMANENT_FLAG_TYPES.includes(d.type);
  if (typed && permanent && d.expires !== undefined) {
    issues.push(
      `${key}.expires: expected no expiry (a ${d.type} flag is permanent), received "${d.expires}"`,
    );
  }
  if (typed && !permanent && d.expires === undefined) {
    issues.push(`${key}.expires: expected a date YYYY-MM-DD (a ${d.type} flag expires), received undefined`);
  }
  if (d.type === 'kill-switch' && d.valueType !== 'boolean') {
    issues.push(`${key}.valueType: expected "boolean" for a kill switch, received "${d.valueType}"`);
  }
  if (typeof d.expires === 'string' && typeof d.created === 'string' && d.expires < d.created) {
    issues.push(
      `${key}.expires: expected a date on or after created (${d.created}), received "${d.expires}"`,
    );
  }
  return issues;
}

/** A key usable as a metric label, an env variable suffix and a YAML key. */
export const KEY_SYNTAX = /^[a-z0-9]+(?:[-.][a-z0-9]+)*$/;
/** Setting names of `IMMO_FLAGS_*`; a flag whose env name collides with one is refused. */
export const SETTING_SUFFIXES = ['FILE', 'POLL_INTERVAL_MS', 'ENVIRONMENT', 'DISABLED'] as const;

/** The environment variable that overrides a flag: `IMMO_FLAGS_` + the key in upper case, `-`/`.` as `_`. */
export function envNameOf(key: string): string {
  return `IMMO_FLAGS_${key.toUpperCase().replace(/[-.]/g, '_')}`;
}

/**
 * Validates a registry's declarations structurally (types, values, dates, kill-switch guards).
 * Returns every problem as `path: expected X, received Y`.
 */
export function registryIssues(flags: unknown): string[] {
  if (flags === null || typeof flags !== 'object' || Array.isArray(flags)) {
    return [
      `(flags): expected an object of flag declarations, received ${Array.isArray(flags) ? 'array' : typeof flags}`,
    ];
  }
  const issues: string[] = [];
  const entries = Object.entries(flags as Record<string, unknown>);
  if (entries.length === 0) issues.push('(flags): expected at least one flag, received an empty object');
  const envNames = new Map<string, string>();
  for (const [key, decl] of entries) {
    if (!KEY_SYNTAX.test(key) || key.length > 100) {
      issues.push(
        `${key}: expected a key of lower-case letters, digits, "-" and "." (max 100), received "${key.slice(0, 40)}"`,
      );
      continue;
    }
    const env = envNameOf(key);
    const clash = envNames.get(env);
    if (clash !== undefined)
      issues.push(`${key}: expected a key whose env name ${env} differs from "${clash}"'s`);
    if ((SETTING_SUFFIXES as readonly string[]).includes(env.slice('IMMO_FLAGS_'.length))) {
      issues.push(`${key}: expected a key whose env name is not the setting ${env}, received "${key}"`);
    }
    envNames.set(env, key);
    const r = declarationSchema.safeParse(decl);
    if (!r.success) {
      const shape = formatIssues(r.error, decl).map((line) => `${key}.${line}`);
      issues.push(...shape);
      // The rules on the fields the shape check accepted still run, so one pass lists every
      // problem (a bad date and a wrong-typed default together); a field already reported, or a
      // declaration too broken to read, adds nothing.
      if (decl !== null && typeof decl === 'object') {
        const reported = shape.map((l) => l.slice(0, l.indexOf(':')));
        // Fields the shape check refused are left out, so no rule reasons from a bad value.
        const partial: Record<string, unknown> = { ...(decl as Record<string, unknown>) };
        for (const path of reported) delete partial[path.slice(key.length + 1).split('.')[0]!];
        let more: string[] = [];
        try {
          more = declarationRuleIssues(key, partial as z.infer<typeof declarationSchema>);
        } catch {
          more = [];
        }
        issues.push(...more.filter((l) => !reported.includes(l.slice(0, l.indexOf(':')))));
      }
      continue;
    }
    const d = r.data;
    issues.push(...declarationRuleIssues(key, d));
    if (d.killSwitch !== undefined) {
      const guard = (flags as Record<string, { type?: unknown } | undefined>)[d.killSwitch];
      if (guard?.type !== 'kill-switch') {
        issues.push(
          `${key}.killSwitch: expected the key of a declared kill switch, received ${describeValue(d.killSwitch)}`,
        );
      } else if (d.type === 'kill-switch') {
        issues.push(
          `${key}.killSwitch: expected no guard on a kill switch itself, received "${d.killSwitch}"`,
        );
      }
    }
  }
  return issues;
}

/**
 * Declares the flags of a service in code. Keys become types: evaluating an undeclared key, or a
 * key with the wrong value type, does not compile. Declarations are checked structurally here
 * (throws `IMMO_FLAGS_INVALID_REGISTRY` listing every problem); naming, owners and expiry are
 * checked by `immo-flags lint` in CI, so a stale flag never stops a deployment.
 *
 * @example
 * ```ts
 * export const flags = defineFlags({
 *   'billing-run-kill-switch': {
 *     type: 'kill-switch', owner: 'team-billing', description: 'Stops the nightly billing run',
 *     created: '2026-11-27', valueType: 'boolean', default: false,
 *   },
 *   'payments-new-allocation': {
 *     type: 'release', owner: 'team-payments', description: 'New payment allocation algorithm',
 *     created: '2026-11-27', expires: '2027-03-01', valueType: 'boolean', default: false,
 *   },
 * });
 * ```
 */
export function defineFlags<const T extends FlagDeclarations>(flags: T): FlagRegistry<T> {
  const issues = registryIssues(flags);
  if (issues.length > 0) {
    throw new FlagsError('IMMO_FLAGS_INVALID_REGISTRY', 'Invalid @immo/flags declarations', issues);
  }
  const copy: Record<string, FlagDeclaration> = {};
  for (const [k, v] of Object.entries(flags)) copy[k] = Object.freeze(structuredClone(v));
  return Object.freeze({
    flags: Object.freeze(copy) as Readonly<T>,
    keys: Object.freeze(Object.keys(copy)) as readonly (keyof T & string)[],
    [kRegistry]: true as const,
  });
}
