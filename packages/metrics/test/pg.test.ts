import { type PostgresServer, requireTools, startPostgres } from '@immo/test-servers';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentPg, sqlOperationName } from '../src/index.js';
import { createTestMetrics, histogramCount, metricValue } from '../src/testing.js';

const OP = 'db_client_operation_duration_seconds';

describe('sqlOperationName', () => {
  it('takes the first SQL keyword after comments, never the text', () => {
    expect(sqlOperationName('select 1')).toBe('SELECT');
    expect(sqlOperationName('  /* list */ -- note\n  INSERT INTO t VALUES (1)')).toBe('INSERT');
    expect(sqlOperationName('WITH x AS (SELECT 1) SELECT * FROM x')).toBe('WITH');
    expect(sqlOperationName("robert'); DROP TABLE students;--")).toBe('_OTHER');
    expect(sqlOperationName(undefined)).toBe('_OTHER');
  });
});

const tools = requireTools('pg instrumentation', ['postgres']);

describe.skipIf(!tools.ok)('instrumentPg against PostgreSQL', () => {
  let server: PostgresServer;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('times pool.query and checked-out clients by operation, with error_type on failure', async () => {
    const metrics = createTestMetrics();
    const pool = new pg.Pool({ connectionString: server.url, max: 4 });
    try {
      instrumentPg(pool, { poolName: 'main', metrics });
      instrumentPg(pool, { poolName: 'main', metrics }); // idempotent
      await pool.query('CREATE TABLE invoices (id int PRIMARY KEY, iban text)');
      await pool.query('INSERT INTO invoices VALUES ($1, $2)', [1, 'DE89370400440532013000']);
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query({ text: 'SELECT * FROM invoices WHERE id = $1', values: [1] });
        await new Promise<void>((resolve, reject) =>
          client.query('UPDATE invoices SET iban = $1', ['x'], (err) => (err ? reject(err) : resolve())),
        );
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      await expect(pool.query('INSERT INTO invoices VALUES (1, $1)', ['dup'])).rejects.toThrow(/duplicate/);
      const labels = (op: string, error_type = '') => ({
        db_system_name: 'postgresql',
        db_operation_name: op,
        error_type,
      });
      expect(histogramCount(OP, labels('CREATE'), { metrics })).toBe(1);
      expect(histogramCount(OP, labels('INSERT'), { metrics })).toBe(1);
      expect(histogramCount(OP, labels('INSERT', '23505'), { metrics })).toBe(1);
      expect(histogramCount(OP, labels('SELECT'), { metrics })).toBe(1);
      expect(histogramCount(OP, labels('UPDATE'), { metrics })).toBe(1);
      expect(histogramCount(OP, labels('BEGIN'), { metrics })).toBe(1);
      const body = (await metrics.render()).body;
      expect(body).not.toContain('invoices');
      expect(body).not.toContain('DE89');
    } finally {
      await pool.end();
    }
  });

  it('records into the latest instrumentation of a pool, and stops when it is disposed', async () => {
    const first = createTestMetrics();
    const second = createTestMetrics();
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    const select = { db_system_name: 'postgresql', db_operation_name: 'SELECT', error_type: '' };
    try {
      const disposeFirst = instrumentPg(pool, { poolName: 'main', metrics: first });
      await pool.query('SELECT 1');
      disposeFirst();
      await pool.query('SELECT 1');
      const disposeSecond = instrumentPg(pool, { poolName: 'main', metrics: second });
      await pool.query('SELECT 1');
      disposeSecond();
      expect(histogramCount(OP, select, { metrics: first })).toBe(1);
      expect(histogramCount(OP, select, { metrics: second })).toBe(1);
    } finally {
      await pool.end();
    }
  });

  it('exports pool usage (used, idle, waiting, max) at scrape time', async () => {
    const metrics = createTestMetrics();
    const pool = new pg.Pool({ connectionString: server.url, max: 2 });
    try {
      instrumentPg(pool, { poolName: 'reports', metrics });
      const a = await pool.connect();
      const b = await pool.connect();
      const waiting = pool.connect();
      const usage = (state: string) =>
        metricValue(
          'db_client_connections_usage',
          { db_client_connection_pool_name: 'reports', db_client_connection_state: state },
          { metrics },
        );
      expect(usage('used')).toBe(2);
      expect(
        metricValue(
          'db_client_connection_pending_requests',
          { db_client_connection_pool_name: 'reports' },
          { metrics },
        ),
      ).toBe(1);
      expect(
        metricValue('db_client_connection_max', { db_client_connection_pool_name: 'reports' }, { metrics }),
      ).toBe(2);
      a.release();
      (await waiting).release();
      b.release();
      const body = (await metrics.render()).body;
      expect(body).toContain(
        'db_client_connections_usage{service="test",version="0.0.0",db_client_connection_pool_name="reports",db_client_connection_state="idle"} 2\n',
      );
      expect(body).toContain(
        'db_client_connection_pending_requests{service="test",version="0.0.0",db_client_connection_pool_name="reports"} 0\n',
      );
    } finally {
      await pool.end();
    }
  });

  it('times a single pg.Client', async () => {
    const metrics = createTestMetrics();
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      instrumentPg(client, { metrics });
      await client.query('SELECT 1');
      await expect(client.query('SELEC 1')).rejects.toThrow();
    } finally {
      await client.end();
    }
    expect(histogramCount(OP, { db_operation_name: 'SELECT' }, { metrics })).toBe(1);
    expect(histogramCount(OP, { db_operation_name: '_OTHER', error_type: '42601' }, { metrics })).toBe(1);
  });

  it('rejects a target that is not a pool or client with a coded error', () => {
    expect(() => instrumentPg({} as never, { poolName: '' })).toThrowError(
      expect.objectContaining({
        code: 'IMMO_METRICS_INVALID_OPTIONS',
        issues: expect.arrayContaining([
          expect.stringMatching(/^target:/),
          expect.stringMatching(/^poolName:/),
        ]),
      }),
    );
  });
});
