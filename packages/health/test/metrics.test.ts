import { getMetrics } from '@immo/metrics';
import { describe, expect, it } from 'vitest';
import { createHealth } from '../src/index.js';
import { runShutdown } from '../src/testing.js';
import { quiet } from './helpers.js';

// Uses the real @immo/metrics process instance (the default when `metrics` is not given).
describe('metrics through @immo/metrics', () => {
  it('exposes check status, check duration, shutdown phases, pressure and shed requests', async () => {
    const health = createHealth({
      ...quiet,
      metrics: undefined,
      pressure: {},
      propagationDelayMs: 0,
      checks: [
        { name: 'db', check: () => true },
        { name: 'cache', critical: false, check: () => ({ status: 'warn' }) },
        { name: 'queue', check: () => false },
      ],
    });
    await health.runChecks();
    await runShutdown(health);
    const { body } = await getMetrics().render();
    const line = (re: RegExp) => body.split('\n').find((l) => re.test(l));
    expect(line(/^immo_health_check_status\{.*check="db".*\} 1$/)).toBeDefined();
    expect(line(/^immo_health_check_status\{.*check="cache".*\} 0\.5$/)).toBeDefined();
    expect(line(/^immo_health_check_status\{.*check="queue".*\} 0$/)).toBeDefined();
    expect(line(/^immo_health_check_duration_seconds_count\{.*check="db".*\} 1$/)).toBeDefined();
    for (const phase of ['propagation', 'drain', 'hooks', 'total']) {
      expect(
        line(new RegExp(`^immo_health_shutdown_phase_duration_seconds\\{.*phase="${phase}".*\\} `)),
      ).toBeDefined();
    }
    for (const type of ['event_loop_delay', 'heap', 'rss']) {
      expect(line(new RegExp(`^immo_health_pressure\\{.*type="${type}".*\\} 0$`))).toBeDefined();
    }
    expect(body).toContain('# TYPE immo_health_shed_requests_total counter');
  });

  it('can be created twice in one process (same metric definitions)', () => {
    expect(() => {
      createHealth({ ...quiet, metrics: getMetrics() });
      createHealth({ ...quiet, metrics: getMetrics() });
    }).not.toThrow();
  });
});
