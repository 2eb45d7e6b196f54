import { mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { CENSOR, createRedactor, RedactOptionsError, type Redactor } from '@immo/redact';
import { register as onExit } from 'on-exit-leak-free';
import pino, { type DestinationStream, type Logger } from 'pino';
import { currentCorrelation } from './context.js';
import { LoggerOptionsError } from './errors.js';
import type { Level } from './levels.js';
import { type LoggerOptions, type ResolvedLoggerOptions, resolveLoggerOptions } from './options.js';
import { isoTime } from './time.js';
import { activeTraceFields } from './trace.js';

/** A logger made by {@link createLogger}: a pino `Logger` with the @immo conventions applied. */
export type ImmoLogger = Logger;

/**
 * Set (to `true`) on a logged object whose values the caller has already redacted, so the
 * formatter skips its walk. Used by the Fastify plugin's access line, whose only free-text field
 * is the path. Symbol keys are never written by pino.
 */
export const kPreRedacted = Symbol.for('@immo/logger.preRedacted');

/** Set on loggers whose bindings already hold `request_id` (the Fastify request loggers). */
export const kRequestBound = Symbol.for('@immo/logger.requestBound');
const kState = Symbol.for('@immo/logger.state');

interface LoggerState {
  readonly options: ResolvedLoggerOptions;
  readonly redactor: Redactor | undefined;
  /** pino's own `child`, without the bindings redaction wrapper (for callers that redacted them). */
  readonly rawChild: Logger['child'];
}

// Serializer maps whose functions are already wrapped. pino gives every child created with an
// options object an own reference to its parent's map, so without this each request's logger
// would walk and re-check the same map.
const wrappedMaps = new WeakSet<object>();

type Tagged = Logger & { [kRequestBound]?: true; [kState]?: LoggerState };

const EMPTY: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
const { serializersSym } = pino.symbols;
const kWrapped = Symbol.for('@immo/logger.wrappedSerializer');

// pino runs `formatters.log` BEFORE serializers, so redacting there would walk raw objects that a
// serializer is about to replace (a Fastify request, a socket). The mixin runs synchronously just
// before the formatter and is the one hook that is handed the writing logger; it notes it here so
// the formatter can leave serialized keys alone (their serializers are wrapped to redact output).
let writingLogger: Logger | undefined;

function correlationMixin(_obj: object, _level: number, logger: Logger): Record<string, unknown> {
  writingLogger = logger;
  if ((logger as Tagged)[kRequestBound] === true) return EMPTY;
  const store = currentCorrelation();
  return store === undefined ? EMPTY : { request_id: store.requestId };
}

function traceMixin(obj: object, level: number, logger: Logger): Record<string, unknown> {
  const fields = activeTraceFields();
  const base = correlationMixin(obj, level, logger);
  if (fields === undefined) return base;
  // Literals with one fixed shape each: an object made by spread (or Object.assign'ed into) gets a
  // cloned map that turns slow once mergeMixin adds the line's keys — 6 µs a line instead of 0.2.
  return base === EMPTY
    ? { trace_id: fields.trace_id, span_id: fields.span_id, trace_flags: fields.trace_flags }
    : {
        request_id: base.request_id,
        trace_id: fields.trace_id,
        span_id: fields.span_id,
        trace_flags: fields.trace_flags,
      };
}

// pino's default strategy is Object.assign(mixin, merge): the returned mixin object is written
// to, so the shared EMPTY sentinel must short-circuit instead (no allocation on the common path).
// The line's own keys are copied one by one (own enumerable string keys, as Object.assign would;
// of its symbols only the pre-redacted marker means anything to the formatter).
function mergeMixin(merge: object, mixin: object): object {
  if (mixin === EMPTY) return merge;
  const target = mixin as Record<string | symbol, unknown>;
  const source = merge as Record<string | symbol, unknown>;
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    target[k] = source[k];
  }
  if (source[kPreRedacted] === true) target[kPreRedacted] = true;
  return target;
}

function reason(err: unknown): string {
  try {
    return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  } catch {
    return 'unknown';
  }
}

/**
 * Creates the service logger: pino writing JSON lines with `service`, `version`, `env`, an ISO
 * `time` and a string `level`; `request_id` inside a request or `withCorrelation`; `trace_id`,
 * `span_id`, `trace_flags` when an OpenTelemetry span is active; PII redacted from bindings,
 * objects and messages by `@immo/redact`. Options: explicit > `IMMO_LOGGER_*` env > default.
 *
 * @throws {LoggerOptionsError} `IMMO_LOGGER_INVALID_OPTIONS`, listing every problem.
 * @example
 * ```ts
 * import { createLogger } from '@immo/logger';
 *
 * const logger = createLogger({ service: 'billing-api', version: '1.4.2' });
 * logger.info({ invoice_id: 'INV-1', amount: 120.5 }, 'invoice sent');
 * const billing = logger.child({ module: 'billing' });
 * billing.debug('not written at the default level');
 * ```
 */
export function createLogger(options: LoggerOptions = {}): ImmoLogger {
  const o = resolveLoggerOptions(options);
  let redactor: Redactor | undefined;
  if (o.redact !== false) {
    try {
      redactor = createRedactor(o.redact);
    } catch (err) {
      if (err instanceof RedactOptionsError) {
        throw new LoggerOptionsError(
          'IMMO_LOGGER_INVALID_OPTIONS',
          'Invalid @immo/logger options',
          err.issues.map((i: string) => `redact.${i}`),
          err,
        );
      }
      throw err;
    }
  }
  const destination = resolveDestination(o);

  const serializers: Record<string, (value: unknown) => unknown> = {
    err: (value) => (value instanceof Error ? pino.stdSerializers.err(value) : value),
    ...o.serializers,
  };
  for (const key of Object.keys(serializers)) {
    serializers[key] = wrapSerializer(serializers[key]!, redactor);
  }

  const logger = pino(
    {
      level: o.level,
      enabled: o.enabled,
      messageKey: 'msg',
      timestamp: isoTime,
      base: { service: o.service, version: o.version, env: o.env, ...o.base },
      serializers,
      mixin: o.traceCorrelation ? traceMixin : correlationMixin,
      mixinMergeStrategy: mergeMixin,
      formatters: {
        level: (label) => ({ level: label }),
        ...(redactor
          ? {
              bindings: (b: Record<string, unknown>) => redactor.redact(b),
              log: (obj: Record<string, unknown>) => redactLogObject(obj, redactor),
            }
          : {}),
      },
      hooks: { logMethod: redactor ? redactingLogMethod(redactor) : guardedLogMethod },
      // Children given serializers of their own (Fastify adds req/res/err this way) get them
      // wrapped too, so their output is redacted and a throwing one cannot throw into the caller.
      onChild: (child: Logger) => {
        if (Object.hasOwn(child, serializersSym)) {
          const own = (child as unknown as Record<symbol, Record<string, (v: unknown) => unknown>>)[
            serializersSym
          ]!;
          if (wrappedMaps.has(own)) return;
          for (const key of Object.keys(own)) own[key] = wrapSerializer(own[key]!, redactor);
          wrappedMaps.add(own);
        }
      },
    },
    destination,
  ) as Tagged;
  wrappedMaps.add((logger as unknown as Record<symbol, object>)[serializersSym]!);
  const state: LoggerState = { options: o, redactor, rawChild: logger.child };
  logger[kState] = state;
  if (redactor) {
    // pino applies `formatters.bindings` to the root's base only; children's bindings are
    // serialised once, at child creation, so they are redacted here (children inherit `child`).
    const child = logger.child;
    logger.child = function redactedChild(this: Logger, bindings, childOptions) {
      return child.call(this, redactor.redact(bindings), childOptions);
    } as typeof logger.child;
  }
  if (o.flushOnExit && o.enabled) installExitFlush(logger, destination);
  return logger;
}

type Serializer = ((value: unknown) => unknown) & { [kWrapped]?: true };

function wrapSerializer(fn: Serializer, redactor: Redactor | undefined): Serializer {
  if (fn[kWrapped]) return fn;
  const wrapped: Serializer = (value) => {
    try {
      const out = fn(value);
      return redactor ? redactor.redact(out) : out;
    } catch (err) {
      return `[Unserializable: ${reason(err)}]`;
    }
  };
  wrapped[kWrapped] = true;
  return wrapped;
}

function redactLogObject(obj: Record<string | symbol, unknown>, redactor: Redactor): Record<string, unknown> {
  if (obj[kPreRedacted] === true) return obj;
  const serializers = (writingLogger as unknown as Record<symbol, Record<string, unknown>> | undefined)?.[
    serializersSym
  ];
  let serialized = false;
  if (serializers !== undefined) {
    for (const key in obj) {
      if (serializers[key] !== undefined && Object.hasOwn(obj, key)) {
        serialized = true;
        break;
      }
    }
  }
  // The common line has no serialized key: one walk of the whole object.
  if (!serialized) return redactor.redact(obj);
  let copy: Record<string, unknown> | undefined;
  for (const key in obj) {
    if (!Object.hasOwn(obj, key)) continue;
    if (serializers !== undefined && serializers[key] !== undefined) continue;
    const value = obj[key];
    // Same rule as @immo/redact inside objects: a sensitive key's null/undefined stays as it is.
    const out = redactor.isSensitiveKey(key) && value != null ? CENSOR : redactor.redact(value);
    if (out !== value) {
      copy ??= { ...obj };
      copy[key] = out;
    }
  }
  return copy ?? obj;
}

type LogFn = (...args: unknown[]) => void;

function logFailure(logger: Logger, method: LogFn, err: unknown): void {
  try {
    method.call(logger, { log_error: reason(err) }, 'a log call failed; its arguments were dropped');
  } catch {
    // Nothing sensible is left to do: logging must never throw into the caller.
  }
}

function guardedLogMethod(this: Logger, args: unknown[], method: LogFn): void {
  try {
    method.apply(this, args);
  } catch (err) {
    logFailure(this, method, err);
  }
}

function redactingLogMethod(redactor: Redactor) {
  return function logMethod(this: Logger, args: unknown[], method: LogFn): void {
    try {
      const first = args[0];
      if (typeof first === 'string') {
        args[0] = redactor.redactString(first);
      } else if (first !== null && typeof first === 'object' && typeof args[1] !== 'string') {
        // pino takes the message from the error when none is given; that text bypasses the
        // object formatter, so it is redacted here.
        const err = first instanceof Error ? first : (first as { err?: unknown }).err;
        if (err instanceof Error && typeof err.message === 'string') {
          args.splice(1, 0, redactor.redactString(err.message));
        }
      }
      for (let i = 1; i < args.length; i++) {
        const a = args[i];
        if (typeof a === 'string') args[i] = redactor.redactString(a);
        else if (a !== null && typeof a === 'object') args[i] = redactor.redact(a);
      }
      method.apply(this, args);
    } catch (err) {
      logFailure(this, method, err);
    }
  };
}

function resolveDestination(o: ResolvedLoggerOptions): DestinationStream {
  const d = o.destination;
  if (typeof d === 'object') return d;
  if (typeof d === 'number') return pino.destination({ dest: d, sync: o.sync });
  // sonic-boom opens a path asynchronously; a process that exits (or crashes) before the open
  // completes would lose every line. Opening the file here, synchronously, closes that window.
  mkdirSync(dirname(d), { recursive: true });
  return pino.destination({ dest: openSync(d, 'a'), sync: o.sync });
}

type Flushable = DestinationStream & { flushSync?: () => void; flush?: (cb?: (err?: Error) => void) => void };

function streamOf(logger: Logger): Flushable {
  return (logger as unknown as Record<symbol, Flushable>)[pino.symbols.streamSym]!;
}

function flushSyncQuietly(dest: Flushable): void {
  try {
    dest.flushSync?.();
  } catch {
    // sonic-boom throws when nothing is open yet or the fd is gone; nothing is left to flush.
  }
}

// One uncaught-exception monitor per process (Symbol.for, so two copies of this package share
// it). It observes without changing Node's behaviour: the process still prints and exits.
const kCrash = Symbol.for('@immo/logger.crashMonitor');
type CrashRegistry = { loggers: Set<WeakRef<Logger>> };
const g = globalThis as unknown as Record<symbol, CrashRegistry | undefined>;

function crashRegistry(): CrashRegistry {
  let reg = g[kCrash];
  if (reg === undefined) {
    const created: CrashRegistry = { loggers: new Set() };
    reg = created;
    g[kCrash] = created;
    process.on('uncaughtExceptionMonitor', (err, origin) => {
      let logged = false;
      for (const ref of created.loggers) {
        const logger = ref.deref();
        if (logger === undefined) {
          created.loggers.delete(ref);
          continue;
        }
        if (!logged) {
          // Only the first live logger writes the fatal line, so a process with several loggers
          // on one stdout does not print it several times.
          logger.fatal(
            { err, origin },
            origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception',
          );
          logged = true;
        }
        flushSyncQuietly(streamOf(logger));
      }
    });
  }
  return reg;
}

const cleanup = new FinalizationRegistry<{ set: Set<WeakRef<Logger>>; ref: WeakRef<Logger> }>(
  ({ set, ref }) => set.delete(ref),
);

function installExitFlush(logger: Logger, destination: DestinationStream): void {
  // on-exit-leak-free holds the destination weakly, so short-lived loggers are still collected.
  onExit(destination as object, (dest: object) => flushSyncQuietly(dest as Flushable));
  const reg = crashRegistry();
  const ref = new WeakRef(logger);
  reg.loggers.add(ref);
  cleanup.register(logger, { set: reg.loggers, ref });
}

/**
 * Writes out every line the logger holds in memory (its asynchronous destination's buffer).
 * Never rejects; resolves after at most `timeoutMs`. The health package's shutdown calls it.
 *
 * @example
 * ```ts
 * process.once('SIGTERM', async () => { await app.close(); await flush(logger); process.exit(0); });
 * ```
 */
export function flush(logger: Logger, timeoutMs = 5_000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    try {
      const dest = streamOf(logger) as Flushable & {
        _writing?: boolean;
        once?: (event: string, fn: () => void) => void;
      };
      // sonic-boom's flush(cb) calls back at once when minLength is 0 (pino's default), even
      // with an asynchronous write still in flight; its 'drain' event is what marks the buffer
      // as written out.
      if (dest._writing === true && typeof dest.once === 'function') dest.once('drain', done);
      else if (typeof dest.flush === 'function') dest.flush(() => done());
      else done();
    } catch {
      done();
    }
  });
}

/**
 * Changes the level of a logger at runtime, without a restart. Children that never had a level
 * of their own follow their parent; a child given its own level (`setLevel(child, ...)` or
 * `logger.child({}, { level })`) keeps it.
 *
 * @example
 * ```ts
 * setLevel(logger, 'debug');            // the whole service, during an incident
 * setLevel(billingLogger, 'trace');     // one module only
 * ```
 */
export function setLevel(logger: Logger, level: Level): void {
  logger.level = level;
}

/** The resolved options a logger was created with (for plugins and tests). */
export function loggerState(logger: Logger): LoggerState | undefined {
  return (logger as Tagged)[kState];
}
