import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  declareJobs,
  declareSecurityEventTypes,
  recordBackupSuccess,
  recordSecurityEvent,
  SECURITY_EVENT_TYPES,
  timeJob,
} from '../src/index.js';
import { createTestMetrics, histogramCount, metricValue, scrape } from '../src/testing.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('security events', () => {
  it('counts by type, with the known types exported at 0 from the first use', async () => {
    const metrics = createTestMetrics();
    recordSecurityEvent('csrf_rejected', { metrics });
    recordSecurityEvent('csrf_rejected', { metrics });
    declareSecurityEventTypes(['api_key_misuse'], { metrics });
    for (const type of SECURITY_EVENT_TYPES)
      expect(metricValue('immo_security_events_total', { type }, { metrics })).toBe(
        type === 'csrf_rejected' ? 2 : 0,
      );
    expect(await scrape(undefined, { metrics })).toContain(
      'immo_security_events_total{service="test",version="0.0.0",type="api_key_misuse"} 0\n',
    );
  });
});

describe('backups', () => {
  it('sets the last success timestamp in seconds', () => {
    const metrics = createTestMetrics();
    recordBackupSuccess('pg-nightly', { metrics, at: new Date('2026-01-02T03:04:05Z') });
    expect(
      metricValue('immo_backup_last_success_timestamp_seconds', { backup: 'pg-nightly' }, { metrics }),
    ).toBe(1767323045);
  });
});

describe('declareJobs', () => {
  it('exports both outcomes of a job at 0 before its first run, so increase() sees that run', async () => {
    const metrics = createTestMetrics();
    declareJobs(['billing_run'], { metrics });
    const text = await scrape(undefined, { metrics });
    for (const outcome of ['success', 'failure']) {
      expect(text).toContain(
        `immo_job_duration_seconds_count{service="test",version="0.0.0",job_name="billing_run",outcome="${outcome}"} 0\n`,
      );
    }
    await timeJob('billing_run', async () => 1, { metrics });
    expect(
      histogramCount(
        'immo_job_duration_seconds',
        { job_name: 'billing_run', outcome: 'success' },
        { metrics },
      ),
    ).toBe(1);
  });
});

describe('timeJob', () => {
  it('records duration and outcome, and the last success time, and returns the result', async () => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], now: new Date('2026-03-01T00:00:00Z') });
    const metrics = createTestMetrics();
    const result = await timeJob(
      'billing_run',
      async () => {
        vi.advanceTimersByTime(1500);
        return 42;
      },
      { metrics },
    );
    expect(result).toBe(42);
    expect(
      metricValue('immo_job_duration_seconds', { job_name: 'billing_run', outcome: 'success' }, { metrics }),
    ).toBeCloseTo(1.5, 3);
    expect(
      metricValue('immo_job_last_success_timestamp_seconds', { job_name: 'billing_run' }, { metrics }),
    ).toBe(Date.parse('2026-03-01T00:00:01.500Z') / 1000);
  });

  it('records a failure, rethrows, and leaves the last success time alone', async () => {
    const metrics = createTestMetrics();
    await expect(timeJob('import', () => Promise.reject(new Error('bad file')), { metrics })).rejects.toThrow(
      'bad file',
    );
    expect(
      histogramCount('immo_job_duration_seconds', { job_name: 'import', outcome: 'failure' }, { metrics }),
    ).toBe(1);
    expect(
      metricValue('immo_job_last_success_timestamp_seconds', { job_name: 'import' }, { metrics }),
    ).toBeUndefined();
    expect(await scrape(undefined, { metrics })).toContain(
      'immo_job_duration_seconds_bucket{service="test",version="0.0.0",job_name="import",outcome="failure",le="1800"} 1',
    );
  });
});
