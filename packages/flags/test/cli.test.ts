import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashToken } from '../src/testing.js';
import { tempDir, writeFlagFile } from './helpers.js';

const pkg = join(import.meta.dirname, '..');
const cli = join(pkg, 'dist', 'cli.js');
const tmp = tempDir();
afterAll(() => tmp.cleanup());

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd: pkg, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(() => {
  // turbo builds before testing (test dependsOn build); a bare `vitest run` needs `pnpm build` first.
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`pnpm --filter @immo/flags build\` first`);
});

describe('immo-flags (the built CLI)', () => {
  it('lint: exit 0 on a built registry module before any expiry', async () => {
    const { code, stdout } = await run(['lint', 'test/fixtures/registry.mjs', '--now', '2027-01-01']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe('immo-flags lint: 2 flag(s), 0 error(s), 0 warning(s), 0 expired');
  });

  it('lint: exit 1 and a list of expired flags once one is past its expiry; --json for machines', async () => {
    const text = await run(['lint', 'test/fixtures/registry.mjs', '--now', '2027-03-03']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('Past their expiry (2027-03-03):');
    expect(text.stdout).toMatch(
      /payments-new-allocation\s+expired 2027-03-01 \(2 day\(s\) ago\), owner team-payments/,
    );
    const json = await run(['lint', 'test/fixtures/registry.mjs', '--now', '2027-03-03', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: false,
      expired: [{ flag: 'payments-new-allocation', daysOverdue: 2 }],
    });
  });

  it('lint: reads a YAML declaration file and reports a bad name and a missing owner', async () => {
    const { code, stdout } = await run(['lint', 'test/fixtures/declarations.yaml', '--now', '2027-01-01']);
    expect(code).toBe(1);
    expect(stdout).toContain('error IMMO_FLAGS_LINT_OWNER payments-new-allocation: no owner');
    expect(stdout).toContain('error IMMO_FLAGS_LINT_NAME PaymentsOld');
    expect(stdout).toContain('error IMMO_FLAGS_LINT_STALE PaymentsOld: expired on 2026-06-01');
  });

  it('check: validates a flag file against the registry', async () => {
    const good = writeFlagFile(tmp.dir, 'flags:\n  billing-run-kill-switch: true\n', 'good.yaml');
    const bad = writeFlagFile(tmp.dir, 'flags:\n  billing-run-kill-switch: maybe\n', 'bad.yaml');
    expect((await run(['check', good, '--registry', 'test/fixtures/registry.mjs'])).code).toBe(0);
    const res = await run(['check', bad, '--registry', 'test/fixtures/registry.mjs']);
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      'IMMO_FLAGS_INVALID_FILE flags.billing-run-kill-switch: expected boolean, received "maybe"',
    );
  });

  it('token: prints a token and the SHA-256 to configure', async () => {
    const { code, stdout } = await run(['token', 'alice']);
    expect(code).toBe(0);
    const token = /token \(give to alice, keep secret\): (\S+)/.exec(stdout)?.[1] ?? '';
    expect(stdout).toContain(`sha256 (configure as tokens.alice): ${hashToken(token)}`);
  });

  it('exits 2 on usage errors and unreadable input, without a stack trace', async () => {
    const missing = await run(['lint', 'test/fixtures/nope.mjs']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^immo-flags: cannot import test\/fixtures\/nope\.mjs/);
    expect((await run(['lint', 'test/fixtures/registry.mjs', '--now', 'yesterday'])).stderr).toContain(
      '--now: expected a date',
    );
    expect((await run(['frobnicate'])).code).toBe(2);
    expect((await run(['lint', '--bogus'])).code).toBe(2);
  });
});
