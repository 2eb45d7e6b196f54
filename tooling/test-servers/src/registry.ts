import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerStartError } from './errors.ts';
import { httpOk, makeTempDir, spawnServer, waitUntilReady, withPortRetry } from './process.ts';
import { toolPath } from './tools.ts';

/** Options of {@link startRegistry}. */
export interface RegistryOptions {
  /** The user created through the registry's adduser API. @default 'immo-release' */
  user?: string;
  /** @default 60000 */
  startTimeoutMs?: number;
}

/** A running local npm registry (verdaccio) owned by one test. */
export interface RegistryServer {
  /** `http://127.0.0.1:<port>/` (with the trailing slash npm writes in configs). */
  readonly url: string;
  readonly port: number;
  /** Token of `user`, who may publish. */
  readonly token: string;
  readonly user: string;
  /**
   * `.npmrc` lines that send `scope` (e.g. `@immo`) to this registry, or every package when no scope
   * is given, with the token for publishing.
   */
  npmrc(scope?: string): string;
  /** Stops verdaccio and removes its storage. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts verdaccio 6.8 (installed with npm in tooling/registry) on a free 127.0.0.1 port with its
 * storage in a temp folder, no uplinks (nothing is fetched from or proxied to another registry),
 * and one user who may publish; resolves with that user's token once /-/ping answers.
 *
 * @example
 * ```ts
 * const registry = await startRegistry();
 * writeFileSync(join(workspace, '.npmrc'), registry.npmrc());
 * execFileSync('pnpm', ['publish', '--no-git-checks'], { cwd: pkgDir, env: { ...process.env, npm_config_registry: registry.url } });
 * await registry.stop();
 * ```
 */
export async function startRegistry(options: RegistryOptions = {}): Promise<RegistryServer> {
  const bin = toolPath('verdaccio');
  const user = options.user ?? 'immo-release';
  const password = randomBytes(12).toString('hex');
  const dir = makeTempDir('registry');
  const configFile = join(dir, 'config.yaml');
  // JSON is YAML; the packages rules let anyone read and only the created user publish.
  const config = {
    storage: join(dir, 'storage'),
    auth: { htpasswd: { file: join(dir, 'htpasswd'), max_users: 10 } },
    uplinks: {},
    packages: {
      '@immo/*': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
      '**': { access: '$all', publish: '$authenticated', unpublish: '$authenticated' },
    },
    web: { enable: false },
    max_body_size: '200mb',
    log: { type: 'stdout', format: 'pretty', level: 'warn' },
  };
  try {
    writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
    return await withPortRetry(async (port) => {
      const url = `http://127.0.0.1:${port}/`;
      const proc = spawnServer({
        name: 'verdaccio',
        command: process.execPath,
        args: [bin, '--config', configFile, '--listen', `127.0.0.1:${port}`],
        cwd: dir,
        dir,
        env: { ...process.env, NODE_OPTIONS: '' },
      });
      try {
        await waitUntilReady({
          name: 'verdaccio',
          proc,
          timeoutMs: options.startTimeoutMs ?? 60_000,
          probe: () => httpOk(`${url}-/ping`),
        });
        const token = await addUser(url, user, password);
        return {
          url,
          port,
          token,
          user,
          npmrc(scope) {
            const target = scope ? `${scope}:registry=${url}` : `registry=${url}`;
            return `${target}\n//127.0.0.1:${port}/:_authToken=${token}\n`;
          },
          stop: () => proc.stop(),
        };
      } catch (err) {
        await proc.stop({ graceMs: 2_000, keepDir: true });
        if (err instanceof ServerStartError) throw err;
        throw new ServerStartError(
          'verdaccio',
          'SERVER_SETUP_FAILED',
          (err as Error).message,
          proc.output.tail(),
          {
            cause: err,
          },
        );
      }
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

async function addUser(url: string, name: string, password: string): Promise<string> {
  const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      _id: `org.couchdb.user:${name}`,
      name,
      password,
      email: `${name}@example.invalid`,
      type: 'user',
      roles: [],
      date: new Date().toISOString(),
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await res.json().catch(() => ({}))) as { token?: string; error?: string };
  if (!res.ok || !body.token) {
    throw new Error(`adduser ${name} answered ${res.status}: ${body.error ?? JSON.stringify(body)}`);
  }
  return body.token;
}
