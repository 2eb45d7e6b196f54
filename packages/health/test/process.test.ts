import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const fixture = join(import.meta.dirname, 'fixtures', 'server.mjs');

interface Child {
  proc: ChildProcess;
  port: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

beforeAll(() => {
  if (!existsSync(join(root, 'dist', 'fastify.js')))
    throw new Error('run `npx tsup` first: the fixture loads dist/');
});

function start(mode: string, env: Record<string, string>): Promise<Child> {
  const proc = spawn(process.execPath, [fixture, mode], {
    cwd: root,
    env: { ...process.env, IMMO_HEALTH_CHECK_INTERVAL_MS: '200', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`fixture did not start:\n${out}`)), 15_000);
    const onData = () => {
      const m = /READY (\d+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      resolve({ proc, port: Number(m[1]), output: () => out, exited });
    };
    proc.stdout!.on('data', onData);
    void exited.then(() => reject(new Error(`fixture exited early:\n${out}`)));
  });
}

async function get(port: number, path: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  await res.arrayBuffer();
  return res.status;
}

const lines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('shutdown on a real SIGTERM', () => {
  it('fails readiness at once, serves every request sent during the propagation delay, drains, runs hooks in reverse and exits 0', async () => {
    const child = await start('normal', {
      IMMO_HEALTH_PROPAGATION_DELAY_MS: '1500',
      IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: '10000',
    });
    expect(await get(child.port, '/health/ready')).toBe(200);
    child.proc.kill('SIGTERM');

    let served = 0;
    const failures: string[] = [];
    let readiness503 = 0;
    let readinessOther = 0;
    // a slow request sent late in the delay must still complete while the server drains
    const slow = new Promise<void>((resolve) => setTimeout(resolve, 1100)).then(() =>
      get(child.port, '/work?ms=800'),
    );
    const until = Date.now() + 1000;
    while (Date.now() < until) {
      const [work, ready] = await Promise.all([
        get(child.port, '/work').catch((e: Error) => e.message),
        get(child.port, '/health/ready').catch((e: Error) => e.message),
      ]);
      if (work === 200) served++;
      else failures.push(String(work));
      if (ready === 503) readiness503++;
      else readinessOther++;
    }
    expect(failures).toEqual([]);
    expect(served).toBeGreaterThan(0);
    expect(readiness503).toBeGreaterThan(0);
    expect(readinessOther).toBe(0);
    expect(await slow).toBe(200);

    expect(await child.exited).toEqual({ code: 0, signal: null });
    const log = lines(child.output());
    expect(log.filter((l) => l.hook).map((l) => l.hook)).toEqual(['close db pool', 'flush logs']);
    expect(log.at(-1)).toMatchObject({ msg: 'shutdown complete', exit_code: 0 });
  });

  it('exits at once with 128 + signal number on a second signal', async () => {
    const child = await start('normal', {
      IMMO_HEALTH_PROPAGATION_DELAY_MS: '20000',
      IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: '25000',
    });
    child.proc.kill('SIGTERM');
    await expect.poll(() => get(child.port, '/health/ready'), { timeout: 5000 }).toBe(503);
    child.proc.kill('SIGINT');
    expect(await child.exited).toEqual({ code: 130, signal: null });
    expect(lines(child.output()).some((l) => l.msg === 'second SIGINT during shutdown: exiting now')).toBe(
      true,
    );
  });

  it('exits 1 at the deadline when a hook hangs', async () => {
    const child = await start('hanging-hook', {
      IMMO_HEALTH_PROPAGATION_DELAY_MS: '0',
      IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: '1500',
    });
    child.proc.kill('SIGTERM');
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const log = lines(child.output());
    expect(log.some((l) => l.msg === 'shutdown deadline reached during hooks: exiting now')).toBe(true);
    // the hooks after the stuck one (registered before it) never ran
    expect(log.filter((l) => l.hook).map((l) => l.hook)).toEqual(['close db pool']);
  });
});

describe('shutdown on a crash', () => {
  it.each([
    ['uncaughtException', 'throw', 'thrown in the background'],
    ['unhandledRejection', 'reject', 'rejected in the background'],
  ])('logs an %s, runs the same sequence and exits 1', async (origin, mode, message) => {
    const child = await start(mode, { IMMO_HEALTH_PROPAGATION_DELAY_MS: '300' });
    expect(await get(child.port, '/crash')).toBe(200);
    expect(await child.exited).toEqual({ code: 1, signal: null });
    const log = lines(child.output());
    expect(log.find((l) => l.level === 'fatal')).toMatchObject({
      origin,
      msg: `${origin}: shutting down`,
      err: { type: 'Error', message },
    });
    expect(log.filter((l) => l.hook).map((l) => l.hook)).toEqual(['close db pool', 'flush logs']);
    expect(log.at(-1)).toMatchObject({ msg: 'shutdown complete', exit_code: 1 });
  });
});
