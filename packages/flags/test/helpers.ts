import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFlags, type Flags, type FlagsOptions } from '../src/index.js';
import { recordingLogger } from '../src/testing.js';
import { flags, type TestRegistry } from './fixtures/registry.js';

/** A temp folder removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'immo-flags-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a flag file (YAML text) and returns its path. */
export function writeFlagFile(dir: string, text: string, name = 'flags.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Flags over the fixture registry with no metrics, no tracing, a recording logger and an empty env. */
export function makeFlags(options: FlagsOptions = {}): {
  ff: Flags<TestRegistry>;
  records: ReturnType<typeof recordingLogger>['records'];
} {
  const { logger, records } = recordingLogger();
  const ff = createFlags(flags, {
    env: {},
    metrics: false,
    tracing: false,
    logger,
    now: () => new Date('2027-01-15T12:00:00Z'),
    ...options,
  });
  return { ff, records };
}

/** Resolves once `check` returns true, polling every 10 ms; rejects after `timeoutMs`. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}
