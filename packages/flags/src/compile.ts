import type { FileEntry, Stickiness } from './config.js';
import { rolloutBucket } from './hash.js';
import type { FlagDeclaration, JsonValue } from './registry.js';
import type { Bound, EventAttributes, FlagsTelemetry } from './telemetry.js';

/** OpenFeature resolution reasons this package answers with. */
export type EvaluationReason = 'STATIC' | 'DEFAULT' | 'TARGETING_MATCH' | 'SPLIT' | 'DISABLED' | 'ERROR';
/** OpenFeature error codes this package answers with. */
export type EvaluationErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PARSE_ERROR' | 'GENERAL';
/** Where a flag's value came from. */
export type ValueSource = 'test' | 'admin' | 'env' | 'file' | 'default' | 'disabled';

/** The result of one evaluation, with why. Never thrown: errors are in `errorCode`. */
export interface FlagEvaluation<V = unknown> {
  readonly key: string;
  /** The value to use: on any error, the declared default (`undefined` for an undeclared key). */
  readonly value: V;
  /** A name for the value: `on`/`off` for booleans, the value for strings and numbers, else the source or rule. */
  readonly variant: string;
  readonly reason: EvaluationReason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  /** The source the value came from. */
  readonly source: ValueSource;
  /** The configuration revision the value was computed from (starts at 1, +1 per applied change). */
  readonly revision: number;
}

/** The OpenFeature `ResolutionDetails` of an outcome, built once per configuration. */
export interface Resolution {
  readonly value: unknown;
  readonly variant: string;
  readonly reason: EvaluationReason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  readonly flagMetadata: Readonly<Record<string, string | number>>;
}

/** One possible answer of a flag under one configuration, with its telemetry handles. */
export interface Outcome {
  readonly details: FlagEvaluation;
  readonly resolution: Resolution;
  readonly counter: Bound;
  readonly attributes: EventAttributes;
}

interface CompiledRule {
  readonly orgs: ReadonlySet<string> | null;
  readonly users: ReadonlySet<string> | null;
  readonly environments: ReadonlySet<string> | null;
  /** Buckets below this are in; -1 for no percentage condition. */
  readonly threshold: number;
  readonly stickiness: Stickiness;
  readonly outcome: Outcome;
}

/** A flag's precomputed state under one configuration: evaluation only picks an outcome. */
export interface CompiledFlag {
  readonly key: string;
  readonly declaration: FlagDeclaration;
  /** The kill switch guarding this flag, resolved after the whole state is compiled. */
  guard: CompiledFlag | null;
  readonly base: Outcome;
  readonly rules: readonly CompiledRule[] | null;
  readonly killed: Outcome;
  readonly mismatch: Outcome;
  readonly source: ValueSource;
  /** What decides the value; compared across configurations to name the changed flags. */
  readonly signature: string;
}

/** What a flag's value is taken from, highest priority first. */
export interface Layers {
  override: { value: JsonValue; source: 'test' | 'admin' } | undefined;
  env: JsonValue | undefined;
  file: FileEntry | undefined;
  /** The flag file was never valid: flags without a higher source report PARSE_ERROR. */
  fileBroken: boolean;
  disabled: boolean;
}

const PROVIDER_NAME = 'immo-flags';

function variantOf(value: unknown, fallback: string): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return fallback;
}

/** Creates the outcomes of one configuration, binding their counters once. */
export class OutcomeFactory {
  constructor(
    private readonly telemetry: FlagsTelemetry,
    readonly revision: number,
  ) {}

  make(
    key: string,
    value: unknown,
    reason: EvaluationReason,
    source: ValueSource,
    variant?: string,
    error?: { code: EvaluationErrorCode; message: string },
  ): Outcome {
    const v = variant ?? variantOf(value, source);
    const metadata = Object.freeze({ source, revision: this.revision });
    const details: FlagEvaluation = Object.freeze({
      key,
      value,
      variant: v,
      reason,
      ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
      source,
      revision: this.revision,
    });
    const resolution: Resolution = Object.freeze({
      value,
      variant: v,
      reason,
      ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
      flagMetadata: metadata,
    });
    const attributes: Record<string, string> = {
      'feature_flag.key': key,
      'feature_flag.provider.name': PROVIDER_NAME,
      'feature_flag.result.variant': v,
      'feature_flag.result.reason': reason.toLowerCase(),
      'feature_flag.version': String(this.revision),
    };
    if (error) {
      attributes['error.type'] = error.code.toLowerCase();
      attributes['feature_flag.error.message'] = error.message;
    }
    return {
      details,
      resolution,
      counter: this.telemetry.evaluation(key, v, reason),
      attributes: Object.freeze(attributes),
    };
  }
}

function set(list: readonly string[] | undefined): ReadonlySet<string> | null {
  return list === undefined ? null : new Set(list);
}

/** Compiles one flag from its layers. */
export function compileFlag(
  key: string,
  d: FlagDeclaration,
  layers: Layers,
  f: OutcomeFactory,
): CompiledFlag {
  const mismatch = f.make(key, d.default, 'ERROR', 'default', undefined, {
    code: 'TYPE_MISMATCH',
    message: `flag "${key}" is of type ${d.valueType}`,
  });
  const killed = f.make(key, d.default, 'DISABLED', 'default');
  const common = { key, declaration: d, guard: null, killed, mismatch };
  if (layers.disabled) {
    return {
      ...common,
      base: f.make(key, d.default, 'STATIC', 'disabled'),
      rules: null,
      source: 'disabled',
      signature: 'disabled',
    };
  }
  if (layers.override !== undefined) {
    const { value, source } = layers.override;
    return {
      ...common,
      base: f.make(key, value, 'STATIC', source),
      rules: null,
      source,
      signature: `${source}:${JSON.stringify(value)}`,
    };
  }
  if (layers.env !== undefined) {
    const value = layers.env;
    return {
      ...common,
      base: f.make(key, value, 'STATIC', 'env'),
      rules: null,
      source: 'env',
      signature: `env:${JSON.stringify(value)}`,
    };
  }
  const entry = layers.file;
  if (entry !== undefined) {
    const signature = `file:${JSON.stringify(entry)}`;
    if (entry.enabled === false) {
      return {
        ...common,
        base: f.make(key, d.default, 'DISABLED', 'file'),
        rules: null,
        source: 'file',
        signature,
      };
    }
    const value = entry.value ?? d.default;
    const rules = entry.rules ?? [];
    if (rules.length === 0) {
      return {
        ...common,
        base: f.make(key, value, 'STATIC', 'file', entry.variant),
        rules: null,
        source: 'file',
        signature,
      };
    }
    const compiled = rules.map((r, i) => ({
      orgs: set(r.orgs),
      users: set(r.users),
      environments: set(r.environments),
      threshold: r.percentage === undefined ? -1 : Math.round(r.percentage * 100),
      stickiness: r.stickiness ?? 'targetingKey',
      outcome: f.make(
        key,
        r.value,
        r.percentage === undefined ? 'TARGETING_MATCH' : 'SPLIT',
        'file',
        r.variant ?? variantOf(r.value, `rule-${i}`),
      ),
    }));
    // No rule matched: the entry's value, reason DEFAULT (OpenFeature's fall-through).
    const base = f.make(key, value, 'DEFAULT', 'file', entry.variant);
    return { ...common, base, rules: compiled, source: 'file', signature };
  }
  if (layers.fileBroken) {
    const base = f.make(key, d.default, 'ERROR', 'default', undefined, {
      code: 'PARSE_ERROR',
      message: 'IMMO_FLAGS_INVALID_FILE: the flag file was never valid; the declared default is in force',
    });
    return { ...common, base, rules: null, source: 'default', signature: 'broken' };
  }
  return {
    ...common,
    base: f.make(key, d.default, 'DEFAULT', 'default'),
    rules: null,
    source: 'default',
    signature: 'default',
  };
}

/** Reads one context field: the call's context first, then the request's. */
function field(
  ctx: Record<string, unknown> | undefined,
  scoped: Record<string, unknown> | undefined,
  name: string,
  fallback: string | undefined,
): string | undefined {
  let v = ctx?.[name];
  if (v === undefined || v === null) v = scoped?.[name];
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return fallback;
}

/** Picks the first matching rule's outcome; the fall-through outcome when none matches. */
export function matchRules(
  flag: CompiledFlag,
  ctx: Record<string, unknown> | undefined,
  scoped: Record<string, unknown> | undefined,
  environment: string | undefined,
): Outcome {
  const rules = flag.rules as readonly CompiledRule[];
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as CompiledRule;
    if (r.orgs !== null) {
      const org = field(ctx, scoped, 'orgId', undefined);
      if (org === undefined || !r.orgs.has(org)) continue;
    }
    if (r.users !== null) {
      const user = field(ctx, scoped, 'userId', undefined);
      if (user === undefined || !r.users.has(user)) continue;
    }
    if (r.environments !== null) {
      const env = field(ctx, scoped, 'environment', environment);
      if (env === undefined || !r.environments.has(env)) continue;
    }
    if (r.threshold >= 0) {
      // Without a sticky key there is no bucket: the rule does not match (never a random answer).
      const sticky = field(ctx, scoped, r.stickiness, undefined);
      if (sticky === undefined || rolloutBucket(flag.key, sticky) >= r.threshold) continue;
    }
    return r.outcome;
  }
  return flag.base;
}
