import { getMetrics, type Metrics } from '@immo/metrics';
import type pg from 'pg';

/** What the backup job records after each run (pg_dump, upload, restore check). */
export interface BackupRecord {
  finishedAt: Date;
  ok: boolean;
  sizeBytes?: number;
}

/** Records a finished backup; the backup job (a CronJob running pg_dump) calls this, or the same INSERT. */
export async function recordBackup(pool: pg.Pool, b: BackupRecord): Promise<void> {
  await pool.query('INSERT INTO backups (finished_at, ok, size_bytes) VALUES ($1, $2, $3)', [
    b.finishedAt,
    b.ok,
    b.sizeBytes ?? null,
  ]);
}

/** Options of {@link exportBackupAge}. */
export interface BackupMetricOptions {
  /** How often the last successful backup is read from the database. @default 30000 */
  refreshMs?: number;
  metrics?: Metrics;
}

/**
 * Exports `immo_backup_last_success_timestamp_seconds`: when the last successful backup finished
 * (0 when there was none, so `BackupMissing` fires for a database that was never backed up). The
 * value is read from the `backups` table every `refreshMs` in the background, never at scrape time:
 * a database outage must not make /metrics slow or fail (the last value stays until a read works).
 * Returns a function that stops the refresh.
 */
export function exportBackupAge(pool: pg.Pool, options: BackupMetricOptions = {}): () => void {
  const metrics = options.metrics ?? getMetrics();
  let last: number | undefined;
  metrics.gauge({
    name: 'immo_backup_last_success_timestamp_seconds',
    help: 'When the last successful database backup finished (Unix seconds; 0 = never).',
    collect: (g) => {
      if (last !== undefined) g.set(last);
    },
  });
  const refresh = async () => {
    try {
      const { rows } = await pool.query<{ t: string | null }>(
        'SELECT extract(epoch FROM max(finished_at))::text AS t FROM backups WHERE ok',
      );
      last = rows[0]?.t === null || rows[0]?.t === undefined ? 0 : Number(rows[0].t);
    } catch {
      // Keep the last value: the readiness check reports the database outage.
    }
  };
  void refresh();
  const timer = setInterval(() => void refresh(), options.refreshMs ?? 30_000);
  timer.unref();
  return () => clearInterval(timer);
}
