import { mkdirSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Flags } from '../src/index.js';
import type { TestRegistry } from './fixtures/registry.js';
import { makeFlags, tempDir, waitFor, writeFlagFile } from './helpers.js';

const open: Flags<TestRegistry>[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.close();
  for (const c of cleanups.splice(0)) c();
});

function setup(text: string, options: Parameters<typeof makeFlags>[0] = {}) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = writeFlagFile(dir, text);
  const made = makeFlags({ file, ...options });
  open.push(made.ff);
  return { ...made, file, dir };
}

describe('the flag file', () => {
  it('reads JSON as well as YAML', () => {
    const { ff } = setup(
      '{"flags": {"billing-batch-size": 7, "reports-export-permission": {"value": {"maxRows": 5}}}}',
    );
    expect(ff.number('billing-batch-size')).toBe(7);
    expect(ff.object('reports-export-permission')).toEqual({ maxRows: 5 });
  });

  it('reports every problem of an invalid file at once, as path: expected X, received Y', async () => {
    const { ff, records, file } = setup('flags:\n  billing-batch-size: 7\n');
    writeFileSync(
      file,
      [
        'flags:',
        '  billing-batch-size: lots',
        '  payments-new-allocation: { value: true, rules: [{ value: true }] }',
        '  checkout-button-experiment: { valu: red }',
        '  reports-export-permission: [1, 2]',
        'extra: 1',
      ].join('\n'),
    );
    expect(await ff.reload()).toBe(false);
    const line = records.find((r) => r.obj.code === 'IMMO_FLAGS_INVALID_FILE');
    expect(line?.level).toBe('error');
    expect(line?.msg).toContain('the last good configuration');
    expect(line?.obj.issues).toEqual([
      'extra: unknown top-level key — the file holds "flags" only',
      'flags.billing-batch-size: expected number, received "lots"',
      'flags.payments-new-allocation.rules.0: expected a rule with at least one of orgs, users, environments, percentage, received object',
      'flags.checkout-button-experiment: unknown option(s) valu — remove them or check the spelling',
      'flags.reports-export-permission: expected object, received array',
    ]);
    // the last good configuration stays in force
    expect(ff.details('billing-batch-size')).toMatchObject({ value: 7, source: 'file', reason: 'STATIC' });
    expect(ff.snapshot().file?.lastError).toHaveLength(5);
  });

  it('reports a YAML syntax error with its line, and answers PARSE_ERROR with the defaults when no good file was ever read', () => {
    const { ff, records } = setup('flags:\n  billing-batch-size: [1,\n');
    const line = records.find((r) => r.obj.code === 'IMMO_FLAGS_INVALID_FILE');
    expect((line?.obj.issues as string[] | undefined)?.[0]).toMatch(
      /^line \d+, column \d+: expected valid YAML or JSON, received a syntax error/,
    );
    expect(ff.details('billing-batch-size')).toMatchObject({
      value: 100,
      reason: 'ERROR',
      errorCode: 'PARSE_ERROR',
    });
  });

  it('applies a file naming unknown flags and warns about them (a rollout shares one file across versions)', () => {
    const { ff, records } = setup('flags:\n  billing-batch-size: 9\n  some-future-flag: true\n');
    expect(ff.number('billing-batch-size')).toBe(9);
    const line = records.find((r) => r.obj.code === 'IMMO_FLAGS_INVALID_FILE');
    expect(line?.level).toBe('warn');
    expect(line?.obj.issues).toEqual([
      'flags.some-future-flag: unknown flag (not declared in this version) — ignored',
    ]);
  });

  it('starts with the defaults when the file is missing and reports it once', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { ff, records } = makeFlags({ file: join(dir, 'absent.yaml') });
    open.push(ff);
    expect(ff.details('billing-batch-size')).toMatchObject({ value: 100, reason: 'DEFAULT' });
    await ff.reload();
    const lines = records.filter((r) => r.obj.code === 'IMMO_FLAGS_FILE_UNREADABLE');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.obj.issues).toEqual([
      `${join(dir, 'absent.yaml')}: expected a readable file, received ENOENT`,
    ]);
  });

  it('emits a change with the changed keys and logs it', async () => {
    const { ff, records, file } = setup('flags:\n  billing-batch-size: 7\n');
    const changes: unknown[] = [];
    ff.on('change', (c) => changes.push(c));
    writeFileSync(file, 'flags:\n  billing-batch-size: 7\n  checkout-button-experiment: red\n');
    expect(await ff.reload()).toBe(true);
    expect(changes).toEqual([{ revision: 2, source: 'file', flagsChanged: ['checkout-button-experiment'] }]);
    expect(records.find((r) => r.msg === '@immo/flags: flag configuration changed')?.obj).toMatchObject({
      revision: 2,
      flagsChanged: ['checkout-button-experiment'],
    });
    expect(await ff.reload()).toBe(false); // same content: nothing happens
  });
});

describe('watching the flag file (real files, fs.watch)', () => {
  it('applies an edited file within a second, without a reload call', async () => {
    const { ff, file } = setup('flags:\n  billing-batch-size: 1\n', { pollIntervalMs: 5000 });
    writeFileSync(file, 'flags:\n  billing-batch-size: 2\n');
    const took = await waitFor(() => ff.number('billing-batch-size') === 2, 1000);
    expect(took).toBeLessThan(1000);
  });

  it('follows a ConfigMap-style ..data symlink swap within a second', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // The kubelet's layout: flags.yaml -> ..data/flags.yaml, ..data -> ..<timestamp>; an update
    // writes a new timestamped folder and renames a new ..data link over the old one.
    mkdirSync(join(dir, '..v1'));
    writeFileSync(join(dir, '..v1', 'flags.yaml'), 'flags:\n  billing-run-kill-switch: false\n');
    symlinkSync('..v1', join(dir, '..data'));
    symlinkSync('..data/flags.yaml', join(dir, 'flags.yaml'));
    const { ff } = makeFlags({ file: join(dir, 'flags.yaml'), pollIntervalMs: 5000 });
    open.push(ff);
    expect(ff.isKilled('billing-run-kill-switch')).toBe(false);
    mkdirSync(join(dir, '..v2'));
    writeFileSync(join(dir, '..v2', 'flags.yaml'), 'flags:\n  billing-run-kill-switch: true\n');
    symlinkSync('..v2', join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    await waitFor(() => ff.isKilled('billing-run-kill-switch'), 1000);
    expect(ff.details('billing-run-kill-switch').source).toBe('file');
  });

  it('keeps the last good configuration when the watched file turns invalid, and reports it', async () => {
    const { ff, file, records } = setup('flags:\n  billing-batch-size: 3\n', { pollIntervalMs: 5000 });
    writeFileSync(file, 'flags:\n  billing-batch-size: three\n');
    await waitFor(() => records.some((r) => r.obj.code === 'IMMO_FLAGS_INVALID_FILE'), 1000);
    expect(ff.number('billing-batch-size')).toBe(3);
  });

  it('catches a change through the poll when the folder appears only later', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = join(dir, 'later', 'flags.yaml');
    const { ff } = makeFlags({ file, pollIntervalMs: 100 });
    open.push(ff);
    mkdirSync(join(dir, 'later'));
    writeFileSync(file, 'flags:\n  billing-batch-size: 11\n');
    await waitFor(() => ff.number('billing-batch-size') === 11, 2000);
    unlinkSync(file);
  });

  it('stops watching on close(): later edits are not applied', async () => {
    const { ff, file } = setup('flags:\n  billing-batch-size: 1\n', { pollIntervalMs: 50 });
    ff.close();
    writeFileSync(file, 'flags:\n  billing-batch-size: 2\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(ff.number('billing-batch-size')).toBe(1);
  });
});
