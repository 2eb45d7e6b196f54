import { createFlags } from '@immo/flags';
import { createHealth, pgCheck } from '@immo/health';
import { createLogger, flush } from '@immo/logger';
import { initMetrics } from '@immo/metrics';
import { getTracing, initTracing } from '@immo/tracing';
import { initSentry } from '@immo/tracing/sentry';
import { OpenFeature } from '@openfeature/server-sdk';
import { buildApp } from './app.js';
import { readConfig } from './config.js';
import { createPool, migrate } from './db.js';
import { flags as registry } from './flags.js';

/**
 * The server entry: `HOST` (default 127.0.0.1; 0.0.0.0 in a container), `PORT`, `DATABASE_URL`,
 * `LOG_LEVEL` and `METRICS_PORT` (a separate /metrics listener) from the environment; tracing from
 * `OTEL_*`/`IMMO_TRACING_*` and Sentry from `SENTRY_DSN` (both optional); feature flags from
 * `IMMO_FLAGS_FILE`/`IMMO_FLAGS_<KEY>` and the admin endpoint from `FLAGS_ADMIN_TOKENS`. Without
 * `DATABASE_URL` it refuses to start: `dev.js` (the quick start) provides an embedded database.
 */
export async function main(
  env: NodeJS.ProcessEnv = process.env,
  hooks: { onShutdown?: () => Promise<void> } = {},
) {
  const config = readConfig(env);
  // `npm start` sets npm_package_version; in a container (plain `node`) the Deployment sets
  // IMMO_METRICS_VERSION (with the logger's and tracing's) from the same definition.
  const version = env.npm_package_version ?? env.IMMO_METRICS_VERSION ?? '0.0.0';
  const logger = createLogger({ service: 'sample-app', version, level: config.LOG_LEVEL });
  if (config.DATABASE_URL === undefined) {
    logger.fatal('DATABASE_URL is not set (run `npm run quickstart` for an embedded database)');
    await flush(logger);
    process.exit(2);
  }
  // Normally set up by `node --import @immo/tracing/register` (from OTEL_* / IMMO_TRACING_* and
  // SENTRY_DSN) before this module imported pg; started without it, tracing is set up here and pg
  // queries get no spans (the plugin warns).
  const tracing = getTracing() ?? initTracing({ serviceName: 'sample-app', serviceVersion: version });
  tracing.useLogger(logger);
  initSentry({}, env);
  const metrics = initMetrics({ service: 'sample-app', version });
  const pool = createPool({ connectionString: config.DATABASE_URL });

  const health = createHealth({
    service: 'sample-app',
    version,
    checks: [pgCheck(pool, { timeoutMs: 1_000 })],
    logger,
    metrics,
  });
  // Hooks run in reverse order after the server has drained: the pool closes first, logs flush last.
  health.onShutdown('flush logs', () => flush(logger));
  if (hooks.onShutdown) health.onShutdown('embedded database', hooks.onShutdown);
  health.onShutdown('pg pool', () => pool.end());

  // The flags (file from IMMO_FLAGS_FILE) also serve the standard OpenFeature SDK, so code that
  // only knows `OpenFeature.getClient()` gets the same answers and telemetry.
  const flags = createFlags(registry, { metrics, logger, env });
  await OpenFeature.setProviderAndWait(flags.provider());
  health.onShutdown('openfeature', () => OpenFeature.close());

  // Start-up work: the schema. The startup probe passes once the server listens.
  await migrate(pool);
  const app = await buildApp({
    logger,
    pool,
    health,
    metrics,
    flags,
    flagsAdminTokens: config.FLAGS_ADMIN_TOKENS,
    metricsRoute: config.METRICS_PORT === undefined ? true : { port: config.METRICS_PORT, host: config.HOST },
  });
  await app.listen({ host: config.HOST, port: config.PORT });
  return app;
}

const isEntry = import.meta.url === `file://${process.argv[1]}`;
if (isEntry) await main();
