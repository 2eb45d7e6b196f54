import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ServerStartError } from './errors.ts';
import { makeTempDir, spawnServer, waitUntilReady, withPortRetry } from './process.ts';
import { toolPath } from './tools.ts';

const execFileAsync = promisify(execFile);

/** Options of {@link startPostgres}. */
export interface PostgresOptions {
  /** Superuser created by initdb and used in the URL. @default 'immo' */
  user?: string;
  /** Database created after start-up (`postgres` always exists too). @default 'immo' */
  database?: string;
  /** Password of `user` (TCP connections use scram-sha-256). @default a random one */
  password?: string;
  /** Extra server settings, passed as `-c name=value`. */
  settings?: Record<string, string | number | boolean>;
  /** @default 60000 */
  startTimeoutMs?: number;
}

/** A running PostgreSQL cluster owned by one test. */
export interface PostgresServer {
  /** `postgres://user:password@127.0.0.1:port/database` */
  readonly url: string;
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** The folder with PostgreSQL's server binaries (initdb, pg_ctl, pg_dump, ...). */
  readonly binDir: string;
  /** The cluster's data directory. */
  readonly dataDir: string;
  /** URL of another database in this cluster, e.g. for a restore target. */
  urlFor(database: string): string;
  /**
   * Stops the server (`pg_ctl stop -m fast`) but keeps the cluster, as a database outage would:
   * clients get connection errors until {@link PostgresServer.resume}.
   */
  pause(): Promise<void>;
  /** Starts the paused cluster again on the same port, with its data. */
  resume(): Promise<void>;
  /** `pg_ctl stop -m fast`, then removes the cluster's folder. Safe to call twice. */
  stop(): Promise<void>;
}

function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) {
    throw new ServerStartError(
      'postgres',
      'SERVER_SETUP_FAILED',
      'running as root but there is no `postgres` user to run initdb as (apt-get install -y postgresql creates it)',
      '',
    );
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** initdb and the server refuse to run as root: run them as `postgres` then. */
function asServerUser(command: string, args: string[]): [string, string[]] {
  return isRoot()
    ? [
        toolPath('runuser', { install: 'apt-get install -y util-linux' }),
        ['-u', 'postgres', '--', command, ...args],
      ]
    : [command, args];
}

/**
 * Starts a throwaway PostgreSQL cluster (Debian's PostgreSQL 15 binaries; `PG_BIN` overrides the
 * bin folder) on a free 127.0.0.1 port, with its unix socket and data in a temp folder, `fsync=off`.
 * Creates `user` as superuser and `database`. As root, the cluster runs as the `postgres` user.
 *
 * @example
 * ```ts
 * const pg = await startPostgres();
 * try {
 *   execFileSync('psql', [pg.url, '-c', 'SELECT 1']);
 * } finally {
 *   await pg.stop();
 * }
 * ```
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresServer> {
  const binDir = toolPath('postgres');
  const user = options.user ?? 'immo';
  const database = options.database ?? 'immo';
  const password = options.password ?? randomBytes(12).toString('hex');
  const dir = makeTempDir('pg', { otherUsers: isRoot() });
  const dataDir = join(dir, 'data');
  const socketDir = join(dir, 'sock');
  const pwFile = join(dir, 'pwfile');
  mkdirSync(socketDir);
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (isRoot()) {
    const { uid, gid } = postgresIds();
    for (const p of [dir, socketDir, pwFile]) chownSync(p, uid, gid);
  }

  try {
    const [initCmd, initArgs] = asServerUser(join(binDir, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      user,
      `--pwfile=${pwFile}`,
      '--auth-local=trust',
      '--auth-host=scram-sha-256',
      '--encoding=UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    await execFileAsync(initCmd, initArgs, { cwd: dir, maxBuffer: 10 * 1024 * 1024 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new ServerStartError(
      'postgres',
      'SERVER_SETUP_FAILED',
      `initdb failed: ${e.message.split('\n')[0]}`,
      `${e.stdout ?? ''}${e.stderr ?? ''}`.trim().split('\n').slice(-40).join('\n'),
      { cause: err },
    );
  }

  const settings: Record<string, string | number | boolean> = {
    listen_addresses: '127.0.0.1',
    fsync: 'off',
    synchronous_commit: 'off',
    full_page_writes: 'off',
    ...options.settings,
  };
  const settingArgs = Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]);

  const launch = async (p: number): Promise<ReturnType<typeof spawnServer>> => {
    const [cmd, args] = asServerUser(join(binDir, 'postgres'), [
      '-D',
      dataDir,
      '-p',
      String(p),
      '-k',
      socketDir,
      ...settingArgs,
    ]);
    const started = spawnServer({ name: 'postgres', command: cmd, args, cwd: dir, dir });
    try {
      await waitUntilReady({
        name: 'postgres',
        proc: started,
        timeoutMs: options.startTimeoutMs ?? 60_000,
        probe: async () => started.output.includes('database system is ready to accept connections'),
      });
    } catch (err) {
      // a retry on another port (or a later resume) reuses the cluster
      await started.stop({ graceMs: 2_000, keepDir: true });
      throw err;
    }
    return started;
  };

  let server: ReturnType<typeof spawnServer> | undefined;
  let port = 0;
  try {
    await withPortRetry(async (p) => {
      server = await launch(p);
      port = p;
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let proc = server!;

  const pgCtlStop = async () => {
    if (proc.hasExited()) return;
    const [cmd, args] = asServerUser(join(binDir, 'pg_ctl'), [
      'stop',
      '-D',
      dataDir,
      '-m',
      'fast',
      '-w',
      '-t',
      '30',
    ]);
    await execFileAsync(cmd, args, { cwd: dir }).catch(() => undefined);
  };
  let paused = false;
  const pause = async (): Promise<void> => {
    if (paused) return;
    paused = true;
    await pgCtlStop();
    await proc.stop({ graceMs: 5_000, keepDir: true });
  };
  const resume = async (): Promise<void> => {
    if (!paused) return;
    proc = await launch(port);
    paused = false;
  };

  const urlFor = (db: string) =>
    `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(db)}`;

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await pgCtlStop();
      await proc.stop({ graceMs: 5_000 });
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };

  if (database !== 'postgres') {
    try {
      await execFileAsync(
        join(binDir, 'createdb'),
        ['-h', '127.0.0.1', '-p', String(port), '-U', user, database],
        { env: { ...process.env, PGPASSWORD: password }, cwd: dir },
      );
    } catch (err) {
      const output = proc.output.tail();
      await stop();
      throw new ServerStartError(
        'postgres',
        'SERVER_SETUP_FAILED',
        `createdb ${database} failed: ${(err as Error).message.split('\n')[0]}`,
        output,
        { cause: err },
      );
    }
  }

  return {
    url: urlFor(database),
    host: '127.0.0.1',
    port,
    user,
    password,
    database,
    binDir,
    dataDir,
    urlFor,
    pause,
    resume,
    stop,
  };
}
