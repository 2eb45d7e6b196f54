import { execFile } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The monorepo this package lives in. */
export const repoRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The fields of a package.json this test reads. */
export interface Manifest {
  name: string;
  version: string;
  private?: boolean;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** A workspace package: its folder and manifest. */
export interface WorkspacePackage {
  dir: string;
  manifest: Manifest;
}

export function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Manifest;
}

/** The publishable packages: every non-private package.json directly under `<root>/packages`. */
export function publishedPackages(root: string): WorkspacePackage[] {
  const base = join(root, 'packages');
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .map((name) => join(base, name))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({ dir, manifest: readManifest(dir) }))
    .filter((p) => !p.manifest.private);
}

/** The result of a finished command. */
export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Thrown when a command of the release flow fails; the message ends with its output. */
export class CommandFailedError extends Error {
  readonly code = 'COMMAND_FAILED';
  constructor(
    readonly command: string,
    readonly exitCode: number | string | null,
    readonly output: string,
    options?: { cause?: unknown },
  ) {
    super(`\`${command}\` failed (exit ${exitCode})\n${output}`, options);
    this.name = 'CommandFailedError';
  }
}

/** Runs a command to completion; on failure throws {@link CommandFailedError} with the last output lines. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        maxBuffer: 64 * 1024 * 1024,
        timeout: options.timeoutMs ?? 180_000,
      },
      (err, stdout, stderr) => {
        if (!err) return resolvePromise({ stdout, stderr });
        const tail = `${stdout}\n${stderr}`.trim().split('\n').slice(-80).join('\n');
        const code = (err as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
        reject(new CommandFailedError([command, ...args].join(' '), code, tail, { cause: err }));
      },
    );
  });
}

/**
 * The environment for commands in the copy or the consumer: this process's environment without
 * the npm/pnpm settings that the outer `pnpm run test` put there (they would override the .npmrc
 * files this test writes), plus `extra`.
 */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) || k === 'PNPM_SCRIPT_SRC_DIR' || k === 'INIT_CWD') continue;
    if (k.startsWith('VITEST') || k === 'NODE_OPTIONS' || k === 'TEST' || k === 'NODE_ENV') continue;
    env[k] = v;
  }
  return { ...env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...extra };
}

/**
 * The repo as it would be committed: tracked files plus untracked files git does not ignore (so a
 * run in a working tree sees uncommitted work; in CI's clean clone that is exactly the commit).
 * node_modules, dist and other ignored output are not copied.
 */
export async function copyWorkingTree(from: string, to: string): Promise<number> {
  const { stdout } = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
    cwd: from,
  });
  let count = 0;
  for (const rel of new Set(stdout.split('\0').filter(Boolean))) {
    const src = join(from, rel);
    // a tracked file deleted in the working tree is not part of what would be committed
    if (!existsSync(src) || !statSync(src).isFile()) continue;
    const dest = join(to, rel);
    mkdirSync(dirname(dest), { recursive: true });
    try {
      copyFileSync(src, dest);
    } catch (err) {
      // Gone since it was listed: a temporary file of a task running next to this test (turbo runs
      // other packages' lint, whose `attw --pack` writes and deletes a tarball). Not part of a commit.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    count += 1;
  }
  return count;
}

/** `1.2.3` -> `1.2.4` (no pre-release handling: this repo releases plain versions). */
export function patchBump(version: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(version);
  if (!m) throw new Error(`not a plain x.y.z version: ${version}`);
  return `${m[1]}.${m[2]}.${Number(m[3]) + 1}`;
}

/**
 * `target` and every package that depends on it, directly or through another package, through
 * `dependencies` or `optionalDependencies` (changesets gives dependents a patch; devDependencies
 * get no release).
 */
export function withDependents(target: string, packages: readonly WorkspacePackage[]): Set<string> {
  const result = new Set([target]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const p of packages) {
      if (result.has(p.manifest.name)) continue;
      const deps = { ...p.manifest.dependencies, ...p.manifest.optionalDependencies };
      if (Object.keys(deps).some((d) => result.has(d))) {
        result.add(p.manifest.name);
        grew = true;
      }
    }
  }
  return result;
}

/** What the registry holds for a package. */
export interface Packument {
  name: string;
  'dist-tags': Record<string, string>;
  versions: Record<string, Manifest & { dist: { tarball: string; integrity: string } }>;
}

export async function fetchPackument(registryUrl: string, name: string): Promise<Packument | undefined> {
  const res = await fetch(`${registryUrl}${name.replace('/', '%2f')}`);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`registry answered ${res.status} for ${name}`);
  return (await res.json()) as Packument;
}

/** The package.json inside a published tarball (what `npm install` really gets). */
export async function tarballManifest(tarballUrl: string, workDir: string): Promise<Manifest> {
  const res = await fetch(tarballUrl);
  if (!res.ok) throw new Error(`tarball ${tarballUrl}: ${res.status}`);
  const file = join(workDir, `tarball-${Date.now()}-${Math.random().toString(16).slice(2)}.tgz`);
  writeFileSync(file, Buffer.from(await res.arrayBuffer()));
  try {
    const { stdout } = await run('tar', ['-xzOf', file, 'package/package.json'], { cwd: workDir });
    return JSON.parse(stdout) as Manifest;
  } finally {
    rmSync(file, { force: true });
  }
}
