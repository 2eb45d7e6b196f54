import { randomUUID } from 'node:crypto';
import type { ImmoLogger } from '@immo/logger';
import { withCorrelation } from '@immo/logger';
import { getMetrics, type Metrics, recordJobRun } from '@immo/metrics';
import { currentTraceId, withSpan } from '@immo/tracing';
import type pg from 'pg';

/** Rent per square metre and month, in cents: the sample's whole tariff. */
export const RENT_CENTS_PER_SQM = 1250;

/** A billing run as the API reports it. */
export interface BillingRun {
  id: string;
  org_id: string;
  period: string;
  status: 'running' | 'succeeded' | 'failed';
  invoices: number;
  trace_id: string | null;
}

function runsCounter(metrics: Metrics) {
  return metrics.counter({
    name: 'billing_runs_total',
    help: 'Billing runs by outcome.',
    labelNames: ['outcome'],
  });
}

/**
 * Starts a billing run in the background and returns its id at once: one invoice per unit of the
 * organisation for `period`, all in one transaction (a rerun for the same period creates none twice).
 * The run has its own correlation id (`billing-run-<id>`) on every log line and a `billing.run` span
 * with `billing.load_units` and `billing.create_invoices` children (and the pg spans under them);
 * its duration goes to `immo_job_duration_seconds{job="billing_run"}` (1800 s bucket: the SLO's
 * 30 minutes) and its outcome to `billing_runs_total`.
 */
export async function startBillingRun(
  pool: pg.Pool,
  logger: ImmoLogger,
  orgId: string,
  period: string,
  metrics: Metrics = getMetrics(),
): Promise<{ id: string; done: Promise<BillingRun> }> {
  const id = randomUUID();
  const runs = runsCounter(metrics);
  await pool.query('INSERT INTO billing_runs (id, org_id, period, status) VALUES ($1, $2, $3, $4)', [
    id,
    orgId,
    period,
    'running',
  ]);
  const done = withCorrelation(`billing-run-${id}`, () =>
    withSpan(
      'billing.run',
      { 'billing.run.id': id, 'billing.org.id': orgId, 'billing.period': period },
      async (span) => {
        const started = performance.now();
        logger.info({ run_id: id, org_id: orgId, period }, 'billing run started');
        try {
          const units = await withSpan('billing.load_units', () => loadUnits(pool, orgId));
          span.setAttribute('billing.units', units.length);
          const created = await withSpan('billing.create_invoices', { 'billing.units': units.length }, () =>
            createInvoices(pool, id, orgId, period, units),
          );
          span.setAttribute('billing.invoices', created);
          const run = await finish(pool, id, 'succeeded', created);
          recordJobRun('billing_run', (performance.now() - started) / 1000, 'success', { metrics });
          runs.inc({ outcome: 'success' });
          logger.info({ run_id: id, invoices: created }, 'billing run finished');
          return run;
        } catch (error) {
          recordJobRun('billing_run', (performance.now() - started) / 1000, 'failure', { metrics });
          runs.inc({ outcome: 'failure' });
          logger.error({ err: error, run_id: id }, 'billing run failed');
          await finish(pool, id, 'failed', 0).catch(() => undefined);
          throw error;
        }
      },
    ),
  );
  // The caller gets the promise for tests; a failure is already logged, counted and on the span.
  const settled = done.then(
    () => undefined,
    () => undefined,
  );
  inFlight.add(settled);
  void settled.then(() => inFlight.delete(settled));
  return { id, done };
}

const inFlight = new Set<Promise<void>>();

/**
 * Waits for the runs still in progress (a shutdown hook: a run is one transaction, so one cut short
 * leaves nothing half-written, but letting it finish saves a rerun).
 */
export async function waitForBillingRuns(): Promise<void> {
  await Promise.all(inFlight);
}

async function loadUnits(pool: pg.Pool, orgId: string): Promise<{ id: string; area_sqm: number }[]> {
  const { rows } = await pool.query<{ id: string; area_sqm: number }>(
    `SELECT u.id::text, u.area_sqm::float8 AS area_sqm
       FROM units u JOIN properties p ON p.id = u.property_id
      WHERE p.org_id = $1 ORDER BY u.id`,
    [orgId],
  );
  return rows;
}

async function createInvoices(
  pool: pg.Pool,
  runId: string,
  orgId: string,
  period: string,
  units: { id: string; area_sqm: number }[],
): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    let created = 0;
    for (const unit of units) {
      const r = await client.query(
        `INSERT INTO invoices (run_id, org_id, unit_id, period, amount_cents)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (unit_id, period) DO NOTHING`,
        [runId, orgId, unit.id, period, Math.round(unit.area_sqm * RENT_CENTS_PER_SQM)],
      );
      created += r.rowCount ?? 0;
    }
    await client.query('COMMIT');
    return created;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function finish(
  pool: pg.Pool,
  id: string,
  status: 'succeeded' | 'failed',
  invoices: number,
): Promise<BillingRun> {
  const { rows } = await pool.query<BillingRun>(
    `UPDATE billing_runs SET status = $2, invoices = $3, trace_id = $4, finished_at = now()
      WHERE id = $1
      RETURNING id::text, org_id::text, period, status, invoices, trace_id`,
    [id, status, invoices, currentTraceId() ?? null],
  );
  return rows[0] as BillingRun;
}

/** A run by id, or undefined. */
export async function getBillingRun(pool: pg.Pool, id: string): Promise<BillingRun | undefined> {
  const { rows } = await pool.query<BillingRun>(
    'SELECT id::text, org_id::text, period, status, invoices, trace_id FROM billing_runs WHERE id = $1',
    [id],
  );
  return rows[0];
}
