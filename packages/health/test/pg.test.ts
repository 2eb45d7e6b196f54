import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type PostgresServer, requireTools, startPostgres } from '@immo/test-servers';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { immoHealth } from '../src/fastify.js';
import { createHealth, type Health, pgCheck } from '../src/index.js';
import { waitForStatus } from '../src/testing.js';
import { quiet } from './helpers.js';

const execFileAsync = promisify(execFile);
const tools = requireTools('health pgCheck', ['postgres', 'runuser']);

const INTERVAL_MS = 1000;

// @immo/test-servers has no restart: the cluster is stopped and started again with pg_ctl on the
// same data directory and port (as the `postgres` user when running as root, like the helper).
function pgCtl(server: PostgresServer, args: string[]) {
  const cmd = join(server.binDir, 'pg_ctl');
  return process.getuid?.() === 0
    ? execFileAsync('runuser', ['-u', 'postgres', '--', cmd, ...args])
    : execFileAsync(cmd, args);
}
const stopDb = (server: PostgresServer) => pgCtl(server, ['stop', '-D', server.dataDir, '-m', 'fast', '-w']);
const startDb = (server: PostgresServer) =>
  pgCtl(server, [
    'start',
    '-D',
    server.dataDir,
    '-w',
    '-l',
    join(dirname(server.dataDir), 'restart.log'),
    '-o',
    `-p ${server.port} -k ${join(dirname(server.dataDir), 'sock')} -c listen_addresses=127.0.0.1 -c fsync=off`,
  ]);

describe.skipIf(!tools.ok)('pgCheck against a real PostgreSQL', () => {
  let server: PostgresServer;
  let pool: pg.Pool;
  let health: Health;
  let app: FastifyInstance;
  let restarted = false;

  beforeAll(async () => {
    server = await startPostgres();
    pool = new pg.Pool({ connectionString: server.url, connectionTimeoutMillis: 2000, max: 2 });
    // idle clients lose their connection when the database stops; pg emits that on the pool
    pool.on('error', () => {});
    health = createHealth({
      ...quiet,
      checkIntervalMs: INTERVAL_MS,
      checks: [pgCheck(pool, { timeoutMs: 2000, componentId: 'primary' })],
    });
    health.markStarted();
    app = Fastify();
    await app.register(immoHealth, { health, routes: true });
    await app.ready();
  });

  afterAll(async () => {
    await app?.close();
    health?.stop();
    await pool?.end().catch(() => {});
    if (restarted) await stopDb(server).catch(() => {});
    await server?.stop();
  });

  it('passes while the database answers', async () => {
    const ready = await waitForStatus(health, 'pass', { timeoutMs: 10_000 });
    expect(ready.report.checks['postgres:responseTime']?.[0]).toMatchObject({
      componentId: 'primary',
      componentType: 'datastore',
      status: 'pass',
      observedUnit: 'ms',
    });
    expect((await app.inject('/health/ready')).statusCode).toBe(200);
  });

  it('turns readiness 503 within two check intervals when the database stops, while liveness stays 200', async () => {
    await stopDb(server);
    const failed = await waitForStatus(health, 'fail', { timeoutMs: 2 * INTERVAL_MS });
    const output = failed.report.checks['postgres:responseTime']?.[0]?.output ?? '';
    expect(output).not.toBe('');
    expect(output).not.toContain(server.password);
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(503);
    expect(ready.body).not.toContain(server.password);
    expect((await app.inject('/health')).statusCode).toBe(200);
  });

  it('recovers on its own when the database is back', async () => {
    await startDb(server);
    restarted = true;
    await waitForStatus(health, 'pass', { timeoutMs: 15_000 });
    expect((await app.inject('/health/ready')).statusCode).toBe(200);
  });

  it('reports a login failure without the password', async () => {
    const wrong = `wrong-${server.password}`;
    const badPool = new pg.Pool({
      connectionString: server.url.replace(encodeURIComponent(server.password), wrong),
      connectionTimeoutMillis: 2000,
    });
    badPool.on('error', () => {});
    const h = createHealth({ ...quiet, checks: [pgCheck(badPool, { name: 'bad-login' })] });
    h.markStarted();
    try {
      const r = await h.runChecks();
      const output = r.report.checks['bad-login:responseTime']?.[0]?.output ?? '';
      expect(output).toMatch(/password authentication failed/);
      expect(r.body).not.toContain(wrong);
    } finally {
      await badPool.end();
    }
  });
});
