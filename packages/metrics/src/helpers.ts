import type { Counter, Gauge, Histogram } from './metric.js';
import { getMetrics, internals, type Metrics } from './metrics.js';

/** Where a helper records: the process-wide metrics unless given. */
export interface HelperOptions {
  /** @default getMetrics() */
  metrics?: Metrics;
}

function memo<T>(metrics: Metrics, key: string, make: () => T): T {
  const m = internals(metrics).memo;
  let v = m.get(key) as T | undefined;
  if (v === undefined) {
    v = make();
    m.set(key, v);
  }
  return v;
}

// ---------------------------------------------------------------- connection pools

/** A pool's usage as read at scrape time. */
export interface PoolUsage {
  /** Connections checked out. */
  used: number;
  /** Connections open and idle. */
  idle: number;
  /** Callers waiting for a connection. */
  waiting: number;
  /** The pool's maximum size. */
  max: number;
}

interface PoolGauges {
  readers: Map<string, () => PoolUsage>;
}

function poolGauges(metrics: Metrics): PoolGauges {
  return memo(metrics, 'pools', () => {
    const readers = new Map<string, () => PoolUsage>();
    let snapshot: Map<string, PoolUsage> | undefined;
    // One read per pool per scrape, shared by the three gauges (each gauge's collect runs in turn).
    const read = (): Map<string, PoolUsage> => {
      if (snapshot === undefined) {
        snapshot = new Map();
        for (const [name, reader] of readers) {
          try {
            snapshot.set(name, reader());
          } catch {
            // a pool that cannot be read is left out of this scrape
          }
        }
        queueMicrotask(() => {
          snapshot = undefined;
        });
      }
      return snapshot;
    };
    metrics.gauge({
      // The semantic conventions' db.client.connection.count would be db_client_connection_count,
      // which promtool rejects (a gauge may not end in _count); this is their earlier name.
      name: 'db_client_connections_usage',
      help: 'Connections in a database client pool, by state (used or idle).',
      labelNames: ['db_client_connection_pool_name', 'db_client_connection_state'],
      collect: (g) => {
        for (const [name, u] of read()) {
          g.set({ db_client_connection_pool_name: name, db_client_connection_state: 'used' }, u.used);
          g.set({ db_client_connection_pool_name: name, db_client_connection_state: 'idle' }, u.idle);
        }
      },
    });
    metrics.gauge({
      name: 'db_client_connection_max',
      help: 'The most connections a database client pool opens.',
      labelNames: ['db_client_connection_pool_name'],
      collect: (g) => {
        for (const [name, u] of read()) g.set({ db_client_connection_pool_name: name }, u.max);
      },
    });
    metrics.gauge({
      name: 'db_client_connection_pending_requests',
      help: 'Callers waiting for a connection from a database client pool.',
      labelNames: ['db_client_connection_pool_name'],
      collect: (g) => {
        for (const [name, u] of read()) g.set({ db_client_connection_pool_name: name }, u.waiting);
      },
    });
    return { readers };
  });
}

/**
 * Exports a connection pool's usage (`db_client_connections_usage{state=used|idle}`,
 * `db_client_connection_max`, `db_client_connection_pending_requests`), read at scrape time.
 * For `pg` use {@link instrumentPg}, which calls this. Returns a function that stops exporting.
 *
 * @example
 * ```ts
 * registerPoolUsage('main', () => ({ used: pool.borrowed, idle: pool.available, waiting: pool.pending, max: pool.max }));
 * ```
 */
export function registerPoolUsage(
  name: string,
  read: () => PoolUsage,
  options: HelperOptions = {},
): () => void {
  const { readers } = poolGauges(options.metrics ?? getMetrics());
  readers.set(name, read);
  return () => {
    if (readers.get(name) === read) readers.delete(name);
  };
}

// ---------------------------------------------------------------- backups

/**
 * Records a successful backup: `immo_backup_last_success_timestamp_seconds{backup}`, which the
 * "backup too old" alert compares with `time()`.
 *
 * @example
 * ```ts
 * await runPgDump();
 * recordBackupSuccess('postgres-nightly');
 * ```
 */
export function recordBackupSuccess(
  backup: string,
  options: HelperOptions & { at?: Date | number } = {},
): void {
  const metrics = options.metrics ?? getMetrics();
  const g: Gauge<'backup'> = memo(metrics, 'backup', () =>
    metrics.gauge({
      name: 'immo_backup_last_success_timestamp_seconds',
      help: 'When the last successful backup finished, in seconds since the Unix epoch.',
      labelNames: ['backup'],
    }),
  );
  const at = options.at === undefined ? Date.now() : +options.at;
  g.set({ backup }, at / 1000);
}

// ---------------------------------------------------------------- security events

/** Security event types the alert rules know; services may add their own (snake_case). */
export const SECURITY_EVENT_TYPES = ['auth_failure', 'csrf_rejected', 'cross_tenant_denied'] as const;
/** A security event type: one of {@link SECURITY_EVENT_TYPES} or a service's own. */
export type SecurityEventType = (typeof SECURITY_EVENT_TYPES)[number] | (string & {});

function securityCounter(metrics: Metrics): Counter<'type'> {
  return memo(metrics, 'security', () => {
    const c = metrics.counter({
      name: 'immo_security_events_total',
      help: 'Security events (auth failures, CSRF rejections, cross-tenant access denied, ...) by type.',
      labelNames: ['type'],
      maxSeries: 100,
    });
    // Exported at 0 from the start, so rate() and the alerts see the series before the first event.
    for (const type of SECURITY_EVENT_TYPES) c.bind({ type });
    return c;
  });
}

/**
 * Counts a security event in `immo_security_events_total{type}`.
 *
 * @example
 * ```ts
 * if (!validCsrf) {
 *   recordSecurityEvent('csrf_rejected');
 *   return reply.code(403).send();
 * }
 * ```
 */
export function recordSecurityEvent(type: SecurityEventType, options: HelperOptions = {}): void {
  securityCounter(options.metrics ?? getMetrics()).inc({ type });
}

/**
 * Declares a service's own security event types so their series exist (at 0) from start-up.
 *
 * @example
 * ```ts
 * declareSecurityEventTypes(['api_key_revoked_use']);
 * ```
 */
export function declareSecurityEventTypes(types: readonly string[], options: HelperOptions = {}): void {
  const c = securityCounter(options.metrics ?? getMetrics());
  for (const type of types) c.bind({ type });
}

// ---------------------------------------------------------------- jobs

/** Buckets of `immo_job_duration_seconds`: one second to one hour. */
export const JOB_DURATION_BUCKETS: readonly number[] = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600];

interface JobMetrics {
  duration: Histogram<'job_name' | 'outcome'>;
  lastSuccess: Gauge<'job_name'>;
}

function jobMetrics(metrics: Metrics): JobMetrics {
  return memo(metrics, 'jobs', () => ({
    duration: metrics.histogram({
      name: 'immo_job_duration_seconds',
      help: 'Duration of business jobs (billing runs, imports, ...) by outcome, in seconds.',
      unit: 'seconds',
      labelNames: ['job_name', 'outcome'],
      buckets: JOB_DURATION_BUCKETS,
    }),
    lastSuccess: metrics.gauge({
      name: 'immo_job_last_success_timestamp_seconds',
      help: 'When a job last finished successfully, in seconds since the Unix epoch.',
      labelNames: ['job_name'],
    }),
  }));
}

/**
 * Records one run of a job: its duration and outcome, and on success its time.
 *
 * @example
 * ```ts
 * recordJobRun('billing_run', 42.5, 'success');
 * ```
 */
export function recordJobRun(
  job: string,
  seconds: number,
  outcome: 'success' | 'failure',
  options: HelperOptions = {},
): void {
  const m = jobMetrics(options.metrics ?? getMetrics());
  m.duration.observe({ job_name: job, outcome }, seconds);
  if (outcome === 'success') m.lastSuccess.set({ job_name: job }, Date.now() / 1000);
}

/**
 * Declares jobs so that their `immo_job_duration_seconds{job_name,outcome}` series exist at 0 from
 * start-up. Without it a job's first run after a restart creates its series already at 1, which
 * `increase()` cannot see — and a batch-job SLO (`@immo/slo`) would miss that run.
 *
 * @example
 * ```ts
 * declareJobs(['billing_run']);
 * ```
 */
export function declareJobs(jobs: readonly string[], options: HelperOptions = {}): void {
  const m = jobMetrics(options.metrics ?? getMetrics());
  for (const job of jobs) {
    m.duration.bind({ job_name: job, outcome: 'success' });
    m.duration.bind({ job_name: job, outcome: 'failure' });
  }
}

/**
 * Runs `fn` and records its duration and outcome in `immo_job_duration_seconds{job_name,outcome}`,
 * and on success `immo_job_last_success_timestamp_seconds{job_name}`. Returns what `fn` returns and
 * rethrows what it throws.
 *
 * @example
 * ```ts
 * const invoices = await timeJob('billing_run', () => runBilling(month));
 * ```
 */
export async function timeJob<T>(
  job: string,
  fn: () => T | Promise<T>,
  options: HelperOptions = {},
): Promise<T> {
  const start = performance.now();
  try {
    const result = await fn();
    recordJobRun(job, (performance.now() - start) / 1000, 'success', options);
    return result;
  } catch (err) {
    recordJobRun(job, (performance.now() - start) / 1000, 'failure', options);
    throw err;
  }
}
