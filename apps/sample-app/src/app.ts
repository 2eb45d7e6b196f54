import { createHealth, type Health, pgCheck } from '@immo/health';
import { immoHealth } from '@immo/health/fastify';
import type { ImmoLogger } from '@immo/logger';
import { immoLogger, loggerServerOptions } from '@immo/logger/fastify';
import {
  addBuckets,
  getMetrics,
  HTTP_SERVER_DURATION_BUCKETS,
  instrumentPg,
  type Metrics,
} from '@immo/metrics';
import { immoMetrics } from '@immo/metrics/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type pg from 'pg';
import { registerRoutes } from './routes.js';

/** The service's latency SLO threshold (p99 < 2 s in the rollout plan) must be a bucket boundary. */
export const REQUEST_DURATION_BUCKETS: readonly number[] = addBuckets(HTTP_SERVER_DURATION_BUCKETS, [2]);

/** What {@link buildApp} needs; tests pass in-memory or test instances, the server entry real ones. */
export interface AppOptions {
  logger: ImmoLogger;
  pool: pg.Pool;
  /** @default a health instance with the PostgreSQL readiness check, signals handled */
  health?: Health;
  /** @default getMetrics() */
  metrics?: Metrics;
  /** `/metrics` on the app (`true`), on its own port, or not at all. @default true */
  metricsRoute?: boolean | { port: number; host?: string };
}

/**
 * Builds the reference service: @immo/logger, @immo/metrics and @immo/health registered in that
 * order (the logger first so the others log through it; health last so its shutdown drains
 * requests the metrics plugin is still counting), then the routes.
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { logger, pool } = options;
  const metrics = options.metrics ?? getMetrics();
  const health =
    options.health ??
    createHealth({ service: 'sample-app', checks: [pgCheck(pool, { timeoutMs: 1_000 })], logger, metrics });

  const app = Fastify(loggerServerOptions(logger));
  await app.register(immoLogger);

  const route = options.metricsRoute ?? true;
  await app.register(immoMetrics, {
    metrics,
    buckets: REQUEST_DURATION_BUCKETS,
    exposeRoute: route === false ? false : route === true ? true : { port: route.port, host: route.host },
  });
  // Query durations by operation and the pool's usage; undone when the app closes, so a test that
  // builds several apps in one process does not count into a closed pool.
  const uninstrument = instrumentPg(pool, { poolName: 'main', metrics });
  app.addHook('onClose', async () => uninstrument());

  await app.register(immoHealth, { health, routes: true, exemptPaths: ['/metrics'] });

  registerRoutes(app, pool);
  return app;
}
