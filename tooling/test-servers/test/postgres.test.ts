import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { requireTools, startPostgres } from '../src/index.ts';
import { portIsFree } from './helpers.ts';

const execFileAsync = promisify(execFile);
const tools = requireTools('startPostgres', ['postgres', 'psql']);

async function psql(url: string, sql: string): Promise<string> {
  const { stdout } = await execFileAsync(tools.path('psql'), [
    url,
    '-tAX',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    sql,
  ]);
  return stdout.trim();
}

describe.skipIf(!tools.ok)('startPostgres', () => {
  it('starts a cluster that answers SELECT 1 through its URL', async () => {
    const pg = await startPostgres();
    try {
      expect(pg.url).toBe(`postgres://immo:${pg.password}@127.0.0.1:${pg.port}/immo`);
      expect(await psql(pg.url, 'SELECT 1')).toBe('1');
      expect(await psql(pg.url, "SELECT current_user || ' ' || current_database()")).toBe('immo immo');
      expect(await psql(pg.url, 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user')).toBe('t');
      expect(await psql(pg.url, 'SHOW fsync')).toBe('off');
    } finally {
      await pg.stop();
    }
  });

  it('pauses like an outage and resumes on the same port with its data', async () => {
    const pg = await startPostgres();
    try {
      await psql(pg.url, 'CREATE TABLE kept (v int); INSERT INTO kept VALUES (42)');
      await pg.pause();
      await expect(psql(pg.url, 'SELECT 1')).rejects.toThrow();
      await pg.resume();
      expect(await psql(pg.url, 'SELECT v FROM kept')).toBe('42');
    } finally {
      await pg.stop();
    }
  });

  it('creates the user and database it is asked for', async () => {
    const pg = await startPostgres({ user: 'billing', database: 'billing_test', password: 's3cret' });
    try {
      expect(pg.url).toBe(`postgres://billing:s3cret@127.0.0.1:${pg.port}/billing_test`);
      expect(await psql(pg.url, 'SELECT current_database()')).toBe('billing_test');
    } finally {
      await pg.stop();
    }
  });

  it('rejects a wrong password over TCP', async () => {
    const pg = await startPostgres();
    try {
      const wrong = pg.url.replace(`:${pg.password}@`, ':wrong@');
      await expect(psql(wrong, 'SELECT 1')).rejects.toThrow(/password authentication failed/);
    } finally {
      await pg.stop();
    }
  });

  it('runs two clusters in parallel on different ports', async () => {
    const [a, b] = await Promise.all([startPostgres(), startPostgres()]);
    try {
      expect(a.port).not.toBe(b.port);
      await psql(a.url, 'CREATE TABLE only_in_a (id int)');
      expect(await psql(a.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")).toBe('1');
      expect(await psql(b.url, "SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'")).toBe('0');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('frees its port and removes its data folder on stop', async () => {
    const pg = await startPostgres();
    expect(await portIsFree(pg.port)).toBe(false);
    await pg.stop();
    await pg.stop();
    expect(await portIsFree(pg.port)).toBe(true);
    expect(existsSync(pg.dataDir)).toBe(false);
    await expect(psql(pg.url, 'SELECT 1')).rejects.toThrow();
  });
});
