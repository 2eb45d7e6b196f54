import { MetricsOptionsError } from './errors.js';
import { registerPoolUsage } from './helpers.js';
import type { BoundHistogram, Histogram } from './metric.js';
import { getMetrics, internals, type Metrics } from './metrics.js';

/** Buckets of `db_client_operation_duration_seconds`. */
export const DB_OPERATION_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10,
];

/** SQL keywords recorded as `db_operation_name`; any other first keyword is `_OTHER`. */
export const SQL_OPERATIONS: readonly string[] = [
  'SELECT',
  'INSERT',
  'UPDATE',
  'DELETE',
  'MERGE',
  'WITH',
  'BEGIN',
  'START',
  'COMMIT',
  'ROLLBACK',
  'SAVEPOINT',
  'RELEASE',
  'CREATE',
  'ALTER',
  'DROP',
  'TRUNCATE',
  'COPY',
  'CALL',
  'DO',
  'SET',
  'SHOW',
  'RESET',
  'EXPLAIN',
  'VACUUM',
  'ANALYZE',
  'LISTEN',
  'UNLISTEN',
  'NOTIFY',
  'LOCK',
  'GRANT',
  'REVOKE',
  'PREPARE',
  'EXECUTE',
  'DEALLOCATE',
  'DECLARE',
  'FETCH',
  'MOVE',
  'CLOSE',
  'REFRESH',
  'REINDEX',
  'CLUSTER',
  'COMMENT',
  'DISCARD',
  'VALUES',
  'TABLE',
];
const KNOWN_OPS = new Set(SQL_OPERATIONS);
const LEADING = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*([A-Za-z]+)/;

/**
 * The `db_operation_name` of a statement: its first SQL keyword (after comments), upper-cased,
 * when it is one of {@link SQL_OPERATIONS}; else `_OTHER`. Never the SQL text.
 *
 * @example
 * ```ts
 * sqlOperationName('/* list *\/ select * from invoices'); // 'SELECT'
 * ```
 */
export function sqlOperationName(sql: unknown): string {
  if (typeof sql !== 'string') return '_OTHER';
  const m = LEADING.exec(sql);
  const op = m?.[1]?.toUpperCase();
  return op !== undefined && KNOWN_OPS.has(op) ? op : '_OTHER';
}

type Callback = (err: unknown, result: unknown) => void;
interface PgClientLike {
  query: (...args: unknown[]) => unknown;
}
interface PgPoolLike extends PgClientLike {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
  on(event: 'connect', listener: (client: PgClientLike) => void): unknown;
}

/** Options of {@link instrumentPg}. */
export interface PgInstrumentationOptions {
  /** The `db_client_connection_pool_name` of a pool's usage gauges. @default 'default' */
  poolName?: string;
  /** @default getMetrics() */
  metrics?: Metrics;
  /** @default DB_OPERATION_DURATION_BUCKETS */
  buckets?: readonly number[];
}

const kInstrumented = Symbol.for('@immo/metrics.pg.instrumented');

function isPool(target: unknown): target is PgPoolLike {
  const t = target as Partial<PgPoolLike>;
  return typeof t.totalCount === 'number' && typeof t.idleCount === 'number' && typeof t.on === 'function';
}

function errorType(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  // PostgreSQL's SQLSTATE (e.g. 23505), else a Node error code, else the class name.
  if (typeof code === 'string' && /^[0-9A-Z_]{5,40}$/.test(code)) return code;
  const name = (err as { name?: unknown })?.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,60}$/.test(name) ? name : '_OTHER';
}

/**
 * Times `query()` of a `pg` Pool or Client in `db_client_operation_duration_seconds`
 * (`db_system_name="postgresql"`, `db_operation_name` from the first SQL keyword, `error_type` on
 * failure), and for a Pool exports its usage gauges (used/idle/waiting/max) at scrape time.
 * On a Pool every client it connects is instrumented, so `pool.query()` and checked-out clients
 * are both timed once. Call it right after creating the pool. Idempotent; returns a function that
 * stops the pool's usage gauges.
 *
 * @example
 * ```ts
 * import pg from 'pg';
 * import { instrumentPg } from '@immo/metrics';
 *
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
 * instrumentPg(pool, { poolName: 'main' });
 * ```
 */
export function instrumentPg(
  target: PgPoolLike | PgClientLike,
  options: PgInstrumentationOptions = {},
): () => void {
  const issues: string[] = [];
  if (target === null || typeof target !== 'object' || typeof (target as PgClientLike).query !== 'function')
    issues.push('target: expected a pg Pool or Client (an object with query())');
  if (options === null || typeof options !== 'object') issues.push('(options): expected object');
  else if (
    options.poolName !== undefined &&
    (typeof options.poolName !== 'string' || options.poolName === '')
  )
    issues.push(`poolName: expected a non-empty string, received ${JSON.stringify(options.poolName)}`);
  if (issues.length > 0)
    throw new MetricsOptionsError('IMMO_METRICS_INVALID_OPTIONS', 'Invalid instrumentPg arguments', issues);

  const metrics = options.metrics ?? getMetrics();
  const duration = operationHistogram(metrics, options.buckets);
  if (!isPool(target)) {
    const c = target as PgClientLike & { [kInstrumented]?: Holder };
    const existing = c[kInstrumented];
    if (existing !== undefined) existing.h = duration;
    else wrapClient(c, { h: duration });
    const owned = c[kInstrumented]!;
    return () => {
      if (owned.h === duration) owned.h = undefined;
    };
  }
  const pool = target as PgPoolLike & { [kInstrumented]?: Holder };
  // The wrappers stay on the pool's clients for good; what they record into is this holder, so a
  // second instrumentPg (another metrics instance, e.g. a test's) takes over and the disposer
  // stops recording instead of leaving queries counted into a metrics instance nobody reads.
  let holder = pool[kInstrumented];
  if (holder === undefined) {
    const created: Holder = { h: duration };
    holder = created;
    pool[kInstrumented] = created;
    pool.on('connect', (client) => wrapClient(client, created));
    // Clients connected before instrumentPg was called (pg keeps them in `_clients`).
    for (const c of (pool as unknown as { _clients?: PgClientLike[] })._clients ?? []) wrapClient(c, created);
  }
  holder.h = duration;
  const unregister = registerPoolUsage(
    options.poolName ?? 'default',
    () => {
      const total = pool.totalCount;
      const idle = pool.idleCount;
      return { used: total - idle, idle, waiting: pool.waitingCount, max: pool.options?.max ?? 10 };
    },
    { metrics },
  );
  const owned = holder;
  return () => {
    if (owned.h === duration) owned.h = undefined;
    unregister();
  };
}

interface Holder {
  h: OperationHistogram | undefined;
}

type DbLabel = 'db_system_name' | 'db_operation_name' | 'error_type';
interface OperationHistogram {
  histogram: Histogram<DbLabel>;
  ok: Map<string, BoundHistogram>;
}

function operationHistogram(metrics: Metrics, buckets: readonly number[] | undefined): OperationHistogram {
  const memo = internals(metrics).memo;
  const key = 'pg';
  let h = memo.get(key) as OperationHistogram | undefined;
  if (h === undefined) {
    h = {
      histogram: metrics.histogram({
        name: 'db_client_operation_duration_seconds',
        help: 'Duration of database client operations, in seconds.',
        unit: 'seconds',
        labelNames: ['db_system_name', 'db_operation_name', 'error_type'],
        buckets: buckets ?? DB_OPERATION_DURATION_BUCKETS,
      }),
      ok: new Map(),
    };
    memo.set(key, h);
  }
  return h;
}

function observe(holder: Holder, op: string, start: number, err: unknown): void {
  const h = holder.h;
  if (h === undefined) return;
  const seconds = (performance.now() - start) / 1000;
  if (err) {
    h.histogram.observe(
      { db_system_name: 'postgresql', db_operation_name: op, error_type: errorType(err) },
      seconds,
    );
    return;
  }
  let b = h.ok.get(op);
  if (b === undefined) {
    b = h.histogram.bind({ db_system_name: 'postgresql', db_operation_name: op });
    h.ok.set(op, b);
  }
  b.observe(seconds);
}

function wrapClient(client: PgClientLike, h: Holder): void {
  const c = client as PgClientLike & { [kInstrumented]?: Holder };
  if (c[kInstrumented] !== undefined) return;
  c[kInstrumented] = h;
  const original = client.query;
  client.query = function immoTimedQuery(this: unknown, ...args: unknown[]): unknown {
    const first = args[0] as { text?: unknown } | string | undefined;
    const op = sqlOperationName(typeof first === 'string' ? first : first?.text);
    const start = performance.now();
    const last = args.length - 1;
    const cb = args[last];
    if (typeof cb === 'function') {
      args[last] = function timedCallback(this: unknown, err: unknown, result: unknown) {
        observe(h, op, start, err);
        return (cb as Callback).call(this, err, result);
      };
      return original.apply(this, args);
    }
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (err) {
      observe(h, op, start, err);
      throw err;
    }
    const r = result as { then?: unknown; once?: unknown } | undefined;
    if (r !== undefined && r !== null && typeof r.then === 'function') {
      (r as Promise<unknown>).then(
        () => observe(h, op, start, undefined),
        (err: unknown) => observe(h, op, start, err ?? new Error('query failed')),
      );
    } else if (r !== undefined && r !== null && typeof r.once === 'function') {
      // A submittable (pg-cursor, pg-query-stream): done at 'end' or 'error'.
      let done = false;
      const finish = (err: unknown) => {
        if (done) return;
        done = true;
        observe(h, op, start, err);
      };
      (r as { once(e: string, f: (x?: unknown) => void): void }).once('end', () => finish(undefined));
      (r as { once(e: string, f: (x?: unknown) => void): void }).once('error', (err) => finish(err));
    }
    return result;
  };
}
