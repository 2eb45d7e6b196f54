import type { FastifyPluginCallback, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { formatIssues, HealthOptionsError } from './errors.js';
import {
  createHealth,
  HEALTH_CONTENT_TYPE,
  type Health,
  type HealthInternals,
  kInternals,
  type ProbeResponse,
} from './health.js';
import type { HealthLogger } from './options.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The @immo/health instance the plugin serves (`app.health.markStarted()`, `app.health.onShutdown(…)`). */
    health: Health;
  }
}

/** Default probe paths. */
export const DEFAULT_PROBE_PATHS = {
  liveness: '/health',
  readiness: '/health/ready',
  startup: '/health/startup',
} as const;

/** Probe routes: `true` for the defaults, or a path per probe (`false` leaves one out). */
export interface ProbeRoutes {
  /** @default '/health' */
  liveness?: string | false;
  /** @default '/health/ready' */
  readiness?: string | false;
  /** @default '/health/startup' */
  startup?: string | false;
}

/** Options of the {@link immoHealth} Fastify plugin. */
export interface ImmoHealthPluginOptions {
  /** The health instance to serve. @default createHealth() (options from `IMMO_HEALTH_*`) */
  health?: Health;
  /**
   * Add the probe routes (opt-in): `true` for `/health`, `/health/ready`, `/health/startup`, or
   * your own paths. They answer `application/health+json` from cache and are never shed.
   * @default false
   */
  routes?: boolean | ProbeRoutes;
  /**
   * Shed requests with 503 and `Retry-After` while the process is under pressure (needs the
   * health instance's `pressure` option, on by default).
   * @default true
   */
  shedding?: boolean;
  /** Route templates (besides the probes) that are never shed, e.g. `['/metrics']`. @default [] */
  exemptPaths?: readonly string[];
  /**
   * Close this app (drain in-flight requests) in the shutdown sequence, and answer with
   * `Connection: close` once shutting down so clients stop reusing connections to this pod.
   * @default true
   */
  shutdown?: boolean;
  /** Call `health.start()` when the app is ready. @default true */
  start?: boolean;
  /** Call `health.markStarted()` when the app listens; `false` to call it yourself after warm-up. @default true */
  markStartedOnListen?: boolean;
  /** Logger for health state changes and the shutdown sequence (any pino-compatible one). @default app.log */
  logger?: HealthLogger;
}

const path = z.string().startsWith('/', 'a path starting with "/"');
const pluginSchema = z
  .object({
    health: z
      .custom<Health>(
        (v) => typeof v === 'object' && v !== null && kInternals in v,
        'a Health from createHealth()',
      )
      .optional(),
    routes: z
      .union([
        z.boolean(),
        z
          .object({
            liveness: z.union([path, z.literal(false)]).optional(),
            readiness: z.union([path, z.literal(false)]).optional(),
            startup: z.union([path, z.literal(false)]).optional(),
          })
          .strict(),
      ])
      .optional(),
    shedding: z.boolean().optional(),
    exemptPaths: z.array(path).optional(),
    shutdown: z.boolean().optional(),
    start: z.boolean().optional(),
    markStartedOnListen: z.boolean().optional(),
    logger: z
      .custom<HealthLogger>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          ['info', 'warn', 'error'].every((k) => typeof (v as Record<string, unknown>)[k] === 'function'),
        'a logger with info, warn and error',
      )
      .optional(),
  })
  .strict();

const checkEntrySchema = {
  type: 'object',
  properties: {
    componentId: { type: 'string' },
    componentType: { type: 'string' },
    status: { type: 'string', enum: ['pass', 'warn', 'fail'] },
    time: { type: 'string', format: 'date-time' },
    observedValue: { type: ['number', 'string', 'boolean'] },
    observedUnit: { type: 'string' },
    output: { type: 'string' },
  },
  required: ['status', 'time'],
} as const;

/** JSON schema of a probe response (draft-inadarei-api-health-check), used by the probe routes. */
export const healthReportSchema = {
  type: 'object',
  properties: {
    status: { type: 'string', enum: ['pass', 'warn', 'fail'] },
    version: { type: 'string' },
    serviceId: { type: 'string' },
    description: { type: 'string' },
    checks: { type: 'object', additionalProperties: { type: 'array', items: checkEntrySchema } },
  },
  required: ['status', 'checks'],
} as const;

const OVERLOADED = Buffer.from(
  JSON.stringify({
    statusCode: 503,
    code: 'IMMO_HEALTH_OVERLOADED',
    error: 'Service Unavailable',
    message: 'The server is under pressure; retry later',
  }),
);

// The probe's cached answer is encoded once per change; Fastify sends a Buffer without touching it.
function probeHandler(get: () => ProbeResponse) {
  let last: ProbeResponse | undefined;
  let buffer = Buffer.alloc(0);
  return function probe(_request: FastifyRequest, reply: FastifyReply) {
    const r = get();
    if (r !== last) {
      last = r;
      buffer = Buffer.from(r.body);
    }
    reply.code(r.statusCode).header('content-type', HEALTH_CONTENT_TYPE).header('cache-control', 'no-store');
    return reply.send(buffer);
  };
}

const plugin: FastifyPluginCallback<ImmoHealthPluginOptions> = (fastify, opts, done) => {
  const parsed = pluginSchema.safeParse(opts ?? {});
  if (!parsed.success) {
    done(
      new HealthOptionsError(
        'IMMO_HEALTH_INVALID_PLUGIN_OPTIONS',
        'Invalid @immo/health/fastify options',
        formatIssues(parsed.error, opts),
      ),
    );
    return;
  }
  const o = parsed.data;
  let health: Health;
  try {
    health = o.health ?? createHealth();
  } catch (err) {
    done(err as Error);
    return;
  }
  const internals: HealthInternals = health[kInternals];
  const logger = o.logger ?? (fastify.log as unknown as HealthLogger);
  const detach = internals.attach(o.shutdown === false ? { close() {} } : fastify, logger);
  fastify.decorate('health', health);

  const routes: ProbeRoutes =
    o.routes === true
      ? DEFAULT_PROBE_PATHS
      : o.routes === false || o.routes === undefined
        ? {}
        : { ...DEFAULT_PROBE_PATHS, ...o.routes };
  const exempt = new Set<string>(o.exemptPaths ?? []);
  const schema: RouteShorthandOptions = {
    schema: { response: { 200: healthReportSchema, 503: healthReportSchema } },
    // a probe every few seconds per kubelet is noise in Fastify's own request log
    logLevel: 'warn',
  };
  const add = (p: string | false | undefined, get: () => ProbeResponse) => {
    if (typeof p !== 'string') return;
    exempt.add(p);
    fastify.get(p, schema, probeHandler(get));
  };
  add(routes.liveness, () => health.liveness());
  add(routes.readiness, () => health.readiness());
  add(routes.startup, () => health.startup());

  const pressure = internals.pressure;
  const shedding = o.shedding !== false && pressure !== undefined;
  const closeConnections = o.shutdown !== false;
  if (shedding || closeConnections) {
    const gate = internals.gate;
    const retryAfter = String(pressure?.options.retryAfterSeconds ?? 10);
    const metrics = internals.metrics;
    // The common case costs one boolean read: the gate opens only under pressure or in shutdown.
    fastify.addHook('onRequest', (request, reply, hookDone) => {
      if (!gate.open) {
        hookDone();
        return;
      }
      if (closeConnections && health.shuttingDown) reply.header('connection', 'close');
      if (shedding && pressure.active && !exempt.has(request.routeOptions.url ?? '')) {
        metrics.shed();
        reply.code(503).header('retry-after', retryAfter).header('content-type', 'application/json');
        reply.send(OVERLOADED);
        return;
      }
      hookDone();
    });
  }

  if (o.start !== false) {
    fastify.addHook('onReady', (hookDone) => {
      health.start();
      hookDone();
    });
  }
  if (o.markStartedOnListen !== false) {
    fastify.addHook('onListen', (hookDone) => {
      health.markStarted();
      hookDone();
    });
  }
  fastify.addHook('onClose', (_instance, hookDone) => {
    detach();
    // In a shutdown sequence this close *is* the drain phase: the sequence goes on and stops the
    // background work itself; otherwise (tests, a manual close) stop it here.
    if (!health.shuttingDown) health.stop();
    hookDone();
  });
  done();
};

/**
 * The @immo/health Fastify plugin: probe routes (opt-in, `application/health+json` from cache),
 * load shedding (503 + `Retry-After` under pressure, probes exempt), and the app's close as the
 * drain phase of the shutdown sequence. Decorates `app.health`.
 *
 * @example
 * ```ts
 * import Fastify from 'fastify';
 * import { createHealth, pgCheck } from '@immo/health';
 * import { immoHealth } from '@immo/health/fastify';
 *
 * const health = createHealth({ service: 'billing-api', checks: [pgCheck(pool)] });
 * health.onShutdown('pg pool', () => pool.end());
 * const app = Fastify({ logger: true });
 * await app.register(immoHealth, { health, routes: true });
 * await app.listen({ port: 3000, host: '0.0.0.0' });
 * ```
 */
export const immoHealth = fp(plugin, { fastify: '5.x', name: '@immo/health' });
export default immoHealth;
export { HEALTH_CONTENT_TYPE } from './health.js';
