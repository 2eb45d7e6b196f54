import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { routeTemplate as readRouteTemplate } from '@immo/fastify-route';
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { formatIssues, MetricsOptionsError } from './errors.js';
import { HTTP_METHODS, type HttpServerMetrics, httpServerMetrics, UNMATCHED_ROUTE } from './http.js';
import type { BoundGauge, BoundHistogram } from './metric.js';
import { getMetrics, type Metrics } from './metrics.js';

/** Paths with no HTTP metrics by default: probes and the metrics scrape. */
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

/** Where the plugin serves the exposition. */
export interface ExposeRouteOptions {
  /** @default '/metrics' */
  path?: string;
  /**
   * Serve on a separate port (a plain `node:http` server started in `onReady`, closed in
   * `onClose`) instead of the application's. Usual on Kubernetes, where the scrape port is not
   * exposed through the Service/Ingress.
   */
  port?: number;
  /**
   * The separate listener's host. Use `'0.0.0.0'` (or `'::'`) on Kubernetes so Prometheus can
   * reach the pod; the default keeps the metrics on loopback.
   * @default '127.0.0.1'
   */
  host?: string;
}

/** Options of the {@link immoMetrics} Fastify plugin. */
export interface ImmoMetricsPluginOptions {
  /** @default getMetrics() */
  metrics?: Metrics;
  /**
   * Buckets of `http_server_request_duration_seconds`. Add the SLO thresholds to the default:
   * `addBuckets(HTTP_SERVER_DURATION_BUCKETS, [2])`.
   * @default HTTP_SERVER_DURATION_BUCKETS (0.005 … 10)
   */
  buckets?: readonly number[];
  /**
   * Route templates with no HTTP metrics (matched on the template, e.g. `/orgs/:id`).
   * @default DEFAULT_IGNORED_PATHS
   */
  ignorePaths?: readonly string[];
  /**
   * Serve the exposition: `true` for `GET /metrics` on the application's port, or settings.
   * @default false
   */
  exposeRoute?: boolean | ExposeRouteOptions;
  /** Record `http_server_request_body_size_bytes` from `Content-Length`. @default false */
  requestSize?: boolean;
  /** Record `http_server_response_body_size_bytes` from `Content-Length`. @default false */
  responseSize?: boolean;
}

const pluginSchema = z
  .object({
    metrics: z
      .custom<Metrics>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as Metrics).histogram === 'function' &&
          typeof (v as Metrics).render === 'function',
        'a Metrics instance from initMetrics()',
      )
      .optional(),
    buckets: z.array(z.number()).optional(),
    ignorePaths: z.array(z.string().startsWith('/')).optional(),
    exposeRoute: z
      .union([
        z.boolean(),
        z
          .object({
            path: z.string().startsWith('/').optional(),
            port: z.number().int().min(0).max(65535).optional(),
            host: z.string().min(1).optional(),
          })
          .strict(),
      ])
      .optional(),
    requestSize: z.boolean().optional(),
    responseSize: z.boolean().optional(),
  })
  .strict();

const METHOD_INDEX = new Map(HTTP_METHODS.map((m, i) => [m, i]));
const OTHER_METHOD = HTTP_METHODS.length;
const METHOD_VALUES = [...HTTP_METHODS, '_OTHER'];

/** Per (route, method): the handles a request needs, bound once. */
interface RouteMethod {
  readonly method: string;
  readonly route: string;
  readonly active: BoundGauge;
  /** Duration handles by status code (no label lookup per request). */
  readonly byStatus: Map<number, BoundHistogram>;
  readonly reqSize: Map<number, BoundHistogram> | null;
  readonly resSize: Map<number, BoundHistogram> | null;
}
interface RouteEntry {
  readonly route: string;
  readonly ignored: boolean;
  readonly methods: (RouteMethod | undefined)[];
}

const kState = Symbol('immo.metrics.state');
const kError = Symbol('immo.metrics.error');
type TrackedRequest = FastifyRequest & { [kState]: RouteMethod | null; [kError]: Error | null };

// Requests counted in http_server_active_requests and not finished yet. A client that goes away
// before the response gets no onResponse; Fastify's onRequestAbort hook would catch it, but it
// costs every request a 'close' listener (about 5 % of a small request's instructions), so
// aborted requests are found lazily instead: when the gauge is scraped, and when the set grows.
const kPending = Symbol.for('@immo/metrics.pendingRequests');
type PendingSet = Set<TrackedRequest>;
const SWEEP_AT = 4096;

function isGone(request: TrackedRequest): boolean {
  const raw = request.raw as { destroyed?: boolean; socket?: { destroyed?: boolean } | null };
  return raw.destroyed === true || raw.socket?.destroyed === true;
}

function sweep(pending: PendingSet): void {
  for (const r of pending) {
    if (!isGone(r)) continue;
    pending.delete(r);
    const rm = r[kState];
    if (rm !== null) {
      r[kState] = null;
      rm.active.dec();
    }
  }
}

function pendingFor(active: HttpServerMetrics['active']): PendingSet {
  const holder = active as unknown as { [kPending]?: PendingSet; collectFn?: (g: unknown) => void };
  let pending = holder[kPending];
  if (pending === undefined) {
    const created: PendingSet = new Set();
    pending = created;
    holder[kPending] = created;
    holder.collectFn = () => sweep(created);
  }
  return pending;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The metrics instance the @immo/metrics plugin records into. */
    immoMetrics: Metrics;
  }
}

/**
 * The route template of a request (`/api/orgs/:id`), `undefined` when no route matched (the 404
 * handler): `request.routeOptions.url` without the getter's per-call object.
 *
 * @example
 * ```ts
 * app.addHook('onResponse', (request, _reply, done) => {
 *   console.log(routeTemplate(request) ?? 'unmatched');
 *   done();
 * });
 * ```
 */
export const routeTemplate: (request: FastifyRequest) => string | undefined = readRouteTemplate;

const plugin: FastifyPluginCallback<ImmoMetricsPluginOptions> = (fastify, opts, done) => {
  const parsed = pluginSchema.safeParse(opts ?? {});
  if (!parsed.success) {
    done(
      new MetricsOptionsError(
        'IMMO_METRICS_INVALID_PLUGIN_OPTIONS',
        'Invalid @immo/metrics/fastify options',
        formatIssues(parsed.error, opts),
      ),
    );
    return;
  }
  const o = parsed.data;
  const metrics = o.metrics ?? getMetrics();
  let http: HttpServerMetrics;
  try {
    http = httpServerMetrics(metrics, o.buckets === undefined ? {} : { buckets: o.buckets });
  } catch (err) {
    done(err as Error);
    return;
  }
  const ignored = new Set(o.ignorePaths ?? DEFAULT_IGNORED_PATHS);
  const requestSize = o.requestSize === true;
  const responseSize = o.responseSize === true;
  const expose: ExposeRouteOptions | undefined =
    o.exposeRoute === true
      ? {}
      : o.exposeRoute === false || o.exposeRoute === undefined
        ? undefined
        : o.exposeRoute;

  const routes = new Map<string, RouteEntry>();
  const unmatched: RouteEntry = { route: UNMATCHED_ROUTE, ignored: false, methods: [] };
  const entryFor = (url: string | undefined): RouteEntry => {
    if (url === undefined) return unmatched;
    let e = routes.get(url);
    if (e === undefined) {
      e = { route: url, ignored: ignored.has(url), methods: [] };
      routes.set(url, e);
    }
    return e;
  };
  const bindMethod = (entry: RouteEntry, mi: number): RouteMethod => {
    const method = METHOD_VALUES[mi]!;
    const rm: RouteMethod = {
      method,
      route: entry.route,
      active: http.active.bind({ http_request_method: method }),
      byStatus: new Map(),
      reqSize: requestSize ? new Map() : null,
      resSize: responseSize ? new Map() : null,
    };
    entry.methods[mi] = rm;
    return rm;
  };
  const statusHandle = (
    rm: RouteMethod,
    cache: Map<number, BoundHistogram>,
    h: HttpServerMetrics['requestSize'] | HttpServerMetrics['duration'],
    status: number,
  ): BoundHistogram => {
    let b = cache.get(status);
    if (b === undefined) {
      b = h.bind({ http_request_method: rm.method, http_route: rm.route, http_response_status_code: status });
      // Status codes come from the application, not the client: the cache stays small.
      if (cache.size < 600) cache.set(status, b);
    }
    return b;
  };

  fastify.decorate('immoMetrics', metrics);
  fastify.decorateRequest(kState, null);
  fastify.decorateRequest(kError, null);

  const pending = pendingFor(http.active);
  fastify.addHook('onRequest', (request, _reply, hookDone) => {
    const entry = entryFor(routeTemplate(request));
    if (!entry.ignored) {
      const mi = METHOD_INDEX.get(request.method) ?? OTHER_METHOD;
      const rm = entry.methods[mi] ?? bindMethod(entry, mi);
      rm.active.inc();
      (request as TrackedRequest)[kState] = rm;
      if (pending.size >= SWEEP_AT) sweep(pending);
      pending.add(request as TrackedRequest);
    }
    hookDone();
  });

  fastify.addHook('onError', (request, _reply, error, hookDone) => {
    (request as TrackedRequest)[kError] = error;
    hookDone();
  });

  const finish = (request: FastifyRequest, reply: FastifyReply): void => {
    const r = request as TrackedRequest;
    const rm = r[kState];
    if (rm === null) return;
    r[kState] = null;
    pending.delete(r);
    rm.active.dec();
    const status = reply.statusCode;
    const seconds = reply.elapsedTime / 1000;
    if (status >= 500) {
      const err = r[kError];
      http.duration.observe(
        {
          http_request_method: rm.method,
          http_route: rm.route,
          http_response_status_code: status,
          error_type: errorTypeOf(err, status),
        },
        seconds,
      );
    } else {
      statusHandle(rm, rm.byStatus, http.duration, status).observe(seconds);
    }
    if (rm.reqSize !== null) {
      const len = request.headers['content-length'];
      if (len !== undefined) {
        const n = Number(len);
        if (n >= 0) statusHandle(rm, rm.reqSize, http.requestSize, status).observe(n);
      }
    }
    if (rm.resSize !== null) {
      const len = reply.getHeader('content-length');
      if (len !== undefined) {
        const n = Number(len);
        if (n >= 0) statusHandle(rm, rm.resSize, http.responseSize, status).observe(n);
      }
    }
  };

  fastify.addHook('onResponse', (request, reply, hookDone) => {
    finish(request, reply);
    hookDone();
  });
  if (expose !== undefined) exposeMetrics(fastify, metrics, expose);
  done();
};

function errorTypeOf(err: Error | null, status: number): string {
  if (err !== null) {
    const name = err.constructor?.name && err.constructor.name !== 'Object' ? err.constructor.name : err.name;
    if (typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,60}$/.test(name)) return name;
    return '_OTHER';
  }
  return String(status);
}

function exposeMetrics(fastify: FastifyInstance, metrics: Metrics, expose: ExposeRouteOptions): void {
  const path = expose.path ?? '/metrics';
  if (expose.port === undefined) {
    fastify.get(
      path,
      {
        schema: {
          hide: true,
          response: { 200: { type: 'string', description: 'Prometheus text 0.0.4 or OpenMetrics 1.0.0' } },
        },
      },
      async (request, reply) => {
        const { contentType, body } = await metrics.render(request.headers.accept);
        reply.header('cache-control', 'no-store').type(contentType);
        return body;
      },
    );
    return;
  }
  const host = expose.host ?? '127.0.0.1';
  let server: Server | undefined;
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if ((q === -1 ? url : url.slice(0, q)) !== path || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found\n');
      return;
    }
    metrics.render(req.headers.accept).then(
      ({ contentType, body }) => {
        res.writeHead(200, {
          'content-type': contentType,
          'cache-control': 'no-store',
          'content-length': Buffer.byteLength(body),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        fastify.log.error({ err }, '@immo/metrics: rendering the exposition failed');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  };
  fastify.addHook('onReady', (hookDone) => {
    const s = createServer(handle);
    s.once('error', (err) => hookDone(err));
    s.listen(expose.port, host, () => {
      server = s;
      s.removeAllListeners('error');
      s.on('error', (err) => fastify.log.error({ err }, '@immo/metrics: metrics listener error'));
      hookDone();
    });
  });
  fastify.addHook('onClose', (_instance, hookDone) => {
    if (server === undefined) {
      hookDone();
      return;
    }
    server.close(() => hookDone());
    server.closeAllConnections();
    server = undefined;
  });
}

/**
 * The @immo/metrics Fastify plugin: `http_server_request_duration_seconds` (method, route
 * template, status code, error type), `http_server_active_requests`, optional body sizes, and an
 * opt-in `/metrics` route (on the app's port or a separate one) with content negotiation.
 * Label-set handles are bound once per (route, method, status), so a request does no label
 * hashing.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { initMetrics } from '@immo/metrics';
 * import { immoMetrics } from '@immo/metrics/fastify';
 *
 * initMetrics({ service: 'billing-api' });
 * const app = Fastify();
 * await app.register(immoMetrics, { exposeRoute: { port: 9464, host: '0.0.0.0' } });
 * ```
 */
export const immoMetrics = fp(plugin, { fastify: '5.x', name: '@immo/metrics' });
export default immoMetrics;
