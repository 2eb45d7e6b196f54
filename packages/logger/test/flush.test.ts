import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const child = join(import.meta.dirname, 'fixtures', 'exit-child.mjs');
const dir = mkdtempSync(join(tmpdir(), 'immo-logger-flush-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(mode: string, count: number, file?: string) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => {
      const p = spawn(process.execPath, [child, mode, String(count), ...(file ? [file] : [])], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      p.stdout.on('data', (c) => {
        stdout += c;
      });
      p.stderr.on('data', (c) => {
        stderr += c;
      });
      p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    },
  );
}

const parse = (text: string) =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('flush on exit and crash', () => {
  it('loses no line when the process calls process.exit right after logging to a pipe', async () => {
    const r = await run('exit', 20_000);
    const lines = parse(r.stdout);
    expect(r.code).toBe(0);
    expect(lines).toHaveLength(20_000);
    expect(lines.at(-1)).toMatchObject({ i: 19_999 });
  });

  it('loses no line and logs the crash as fatal, redacted, when an exception is thrown', async () => {
    const r = await run('throw', 5_000);
    const lines = parse(r.stdout);
    expect(r.code).toBe(1);
    expect(lines.filter((l) => l.msg === 'line')).toHaveLength(5_000);
    const fatal = lines.at(-1);
    expect(fatal).toMatchObject({ level: 'fatal', msg: 'uncaught exception', origin: 'uncaughtException' });
    expect(JSON.stringify(fatal)).not.toContain('jane@example.com');
    // Node's own report still reaches stderr: the monitor observes, it does not swallow.
    expect(r.stderr).toContain('crash after logging');
  });

  it('logs an unhandled rejection as fatal before the process dies', async () => {
    const r = await run('reject', 1_000);
    const lines = parse(r.stdout);
    expect(r.code).toBe(1);
    expect(lines.filter((l) => l.msg === 'line')).toHaveLength(1_000);
    expect(lines.at(-1)).toMatchObject({
      level: 'fatal',
      msg: 'unhandled rejection',
      origin: 'unhandledRejection',
    });
  });

  it('writes everything to a file destination before exit', async () => {
    const file = join(dir, 'exit.log');
    const r = await run('exit', 20_000, file);
    expect(r.code).toBe(0);
    expect(parse(readFileSync(file, 'utf8'))).toHaveLength(20_000);
  });

  it('flush() resolves only after held lines are written, so even SIGKILL after it loses nothing', async () => {
    const file = join(dir, 'kill.log');
    const r = await run('flush-then-kill', 20_000, file);
    expect(r.signal).toBe('SIGKILL');
    expect(parse(readFileSync(file, 'utf8'))).toHaveLength(20_000);
  });

  it('writes everything when the process ends on its own', async () => {
    const r = await run('natural', 10_000);
    expect(parse(r.stdout)).toHaveLength(10_000);
  });
});
