import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort, requireTools } from '@immo/test-servers';
import { afterAll, describe, expect, it } from 'vitest';

const tools = requireTools('pnpm stack', ['prometheus', 'alertmanager']);
const script = join(import.meta.dirname, '..', 'dist', 'stack.js');

function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (c) => {
    err += c;
  });
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, stderr: () => err };
}

describe('pnpm stack (apps/sample-app/dist/stack.js)', () => {
  let stack: { child: ChildProcess; exited: Promise<number | null>; stderr: () => string } | undefined;
  afterAll(() => {
    if (stack && stack.child.exitCode === null) stack.child.kill('SIGKILL');
  });

  it('says how to install Prometheus and Alertmanager when they are missing', async () => {
    const r = run({ PROMETHEUS_BIN: '/nonexistent/prometheus' });
    expect(await r.exited).toBe(1);
    expect(r.stderr()).toContain('not installed: prometheus');
    expect(r.stderr()).toContain(
      'apt-get install -y --no-install-recommends prometheus prometheus-alertmanager',
    );
  });

  it.skipIf(!tools.ok)(
    'starts the app, Prometheus scraping it with the rules, Alertmanager and the receiver; Ctrl-C stops all',
    async () => {
      const ports = {
        IMMO_STACK_APP_PORT: String(await freePort()),
        IMMO_STACK_PROMETHEUS_PORT: String(await freePort()),
        IMMO_STACK_ALERTMANAGER_PORT: String(await freePort()),
        IMMO_STACK_RECEIVER_PORT: String(await freePort()),
      };
      stack = run({
        ...ports,
        PROMETHEUS_BIN: tools.path('prometheus'),
        ALERTMANAGER_BIN: tools.path('alertmanager'),
      });
      const until = Date.now() + 150_000;
      while (
        !stack.stderr().includes('[stack] ready:') &&
        Date.now() < until &&
        stack.child.exitCode === null
      ) {
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(stack.stderr()).toContain('[stack] ready:');
      expect(stack.stderr()).toContain(`http://127.0.0.1:${ports.IMMO_STACK_PROMETHEUS_PORT}/alerts`);
      const prom = `http://127.0.0.1:${ports.IMMO_STACK_PROMETHEUS_PORT}`;
      // The app is scraped and the production rules are loaded (alerts included).
      let up: unknown[] = [];
      for (let i = 0; i < 60 && up.length === 0; i++) {
        const body = (await (await fetch(`${prom}/api/v1/query?query=up{job="sample-app"}==1`)).json()) as {
          data: { result: unknown[] };
        };
        up = body.data.result;
        if (up.length === 0) await new Promise((r) => setTimeout(r, 500));
      }
      expect(up).toHaveLength(1);
      const rules = (await (await fetch(`${prom}/api/v1/rules?type=alert`)).json()) as {
        data: { groups: Array<{ rules: Array<{ name: string }> }> };
      };
      const names = rules.data.groups.flatMap((g) => g.rules.map((r) => r.name));
      expect(names).toEqual(
        expect.arrayContaining(['CriticalErrorRate', 'ServiceDegraded', 'BackupMissing', 'Watchdog']),
      );
      const am = await fetch(`http://127.0.0.1:${ports.IMMO_STACK_ALERTMANAGER_PORT}/api/v2/status`);
      expect(am.status).toBe(200);

      stack.child.kill('SIGINT');
      expect(await stack.exited).toBe(0);
      expect(stack.stderr()).toContain('[stack] stopped');
      await expect(fetch(`${prom}/-/ready`)).rejects.toThrow();
    },
    240_000,
  );
});
