import { createRequire } from 'node:module';
import path from 'node:path';
import { createRedactor } from '@immo/redact';
import {
  type Attributes,
  type Context,
  context,
  createContextKey,
  propagation,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { TracingOptionsError } from './errors.js';
import { PooledIdGenerator, RatioSampler } from './ids.js';
import {
  envBoolean,
  type ResolvedTracingOptions,
  resolveTracingOptions,
  type TracingLogger,
  type TracingOptions,
} from './options.js';
import { ownRequire } from './own-require.js';
import { ExportPipeline, type TracingStats } from './processor.js';
import { resourceAttributes } from './resource.js';

/** The package's name and version, as the instrumentation scope of the spans it creates. */
export const TRACER_NAME = '@immo/tracing';

/**
 * The tracing set-up of the process, from {@link initTracing} or {@link getTracing}.
 *
 * @example
 * ```ts
 * const tracing = initTracing({ serviceName: 'billing-api' });
 * health.onShutdown('telemetry', () => tracing.flush(5000));
 * ```
 */
export interface Tracing {
  /** `false` when tracing was switched off (`enabled: false`, `OTEL_SDK_DISABLED=true`). */
  readonly enabled: boolean;
  /** The resolved options (functions and objects omitted). */
  readonly config: Readonly<{
    serviceName: string;
    serviceVersion: string;
    environment: string;
    otlpEndpoint: string | undefined;
    otlpProtocol: string;
    sampleRatio: number;
    instrumentUndici: boolean;
    instrumentPg: boolean;
    requestIdHeader: string | false;
  }>;
  /** The tracer spans of this package are made with. */
  readonly tracer: Tracer;
  /** Export pipeline counters. */
  stats(): TracingStats;
  /**
   * Sends the pipeline's few log lines (export failing, recovered) to this logger from now on, for
   * when tracing was set up by the register entry before the application's logger existed.
   */
  useLogger(logger: TracingLogger): void;
  /** Exports the queued spans (and Sentry events, when `./sentry` is set up) within `deadlineMs`. */
  flush(deadlineMs?: number): Promise<void>;
  /** Flushes, then removes the global tracer provider, context manager and propagator. */
  shutdown(deadlineMs?: number): Promise<void>;
}

interface Internals {
  tracing: Tracing;
  resolved: ResolvedTracingOptions;
  fingerprint: string;
}

// One instance per process even when two copies of the package are loaded: the OpenTelemetry globals
// it registers are per process too.
const kInstance = Symbol.for('@immo/tracing.instance');
const kFlushers = Symbol.for('@immo/tracing.flushers');
const g = globalThis as unknown as Record<symbol, unknown>;

/** @internal Flush functions of other telemetry (Sentry) that `flush()` runs under the same deadline. */
export function telemetryFlushers(): Set<(deadlineMs: number) => Promise<unknown>> {
  let set = g[kFlushers] as Set<(deadlineMs: number) => Promise<unknown>> | undefined;
  if (set === undefined) {
    set = new Set();
    g[kFlushers] = set;
  }
  return set;
}

/** @internal */
export function internals(): Internals | undefined {
  return g[kInstance] as Internals | undefined;
}

/**
 * The context key under which the Fastify plugin keeps the request's correlation id holder, for the
 * `x-request-id` header on outgoing calls, and @immo/logger's correlation store when both packages
 * are used (one AsyncLocalStorage instead of two). A holder (not the id) because the span context is entered
 * before Fastify has chosen the request id.
 * @internal
 */
export const kRequestIdHolder = createContextKey('@immo/tracing.request-id');
/** @internal */
export interface RequestIdHolder {
  /** The request's correlation id; @immo/logger's plugin fills it (and `logger`) when both are used. */
  requestId: string | undefined;
  logger?: unknown;
}

const stderrLogger: TracingLogger = {
  warn: (obj, msg) => process.stderr.write(`@immo/tracing warning: ${msg} ${JSON.stringify(obj)}\n`),
  info: (obj, msg) => process.stderr.write(`@immo/tracing: ${msg} ${JSON.stringify(obj)}\n`),
};

function fingerprint(r: ResolvedTracingOptions): string {
  const { logger, exporter, correlationId, ...plain } = r;
  return JSON.stringify(plain);
}

function sampler(ratio: number): Sampler {
  const root =
    ratio >= 1 ? new AlwaysOnSampler() : ratio <= 0 ? new AlwaysOffSampler() : new RatioSampler(ratio);
  return new ParentBasedSampler({ root });
}

function createExporter(r: ResolvedTracingOptions): SpanExporter | undefined {
  if (r.exporter !== undefined) return r.exporter;
  if (r.otlpEndpoint === undefined) return undefined;
  return lazyExporter(() => {
    const config = { url: r.otlpEndpoint, headers: r.otlpHeaders, timeoutMillis: r.exportTimeoutMs };
    if (r.otlpProtocol === 'http/json') {
      const { OTLPTraceExporter } = ownRequire(
        '@opentelemetry/exporter-trace-otlp-http',
      ) as typeof import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter(config);
    }
    const { OTLPTraceExporter } = ownRequire(
      '@opentelemetry/exporter-trace-otlp-proto',
    ) as typeof import('@opentelemetry/exporter-trace-otlp-proto');
    return new OTLPTraceExporter(config);
  });
}

/**
 * The OTLP exporter, loaded on the first export instead of at start-up: its modules (protobuf
 * serialisation, the HTTP transport) take about a tenth of a second to load, which the first
 * readiness probe should not wait for; the first export comes seconds later, off the request path.
 */
function lazyExporter(load: () => SpanExporter): SpanExporter {
  let real: SpanExporter | undefined;
  const get = () => {
    real ??= load();
    return real;
  };
  return {
    export: (spans, done) => get().export(spans, done),
    shutdown: () => (real === undefined ? Promise.resolve() : real.shutdown()),
    forceFlush: () => (real?.forceFlush === undefined ? Promise.resolve() : real.forceFlush()),
  };
}

function createInstrumentations(r: ResolvedTracingOptions): Instrumentation[] {
  const list: Instrumentation[] = [];
  if (r.instrumentUndici) {
    const { UndiciInstrumentation } = ownRequire(
      '@opentelemetry/instrumentation-undici',
    ) as typeof import('@opentelemetry/instrumentation-undici');
    const header = r.requestIdHeader;
    const fromOption = r.correlationId;
    list.push(
      new UndiciInstrumentation({
        // A call outside any request or flow gets no span of its own (it would be a one-span trace);
        // the request id header is still added.
        requireParentforSpans: true,
        requestHook: (_span, request) => {
          if (header === false) return;
          let id: string | undefined;
          try {
            id =
              fromOption?.() ??
              loggerCorrelationId() ??
              (context.active().getValue(kRequestIdHolder) as RequestIdHolder | undefined)?.requestId;
          } catch {
            id = undefined;
          }
          if (id === undefined) return;
          addHeader(request as unknown as UndiciRequestLike, header, id);
        },
      }),
    );
  }
  if (r.instrumentPg) {
    const { PgInstrumentation } = ownRequire(
      '@opentelemetry/instrumentation-pg',
    ) as typeof import('@opentelemetry/instrumentation-pg');
    list.push(
      new PgInstrumentation({
        // A query outside any request or flow (pool warm-up, a health check) is noise, not a trace.
        requireParentSpan: true,
        // A pool checkout per query doubles the span count and says little; its wait shows up in the
        // query span and in @immo/metrics' pool gauges.
        ignoreConnectSpans: true,
        enhancedDatabaseReporting: false,
        addSqlCommenterCommentToQueries: false,
      }),
    );
  }
  return list;
}

// @immo/logger keeps its correlation store on globalThis under this symbol (so that two copies of
// the logger share it). Reading it here, without importing the logger, gives jobs run inside
// `withCorrelation(id, …)` their id on outgoing calls too.
const kLoggerCorrelation = Symbol.for('@immo/logger.correlation');

function loggerCorrelationId(): string | undefined {
  const storage = (globalThis as Record<symbol, unknown>)[kLoggerCorrelation] as
    | { getStore(): { requestId?: unknown } | undefined }
    | undefined;
  const id = storage?.getStore()?.requestId;
  return typeof id === 'string' ? id : undefined;
}

interface UndiciRequestLike {
  headers: string | string[];
  addHeader?: (name: string, value: string) => unknown;
}

function addHeader(request: UndiciRequestLike, name: string, value: string): void {
  // undici's request carries its headers as a flat [name, value, …] array (or a raw string in old
  // versions); a caller-set id wins over ours.
  const h = request.headers;
  if (Array.isArray(h)) {
    for (let i = 0; i < h.length; i += 2) if (String(h[i]).toLowerCase() === name) return;
  } else if (typeof h === 'string' && h.toLowerCase().includes(`${name}:`)) {
    return;
  }
  if (typeof request.addHeader === 'function') request.addHeader(name, value);
  else if (Array.isArray(h)) h.push(name, value);
  else request.headers = `${h}${name}: ${value}\r\n`;
}

/**
 * Sets up OpenTelemetry tracing for the process, once: the SDK's tracer provider with parent-based
 * ratio sampling, W3C trace-context and baggage propagation, the AsyncLocalStorage context manager,
 * OTLP/HTTP export through a bounded, counted, PII-scrubbing pipeline, and the undici and pg
 * instrumentations. Call it before the application imports `pg` — best through
 * `node --import @immo/tracing/register` (ESM needs that for `pg` spans). A second call with the same
 * options returns the same instance; with different options it throws.
 *
 * @throws {TracingOptionsError} `IMMO_TRACING_INVALID_OPTIONS` listing every problem, or
 *   `IMMO_TRACING_ALREADY_INITIALIZED`.
 *
 * @example
 * ```ts
 * import { initTracing } from '@immo/tracing';
 * const tracing = initTracing({
 *   serviceName: 'billing-api',
 *   serviceVersion: '1.4.2',
 *   environment: 'production',
 *   otlpEndpoint: 'http://otel-collector.monitoring:4318',
 *   sampleRatio: 0.1,
 * });
 * ```
 */
export function initTracing(options: TracingOptions = {}): Tracing {
  const resolved = resolveTracingOptions(options);
  const existing = internals();
  if (existing !== undefined) {
    if (existing.fingerprint === fingerprint(resolved)) return existing.tracing;
    throw new TracingOptionsError(
      'IMMO_TRACING_ALREADY_INITIALIZED',
      '@immo/tracing is already initialised',
      [
        '(options): initTracing() was already called with different options in this process; call it once, early (or use getTracing())',
      ],
    );
  }
  // Indirect so that useLogger() can swap it after the register entry set tracing up.
  let current: TracingLogger = resolved.logger ?? stderrLogger;
  const logger: TracingLogger = {
    warn: (obj, msg) => current.warn(obj, msg),
    info: (obj, msg) => current.info(obj, msg),
  };
  const useLogger = (l: TracingLogger) => {
    current = l;
  };
  const config = {
    serviceName: resolved.serviceName,
    serviceVersion: resolved.serviceVersion,
    environment: resolved.environment,
    otlpEndpoint: resolved.otlpEndpoint,
    otlpProtocol: resolved.otlpProtocol,
    sampleRatio: resolved.sampleRatio,
    instrumentUndici: resolved.instrumentUndici,
    instrumentPg: resolved.instrumentPg,
    requestIdHeader: resolved.requestIdHeader,
  };
  if (!resolved.enabled) {
    const tracing: Tracing = {
      enabled: false,
      config,
      tracer: trace.getTracer(TRACER_NAME),
      useLogger,
      stats: () => ({
        ended: 0,
        exported: 0,
        droppedQueueFull: 0,
        droppedExportFailed: 0,
        exportFailures: 0,
        queued: 0,
      }),
      flush: (deadlineMs = 5000) => flushOthers(deadlineMs),
      shutdown: async () => {
        g[kInstance] = undefined;
      },
    };
    g[kInstance] = {
      tracing,
      resolved,
      fingerprint: fingerprint(resolved),
    } satisfies Internals;
    return tracing;
  }
  const redactor = resolved.redact === false ? undefined : createRedactor(resolved.redact);
  const exporter = createExporter(resolved);
  const pipeline =
    exporter === undefined
      ? undefined
      : new ExportPipeline({
          exporter,
          redactor,
          maxQueueSize: resolved.maxQueueSize,
          maxExportBatchSize: resolved.maxExportBatchSize,
          scheduledDelayMs: resolved.scheduledDelayMs,
          exportTimeoutMs: resolved.exportTimeoutMs,
          logger,
          endpoint: resolved.otlpEndpoint ?? 'custom exporter',
        });
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes(resourceAttributes(resolved)),
    sampler: sampler(resolved.sampleRatio),
    idGenerator: new PooledIdGenerator(),
    spanProcessors: pipeline === undefined ? [] : [pipeline],
    spanLimits: { attributeValueLengthLimit: 4096, attributeCountLimit: 128, eventCountLimit: 128 },
  });
  provider.register({
    propagator: new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  });
  if (resolved.instrumentPg || resolved.instrumentUndici) preloadSentry(process.env);
  const instrumentations = createInstrumentations(resolved);
  const unregister = registerInstrumentations({ tracerProvider: provider, instrumentations });
  warnIfLoadedEarly(resolved, logger);

  const tracing: Tracing = {
    enabled: true,
    config,
    tracer: provider.getTracer(TRACER_NAME),
    useLogger,
    stats: () =>
      pipeline?.stats() ?? {
        ended: 0,
        exported: 0,
        droppedQueueFull: 0,
        droppedExportFailed: 0,
        exportFailures: 0,
        queued: 0,
      },
    flush: (deadlineMs = 5000) =>
      withDeadline(
        Promise.allSettled([pipeline?.forceFlush(deadlineMs), flushOthers(deadlineMs)]),
        deadlineMs,
      ),
    shutdown: async (deadlineMs = 5000) => {
      await withDeadline(
        Promise.allSettled([pipeline?.shutdown(deadlineMs), flushOthers(deadlineMs)]),
        deadlineMs,
      );
      unregister();
      await provider.shutdown().catch(() => undefined);
      trace.disable();
      context.disable();
      propagation.disable();
      g[kInstance] = undefined;
    },
  };
  g[kInstance] = {
    tracing,
    resolved,
    fingerprint: fingerprint(resolved),
  } satisfies Internals;
  return tracing;
}

/**
 * With a Sentry DSN configured and `IMMO_SENTRY_LOAD=eager`, `initSentry()` is going to load
 * `@sentry/node` (about 600 modules) right after this. The instrumentations' require hook inspects
 * every module loaded after it is in place, which made that load about 60 ms (a quarter) slower on the
 * benchmark machine; loading the package first only fills the module cache (nothing is initialised,
 * no hook is bypassed: Sentry's modules are not ones we instrument). Failure is left to `initSentry()`, which reports it.
 */
function preloadSentry(env: NodeJS.ProcessEnv): void {
  if (!env.SENTRY_DSN || envBoolean(env.IMMO_SENTRY_ENABLED ?? '') === false) return;
  // Lazy loading (the default) defers the package to the first event. Only the variable is known
  // here: with `load: 'eager'` passed to initSentry() instead, initSentry() loads it itself (slower
  // by the hook's share, no difference in behaviour).
  if (env.IMMO_SENTRY_LOAD !== 'eager') return;
  try {
    ownRequire('@sentry/node');
  } catch {
    // Not installed: initSentry() says so with its coded error.
  }
}

async function flushOthers(deadlineMs: number): Promise<void> {
  const others = [...telemetryFlushers()].map((f) => f(deadlineMs).catch(() => undefined));
  await withDeadline(Promise.all(others), deadlineMs);
}

async function withDeadline(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([
    p,
    new Promise<void>((resolve) => {
      t = setTimeout(resolve, ms);
      t.unref();
    }),
  ]);
  clearTimeout(t);
}

/**
 * The process's tracing, or `undefined` before {@link initTracing} (or the register entry) ran.
 *
 * @example
 * ```ts
 * getTracing()?.stats().droppedQueueFull;
 * ```
 */
export function getTracing(): Tracing | undefined {
  return internals()?.tracing;
}

/**
 * Exports queued spans and Sentry events under one deadline. Safe to call when tracing is not set up.
 * Register it with @immo/health's shutdown (the Fastify plugin does that itself when both are used).
 *
 * @example
 * ```ts
 * health.onShutdown('telemetry', () => flushTelemetry(5000));
 * ```
 */
export function flushTelemetry(deadlineMs = 5000): Promise<void> {
  const t = getTracing();
  return t === undefined ? flushOthers(deadlineMs) : t.flush(deadlineMs);
}

const PG_ENTRY = path.join('node_modules', 'pg', 'lib', 'index.js');

/** True when `pg` is in the module cache and its `Client.prototype.query` lacks the instrumentation's wrapper. */
function pgLoadedUninstrumented(): boolean {
  const cache = createRequire(`${process.cwd()}/`).cache;
  for (const key of Object.keys(cache)) {
    if (key.endsWith(`${path.sep}${PG_ENTRY}`)) return !isPgPatched(cache[key]?.exports);
  }
  return false;
}

function warnIfLoadedEarly(r: ResolvedTracingOptions, logger: TracingLogger): void {
  if (r.instrumentPg && pgLoadedUninstrumented()) {
    logger.warn(
      { module: 'pg' },
      'pg was loaded before initTracing(): its queries are not traced. Start the service with `node --import @immo/tracing/register` (or call initTracing() before anything imports pg)',
    );
  }
}

/** @internal True when pg's Client.prototype.query carries the instrumentation's wrapper. */
export function isPgPatched(pgExports: unknown): boolean {
  const Client = (pgExports as { Client?: { prototype?: { query?: { __wrapped?: boolean } } } } | undefined)
    ?.Client;
  return Client?.prototype?.query?.__wrapped === true;
}

/**
 * @internal Whether `pg` is loaded but not instrumented (an ESM application that set tracing up
 * without the register entry), checked when the Fastify plugin becomes ready.
 */
export function pgLoadedButNotTraced(): boolean {
  const i = internals();
  return i?.tracing.enabled === true && i.resolved.instrumentPg && pgLoadedUninstrumented();
}

/**
 * The trace id of the active span, or `undefined` outside one: for audit records and support tickets.
 *
 * @example
 * ```ts
 * await db.query('insert into audit_log (action, trace_id) values ($1, $2)', ['payment.allocated', currentTraceId()]);
 * ```
 */
export function currentTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const { traceId } = span.spanContext();
  return traceId === '00000000000000000000000000000000' ? undefined : traceId;
}

function tracer(): Tracer {
  return internals()?.tracing.tracer ?? trace.getTracer(TRACER_NAME);
}

/** @internal Records an error on a span the way every part of this package does. */
export function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setAttribute('error.type', errorTypeName(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.recordException({ name: 'NonError', message: String(error) });
    span.setAttribute('error.type', '_OTHER');
    span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
  }
}

/**
 * The `error.type` of an error, as @immo/metrics labels it: the constructor's name when it is a plain
 * identifier, else `_OTHER`.
 */
export function errorTypeName(error: unknown): string {
  if (!(error instanceof Error)) return '_OTHER';
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  const name = ctor?.name && ctor.name !== 'Object' ? ctor.name : error.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,60}$/.test(name) ? name : '_OTHER';
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

function isIterator(v: unknown): v is Iterator<unknown> & Iterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Iterator<unknown>).next === 'function' &&
    typeof (v as Iterable<unknown>)[Symbol.iterator] === 'function'
  );
}

function isAsyncIterator(v: unknown): v is AsyncIterator<unknown> & AsyncIterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as AsyncIterator<unknown>).next === 'function' &&
    typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * Ends a generator's span exactly once: on the step that reports `done`, or on the first failure
 * (recorded, then rethrown). Steps after that pass straight through.
 */
function iterationSpan(span: Span) {
  let ended = false;
  return {
    get ended() {
      return ended;
    },
    step<R extends IteratorResult<unknown>>(r: R): R {
      if (r.done && !ended) {
        ended = true;
        span.end();
      }
      return r;
    },
    fail(error: unknown): never {
      if (!ended) {
        ended = true;
        recordError(span, error);
        span.end();
      }
      throw error;
    },
  };
}

function wrapIterator<T>(it: Iterator<T> & Iterable<T>, span: Span, ctx: Context): Iterator<T> & Iterable<T> {
  const s = iterationSpan(span);
  const step = (fn: () => IteratorResult<T>): IteratorResult<T> => {
    if (s.ended) return fn();
    try {
      return s.step(context.with(ctx, fn));
    } catch (error) {
      return s.fail(error);
    }
  };
  const wrapped = {
    next: (v?: unknown) => step(() => it.next(v as never)),
    return: (v?: unknown) =>
      step(() => (it.return ? it.return(v as never) : { done: true as const, value: v as T })),
    throw: (e?: unknown) =>
      step(() => {
        if (it.throw) return it.throw(e);
        throw e;
      }),
    [Symbol.iterator]() {
      return wrapped;
    },
  };
  return wrapped as Iterator<T> & Iterable<T>;
}

function wrapAsyncIterator<T>(
  it: AsyncIterator<T> & AsyncIterable<T>,
  span: Span,
  ctx: Context,
): AsyncIterator<T> & AsyncIterable<T> {
  const s = iterationSpan(span);
  const step = async (fn: () => Promise<IteratorResult<T>>): Promise<IteratorResult<T>> => {
    if (s.ended) return fn();
    try {
      return s.step(await context.with(ctx, fn));
    } catch (error) {
      return s.fail(error);
    }
  };
  const wrapped = {
    next: (v?: unknown) => step(() => it.next(v as never)),
    return: (v?: unknown) =>
      step(() =>
        it.return ? it.return(v as never) : Promise.resolve({ done: true as const, value: v as T }),
      ),
    throw: (e?: unknown) => step(() => (it.throw ? it.throw(e) : Promise.reject(e))),
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped as AsyncIterator<T> & AsyncIterable<T>;
}

/**
 * Runs `fn` inside a new span (a child of the active one): for business flows such as a billing run,
 * a payment allocation or a settlement. The span ends when `fn` returns, its promise settles, or — for
 * a generator — the iteration finishes; a throw or rejection is recorded as an exception, sets the
 * span's status to error, and is rethrown unchanged. Attributes are scrubbed before export like every
 * other span's.
 *
 * @example
 * ```ts
 * const invoices = await withSpan('billing.run', { 'org.id': orgId }, async (span) => {
 *   const units = await loadUnits(orgId);
 *   span.setAttribute('billing.units', units.length);
 *   return createInvoices(units);
 * });
 * ```
 */
export function withSpan<T>(name: string, fn: (span: Span) => T): T;
export function withSpan<T>(name: string, attributes: Attributes, fn: (span: Span) => T): T;
export function withSpan<T>(
  name: string,
  attributesOrFn: Attributes | ((span: Span) => T),
  maybeFn?: (span: Span) => T,
): T {
  const fn = (typeof attributesOrFn === 'function' ? attributesOrFn : maybeFn) as (span: Span) => T;
  const attributes = typeof attributesOrFn === 'function' ? undefined : attributesOrFn;
  if (typeof fn !== 'function')
    throw new TypeError('withSpan(name, [attributes,] fn): fn must be a function');
  const span = tracer().startSpan(name, attributes === undefined ? undefined : { attributes });
  const ctx = trace.setSpan(context.active(), span);
  let result: T;
  try {
    result = context.with(ctx, fn, undefined, span);
  } catch (error) {
    recordError(span, error);
    span.end();
    throw error;
  }
  if (isPromiseLike(result)) {
    return Promise.resolve(result).then(
      (value) => {
        span.end();
        return value;
      },
      (error: unknown) => {
        recordError(span, error);
        span.end();
        throw error;
      },
    ) as T;
  }
  if (isAsyncIterator(result)) return wrapAsyncIterator(result, span, ctx) as T;
  if (isIterator(result) && !Array.isArray(result) && typeof result !== 'string') {
    return wrapIterator(result, span, ctx) as T;
  }
  span.end();
  return result;
}
