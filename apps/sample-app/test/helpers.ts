import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { type PostgresServer, type PrometheusServer, startPostgres } from '@immo/test-servers';
import type pg from 'pg';
import { createPool, migrate } from '../src/db.js';

/** A real PostgreSQL with the service's schema, and a pool on it. */
export async function startDatabase(): Promise<{
  server: PostgresServer;
  pool: pg.Pool;
  stop(): Promise<void>;
}> {
  const server = await startPostgres({ database: 'sample_app' });
  const pool = createPool({ connectionString: server.url, max: 5 });
  await migrate(pool);
  return {
    server,
    pool,
    async stop() {
      await pool.end().catch(() => {});
      await server.stop();
    },
  };
}

/** The built server entry (`dist/main.js`) as a child process, as Kubernetes would run it. */
export interface ServiceProcess {
  readonly child: ChildProcess;
  /** What the process wrote to stderr so far. */
  readonly stderr: () => string;
  readonly url: string;
  readonly lines: () => Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  kill(): void;
}

/**
 * Starts the service the way its `start` script does: `node --import @immo/tracing/register
 * dist/main.js` (pass `nodeArgs: []` to leave the register entry out).
 */
export async function startService(
  env: Record<string, string>,
  options: { nodeArgs?: string[] } = {},
): Promise<ServiceProcess> {
  const appDir = join(import.meta.dirname, '..');
  const nodeArgs = options.nodeArgs ?? ['--import', '@immo/tracing/register'];
  const child = spawn(process.execPath, [...nodeArgs, join(appDir, 'dist', 'main.js')], {
    cwd: appDir,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', OTEL_SERVICE_NAME: 'sample-app', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c) => {
    stdout += c;
  });
  child.stderr!.on('data', (c) => {
    stderr += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const lines = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${stdout}\n${stderr}`)), 30_000);
    const poll = setInterval(() => {
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        clearInterval(poll);
        resolve(m[1]!);
      }
    }, 20);
    void exited.then(() => {
      clearTimeout(timer);
      clearInterval(poll);
      reject(new Error(`service exited during start-up:\n${stdout}\n${stderr}`));
    });
  });
  return { child, url, lines, stderr: () => stderr, exited, kill: () => child.kill('SIGKILL') };
}

/** One instant query against a test Prometheus; throws with the query on an API error. */
export async function query(
  prom: PrometheusServer,
  expr: string,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; error?: string; data?: { result: never[] } };
  if (body.status !== 'success') throw new Error(`${expr}: ${body.error}`);
  return body.data!.result;
}

/** Calls `fn` every 500 ms until `ok` holds or `timeoutMs` passed; returns the last value either way. */
export async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last = await fn();
  while (!ok(last) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    last = await fn();
  }
  return last;
}
