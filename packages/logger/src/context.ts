import { AsyncLocalStorage } from 'node:async_hooks';
import { context } from '@opentelemetry/api';
import type { Logger } from 'pino';
import type { RequestBuffer } from './buffer.js';

/** What the logger knows about the unit of work (request or job) the current code runs in. */
export interface CorrelationStore {
  /** The correlation id written as `request_id`. */
  readonly requestId: string;
  /** The request's logger, when inside a Fastify request handled by the plugin. */
  logger?: Logger;
  /** Held debug lines, when per-request buffering is on. */
  buffer?: RequestBuffer;
}

// One storage per process even when two copies of this package are loaded (Symbol.for), so a
// request id entered by one copy is seen by loggers created by the other.
const KEY = Symbol.for('@immo/logger.correlation');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<CorrelationStore> | undefined>;
export const correlationStorage: AsyncLocalStorage<CorrelationStore> =
  g[KEY] ?? new AsyncLocalStorage<CorrelationStore>();
g[KEY] = correlationStorage;

// @immo/tracing enters an OpenTelemetry context for every request before Fastify routes it and puts
// a mutable holder in it under this key (createContextKey is Symbol.for). When it is there the
// plugin fills the holder instead of running a second AsyncLocalStorage: on Node 20 every promise
// and resource of the request would otherwise carry two stores (about 25k instructions a request).
const kTracingHolder = Symbol.for('@immo/tracing.request-id');

/** @internal The holder @immo/tracing put in the active OpenTelemetry context, if any. */
export function tracingHolder(): CorrelationHolder | undefined {
  return context.active().getValue(kTracingHolder) as CorrelationHolder | undefined;
}

/** @internal The shape @immo/tracing's holder and this package agree on. */
export interface CorrelationHolder {
  requestId: string | undefined;
  logger?: Logger;
}

/** @internal The correlation of the current unit of work: our own store, else the tracing holder's. */
export function currentCorrelation(): CorrelationStore | undefined {
  const store = correlationStorage.getStore();
  if (store !== undefined) return store;
  const holder = tracingHolder();
  return holder?.requestId === undefined ? undefined : (holder as CorrelationStore);
}

/**
 * Runs `fn` with `id` as the correlation id: every line logged inside it, by any logger created
 * with `createLogger`, carries `request_id: id`. For work outside a request: jobs, queue
 * consumers, cron tasks.
 *
 * @example
 * ```ts
 * queue.on('message', (m) => withCorrelation(m.id, () => handle(m)));
 * await withCorrelation(`billing-run-${runId}`, async () => { logger.info('started'); });
 * ```
 */
export function withCorrelation<T>(id: string, fn: () => T): T {
  return correlationStorage.run({ requestId: id }, fn);
}

/**
 * The correlation id of the current request or job, or `undefined` outside one.
 *
 * @example
 * ```ts
 * await audit.insert({ action: 'payment.allocated', request_id: currentRequestId() });
 * ```
 */
export function currentRequestId(): string | undefined {
  return currentCorrelation()?.requestId;
}
