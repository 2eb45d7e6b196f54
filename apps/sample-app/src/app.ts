import { createFlags, type Flags } from '@immo/flags';
import { immoFlags } from '@immo/flags/fastify';
import { createHealth, type Health, pgCheck } from '@immo/health';
import { immoHealth } from '@immo/health/fastify';
import type { ImmoLogger } from '@immo/logger';
import { immoLogger, loggerServerOptions } from '@immo/logger/fastify';
import { declareJobs, getMetrics, instrumentPg, type Metrics } from '@immo/metrics';
import { immoMetrics } from '@immo/metrics/fastify';
import { createErrorBudget, histogramTotals } from '@immo/slo';
import { getTracing, registerTracingMetrics } from '@immo/tracing';
import { immoTracing } from '@immo/tracing/fastify';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type pg from 'pg';
import { exportBackupAge } from './backups.js';
import { waitForBillingRuns } from './billing.js';
import { flags as registry } from './flags.js';
import { registerRoutes } from './routes.js';
import { REQUEST_DURATION_BUCKETS, SLO_JOBS, slos } from './slos.js';

export { REQUEST_DURATION_BUCKETS } from './slos.js';

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
  /** How often the last successful backup is read for `immo_backup_last_success_timestamp_seconds`. @default 30000 */
  backupAgeRefreshMs?: number;
  /**
   * The feature flags; closed (file watcher stopped) when the app closes.
   * @default createFlags(registry, { metrics, logger }): the flag file from `IMMO_FLAGS_FILE`,
   * `IMMO_FLAGS_<KEY>` overrides, read by @immo/flags from the environment
   */
  flags?: Flags<typeof registry>;
  /**
   * Operator name → SHA-256 hex of the operator's token (`FLAGS_ADMIN_TOKENS`): turns on
   * `/admin/flags` (flag state, kill-switch flips). @default no admin routes
   */
  flagsAdminTokens?: Record<string, string>;
}

/**
 * The evaluation context of a request: the organisation from the path of the `/api/orgs/:id/…`
 * routes, where the router matched it (other routes' `:id` is a property or a run). Never from
 * headers such as `x-org-id`: a client sends whatever it likes there, and would pick its own flags
 * (or escape a kill switch aimed at its organisation).
 */
export function flagsContext(request: FastifyRequest) {
  if (!request.routeOptions.url?.startsWith('/api/orgs/:id')) return undefined;
  const orgId = (request.params as { id?: string }).id;
  return orgId === undefined ? undefined : { targetingKey: orgId, orgId };
}

/**
 * Builds the reference service: @immo/logger, @immo/metrics, @immo/flags, @immo/health and
 * @immo/tracing registered in that order (the logger first so the others log through it; flags
 * after metrics so the admin routes are counted like any other; health after metrics so
 * its shutdown drains requests the metrics plugin is still counting; tracing last so its telemetry
 * flush runs right after the drain), then the routes. Tracing itself is set up before the app is
 * imported, by `node --import @immo/tracing/register` (see main.ts).
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { logger, pool } = options;
  const metrics = options.metrics ?? getMetrics();
  const health =
    options.health ??
    createHealth({ service: 'sample-app', checks: [pgCheck(pool, { timeoutMs: 1_000 })], logger, metrics });

  const flags = options.flags ?? createFlags(registry, { metrics, logger });

  const app = Fastify(loggerServerOptions(logger));
  app.addHook('onClose', async () => flags.close());
  await app.register(immoLogger);

  const route = options.metricsRoute ?? true;
  await app.register(immoMetrics, {
    metrics,
    buckets: REQUEST_DURATION_BUCKETS,
    exposeRoute: route === false ? false : route === true ? true : { port: route.port, host: route.host },
  });
  // The billing run's series exist at 0 from start-up, so the batch SLO's increase() sees the first run.
  declareJobs(SLO_JOBS, { metrics });
  // The availability SLO's budget as this pod sees it over the last hour: `warn` on /health/ready
  // while it burns fast, never `fail` (a spent budget is no reason to take a pod out).
  const availability = slos.find((s) => s.id === 'sample-app-availability')!;
  const isServerError = (labels: Partial<Record<string, string | number>>) =>
    String(labels.http_response_status_code).startsWith('5');
  health.addCheck(
    createErrorBudget(availability, {
      source: histogramTotals(metrics.registry, 'http_server_request_duration_seconds', isServerError),
    }).healthCheck(),
  );
  await app.register(immoFlags, {
    flags,
    context: flagsContext,
    admin: options.flagsAdminTokens === undefined ? false : { tokens: options.flagsAdminTokens },
  });
  // Query durations by operation and the pool's usage; undone when the app closes, so a test that
  // builds several apps in one process does not count into a closed pool.
  const uninstrument = instrumentPg(pool, { poolName: 'main', metrics });
  const stopBackupAge = exportBackupAge(pool, { metrics, refreshMs: options.backupAgeRefreshMs });
  app.addHook('onClose', async () => {
    uninstrument();
    stopBackupAge();
  });

  await app.register(immoHealth, { health, routes: true, exemptPaths: ['/metrics'] });
  // After health: its shutdown hooks run in reverse order, so billing runs finish first, then spans
  // and Sentry events flush (registered by the tracing plugin), then the pool and the logs.
  await app.register(immoTracing);
  app.health.onShutdown('billing runs', () => waitForBillingRuns());
  const tracing = getTracing();
  if (tracing !== undefined) registerTracingMetrics(metrics, tracing);

  // The app's own registry: billing runs count where the app's /metrics serves from (tests pass their own).
  registerRoutes(app, pool, logger, flags, metrics);
  return app;
}
