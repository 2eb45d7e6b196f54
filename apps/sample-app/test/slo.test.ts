import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestHealth } from '@immo/health/testing';
import { captureLogs } from '@immo/logger/testing';
import { declareJobs } from '@immo/metrics';
import { createTestMetrics } from '@immo/metrics/testing';
import { defineSlos, SLO_SERIES, sloDashboardQueries, sloRuleFile } from '@immo/slo';
import { type PrometheusServer, requireTools, startPrometheus } from '@immo/test-servers';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { SLO_JOBS, sloSpecs } from '../src/slos.js';
import { eventually, query, startDatabase } from './helpers.js';

const run = promisify(execFile);
const tools = requireTools('sample app SLOs on a real Prometheus', ['postgres', 'prometheus', 'promtool']);
const root = join(import.meta.dirname, '..');
const cli = join(root, 'node_modules', '@immo', 'slo', 'dist', 'cli.js');

const value = (r: Array<{ value: [number, string] }>) => (r.length ? Number(r[0]!.value[1]) : undefined);

describe.skipIf(!tools.ok)('the sample app’s SLOs on a real Prometheus', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let app: FastifyInstance;
  let prom: PrometheusServer;
  let base: string;
  // The production specs, evaluated every second instead of every minute and paging after 5 s
  // instead of 2 minutes, so the test is quick (the generated promtool tests check the real timing).
  const slos = defineSlos(
    sloSpecs.map((s) => ({
      ...s,
      interval: '1s',
      ...(s.sli.kind === 'batch' ? {} : { alerting: { ...s.alerting, fast: { for: '5s' } } }),
    })),
  );
  let traffic: NodeJS.Timeout | undefined;

  beforeAll(async () => {
    db = await startDatabase();
    const { logger } = captureLogs({ service: 'sample-app' });
    const metrics = createTestMetrics({ service: 'sample-app' });
    declareJobs(SLO_JOBS, { metrics });
    app = await buildApp({ logger, pool: db.pool, health: createTestHealth(), metrics });
    // Faults the way they happen: a handler that throws, and one that waits on a slow dependency.
    app.get('/api/fault', async () => {
      throw new Error('injected fault');
    });
    app.get('/api/slow', async () => {
      await new Promise((r) => setTimeout(r, 2_200));
      return { slow: true };
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    prom = await startPrometheus({
      scrapeTargets: [base.slice('http://'.length)],
      rules: { 'slos.rules.yml': sloRuleFile(slos) as never },
    });
    // Steady good traffic, ten requests a second, as a service has: events only count once
    // Prometheus scrapes them moving.
    traffic = setInterval(() => void get('/api/orgs/1'), 100);
    await eventually(
      () => query(prom, 'slo:events:increase5m{slo="sample-app-availability"} > 0'),
      (r) => r.length > 0,
      60_000,
    );
  }, 120_000);

  afterAll(async () => {
    clearInterval(traffic);
    await prom?.stop();
    await app?.close();
    await db?.stop();
  });

  function get(path: string) {
    return fetch(`${base}${path}`)
      .then((r) => r.arrayBuffer())
      .catch(() => undefined);
  }

  it('burn rates stay 0 on clean traffic, then move when errors and slow requests come', async () => {
    const availability = '{slo="sample-app-availability", service="sample-app"}';
    const latency = '{slo="sample-app-latency", service="sample-app"}';
    const clean = await eventually(
      () => query(prom, `slo:burn_rate:5m${availability}`),
      (r) => r.length > 0,
      30_000,
    );
    expect(value(clean)).toBe(0);
    expect(value(await query(prom, `${SLO_SERIES.budgetRemaining}${availability}`))).toBe(1);

    // 50 failures on top of ten good requests a second: several percent of the 5m window, against a
    // 0.1% budget. Slow requests: past the 2 s bucket.
    for (let i = 0; i < 50; i++) await get('/api/fault');
    await Promise.all([get('/api/slow'), get('/api/slow'), get('/api/slow')]);
    const burning = await eventually(
      () => query(prom, `slo:burn_rate:5m${availability}`),
      (r) => (value(r) ?? 0) > 14.4,
      30_000,
    );
    expect(value(burning)).toBeGreaterThan(14.4);
    const slow = await eventually(
      () => query(prom, `slo:burn_rate:5m${latency}`),
      (r) => (value(r) ?? 0) > 0,
      30_000,
    );
    expect(value(slow)).toBeGreaterThan(0);
    const left = await eventually(
      () => query(prom, `${SLO_SERIES.budgetRemaining}${availability}`),
      (r) => (value(r) ?? 1) < 0,
      30_000,
    );
    // 50 of a few hundred requests failed against a 0.1% budget: far more than the budget is spent.
    expect(value(left)).toBeLessThan(0);
    // The page fires: every window holds only these few minutes, so the 1h and 5m burn agree.
    const alerts = await eventually(
      async () =>
        (
          (await (await fetch(`${prom.url}/api/v1/alerts`)).json()) as {
            data: { alerts: Array<{ labels: Record<string, string>; state: string }> };
          }
        ).data.alerts,
      (a) => a.some((x) => x.labels.alertname === 'SLOFastBurn' && x.state === 'firing'),
      30_000,
    );
    expect(alerts.find((x) => x.labels.alertname === 'SLOFastBurn')?.labels).toMatchObject({
      slo: 'sample-app-availability',
      priority: 'P0',
      burn_tier: 'fast',
    });
  }, 120_000);

  it('counts a real billing run as a good event of the batch SLO', async () => {
    // The run's series are exported at 0 from start-up (declareJobs), so Prometheus sees 0 → 1.
    const declared = await eventually(
      () => query(prom, 'immo_job_duration_seconds_count{job_name="billing_run", outcome="success"}'),
      (r) => r.length > 0,
      30_000,
    );
    expect(value(declared)).toBe(0);
    const res = await fetch(`${base}/api/orgs/1/billing-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ period: '2026-11' }),
    });
    expect(res.status).toBeLessThan(300);
    const events = await eventually(
      () => query(prom, 'sum_over_time(slo:events:increase5m{slo="billing-run"}[5m])'),
      (r) => (value(r) ?? 0) > 0,
      30_000,
    );
    expect(value(events)).toBeGreaterThan(0);
    const compliance = await query(prom, `${SLO_SERIES.compliance}{slo="billing-run"}`);
    expect(value(compliance)).toBe(1);
  }, 90_000);

  it('every SLO dashboard query runs against the Prometheus, and the key panels have data', async () => {
    const empty: string[] = [];
    for (const q of sloDashboardQueries()) {
      const r = await query(prom, q.expr);
      if (r.length === 0) empty.push(q.panel);
    }
    // Alerts firing and the slow windows may be empty; budget, compliance, burn and SLI are not.
    for (const panel of [
      'Error budget remaining',
      'Compliance over the period',
      'Burn rate per window',
      'SLI (5m)',
    ]) {
      expect(empty, panel).not.toContain(panel);
    }
  });

  it('immo-slo report prints compliance and budget remaining per SLO from this Prometheus', async () => {
    const spec = join(root, 'dist', 'slos.js');
    const { stdout } = await run(process.execPath, [cli, 'report', spec, '--prometheus', prom.url, '--json']);
    const report = JSON.parse(stdout) as {
      rows: Array<{
        slo: string;
        compliance?: number;
        budgetRemaining?: number;
        status: string;
        budgetMinutes: number;
      }>;
    };
    const row = report.rows.find((r) => r.slo === 'sample-app-availability')!;
    expect(row.compliance).toBeGreaterThan(0.5);
    expect(row.compliance).toBeLessThan(0.999);
    expect(row.budgetRemaining).toBeLessThan(0);
    expect(row.status).toBe('missed');
    expect(row.budgetMinutes).toBe(43.2);
    const text = (await run(process.execPath, [cli, 'report', spec, '--prometheus', prom.url])).stdout;
    expect(text).toMatch(/^sample-app-availability +sample-app +30d +99\.9% +\d\d\.\d+% +-\d+/m);
    expect(text).toContain('average month of 30.44 days');
  });
});

describe('the SLO definitions as CI checks them', () => {
  it('immo-slo validate accepts the sample app’s SLO module (the CI gate)', async () => {
    const { stdout } = await run(process.execPath, [cli, 'validate', join(root, 'dist', 'slos.js')]);
    expect(stdout).toBe('immo-slo validate: 3 SLO(s) valid\n');
  });

  it('the three SLOs of the rollout plan: 99.9% availability, p99 < 2 s, billing run < 30 min', () => {
    const slos = defineSlos(sloSpecs);
    expect(slos.map((s) => [s.id, s.objective, s.window, s.sli.kind, s.budget])).toEqual([
      ['sample-app-availability', 0.999, '30d', 'ratio', 0.001],
      ['sample-app-latency', 0.99, '30d', 'latency', 0.01],
      ['billing-run', 0.99, '30d', 'batch', 0.01],
    ]);
    const latency = slos[1]!.sli;
    expect(latency.kind === 'latency' && latency.threshold).toBe(2);
    const billing = slos[2]!.sli;
    expect(billing.kind === 'batch' && [billing.job, billing.deadlineSeconds]).toEqual(['billing_run', 1800]);
  });
});
