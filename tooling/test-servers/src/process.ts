import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServerStartError } from './errors.ts';

/**
 * Asks the OS for a free TCP port on 127.0.0.1 (listen on port 0, read it, close).
 *
 * @example
 * ```ts
 * const port = await freePort();
 * server.listen(port, '127.0.0.1');
 * ```
 */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => (port ? resolvePort(port) : reject(new Error('the OS returned no port'))));
    });
  });
}

/** Keeps the tail of a process's output for error messages. */
export class OutputTail {
  private lines: string[] = [];
  private partial = '';
  constructor(private readonly max = 200) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.lines.push(line);
    if (this.lines.length > this.max) this.lines.splice(0, this.lines.length - this.max);
  }

  /** The last `n` lines (including an unterminated last line). */
  tail(n = 40): string {
    const all = this.partial ? [...this.lines, this.partial] : this.lines;
    return all.slice(-n).join('\n');
  }

  includes(text: string): boolean {
    return this.lines.some((l) => l.includes(text)) || this.partial.includes(text);
  }
}

interface Tracked {
  pgid: number;
  dir: string | undefined;
  watchdogPid: number | undefined;
}

const tracked = new Set<Tracked>();
let hooksInstalled = false;

/**
 * A crashed or interrupted test run must not leave servers behind. `exit` covers normal ends and
 * uncaught errors; signals are re-raised after cleanup when nobody else handles them, so the
 * process still dies the way it would have. A SIGKILLed runner is covered by each server's
 * watchdog (see `spawnServer`).
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', cleanupAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      cleanupAllSync();
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function cleanupAllSync(): void {
  for (const t of tracked) {
    try {
      process.kill(-t.pgid, 'SIGKILL');
    } catch {
      // already gone
    }
    killPid(t.watchdogPid);
    if (t.dir) rmSync(t.dir, { recursive: true, force: true });
  }
  tracked.clear();
}

/**
 * Creates a temp folder for one server. When `worldReadable` is set the folder's ancestors must be
 * traversable by another user (postgres runs as `postgres`), so fall back to /tmp when TMPDIR is not.
 */
export function makeTempDir(prefix: string, options: { otherUsers?: boolean } = {}): string {
  let base = tmpdir();
  if (options.otherUsers && (statSync(base).mode & 0o001) === 0) base = '/tmp';
  return mkdtempSync(join(base, `immo-${prefix}-`));
}

/** Options of {@link spawnServer}. */
export interface SpawnServerOptions {
  /** Name used in errors, e.g. `prometheus`. */
  name: string;
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Folder removed on stop and on exit cleanup. */
  dir?: string;
}

/** A server process in its own process group, with its output tail. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly output: OutputTail;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
  readonly hasExited: () => boolean;
  /**
   * Stops the process group: SIGTERM, then SIGKILL after `graceMs` (default 10 s), then removes
   * `dir` unless `keepDir`. Safe to call more than once.
   */
  stop(options?: { graceMs?: number; keepDir?: boolean }): Promise<void>;
}

/**
 * Spawns a server in its own process group (so children it forks are stopped with it), records its
 * output, and arms a watchdog: a `sh` that waits on a pipe from this process and kills the group
 * and removes the folder when the pipe closes. We end the watchdog ourselves (by its PID) when the
 * server stops or at exit, so it only acts when this process died without running its exit hooks
 * (SIGKILL, a vitest worker torn down), while the server it guards is still there.
 */
export function spawnServer(options: SpawnServerOptions): ServerProcess {
  installExitHooks();
  const output = new OutputTail();
  const child = spawn(options.command, options.args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout?.on('data', (c: Buffer) => output.push(c));
  child.stderr?.on('data', (c: Buffer) => output.push(c));
  let done = false;
  const exited = new Promise<number | NodeJS.Signals | null>((res) => {
    child.once('exit', (code, signal) => {
      done = true;
      res(code ?? signal);
    });
    child.once('error', (err) => {
      done = true;
      output.push(`spawn error: ${err.message}\n`);
      res(null);
    });
  });
  const pid = child.pid;
  if (pid === undefined) {
    // spawn failed synchronously (ENOENT surfaces through 'error'); keep the shape consistent
    return {
      child,
      pid: -1,
      output,
      exited,
      hasExited: () => true,
      stop: async () => {
        if (options.dir) rmSync(options.dir, { recursive: true, force: true });
      },
    };
  }
  const watchdog = spawn(
    'sh',
    [
      '-c',
      'read _; kill -s KILL -- "-$1" 2>/dev/null; [ -n "$2" ] && rm -rf -- "$2"',
      'immo-test-servers-watchdog',
      String(pid),
      options.dir ?? '',
    ],
    { stdio: ['pipe', 'ignore', 'ignore'], detached: true },
  );
  watchdog.on('error', () => {});
  watchdog.stdin?.on('error', () => {});
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  const entry: Tracked = { pgid: pid, dir: options.dir, watchdogPid: watchdog.pid };
  tracked.add(entry);

  let stopping: Promise<void> | undefined;
  const stop = ({ graceMs = 10_000, keepDir = false } = {}): Promise<void> => {
    stopping ??= (async () => {
      if (!done) {
        killGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      }
      // forked children (postgres backends, runuser's child) may outlive the leader briefly
      killGroup(pid, 'SIGKILL');
      tracked.delete(entry);
      killPid(watchdog.pid);
      if (options.dir && !keepDir) rmSync(options.dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  return { child, pid, output, exited, hasExited: () => done, stop };
}

function killPid(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
}

/** Options of {@link waitUntilReady}. */
export interface WaitOptions {
  name: string;
  proc: ServerProcess;
  /** Returns true once the server is ready; errors count as "not yet". */
  probe: () => Promise<boolean>;
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns true; fails early with the server's output when the process exits,
 * and with a timeout error (and the output) when the deadline passes.
 */
export async function waitUntilReady(options: WaitOptions): Promise<void> {
  const { name, proc, probe } = options;
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const interval = options.intervalMs ?? 100;
  while (true) {
    if (proc.hasExited()) {
      const code = await proc.exited;
      throw new ServerStartError(name, 'SERVER_EXITED', `process exited (${code})`, proc.output.tail());
    }
    try {
      if (await probe()) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new ServerStartError(
        name,
        'SERVER_START_TIMEOUT',
        `not ready after ${options.timeoutMs ?? 60_000} ms`,
        proc.output.tail(),
      );
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** GET `url` and report whether it answered with a 2xx status. */
export async function httpOk(url: string, init?: RequestInit): Promise<boolean> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(2_000) });
  await res.arrayBuffer();
  return res.ok;
}

/**
 * Start-up with a port race guard: `freePort` releases its port before the server binds it, so
 * another suite may take it first. Retry with a new port when the output says so.
 */
export async function withPortRetry<T>(start: (port: number) => Promise<T>, attempts = 3): Promise<T> {
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const port = await freePort();
    try {
      return await start(port);
    } catch (err) {
      lastError = err;
      const out = err instanceof ServerStartError ? err.output.toLowerCase() : '';
      if (!out.includes('address already in use') && !out.includes('eaddrinuse')) throw err;
    }
  }
  throw lastError;
}
