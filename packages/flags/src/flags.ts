import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Provider } from '@openfeature/server-sdk';
import {
  type CompiledFlag,
  compileFlag,
  type EvaluationErrorCode,
  type FlagEvaluation,
  type Layers,
  matchRules,
  type Outcome,
  OutcomeFactory,
} from './compile.js';
import { type FileEntry, parseText, validateFlagFile } from './config.js';
import { contextStorage, currentContext, type FlagsContext } from './context.js';
import { FlagsError } from './errors.js';
import { type FlagsOptions, type ResolvedFlagsOptions, resolveFlagsOptions } from './options.js';
import { createProvider } from './provider.js';
import {
  envNameOf,
  type FlagDeclaration,
  type FlagKey,
  type FlagKeyOfType,
  type FlagRegistry,
  type FlagValue,
  isFlagRegistry,
  type JsonValue,
  jsonObject,
  type KillSwitchKey,
  PERMANENT_FLAG_TYPES,
  SETTING_SUFFIXES,
} from './registry.js';
import { createTelemetry, type FlagsTelemetry } from './telemetry.js';
import { type FileWatch, watchFile } from './watch.js';

/** Who changes a kill switch, for the log line and the metric. */
export interface KillSwitchActor {
  /** The operator (the admin token's name) or component that flips it. */
  by: string;
  /** Why, for the log line (cut to 200 characters). */
  reason?: string;
}

/** The effect of {@link Flags.setKillSwitch} / {@link Flags.resetKillSwitch}. */
export interface KillSwitchChange {
  key: string;
  /** Whether the kill switch is on now (from every source). */
  killed: boolean;
  /** Whether it was on before. */
  previous: boolean;
  /** The in-process override now in force, `null` after a reset. */
  override: boolean | null;
  by: string;
  revision: number;
}

/** A configuration change: the flag file, an admin flip or a test override. */
export interface FlagsChange {
  revision: number;
  source: 'file' | 'admin' | 'test';
  /** The keys whose configuration changed. */
  flagsChanged: string[];
}

/** One flag in {@link Flags.snapshot}. */
export interface FlagState {
  key: string;
  type: FlagDeclaration['type'];
  owner: string;
  description: string;
  valueType: FlagDeclaration['valueType'];
  default: JsonValue;
  created: string;
  expires: string | null;
  stale: boolean;
  /** Where the value comes from now. */
  source: FlagEvaluation['source'];
  /** The value without any evaluation context (rules give other values to matching contexts). */
  value: JsonValue;
  reason: FlagEvaluation['reason'];
  rules: number;
  killSwitch: string | null;
  /** For kill switches: the in-process override, if any. */
  override?: { killed: boolean; by: string; at: string } | null;
}

/** What {@link Flags.snapshot} returns: the state of every flag in this process. */
export interface FlagsSnapshot {
  revision: number;
  disabled: boolean;
  file: { path: string; loadedAt: string | null; lastError: string[] | null } | null;
  flags: FlagState[];
}

type Listener<E> = (event: E) => void;

/**
 * `Flags` without a registry argument accepts the flags of any registry (a plugin option, a
 * helper's parameter); `Flags<typeof flags>` is the typed one.
 */
// biome-ignore lint/suspicious/noExplicitAny: the one place a registry of any shape is accepted
type AnyRegistry = any;

/**
 * Evaluates the flags of a registry from, in this order: in-process kill-switch overrides (the
 * admin endpoint), `IMMO_FLAGS_<KEY>` environment overrides, the watched flag file, and the
 * declared defaults. Created by {@link createFlags}.
 */
export interface Flags<R extends FlagRegistry = AnyRegistry> {
  readonly registry: R;
  /** The configuration revision: 1 at creation, +1 per applied change. */
  readonly revision: number;
  /**
   * A boolean flag's value. Never throws: on any problem, the declared default.
   * @example
   * ```ts
   * if (ff.boolean('payments-new-allocation', { orgId })) allocateV2();
   * ```
   */
  boolean<K extends FlagKeyOfType<R, 'boolean'>>(key: K, context?: FlagsContext): boolean;
  /** A string flag's value (see {@link Flags.boolean}). */
  string<K extends FlagKeyOfType<R, 'string'>>(key: K, context?: FlagsContext): string;
  /** A number flag's value (see {@link Flags.boolean}). */
  number<K extends FlagKeyOfType<R, 'number'>>(key: K, context?: FlagsContext): number;
  /** An object flag's value (see {@link Flags.boolean}); shared and frozen: do not mutate it. */
  object<K extends FlagKeyOfType<R, 'object'>>(key: K, context?: FlagsContext): FlagValue<R, K>;
  /**
   * The value with its variant, reason, source and any error code.
   * @example
   * ```ts
   * const d = ff.details('payments-new-allocation', { orgId: 'org-7' });
   * d.reason; // 'TARGETING_MATCH'
   * ```
   */
  details<K extends FlagKey<R>>(key: K, context?: FlagsContext): FlagEvaluation<FlagValue<R, K>>;
  /**
   * Whether a kill switch is on.
   * @example
   * ```ts
   * if (ff.isKilled('billing-run-kill-switch')) return; // skip tonight's run
   * ```
   */
  isKilled(key: KillSwitchKey<R>, context?: FlagsContext): boolean;
  /**
   * Turns a kill switch on or off in this process, above every other source, until reset. Logged
   * with who, what and the previous value.
   * @example
   * ```ts
   * ff.setKillSwitch('billing-run-kill-switch', true, { by: 'payments-circuit-breaker' });
   * ```
   */
  setKillSwitch(key: KillSwitchKey<R>, killed: boolean, actor: KillSwitchActor): KillSwitchChange;
  /** Drops the in-process override: the environment, the file or the default decide again. */
  resetKillSwitch(key: KillSwitchKey<R>, actor: KillSwitchActor): KillSwitchChange;
  /**
   * Runs `fn` with an evaluation context that evaluations inside it (sync or async) use when they
   * pass none, as the Fastify plugin does for a request. For jobs and queue consumers.
   * @example
   * ```ts
   * await ff.withContext({ targetingKey: org.id, orgId: org.id }, () => runBilling(org));
   * ```
   */
  withContext<T>(context: FlagsContext, fn: () => T): T;
  /**
   * The OpenFeature provider of these flags (one per instance).
   * @example
   * ```ts
   * await OpenFeature.setProviderAndWait(ff.provider());
   * await OpenFeature.getClient().getBooleanValue('payments-new-allocation', false);
   * ```
   */
  provider(): Provider;
  /** The state of every flag, for the admin endpoint and debugging. */
  snapshot(): FlagsSnapshot;
  /** Re-reads the flag file now; resolves `true` when a new configuration was applied. */
  reload(): Promise<boolean>;
  /**
   * Listens to configuration changes or problems (invalid file, unreadable file, bad environment
   * override, stale flags). Returns a function that removes the listener.
   * @example
   * ```ts
   * ff.on('problem', (err) => alert(err.code, err.issues));
   * ```
   */
  on(event: 'change', listener: Listener<FlagsChange>): () => void;
  on(event: 'problem', listener: Listener<FlagsError>): () => void;
  /** Declared non-permanent flags past their expiry date, at the clock's `now`. */
  staleFlags(): string[];
  /** Stops watching the flag file. Evaluations keep working with the last configuration. */
  close(): void;
}

/** Internals the plugin, the provider and `./testing` reach for. */
export interface FlagsInternals {
  readonly options: ResolvedFlagsOptions;
  readonly telemetry: FlagsTelemetry;
  /** Evaluates and records one evaluation; `expected` checks the value type. */
  evaluate(
    key: string,
    context: FlagsContext | undefined,
    expected: FlagDeclaration['valueType'] | null,
  ): Outcome;
  setTestOverride(key: string, value: JsonValue | undefined): void;
  log(level: 'info' | 'warn' | 'error', obj: object, msg: string): void;
}
export const kInternals: unique symbol = Symbol.for('@immo/flags.internals') as never;

function parseEnvValue(
  d: FlagDeclaration,
  raw: string,
): { ok: true; value: JsonValue } | { ok: false; expected: string } {
  const v = raw.trim();
  switch (d.valueType) {
    case 'boolean': {
      const l = v.toLowerCase();
      if (['true', '1', 'on', 'yes'].includes(l)) return { ok: true, value: true };
      if (['false', '0', 'off', 'no'].includes(l)) return { ok: true, value: false };
      return { ok: false, expected: 'true/false (or 1/0, on/off)' };
    }
    case 'number':
      return v !== '' && Number.isFinite(Number(v))
        ? { ok: true, value: Number(v) }
        : { ok: false, expected: 'a number' };
    case 'string':
      return { ok: true, value: raw };
    case 'object':
      try {
        const parsed: unknown = JSON.parse(v);
        if (jsonObject.safeParse(parsed).success) return { ok: true, value: parsed as JsonValue };
      } catch {
        // reported below
      }
      return { ok: false, expected: 'a JSON object' };
  }
}

/** Reads `IMMO_FLAGS_<KEY>` overrides; a bad or unknown variable is a problem, never fatal. */
function readEnvOverrides(
  registry: FlagRegistry,
  env: Readonly<Record<string, string | undefined>>,
): { values: Map<string, JsonValue>; issues: string[] } {
  const byEnv = new Map<string, string>();
  for (const key of registry.keys) byEnv.set(envNameOf(key), key);
  const values = new Map<string, JsonValue>();
  const issues: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith('IMMO_FLAGS_') || raw === undefined) continue;
    if ((SETTING_SUFFIXES as readonly string[]).includes(name.slice('IMMO_FLAGS_'.length))) continue;
    const key = byEnv.get(name);
    if (key === undefined) {
      issues.push(
        `${name}: expected the name of a declared flag (IMMO_FLAGS_<KEY>), received an unknown flag — ignored`,
      );
      continue;
    }
    if (raw === '') continue;
    const r = parseEnvValue(registry.flags[key] as FlagDeclaration, raw);
    if (r.ok) values.set(key, r.value);
    else {
      // The value is not echoed: an environment variable may hold anything, a secret included.
      issues.push(
        `${name}: expected ${r.expected} for ${key}, received a ${raw.length}-character value — ignored`,
      );
    }
  }
  return { values, issues };
}

function isStale(d: FlagDeclaration, now: Date): boolean {
  if (PERMANENT_FLAG_TYPES.includes(d.type) || d.expires === undefined) return false;
  return now.getTime() >= Date.parse(`${d.expires}T00:00:00Z`);
}

class FlagsImpl<R extends FlagRegistry> implements Flags<R> {
  readonly registry: R;
  readonly [kInternals]: FlagsInternals;
  private readonly opts: ResolvedFlagsOptions;
  private readonly telemetry: FlagsTelemetry;
  private state = new Map<string, CompiledFlag>();
  private rev = 0;
  private readonly env: Map<string, JsonValue>;
  private fileEntries: Record<string, FileEntry> | undefined;
  private fileText: string | undefined;
  private fileBroken = false;
  private fileLoadedAt: Date | null = null;
  private fileError: string[] | null = null;
  private readonly overrides = new Map<
    string,
    { value: JsonValue; source: 'test' | 'admin'; by: string; at: Date }
  >();
  private readonly changeListeners = new Set<Listener<FlagsChange>>();
  private readonly problemListeners = new Set<Listener<FlagsError>>();
  private watch: FileWatch | undefined;
  private cachedProvider: Provider | undefined;
  private readonly environment: string | undefined;
  private readonly notFound = new Map<string, Outcome>();
  private lastProblem = '';

  constructor(registry: R, options: FlagsOptions) {
    if (!isFlagRegistry(registry)) {
      throw new FlagsError('IMMO_FLAGS_INVALID_OPTIONS', 'Invalid @immo/flags options', [
        '(registry): expected the result of defineFlags(), received ' +
          (registry === null ? 'null' : typeof registry),
      ]);
    }
    this.registry = registry;
    this.opts = resolveFlagsOptions(options);
    this.environment = this.opts.environment;
    this.telemetry = createTelemetry(
      this.opts.metrics,
      this.opts.tracing,
      () => this.killSwitchStates(),
      () => this.staleFlags().length,
      (err) =>
        this.opts.logger.warn({ err }, '@immo/flags: recording a span event failed; span events are off'),
    );
    this[kInternals] = {
      options: this.opts,
      telemetry: this.telemetry,
      evaluate: (key, ctx, expected) => this.evaluate(key, ctx, expected),
      setTestOverride: (key, value) => this.setTestOverride(key, value),
      log: (level, obj, msg) => this.opts.logger[level](obj, msg),
    };
    if (this.opts.disabled) {
      this.env = new Map();
      this.recompile('file');
      return;
    }
    const envResult = readEnvOverrides(registry, this.opts.env);
    this.env = envResult.values;
    if (envResult.issues.length > 0) {
      this.problem(
        new FlagsError(
          'IMMO_FLAGS_INVALID_ENV',
          'Flag overrides in the environment ignored',
          envResult.issues,
        ),
        'warn',
      );
    }
    if (this.opts.file !== false) this.loadFileSync(this.opts.file);
    this.recompile('file');
    const stale = this.staleFlags();
    if (stale.length > 0) {
      const now = this.opts.now();
      this.problem(
        new FlagsError(
          'IMMO_FLAGS_STALE_FLAGS',
          'Flags past their expiry date (remove them, or move the date with a reason)',
          stale.map(
            (k) =>
              `${k}.expires: expected a date after ${now.toISOString().slice(0, 10)}, received "${(registry.flags[k] as FlagDeclaration).expires}"`,
          ),
        ),
        'warn',
      );
    }
    if (this.opts.file !== false) {
      const file = this.opts.file;
      this.watch = watchFile(file, this.opts.pollIntervalMs, () => {
        void this.reload();
      });
    }
  }

  get revision(): number {
    return this.rev;
  }

  // ------------------------------------------------------------------ evaluation

  evaluate(
    key: string,
    ctx: FlagsContext | undefined,
    expected: FlagDeclaration['valueType'] | null,
  ): Outcome {
    const flag = this.state.get(key);
    let outcome: Outcome;
    if (flag === undefined) outcome = this.notFoundOutcome(key);
    else if (expected !== null && flag.declaration.valueType !== expected) outcome = flag.mismatch;
    else {
      try {
        outcome = this.pick(flag, ctx);
      } catch (err) {
        outcome = this.generalError(flag, err);
      }
    }
    outcome.counter.inc();
    const event = this.telemetry.spanEvent;
    if (event !== null) event(outcome.attributes);
    return outcome;
  }

  private pick(flag: CompiledFlag, ctx: FlagsContext | undefined): Outcome {
    if (flag.guard !== null && this.pick(flag.guard, ctx).details.value === true) return flag.killed;
    if (flag.rules === null) return flag.base;
    return matchRules(flag, ctx, currentContext(), this.environment);
  }

  private notFoundOutcome(key: string): Outcome {
    // One outcome per revision for all unknown keys: the metric label is `_unknown`, so a caller
    // passing arbitrary keys cannot grow the series; the key itself is in the details and the event.
    let o = this.notFound.get(key);
    if (o === undefined) {
      const f = new OutcomeFactory(this.telemetry, this.rev);
      const shared = f.make('_unknown', undefined, 'ERROR', 'default', 'default', {
        code: 'FLAG_NOT_FOUND',
        message: 'flag not declared',
      });
      const safeKey = key.length > 100 ? `${key.slice(0, 100)}…` : key;
      o = {
        ...shared,
        details: Object.freeze({
          ...shared.details,
          key: safeKey,
          errorMessage: `flag "${safeKey}" is not declared`,
        }),
        attributes: Object.freeze({ ...shared.attributes, 'feature_flag.key': safeKey }),
      };
      if (this.notFound.size < 100) this.notFound.set(key, o);
    }
    return o;
  }

  private generalError(flag: CompiledFlag, err: unknown): Outcome {
    const message = `evaluation failed: ${err instanceof Error ? err.name : typeof err}`;
    if (this.lastProblem !== `general:${flag.key}`) {
      this.lastProblem = `general:${flag.key}`;
      this.opts.logger.warn(
        { err, flag: flag.key },
        '@immo/flags: evaluation failed; the declared default is used',
      );
    }
    return new OutcomeFactory(this.telemetry, this.rev).make(
      flag.key,
      flag.declaration.default,
      'ERROR',
      'default',
      undefined,
      {
        code: 'GENERAL' satisfies EvaluationErrorCode,
        message,
      },
    );
  }

  boolean(key: string, ctx?: FlagsContext): boolean {
    return this.evaluate(key, ctx, 'boolean').details.value as boolean;
  }
  string(key: string, ctx?: FlagsContext): string {
    return this.evaluate(key, ctx, 'string').details.value as string;
  }
  number(key: string, ctx?: FlagsContext): number {
    return this.evaluate(key, ctx, 'number').details.value as number;
  }
  object(key: string, ctx?: FlagsContext): never {
    return this.evaluate(key, ctx, 'object').details.value as never;
  }
  details(key: string, ctx?: FlagsContext): never {
    return this.evaluate(key, ctx, null).details as never;
  }
  isKilled(key: string, ctx?: FlagsContext): boolean {
    return this.evaluate(key, ctx, 'boolean').details.value === true;
  }

  withContext<T>(context: FlagsContext, fn: () => T): T {
    return contextStorage.run({ context, build: null }, fn);
  }

  provider(): Provider {
    this.cachedProvider ??= createProvider(this as unknown as Flags, this[kInternals]);
    return this.cachedProvider;
  }

  // ------------------------------------------------------------------ configuration

  private layers(key: string): Layers {
    const o = this.overrides.get(key);
    return {
      override: o === undefined ? undefined : { value: o.value, source: o.source },
      env: this.env.get(key),
      file: this.fileEntries?.[key],
      fileBroken: this.fileBroken && this.fileEntries === undefined,
      disabled: this.opts.disabled,
    };
  }

  /** Builds the whole state anew (a handful of flags: cheap) and swaps it in one assignment. */
  private recompile(source: FlagsChange['source']): string[] {
    this.rev++;
    const factory = new OutcomeFactory(this.telemetry, this.rev);
    const next = new Map<string, CompiledFlag>();
    for (const key of this.registry.keys) {
      next.set(key, compileFlag(key, this.registry.flags[key] as FlagDeclaration, this.layers(key), factory));
    }
    for (const flag of next.values()) {
      const guard = flag.declaration.killSwitch;
      if (guard !== undefined && !this.opts.disabled) flag.guard = next.get(guard) ?? null;
    }
    const changed: string[] = [];
    for (const [key, flag] of next) {
      const before = this.state.get(key);
      const guardKey = flag.declaration.killSwitch;
      const guardChanged = guardKey !== undefined && before?.guard?.signature !== flag.guard?.signature;
      if (before === undefined || before.signature !== flag.signature || guardChanged) changed.push(key);
    }
    const initial = this.state.size === 0;
    this.state = next;
    this.notFound.clear();
    if (!initial) {
      const change: FlagsChange = { revision: this.rev, source, flagsChanged: changed };
      this.opts.logger.info(
        { revision: this.rev, source, flagsChanged: changed },
        '@immo/flags: flag configuration changed',
      );
      for (const l of this.changeListeners) {
        try {
          l(change);
        } catch (err) {
          this.opts.logger.warn({ err }, '@immo/flags: a change listener threw');
        }
      }
    }
    return changed;
  }

  private problem(err: FlagsError, level: 'warn' | 'error'): void {
    this.opts.logger[level](
      { code: err.code, issues: err.issues },
      `@immo/flags: ${err.message.split(':\n')[0]}`,
    );
    for (const l of this.problemListeners) {
      try {
        l(err);
      } catch (e) {
        this.opts.logger.warn({ err: e }, '@immo/flags: a problem listener threw');
      }
    }
  }

  /** Applies file text; returns whether the configuration changed. */
  private applyText(path: string, text: string): boolean {
    if (text === this.fileText) return false;
    const parsed = parseText(text);
    const result = parsed.ok ? validateFlagFile(this.registry, parsed.value) : parsed;
    if (!result.ok) {
      this.fileText = text;
      this.fileError = result.issues;
      if (this.fileEntries === undefined) this.fileBroken = true;
      this.telemetry.reload('rejected');
      this.problem(
        new FlagsError(
          'IMMO_FLAGS_INVALID_FILE',
          `Flag file ${path} rejected; ${this.fileEntries === undefined ? 'declared defaults' : 'the last good configuration'} stay in force`,
          result.issues,
        ),
        'error',
      );
      return false;
    }
    this.fileText = text;
    this.fileEntries = result.file.flags;
    this.fileBroken = false;
    this.fileError = null;
    this.fileLoadedAt = new Date();
    this.telemetry.reload('applied');
    if (result.warnings.length > 0) {
      this.problem(
        new FlagsError('IMMO_FLAGS_INVALID_FILE', `Flag file ${path} applied with warnings`, result.warnings),
        'warn',
      );
    }
    return true;
  }

  private unreadable(path: string, err: unknown): void {
    const code = (err as { code?: string }).code ?? 'EIO';
    const key = `unreadable:${code}`;
    if (this.lastProblem === key) return; // the poll would repeat it every second
    this.lastProblem = key;
    this.problem(
      new FlagsError(
        'IMMO_FLAGS_FILE_UNREADABLE',
        `Flag file ${path} unreadable; the current configuration stays in force`,
        [`${path}: expected a readable file, received ${code}`],
      ),
      'warn',
    );
  }

  private loadFileSync(path: string): void {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      this.unreadable(path, err);
      return;
    }
    this.applyText(path, text);
  }

  async reload(): Promise<boolean> {
    const path = this.opts.file;
    if (path === false || this.opts.disabled) return false;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      this.unreadable(path, err);
      return false;
    }
    if (this.lastProblem.startsWith('unreadable:')) this.lastProblem = '';
    if (!this.applyText(path, text)) return false;
    this.recompile('file');
    return true;
  }

  // ------------------------------------------------------------------ kill switches

  private killSwitchStates(): Map<string, boolean> {
    const m = new Map<string, boolean>();
    for (const [key, flag] of this.state) {
      if (flag.declaration.type === 'kill-switch') m.set(key, flag.base.details.value === true);
    }
    return m;
  }

  private requireKillSwitch(key: string): FlagDeclaration {
    const d = (this.registry.flags as Record<string, FlagDeclaration | undefined>)[key];
    if (d === undefined || !Object.hasOwn(this.registry.flags, key) || d.type !== 'kill-switch') {
      throw new FlagsError('IMMO_FLAGS_INVALID_OPTIONS', 'Not a kill switch', [
        `key: expected the key of a declared kill switch, received "${String(key).slice(0, 40)}"`,
      ]);
    }
    return d;
  }

  private changeKillSwitch(key: string, next: boolean | null, actor: KillSwitchActor): KillSwitchChange {
    this.requireKillSwitch(key);
    const by = String(actor?.by ?? 'unknown').slice(0, 64);
    const previous = this.state.get(key)?.base.details.value === true;
    if (this.opts.disabled) {
      this.opts.logger.warn(
        { flag: key, by },
        '@immo/flags: kill switch not changed: flags are disabled (IMMO_FLAGS_DISABLED)',
      );
      return { key, killed: previous, previous, override: null, by, revision: this.rev };
    }
    const before = this.overrides.get(key);
    if (next === null) this.overrides.delete(key);
    else this.overrides.set(key, { value: next, source: 'admin', by, at: new Date() });
    this.recompile('admin');
    const killed = this.state.get(key)?.base.details.value === true;
    this.opts.logger.warn(
      {
        flag: key,
        by,
        reason: actor?.reason === undefined ? undefined : String(actor.reason).slice(0, 200),
        previous,
        killed,
        override: next,
        previousOverride: before === undefined ? null : before.value,
        revision: this.rev,
      },
      `@immo/flags: kill switch ${key} ${next === null ? 'override reset' : next ? 'turned on' : 'turned off'} by ${by}`,
    );
    return { key, killed, previous, override: next, by, revision: this.rev };
  }

  setKillSwitch(key: string, killed: boolean, actor: KillSwitchActor): KillSwitchChange {
    return this.changeKillSwitch(key, killed === true, actor);
  }

  resetKillSwitch(key: string, actor: KillSwitchActor): KillSwitchChange {
    return this.changeKillSwitch(key, null, actor);
  }

  private setTestOverride(key: string, value: JsonValue | undefined): void {
    if (value === undefined) this.overrides.delete(key);
    else this.overrides.set(key, { value, source: 'test', by: 'test', at: new Date() });
    this.recompile('test');
  }

  // ------------------------------------------------------------------ introspection

  on(event: 'change' | 'problem', listener: Listener<never>): () => void {
    const set = (event === 'change' ? this.changeListeners : this.problemListeners) as Set<Listener<never>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  staleFlags(): string[] {
    const now = this.opts.now();
    return this.registry.keys.filter((k) => isStale(this.registry.flags[k] as FlagDeclaration, now));
  }

  snapshot(): FlagsSnapshot {
    const now = this.opts.now();
    const flags: FlagState[] = [];
    for (const [key, flag] of this.state) {
      const d = flag.declaration;
      const o = this.overrides.get(key);
      const state: FlagState = {
        key,
        type: d.type,
        owner: d.owner,
        description: d.description,
        valueType: d.valueType,
        default: d.default,
        created: d.created,
        expires: d.expires ?? null,
        stale: isStale(d, now),
        source: flag.source,
        value: flag.base.details.value as JsonValue,
        reason: flag.base.details.reason,
        rules: flag.rules?.length ?? 0,
        killSwitch: d.killSwitch ?? null,
      };
      if (d.type === 'kill-switch') {
        state.override =
          o?.source === 'admin' ? { killed: o.value === true, by: o.by, at: o.at.toISOString() } : null;
      }
      flags.push(state);
    }
    const file = this.opts.file;
    return {
      revision: this.rev,
      disabled: this.opts.disabled,
      file:
        file === false
          ? null
          : { path: file, loadedAt: this.fileLoadedAt?.toISOString() ?? null, lastError: this.fileError },
      flags,
    };
  }

  close(): void {
    this.watch?.close();
    this.watch = undefined;
  }
}

/**
 * Creates the flags of a registry: typed synchronous evaluation, an OpenFeature provider, kill
 * switches, environment overrides and a watched flag file. Options are read explicit >
 * `IMMO_FLAGS_*` > default and validated whole (`IMMO_FLAGS_INVALID_OPTIONS`). Problems with the
 * file or the environment are logged and reported through `on('problem')`, never thrown.
 *
 * @example
 * ```ts
 * import { createFlags } from '@immo/flags';
 * import { flags } from './flags.js';
 *
 * const ff = createFlags(flags, { file: '/etc/flags/flags.yaml', environment: 'production' });
 * if (ff.boolean('payments-new-allocation', { orgId: 'org-7' })) allocateV2();
 * if (ff.isKilled('billing-run-kill-switch')) skipRun();
 * ```
 */
export function createFlags<R extends FlagRegistry>(registry: R, options: FlagsOptions = {}): Flags<R> {
  return new FlagsImpl(registry, options) as unknown as Flags<R>;
}

/** The internals of a {@link Flags} instance, or undefined for anything else. */
export function internalsOf(flags: unknown): FlagsInternals | undefined {
  return typeof flags === 'object' && flags !== null
    ? (flags as { [kInternals]?: FlagsInternals })[kInternals]
    : undefined;
}
