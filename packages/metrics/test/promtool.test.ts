import { spawnSync } from 'node:child_process';
import { promtoolPath, requireTools } from '@immo/test-servers';
import Fastify from 'fastify';
import client from 'prom-client';
import { describe, expect, it } from 'vitest';
import { immoMetrics } from '../src/fastify.js';
import {
  declareSecurityEventTypes,
  instrumentPg,
  instrumentUndici,
  recordBackupSuccess,
  recordSecurityEvent,
  registerPoolUsage,
  timeJob,
} from '../src/index.js';
import { createTestMetrics } from '../src/testing.js';

const tools = requireTools('promtool check metrics', ['promtool']);

function promtool(text: string): { status: number | null; output: string } {
  const r = spawnSync(promtoolPath(), ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe.skipIf(!tools.ok)('promtool check metrics', () => {
  it('passes with exit code 0 and no lint output on a full exposition (runtime, HTTP, outbound, db, helpers)', async () => {
    const metrics = createTestMetrics({ runtimeMetrics: true, service: 'billing-api', version: '1.4.2' });
    const app = Fastify();
    await app.register(immoMetrics, { metrics, requestSize: true, responseSize: true });
    app.get('/orgs/:id', async () => ({ ok: true }));
    app.get('/boom', async () => {
      throw new Error('x');
    });
    await app.inject('/orgs/1');
    await app.inject('/boom');
    await app.inject('/none');
    await app.inject({ method: 'POST', url: '/orgs/1', payload: { a: 1 } });
    await app.close();
    const stop = instrumentUndici({ metrics });
    stop();
    const fakePool = {
      totalCount: 3,
      idleCount: 1,
      waitingCount: 0,
      options: { max: 10 },
      query: () => Promise.resolve(),
      on: () => {},
    };
    instrumentPg(fakePool, { metrics, poolName: 'main' });
    registerPoolUsage('reports', () => ({ used: 1, idle: 1, waiting: 2, max: 5 }), { metrics });
    recordBackupSuccess('nightly', { metrics });
    recordSecurityEvent('auth_failure', { metrics });
    declareSecurityEventTypes(['api_key_misuse'], { metrics });
    await timeJob('billing_run', async () => 1, { metrics });
    await timeJob('import', async () => Promise.reject(new Error('x')), { metrics }).catch(() => {});
    metrics.counter({ name: 'capped_total', help: 'C.', labelNames: ['k'], maxSeries: 1 }).inc({ k: 'a' });
    metrics.counter({ name: 'capped_total', help: 'C.', labelNames: ['k'], maxSeries: 1 }).inc({ k: 'b' });
    new client.Gauge({
      name: 'user_queue_depth',
      help: 'A prom-client gauge of the app.',
      registers: [metrics.registry],
    }).set(3);

    const { body } = await metrics.render();
    for (const name of [
      'http_server_request_duration_seconds_bucket',
      'http_server_active_requests',
      'http_server_request_body_size_bytes_bucket',
      'http_client_request_duration_seconds',
      'db_client_operation_duration_seconds',
      'db_client_connections_usage',
      'db_client_connection_max',
      'db_client_connection_pending_requests',
      'immo_backup_last_success_timestamp_seconds',
      'immo_security_events_total',
      'immo_job_duration_seconds_bucket',
      'immo_job_last_success_timestamp_seconds',
      'immo_metrics_overflow_total{',
      'process_cpu_seconds_total',
      'nodejs_eventloop_utilization_ratio',
      'nodejs_active_handles{',
      'nodejs_version_info{',
    ])
      expect(body).toContain(name);
    const r = promtool(body);
    expect(r.output).toBe('');
    expect(r.status).toBe(0);
  });

  it('flags prom-client’s default runtime metrics (why we ship our own)', async () => {
    const reg = new client.Registry();
    client.collectDefaultMetrics({ register: reg });
    const r = promtool(await reg.metrics());
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('nodejs_active_handles_total');
  });
});
