import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pgCheck } from '@immo/health';
import { createTestHealth } from '@immo/health/testing';
import { captureLogs } from '@immo/logger/testing';
import type { Metrics } from '@immo/metrics';
import { createTestMetrics } from '@immo/metrics/testing';
import { requireTools } from '@immo/test-servers';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';
import { startDatabase, startService } from './helpers.js';

const execFileAsync = promisify(execFile);
const tools = requireTools('sample app on PostgreSQL', ['postgres', 'promtool']);

describe.skipIf(!tools.ok)('sample app on PostgreSQL', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let app: FastifyInstance | undefined;
  beforeAll(async () => {
    db = await startDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function build(metrics: Metrics = createTestMetrics({ service: 'sample-app' })) {
    const logs = captureLogs({ service: 'sample-app' });
    const health = createTestHealth({ checks: [pgCheck(db.pool, { timeoutMs: 1_000 })] });
    app = await buildApp({ logger: logs.logger, pool: db.pool, health, metrics });
    await app.ready();
    await health.runChecks();
    return { app, logs, health, metrics };
  }

  it('serves organisations, properties and units from the database', async () => {
    const { app } = await build();
    const org = await app.inject({ url: '/api/orgs/1' });
    expect(org.statusCode).toBe(200);
    expect(org.json()).toEqual({ id: '1', name: 'Hausverwaltung Nord GmbH', plan: 'business' });
    const props = await app.inject({ url: '/api/orgs/1/properties' });
    expect(props.json()).toEqual([
      { id: '10', name: 'Wohnanlage Am Stadtpark', city: 'Hamburg', units: 3 },
      { id: '11', name: 'Gewerbehof Nord', city: 'Hamburg', units: 1 },
    ]);
    const units = await app.inject({ url: '/api/properties/20/units' });
    expect(units.json()).toEqual([
      { id: '200', label: 'EG links', area_sqm: 55 },
      { id: '201', label: 'EG rechts', area_sqm: 57.5 },
    ]);
    expect((await app.inject({ url: '/api/orgs/999' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/api/orgs/abc' })).statusCode).toBe(400);
  });

  it('logs one access line per request with the request id, and never a payer IBAN', async () => {
    const { app, logs } = await build();
    const res = await app.inject({ url: '/api/orgs/1', headers: { 'x-request-id': 'quick-1' } });
    expect(res.headers['x-request-id']).toBe('quick-1');
    expect(logs.find('request completed')).toEqual([
      expect.objectContaining({
        service: 'sample-app',
        request_id: 'quick-1',
        route: '/api/orgs/:id',
        status_code: 200,
      }),
    ]);
    const pay = await app.inject({
      method: 'POST',
      url: '/api/payments',
      payload: {
        payer_iban: 'DE89 3704 0044 0532 0130 00',
        amount: 120.5,
        reference: 'rent for jane@example.com',
      },
    });
    expect(pay.statusCode).toBe(202);
    const text = logs.raw().join('\n');
    expect(text).toContain('[REDACTED:iban:DE…3000]');
    expect(text).not.toMatch(/0532 ?0130 ?00|jane@example\.com/);
  });

  it('answers the probes: liveness, readiness with the database check, startup', async () => {
    const { app } = await build();
    const live = await app.inject({ url: '/health' });
    expect(live.statusCode).toBe(200);
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.headers['content-type']).toContain('application/health+json');
    expect(JSON.stringify(ready.json())).toContain('postgres');
    expect((await app.inject({ url: '/health/startup' })).statusCode).toBe(200);
  });

  it('exports HTTP, database and pool metrics with the 2 s SLO bucket, and promtool accepts them', async () => {
    const { app } = await build();
    for (const url of ['/api/orgs/1', '/api/orgs/2/properties', '/api/orgs/999', '/nope', '/health/ready']) {
      await app.inject({ url });
    }
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const text = res.body;
    expect(text).toMatch(
      /http_server_request_duration_seconds_bucket\{[^}]*http_route="\/api\/orgs\/:id",http_response_status_code="200",le="2"\} 1/,
    );
    expect(text).toMatch(/http_server_request_duration_seconds_count\{[^}]*http_route="_UNMATCHED"/);
    expect(text).not.toContain('/api/orgs/999');
    expect(text).not.toMatch(/http_route="\/health/);
    expect(text).toMatch(/db_client_operation_duration_seconds_count\{[^}]*db_operation_name="SELECT"/);
    expect(text).toMatch(/db_client_connection_max\{[^}]*db_client_connection_pool_name="main"[^}]*\} 5/);
    expect(text).toMatch(/service="sample-app"/);
    expect(text).not.toMatch(/SELECT id|FROM organizations/);

    const dir = mkdtempSync(join(tmpdir(), 'sample-metrics-'));
    try {
      const file = join(dir, 'metrics.prom');
      writeFileSync(file, text);
      const { stdout, stderr } = await execFileAsync('sh', [
        '-c',
        `"${tools.path('promtool')}" check metrics < "${file}"`,
      ]);
      expect(`${stdout}${stderr}`.trim()).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts from the built entry point with DATABASE_URL and stops gracefully on SIGTERM', async () => {
    const service = await startService({
      DATABASE_URL: db.server.url,
      IMMO_HEALTH_PROPAGATION_DELAY_MS: '0',
    });
    try {
      const res = await fetch(`${service.url}/api/orgs/2`);
      expect(res.status).toBe(200);
      service.child.kill('SIGTERM');
      const { code } = await service.exited;
      expect(code).toBe(0);
      const lines = service.lines();
      expect(lines.some((l) => l.msg === 'request completed' && l.route === '/api/orgs/:id')).toBe(true);
    } finally {
      service.kill();
    }
  }, 60_000);

  it('refuses to start without DATABASE_URL and says how to get one', async () => {
    const service = startService({ DATABASE_URL: '' });
    await expect(service).rejects.toThrow(/DATABASE_URL/);
  }, 30_000);
});
