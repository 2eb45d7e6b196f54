import { routeTemplate } from '@immo/fastify-route';
import type {
  FastifyBaseLogger,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import pino, { type Logger } from 'pino';
import { z } from 'zod';
import {
  type BufferOptions,
  BufferPool,
  bufferingDestination,
  kBuffer,
  kBufferThreshold,
  RequestBuffer,
} from './buffer.js';
import { type CorrelationStore, correlationStorage, tracingHolder } from './context.js';
import { formatIssues, LoggerOptionsError } from './errors.js';
import { LEVEL_VALUES } from './levels.js';
import { kPreRedacted, kRequestBound, loggerState } from './logger.js';
import { isGeneratedRequestId, resolveRequestId } from './request-id.js';

/** Paths that produce no access-log line by default: probes and the metrics scrape. */
export const DEFAULT_IGNORED_PATHS: readonly string[] = [
  '/health',
  '/health/live',
  '/health/ready',
  '/health/startup',
  '/healthz',
  '/livez',
  '/readyz',
  '/metrics',
];

/** Options of the {@link immoLogger} Fastify plugin. */
export interface ImmoLoggerPluginOptions {
  /**
   * Write one access line per request (`request completed`, with `method`, `route`, `path`,
   * `status_code`, `duration_ms`). A 5xx line is at level `error` and carries `err`.
   * @default true
   */
  accessLog?: boolean;
  /**
   * Paths (route templates or literal paths, without query) with no access line. A thrown error
   * on them is still logged; a 5xx they answer on purpose (a readiness probe's 503) is not.
   * @default DEFAULT_IGNORED_PATHS
   */
  ignorePaths?: readonly string[];
  /**
   * The response header that echoes the request id; `false` to not echo it.
   * @default 'x-request-id'
   */
  responseHeader?: string | false;
  /**
   * Per-request buffering of debug lines: `true` or settings. Lines of a request's logger below
   * the configured level are held and written only if the request fails (5xx or an exception)
   * or is slower than `slowThresholdMs`; otherwise dropped.
   * @default false
   */
  buffer?: boolean | Partial<BufferOptions>;
}

const pluginSchema = z
  .object({
    accessLog: z.boolean().optional(),
    ignorePaths: z.array(z.string().startsWith('/')).optional(),
    responseHeader: z.union([z.string().regex(/^[A-Za-z0-9-]+$/), z.literal(false)]).optional(),
    buffer: z
      .union([
        z.boolean(),
        z
          .object({
            level: z.enum(['trace', 'debug']).optional(),
            maxBytesPerRequest: z.number().int().positive().optional(),
            maxTotalBytes: z.number().int().positive().optional(),
            slowThresholdMs: z.number().nonnegative().optional(),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict();

// Fastify 5.12 moved request-logging settings into a `logController` and deprecates the
// top-level `disableRequestLogging`/`requestIdLogLabel` (FSTDEP023/024). Older 5.x releases have
// no LogController: the top-level options are used there.
type LogControllerBase = new (
  options: object,
) => {
  requestCompleted(error: unknown, request: FastifyRequest, reply: FastifyReply): void;
};
const LogControllerClass = (Fastify as unknown as { LogController?: LogControllerBase }).LogController;

type Completed = (error: unknown, request: FastifyRequest, reply: FastifyReply) => void;
const kImmoController = Symbol.for('@immo/logger.logController');

// The access-line writer of each server (the instance the plugin was registered on). Looked up from
// `request.server`, which is that instance or an encapsulated child of it (a prototype-chain
// descendant); the answer is cached per instance, `null` when no plugin serves it.
const completedByServer = new WeakMap<object, Completed | null>();

function completedFor(server: object): Completed | null {
  let c = completedByServer.get(server);
  if (c !== undefined) return c;
  c = null;
  for (let o = Object.getPrototypeOf(server) as object | null; o !== null; o = Object.getPrototypeOf(o)) {
    const found = completedByServer.get(o);
    if (found !== undefined) {
      c = found;
      break;
    }
  }
  completedByServer.set(server, c);
  return c;
}

// The controller Fastify calls once per request after the onResponse hooks: the plugin writes its
// access line from here instead of adding an onResponse hook of its own, which spares every
// request a hook run. The writer is found per server, so one controller shared by two servers
// still writes each line once, with that server's settings. Every other request-log method stays
// disabled, as with `disableRequestLogging: true`.
const ImmoLogControllerClass =
  LogControllerClass === undefined
    ? undefined
    : class extends LogControllerClass {
        readonly [kImmoController] = true;
        override requestCompleted(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
          const completed = completedFor(request.server);
          if (completed === null) return;
          try {
            completed(error, request, reply);
          } catch {
            // Fastify calls this from the response's 'finish' listener: a throw would be an
            // uncaught exception. Logging never fails a request.
          }
        }
      };

// Fastify keeps the controller under an internal symbol with no getter; the plugin looks it up by
// the symbol's description and falls back to an onResponse hook when it is not ours.
function usesImmoLogController(fastify: object): boolean {
  for (let o: object | null = fastify; o !== null; o = Object.getPrototypeOf(o)) {
    for (const sym of Object.getOwnPropertySymbols(o)) {
      if (sym.description !== 'fastify.logController') continue;
      const c = (o as Record<symbol, { [kImmoController]?: true } | undefined>)[sym];
      return c?.[kImmoController] === true;
    }
  }
  return false;
}

type ChildLoggerFactory = NonNullable<FastifyServerOptions['childLoggerFactory']>;

// Request loggers of `root`: Fastify's bindings are `{ request_id: <id from genReqId> }`, so the id
// is scanned as a string instead of walking the object (and not at all when we generated it), and
// pino's own child is called so the bindings are not walked again. The tag stops the correlation
// mixin from adding request_id a second time from AsyncLocalStorage.
function requestLoggerFactory(root: Logger, level?: (parent: FastifyBaseLogger) => string | undefined) {
  const state = loggerState(root);
  const redactor = state?.redactor;
  const requestBindings = (bindings: Record<string, unknown>): Record<string, unknown> => {
    if (redactor === undefined) return bindings;
    let onlyId = true;
    for (const key in bindings) if (key !== 'request_id') onlyId = false;
    const id = bindings.request_id;
    if (!onlyId || typeof id !== 'string') return redactor.redact(bindings);
    if (isGeneratedRequestId(id)) return bindings;
    const scanned = redactor.redactString(id);
    return scanned === id ? bindings : { request_id: scanned };
  };
  return function requestLogger(
    logger: FastifyBaseLogger,
    bindings: Record<string, unknown>,
    options: object,
  ) {
    const l = level?.(logger);
    const childOptions = l === undefined ? options : { ...options, level: l };
    const child = (
      state === undefined
        ? logger.child(bindings, childOptions)
        : state.rawChild.call(logger as unknown as Logger, requestBindings(bindings), childOptions)
    ) as FastifyBaseLogger & { [kRequestBound]?: true };
    child[kRequestBound] = true;
    return child;
  } as ChildLoggerFactory;
}

type LogControllerOption = FastifyServerOptions extends { logController?: infer L } ? L : never;

/** Options to spread into `Fastify({...})` so the server uses the logger the @immo way. */
export interface LoggerServerOptions {
  loggerInstance: FastifyBaseLogger;
  requestIdHeader: false;
  genReqId: NonNullable<FastifyServerOptions['genReqId']>;
  childLoggerFactory: ChildLoggerFactory;
  /** Fastify ≥ 5.12: request logging by the plugin, request id bound as `request_id`. */
  logController?: LogControllerOption;
  /** Fastify < 5.12. */
  disableRequestLogging?: true;
  /** Fastify < 5.12. */
  requestIdLogLabel?: 'request_id';
}

/**
 * Server options that make Fastify use `logger`: `req.id` becomes the correlation id (a valid
 * incoming `x-request-id`, else the `traceparent` trace id, else the active span's trace id,
 * else a UUID), request loggers bind it as `request_id`, and Fastify's own two lines per request
 * are replaced by the plugin's single access line. Call it once per server.
 *
 * @example
 * ```ts
 * const logger = createLogger({ service: 'billing-api' });
 * const app = Fastify(loggerServerOptions(logger));
 * await app.register(immoLogger);
 * ```
 */
export function loggerServerOptions(
  logger: Logger,
  options: { requestIdHeader?: string } = {},
): LoggerServerOptions {
  const header = (options.requestIdHeader ?? 'x-request-id').toLowerCase();
  const common = {
    loggerInstance: logger as unknown as FastifyBaseLogger,
    requestIdHeader: false as const,
    genReqId: (req: { headers: Record<string, string | string[] | undefined> }) =>
      resolveRequestId(req, header),
    // Set here rather than only by the plugin, so routes and the 404 handler created before the
    // plugin is registered get request loggers that follow the same rules.
    childLoggerFactory: requestLoggerFactory(logger),
  };
  if (ImmoLogControllerClass !== undefined) {
    const logController = new ImmoLogControllerClass({
      disableRequestLogging: true,
      requestIdLogLabel: 'request_id',
    }) as unknown as LogControllerOption;
    return { ...common, logController };
  }
  return { ...common, disableRequestLogging: true, requestIdLogLabel: 'request_id' };
}

const kError = Symbol('immo.logger.error');
type TrackedRequest = FastifyRequest & { [kError]?: Error };

const plugin: FastifyPluginCallback<ImmoLoggerPluginOptions> = (fastify, opts, done) => {
  const parsed = pluginSchema.safeParse(opts ?? {});
  if (!parsed.success) {
    done(
      new LoggerOptionsError(
        'IMMO_LOGGER_INVALID_PLUGIN_OPTIONS',
        'Invalid @immo/logger/fastify options',
        formatIssues(parsed.error, opts),
      ),
    );
    return;
  }
  const o = parsed.data;
  const redactor = loggerState(fastify.log as unknown as Logger)?.redactor;
  const accessLog = o.accessLog ?? true;
  const ignored = new Set(o.ignorePaths ?? DEFAULT_IGNORED_PATHS);
  const header = o.responseHeader ?? 'x-request-id';
  const bufferOptions: BufferOptions | undefined =
    o.buffer === undefined || o.buffer === false
      ? undefined
      : {
          level: 'debug',
          maxBytesPerRequest: 64 * 1024,
          maxTotalBytes: 8 * 1024 * 1024,
          slowThresholdMs: 1000,
          ...(o.buffer === true ? {} : o.buffer),
        };

  if (bufferOptions === undefined) {
    fastify.setChildLoggerFactory(requestLoggerFactory(fastify.log as unknown as Logger));
  } else {
    const pool = new BufferPool(bufferOptions);
    const streamSym = pino.symbols.streamSym;
    const root = fastify.log as unknown as Record<symbol, unknown>;
    root[streamSym] = bufferingDestination(root[streamSym] as pino.DestinationStream);
    const bufferLevel = (logger: FastifyBaseLogger) => {
      const threshold = LEVEL_VALUES[logger.level as keyof typeof LEVEL_VALUES] ?? LEVEL_VALUES.info;
      return LEVEL_VALUES[bufferOptions.level] < threshold ? bufferOptions.level : undefined;
    };
    const base = requestLoggerFactory(fastify.log as unknown as Logger, bufferLevel);
    fastify.setChildLoggerFactory(function bufferedRequestLogger(logger, bindings, childOptions, rawReq) {
      const child = base.call(this, logger, bindings, childOptions, rawReq) as FastifyBaseLogger & {
        [kBufferThreshold]?: number;
        [kBuffer]?: RequestBuffer;
      };
      if (child.level !== logger.level) {
        child[kBufferThreshold] =
          LEVEL_VALUES[logger.level as keyof typeof LEVEL_VALUES] ?? LEVEL_VALUES.info;
        child[kBuffer] = new RequestBuffer(pool);
      }
      return child;
    });
    fastify.addHook('onRequestAbort', (request, hookDone) => {
      (request.log as { [kBuffer]?: RequestBuffer })[kBuffer]?.drain();
      hookDone();
    });
  }
  // Fastify's own error line is off with `disableRequestLogging`; the error is kept here and
  // written once, on the request's final line, with the status the error handler chose.
  fastify.addHook('onError', (request, _reply, error, hookDone) => {
    (request as TrackedRequest)[kError] = error;
    hookDone();
  });

  fastify.addHook('onRequest', (request, reply, hookDone) => {
    if (header !== false) reply.header(header, request.id);
    const holder = bufferOptions !== undefined ? undefined : tracingHolder();
    if (holder !== undefined) {
      // @immo/tracing's context already covers the request: one AsyncLocalStorage, not two.
      holder.requestId = request.id;
      holder.logger = request.log as unknown as Logger;
      hookDone();
      return;
    }
    const store: CorrelationStore = { requestId: request.id, logger: request.log as unknown as Logger };
    correlationStorage.run(store, hookDone);
  });

  const completed: Completed = (streamError, request, reply) => {
    const status = reply.statusCode;
    const error =
      (request as TrackedRequest)[kError] ?? (streamError instanceof Error ? streamError : undefined);
    const duration = reply.elapsedTime;
    const log = request.log as FastifyBaseLogger & { [kBuffer]?: RequestBuffer };
    const buffer = log[kBuffer];
    if (buffer !== undefined) {
      const lines = buffer.drain();
      if (status >= 500 || error !== undefined || duration >= bufferOptions!.slowThresholdMs) {
        const dest = (fastify.log as unknown as Record<symbol, { inner: pino.DestinationStream }>)[
          pino.symbols.streamSym
        ]!.inner;
        for (const line of lines) dest.write(line);
        if (buffer.dropped > 0)
          log.warn({ dropped_lines: buffer.dropped }, 'buffered debug lines dropped (limit reached)');
      }
    }
    const url = request.url;
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const route = routeTemplate(request);
    const quiet = ignored.has(route ?? path) || ignored.has(path);
    // A readiness probe answers 503 by design while a dependency is down or the pod shuts down;
    // on the quiet paths only a thrown error is worth an error line.
    if (status >= 500 && !(quiet && error === undefined)) {
      log.error(
        { method: request.method, route, path, status_code: status, duration_ms: duration, err: error },
        'request failed',
      );
    } else if (accessLog && !quiet) {
      // Every field but the path is known to be PII-free (the method passed Node's parser, the
      // route is a template from code), so only the path is scanned instead of the whole line.
      log.info(
        {
          method: request.method,
          route,
          path: redactor ? redactor.redactString(path) : path,
          status_code: status,
          duration_ms: duration,
          [kPreRedacted]: true,
        },
        'request completed',
      );
    }
  };
  if (usesImmoLogController(fastify)) {
    completedByServer.set(fastify, completed);
  } else {
    fastify.addHook('onResponse', (request, reply, hookDone) => {
      completed(undefined, request, reply);
      hookDone();
    });
  }

  fastify.addHook('onClose', (_instance, hookDone) => {
    const dest = (fastify.log as unknown as Record<symbol, { flush?: (cb: () => void) => void }>)[
      pino.symbols.streamSym
    ];
    if (dest && typeof dest.flush === 'function') dest.flush(() => hookDone());
    else hookDone();
  });

  done();
};

/**
 * The @immo/logger Fastify plugin: request-id correlation through AsyncLocalStorage, the id
 * echoed as `x-request-id`, one access line per request (none for probes and `/metrics`), 5xx
 * and thrown errors logged once with the error, and optional per-request debug buffering.
 * Create the server with {@link loggerServerOptions} so `req.id` and the request loggers follow
 * the same rules.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createLogger } from '@immo/logger';
 * import { immoLogger, loggerServerOptions } from '@immo/logger/fastify';
 *
 * const logger = createLogger({ service: 'billing-api' });
 * const app = Fastify(loggerServerOptions(logger));
 * await app.register(immoLogger, { buffer: true });
 * ```
 */
export const immoLogger = fp(plugin, { fastify: '5.x', name: '@immo/logger' });
export default immoLogger;
