import { createFlags, type Flags, internalsOf } from './flags.js';
import type { FlagsLogger, FlagsOptions } from './options.js';
import type { FlagKey, FlagRegistry, FlagValue, JsonValue } from './registry.js';

/** Values to force, by key, typed by the registry. */
export type FlagOverrides<R extends FlagRegistry> = Partial<{ [K in FlagKey<R>]: FlagValue<R, K> }>;

/** A log line captured by {@link recordingLogger}. */
export interface LogRecord {
  level: 'info' | 'warn' | 'error';
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/**
 * A logger that keeps every line in memory, for assertions on what @immo/flags logged.
 *
 * @example
 * ```ts
 * const { logger, records } = recordingLogger();
 * const ff = createFlags(flags, { file, logger });
 * expect(records.some((r) => r.obj.code === 'IMMO_FLAGS_INVALID_FILE')).toBe(true);
 * ```
 */
export function recordingLogger(): { logger: FlagsLogger; records: LogRecord[] } {
  const records: LogRecord[] = [];
  const at = (level: LogRecord['level']) => (obj: object, msg?: string) => {
    records.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { logger: { info: at('info'), warn: at('warn'), error: at('error') }, records };
}

function internals(flags: Flags) {
  const i = internalsOf(flags);
  if (i === undefined)
    throw new TypeError('@immo/flags/testing: expected the result of createFlags() or createTestFlags()');
  return i;
}

/**
 * Flags for a unit test: no file, no environment, no metrics, no span events, a silent logger, and
 * the given values forced (reason `STATIC`, source `test`) above every other source.
 *
 * @example
 * ```ts
 * const ff = createTestFlags(flags, { 'payments-new-allocation': true });
 * expect(ff.boolean('payments-new-allocation')).toBe(true);
 * ```
 */
export function createTestFlags<R extends FlagRegistry>(
  registry: R,
  overrides: FlagOverrides<R> = {},
  options: FlagsOptions = {},
): Flags<R> {
  const flags = createFlags(registry, {
    file: false,
    env: {},
    metrics: false,
    tracing: false,
    logger: recordingLogger().logger,
    ...options,
  });
  for (const [key, value] of Object.entries(overrides)) setFlag(flags, key as FlagKey<R>, value as never);
  return flags;
}

/**
 * Forces one flag's value (above every other source) until {@link clearFlag}.
 *
 * @example
 * ```ts
 * setFlag(app.flags, 'billing-run-kill-switch', true);
 * ```
 */
export function setFlag<R extends FlagRegistry, K extends FlagKey<R>>(
  flags: Flags<R>,
  key: K,
  value: FlagValue<R, K>,
): void {
  internals(flags).setTestOverride(key, value as JsonValue);
}

/** Removes a value forced by {@link setFlag}. */
export function clearFlag<R extends FlagRegistry>(flags: Flags<R>, key: FlagKey<R>): void {
  internals(flags).setTestOverride(key, undefined);
}

/**
 * Runs `fn` with values forced, then removes them (also when `fn` throws or rejects).
 *
 * @example
 * ```ts
 * await withFlagOverrides(ff, { 'payments-new-allocation': true }, async () => {
 *   expect(await allocate()).toMatchObject({ algorithm: 'v2' });
 * });
 * ```
 */
export function withFlagOverrides<R extends FlagRegistry, T>(
  flags: Flags<R>,
  overrides: FlagOverrides<R>,
  fn: () => T,
): T {
  const keys = Object.keys(overrides) as FlagKey<R>[];
  for (const key of keys) setFlag(flags, key, overrides[key] as never);
  const restore = () => {
    for (const key of keys) clearFlag(flags, key);
  };
  let result: T;
  try {
    result = fn();
  } catch (err) {
    restore();
    throw err;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}

export { hashToken } from './admin.js';
