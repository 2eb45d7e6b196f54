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

/** The commit measured, and whether the measured packages had uncommitted changes. */
export function gitState(cwd, paths = ['packages/logger', 'packages/redact']) {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', ...paths.map((p) => `${p}/src`)], {
      cwd,
      encoding: 'utf8',
    }).trim();
    return { commit, uncommittedSrc: dirty ? dirty.split('\n').length : 0, paths };
  } catch {
    return null;
  }
}
