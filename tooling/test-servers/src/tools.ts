import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { it } from 'vitest';
import { ToolMissingError } from './errors.ts';

/** Where a system tool was found, or why it was not. */
export interface ToolInfo {
  /** The tool's short name, e.g. `postgres`, `promtool`. */
  readonly name: string;
  /** True when the tool was found and is executable. */
  readonly ok: boolean;
  /** Absolute path of the executable (for `postgres`: the bin folder holding initdb, pg_ctl, postgres). */
  readonly path: string | undefined;
  /** The command that installs it. */
  readonly install: string;
}

interface KnownTool {
  install: string;
  /** Candidate executables, in order; each is a name looked up on PATH or an absolute path. */
  candidates: () => string[];
  /** The environment variable that overrides the lookup. */
  env: string;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The folder with the local registry's own npm install (see tooling/registry/package.json). */
export const registryDir: string = resolve(here, '../../registry');

const APT_PROMETHEUS = 'apt-get install -y prometheus';
const APT_ALERTMANAGER = 'apt-get install -y prometheus-alertmanager';
const APT_POSTGRES = 'apt-get install -y postgresql';

const known: Record<string, KnownTool> = {
  postgres: { install: APT_POSTGRES, env: 'PG_BIN', candidates: () => postgresBinDirs() },
  psql: {
    install: APT_POSTGRES,
    env: 'PSQL_BIN',
    candidates: () => ['psql', ...postgresBinDirs().map((d) => join(d, 'psql'))],
  },
  prometheus: { install: APT_PROMETHEUS, env: 'PROMETHEUS_BIN', candidates: () => ['prometheus'] },
  promtool: { install: APT_PROMETHEUS, env: 'PROMTOOL_BIN', candidates: () => ['promtool'] },
  alertmanager: {
    install: APT_ALERTMANAGER,
    env: 'ALERTMANAGER_BIN',
    candidates: () => ['prometheus-alertmanager', 'alertmanager'],
  },
  amtool: { install: APT_ALERTMANAGER, env: 'AMTOOL_BIN', candidates: () => ['amtool'] },
  verdaccio: {
    install: 'cd tooling/registry && npm install',
    env: 'VERDACCIO_BIN',
    candidates: () => [join(registryDir, 'node_modules/verdaccio/bin/verdaccio')],
  },
};

/**
 * Debian keeps PostgreSQL's server binaries in /usr/lib/postgresql/<major>/bin, off PATH. Newest
 * major first, then whatever `pg_ctl` on PATH belongs to (other distributions, Homebrew).
 */
function postgresBinDirs(): string[] {
  const dirs: string[] = [];
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const majors = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    for (const major of majors) dirs.push(join(root, major, 'bin'));
  }
  const pgCtl = onPath('pg_ctl');
  if (pgCtl) dirs.push(dirname(pgCtl));
  return dirs.filter((d) => isPostgresBinDir(d));
}

function isPostgresBinDir(dir: string): boolean {
  return ['initdb', 'pg_ctl', 'postgres'].every((b) => isExecutable(join(dir, b)));
}

function isExecutable(file: string): boolean {
  try {
    if (!statSync(file).isFile()) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

/**
 * Looks a tool up without side effects. Known tools: `postgres` (the server bin folder; override
 * with `PG_BIN`), `psql`, `prometheus`, `promtool`, `alertmanager`, `amtool`, `verdaccio`; each has
 * an override variable `<NAME>_BIN` (e.g. `PROMTOOL_BIN`). Any other name is looked up on PATH.
 *
 * @example
 * ```ts
 * const promtool = findTool('promtool');
 * if (promtool.ok) execFileSync(promtool.path!, ['--version']);
 * ```
 */
export function findTool(name: string, options: { install?: string } = {}): ToolInfo {
  const spec = known[name];
  const install = options.install ?? spec?.install ?? `install "${name}" and put it on PATH`;
  const envVar = spec?.env ?? `${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_BIN`;
  const override = process.env[envVar];
  if (override) {
    const ok = name === 'postgres' ? isPostgresBinDir(override) : isExecutable(override);
    return {
      name,
      ok,
      path: ok ? override : undefined,
      install: `${install} (or fix ${envVar}=${override})`,
    };
  }
  for (const candidate of spec?.candidates() ?? [name]) {
    if (name === 'postgres') return { name, ok: true, path: candidate, install };
    const file = candidate.includes('/')
      ? isExecutable(candidate)
        ? candidate
        : undefined
      : onPath(candidate);
    if (file) return { name, ok: true, path: file, install };
  }
  return { name, ok: false, path: undefined, install };
}

/**
 * The tool's path, or a {@link ToolMissingError} saying how to install it.
 *
 * @example
 * ```ts
 * execFileSync(toolPath('amtool'), ['check-config', file]);
 * ```
 */
export function toolPath(name: string, options: { install?: string } = {}): string {
  const info = findTool(name, options);
  if (!info.ok || !info.path) throw new ToolMissingError(name, info.install);
  return info.path;
}

/**
 * Locates `promtool` (Debian package `prometheus`).
 *
 * @example
 * ```ts
 * execFileSync(promtoolPath(), ['check', 'rules', 'rules.yml']);
 * ```
 */
export function promtoolPath(): string {
  return toolPath('promtool');
}

/**
 * Locates `amtool` (Debian package `prometheus-alertmanager`).
 *
 * @example
 * ```ts
 * execFileSync(amtoolPath(), ['check-config', 'alertmanager.yml']);
 * ```
 */
export function amtoolPath(): string {
  return toolPath('amtool');
}

/**
 * True when `IMMO_REQUIRE_TOOLS` is `1` or `true` (set in CI): a missing tool is then a failure.
 *
 * @example
 * ```ts
 * if (toolsRequired()) console.log('CI mode: missing tools fail');
 * ```
 */
export function toolsRequired(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.IMMO_REQUIRE_TOOLS;
  return v === '1' || v === 'true';
}

/** What {@link requireTools} found. */
export interface ToolsCheck {
  /** True when every tool was found: run the suite. */
  readonly ok: boolean;
  /** The tools that were not found. */
  readonly missing: readonly ToolInfo[];
  /** The path of a found tool (throws {@link ToolMissingError} for a missing one). */
  path(name: string): string;
}

/** Options of {@link requireTools}. */
export interface RequireToolsOptions {
  /** Install command per tool name, for tools this helper does not know. */
  install?: Record<string, string>;
  /**
   * Whether a missing tool fails the suite.
   * @default `IMMO_REQUIRE_TOOLS=1` in the environment
   */
  required?: boolean;
  /** Where the skip line goes. @default process.stderr */
  log?: (line: string) => void;
}

/**
 * The repo's one convention for suites that need a system tool. Call it at the top level of a
 * test file and guard the suite with `describe.skipIf(!tools.ok)`. When a tool is missing:
 * - with `IMMO_REQUIRE_TOOLS=1` (CI) it registers a test that fails with the install command, so
 *   the failure shows up in vitest's report like any other failed test;
 * - otherwise it prints one line, `skipping <suite>: <tool> not found — install with: <command>`,
 *   and the guarded suite is skipped.
 *
 * @example
 * ```ts
 * const tools = requireTools('postgres readiness check', ['postgres', 'psql']);
 * describe.skipIf(!tools.ok)('postgres readiness check', () => {
 *   it('reports ready when the database answers', async () => { ... });
 * });
 * ```
 */
export function requireTools(
  suite: string,
  tools: string | readonly string[],
  options: RequireToolsOptions = {},
): ToolsCheck {
  const names = typeof tools === 'string' ? [tools] : [...tools];
  const infos = names.map((n) => findTool(n, { install: options.install?.[n] }));
  const missing = infos.filter((t) => !t.ok);
  const check: ToolsCheck = {
    ok: missing.length === 0,
    missing,
    path(name) {
      const info = infos.find((t) => t.name === name) ?? findTool(name);
      if (!info.ok || !info.path) throw new ToolMissingError(name, info.install);
      return info.path;
    },
  };
  if (missing.length === 0) return check;
  const required = options.required ?? toolsRequired();
  if (required) {
    for (const tool of missing) {
      it(`${suite}: requires ${tool.name} (IMMO_REQUIRE_TOOLS=1)`, () => {
        throw new ToolMissingError(tool.name, tool.install);
      });
    }
  } else {
    const what = missing.map((t) => t.name).join(', ');
    const how = [...new Set(missing.map((t) => t.install))].join(' && ');
    const line = `skipping ${suite}: ${what} not found — install with: ${how}`;
    (options.log ?? ((l: string) => process.stderr.write(`${l}\n`)))(line);
  }
  return check;
}
