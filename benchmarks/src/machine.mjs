// Facts about the machine a result was measured on, stored next to every result.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function machineFacts() {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) cpuModel = line.split(':').slice(1).join(':').trim();
  } catch {
    // not Linux: os.cpus() is the best we have
  }
  return {
    cpuModel,
    cores: os.cpus().length,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    date: new Date().toISOString(),
  };
}

export function loadavg() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
  } catch {
    return os.loadavg();
  }
}

// Internal workspace packages that tsup bundles into the measured packages: their sources are measured
// code too.
const BUNDLED_SOURCES = ['tooling/fastify-route/src', 'tooling/zod-issues/src'];

/** The source folders (pathspecs from the repository root) of the code a run of `paths` measures. */
export function measuredSources(paths) {
  return [...paths.map((p) => `${p}/src`), ...BUNDLED_SOURCES];
}

/** The commit measured, and whether the measured sources had uncommitted changes. */
export function gitState(cwd, paths = ['packages/logger', 'packages/redact']) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...measuredSources(paths)], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return { commit, uncommittedSrc: dirty ? dirty.split('\n').length : 0, paths };
  } catch {
    return null;
  }
}

/**
 * The last commit, at or before the one a run measured (`git`, as gitState returned it), that changed
 * the code it measured: runs made at commits that changed only benchmarks or docs measured the same
 * code. Undefined when git cannot tell, or the run had uncommitted changes.
 */
export function codeCommit(cwd, git) {
  if (!git?.commit || git.uncommittedSrc) return undefined;
  try {
    const out = execFileSync(
      'git',
      ['log', '-1', '--format=%h', git.commit, '--', ...measuredSources(git.paths ?? [])],
      { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] },
    ).trim();
    return out || undefined;
  } catch {
    return undefined;
  }
}
