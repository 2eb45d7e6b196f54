import type { HealthCheck } from './checks.js';

/** Anything with `query(sql)`: a `pg` Pool or Client, postgres.js wrappers, a Kysely/Drizzle adapter. */
export interface QueryablePool {
  query(sql: string): Promise<unknown>;
}

/** Options of {@link pgCheck}. */
export interface PgCheckOptions {
  /** @default 'postgres' */
  name?: string;
  /** @default the `checkTimeoutMs` option (2000) */
  timeoutMs?: number;
  /** @default the `checkIntervalMs` option (5000) */
  intervalMs?: number;
  /** @default true */
  critical?: boolean;
  /** IETF `componentId`, e.g. the database host. Never put the connection string here. */
  componentId?: string;
}

/**
 * A readiness check that runs `SELECT 1` on a PostgreSQL pool. Needs no `pg` import: any object
 * with `query(sql)` works. Errors are reported with credentials removed. With `pg`'s Pool, also
 * add `pool.on('error', …)`: idle clients that lose their connection (a database restart) emit
 * it, and an unhandled `error` event ends the process.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { createHealth, pgCheck } from '@immo/health';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
 * pool.on('error', (err) => logger.warn({ err }, 'idle pg client failed'));
 * const health = createHealth({ checks: [pgCheck(pool, { timeoutMs: 1000 })] });
 * ```
 */
export function pgCheck(pool: QueryablePool, options: PgCheckOptions = {}): HealthCheck {
  const check: HealthCheck = {
    name: options.name ?? 'postgres',
    componentType: 'datastore',
    check: async () => {
      await pool.query('SELECT 1');
    },
  };
  if (options.timeoutMs !== undefined) check.timeoutMs = options.timeoutMs;
  if (options.intervalMs !== undefined) check.intervalMs = options.intervalMs;
  if (options.critical !== undefined) check.critical = options.critical;
  if (options.componentId !== undefined) check.componentId = options.componentId;
  return check;
}
