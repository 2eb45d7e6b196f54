import type { IncomingMessage, Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { routeTemplate } from '@immo/fastify-route';
import { redactString } from '@immo/redact';
import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
} from '@opentelemetry/api';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { captureServerError } from './capture.js';
import { formatIssues, TracingOptionsError } from './errors.js';
import { requestContext } from './request-context.js';
import {
  errorTypeName,
  getTracing,
  pgLoadedButNotTraced,
  type RequestIdHolder,
  recordError,
  telemetryFlushers,
} from './tracing.js';

/** Options of the {@link immoTracing} Fastify plugin. */
export interface TracingPluginOptions {
  /**
   * Paths that get no span (probes and metrics: they would drown the traces). Matched against the
   * path without the query string.
   * @default ['/health', '/health/live', '/health/ready', '/health/startup', '/livez', '/readyz', '/metrics']
   */
  ignorePaths?: readonly string[];
  /**
   * Install the error handler that answers with a safe body: for 5xx a generic message and the
   * request id, never the stack or the internal message; for 4xx the (redacted) message.
   * @default true
   */
  errorHandler?: boolean;
  /**
   * Register a `telemetry` shutdown hook (flush spans and Sentry events) with @immo/health's plugin
   * when it is registered before this one.
   * @default true
   */
  flushOnShutdown?: boolean;
  /** Deadline of that flush. @default 5000 */
  flushTimeoutMs?: number;
}

const DEFAULT_IGNORED = [
  '/health',
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/livez',
  '/readyz',
  '/metrics',
];

const optionsSchema = z
  .object({
    ignorePaths: z.array(z.string().startsWith('/', 'a path starting with /')).optional(),
    errorHandler: z.boolean().optional(),
    flushOnShutdown: z.boolean().optional(),
    flushTimeoutMs: z.number().int().min(1).max(600_000).optional(),
  })
  .strict();

// The state of one request, kept on the raw request so the server-level entry and the hooks (and
// `inject()`, which skips the server) share it.
const kState = Symbol('immo.tracing.state');
interface SpanState {
  span: Span;
  ctx: Context;
  holder: RequestIdHolder;
  error: Error | undefined;
}
type Raw = IncomingMessage & { [kState]?: SpanState | null };

const headerGetter: TextMapGetter<IncomingMessage['headers']> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key],
};

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const KNOWN_METHODS = new Set([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'OPTIONS',
  'CONNECT',
  'TRACE',
  'QUERY',
]);

function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The Fastify plugin: a server span per request (`GET /api/orgs/:id`, semantic-convention attributes,
 * the route template, never the raw URL in the name), entered before Fastify routes the request so
 * that the logger's request id, the metrics' exemplars, pg and fetch spans and every log line see it;
 * no span for probe and metrics paths; 5xx and thrown errors recorded on the span and sent to Sentry
 * (when `./sentry` is set up), 4xx not; a safe error handler; and the telemetry flush registered with
 * @immo/health's shutdown. Does nothing (beyond the error handler) when tracing is not initialised.
 *
 * @example
 * ```ts
 * import { immoTracing } from '@immo/tracing/fastify';
 * await app.register(immoTracing); // after @immo/health's plugin, before the routes
 * ```
 */
const plugin: FastifyPluginCallback<TracingPluginOptions> = (fastify, options, done) => {
  const parsed = optionsSchema.safeParse(options ?? {});
  if (!parsed.success) {
    done(
      new TracingOptionsError(
        'IMMO_TRACING_INVALID_PLUGIN_OPTIONS',
        'Invalid @immo/tracing Fastify plugin options',
        formatIssues(parsed.error, options),
      ),
    );
    return;
  }
  const o = parsed.data;
  const ignored = new Set(o.ignorePaths ?? DEFAULT_IGNORED);
  const tracing = getTracing();
  const active = tracing?.enabled === true;

  if (o.errorHandler !== false) fastify.setErrorHandler(safeErrorHandler);

  if (o.flushOnShutdown !== false && fastify.hasDecorator('health')) {
    const health = (
      fastify as unknown as { health?: { onShutdown?: (n: string, h: () => unknown) => unknown } }
    ).health;
    const ms = o.flushTimeoutMs ?? 5000;
    health?.onShutdown?.('telemetry', () =>
      tracing !== undefined ? tracing.flush(ms) : Promise.all([...telemetryFlushers()].map((f) => f(ms))),
    );
  }

  if (active) {
    const tracer = tracing.tracer;
    const start = (raw: Raw): SpanState | null => {
      if (ignored.has(pathOf(raw.url))) return null;
      const parent = propagation.extract(ROOT_CONTEXT, raw.headers, headerGetter);
      const method = raw.method !== undefined && KNOWN_METHODS.has(raw.method) ? raw.method : '_OTHER';
      const span = tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER }, parent);
      if (span.isRecording()) {
        const socket = raw.socket;
        span.setAttributes({
          'http.request.method': method,
          'url.path': pathOf(raw.url),
          'url.scheme': (socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http',
          'network.protocol.version': raw.httpVersion,
        });
        if (method === '_OTHER' && raw.method !== undefined) {
          span.setAttribute('http.request.method_original', raw.method.slice(0, 32));
        }
        const peer = socket?.remoteAddress;
        if (peer !== undefined) span.setAttribute('network.peer.address', peer);
        const ua = raw.headers['user-agent'];
        if (typeof ua === 'string') span.setAttribute('user_agent.original', ua.slice(0, 256));
      }
      const holder: RequestIdHolder = { requestId: undefined };
      const ctx = requestContext(parent, span, holder);
      const state: SpanState = { span, ctx, holder, error: undefined };
      raw[kState] = state;
      return state;
    };

    // Entered at the server, before Fastify chooses the request id: the logger's id chain can then use
    // the server span's trace id, and everything Fastify runs for the request sees the span.
    const server = fastify.server as Server & { emit: Server['emit'] };
    const emit = server.emit as (this: Server, event: string | symbol, ...args: unknown[]) => boolean;
    server.emit = function immoTracedEmit(this: Server, event: string | symbol, ...args: unknown[]) {
      if (event === 'request') {
        const state = start(args[0] as Raw);
        if (state !== null) return context.with(state.ctx, emit, this, event, args[0], args[1]);
      }
      return emit.apply(this, [event, ...args]);
    } as Server['emit'];
    fastify.addHook('onClose', (_instance, hookDone) => {
      if (server.emit !== emit) server.emit = emit;
      hookDone();
    });

    fastify.addHook('onRequest', (request, _reply, hookDone) => {
      const raw = request.raw as Raw;
      let state = raw[kState];
      if (state === undefined) {
        // inject() and other paths that bypass the server's 'request' event.
        state = start(raw);
        if (state !== null) {
          state.holder.requestId ??= request.id;
          bindBody(request, state.ctx);
          context.with(state.ctx, hookDone);
          return;
        }
      } else if (state !== null) {
        state.holder.requestId ??= request.id;
        bindBody(request, state.ctx);
      }
      hookDone();
    });

    fastify.addHook('onError', (request, _reply, error, hookDone) => {
      const state = (request.raw as Raw)[kState];
      if (state) state.error = error;
      hookDone();
    });

    fastify.addHook('onResponse', (request, reply, hookDone) => {
      const raw = request.raw as Raw;
      const state = raw[kState];
      if (state) {
        raw[kState] = null;
        finish(state, request, reply);
      }
      hookDone();
    });

    fastify.addHook('onReady', (hookDone) => {
      if (pgLoadedButNotTraced()) {
        fastify.log.warn(
          { module: 'pg' },
          'pg is loaded but not instrumented: its queries get no spans. Start the service with `node --import @immo/tracing/register` so the instrumentation is in place before pg is imported',
        );
      }
      hookDone();
    });
  } else {
    // No tracing: thrown 5xx errors still reach Sentry when `./sentry` is set up.
    const kError = Symbol('immo.tracing.error');
    type WithError = FastifyRequest & { [kError]?: Error };
    fastify.addHook('onError', (request, _reply, error, hookDone) => {
      (request as WithError)[kError] = error;
      hookDone();
    });
    fastify.addHook('onResponse', (request, reply, hookDone) => {
      if (reply.statusCode >= 500)
        captureServerError((request as WithError)[kError], request, reply.statusCode, undefined);
      hookDone();
    });
  }
  done();
};

// A body arrives in 'data'/'end' events emitted from the socket's own async context, not the
// request's: binding the raw request keeps the span active in the handler of a POST.
function bindBody(request: FastifyRequest, ctx: Context): void {
  if (BODY_METHODS.has(request.raw.method ?? '')) context.bind(ctx, request.raw);
}

function finish(state: SpanState, request: FastifyRequest, reply: FastifyReply): void {
  const { span } = state;
  const status = reply.statusCode;
  try {
    if (span.isRecording()) {
      const route = routeTemplate(request);
      const method = request.raw.method ?? '';
      const m = KNOWN_METHODS.has(method) ? method : 'HTTP';
      if (route !== undefined && reply.statusCode !== 404) {
        span.setAttribute('http.route', route);
        span.updateName(`${m} ${route}`);
      }
      span.setAttribute('http.response.status_code', status);
      if (status >= 500) {
        const error = state.error;
        if (error !== undefined) {
          recordError(span, error);
        } else {
          span.setAttribute('error.type', String(status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      }
    }
    // The one error policy: 5xx (thrown or answered) is an error, 4xx is not.
    if (status >= 500) captureServerError(state.error, request, status, state.ctx);
  } catch {
    // Telemetry never fails a request.
  } finally {
    span.end();
  }
}

/**
 * The error handler the plugin installs: 5xx answers `{ statusCode, error, message: 'Internal Server
 * Error', request_id }` (never the stack or the internal message); 4xx keep Fastify's status, code
 * and a redacted message. Exported for apps that register it in an encapsulated scope themselves.
 *
 * @example
 * ```ts
 * app.setErrorHandler(safeErrorHandler);
 * ```
 */
export function safeErrorHandler(
  this: FastifyInstance,
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
) {
  const raw = typeof error?.statusCode === 'number' ? error.statusCode : 500;
  const status = raw >= 400 && raw < 600 ? raw : 500;
  const body: Record<string, unknown> = {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    message: status >= 500 ? 'Internal Server Error' : safeMessage(error),
    request_id: request.id,
  };
  if (status < 500 && typeof error?.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(error.code))
    body.code = error.code;
  const headers = (error as { headers?: unknown } | undefined)?.headers;
  if (status < 500 && typeof headers === 'object' && headers !== null) {
    for (const [k, v] of Object.entries(headers))
      if (typeof v === 'string' || typeof v === 'number') reply.header(k, v);
  }
  reply.code(status).type('application/json; charset=utf-8').send(body);
}

function safeMessage(error: FastifyError | undefined): string {
  const m = typeof error?.message === 'string' ? error.message : '';
  // Control characters never reach a client; PII in a validation message is redacted.
  return redactString(m.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500));
}

/** The @immo/tracing Fastify plugin (see {@link plugin}); `errorTypeName` labels errors as @immo/metrics does. */
export const immoTracing = fp(plugin, { fastify: '5.x', name: '@immo/tracing' });
export default immoTracing;
export { errorTypeName };
