import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  type OtlpReceiver,
  type PostgresServer,
  requireTools,
  startOtlpReceiver,
  startPostgres,
} from '@immo/test-servers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

const tools = requireTools('@immo/tracing register entry', ['postgres']);
const pkg = join(import.meta.dirname, '..');

interface App {
  child: ChildProcess;
  url: string;
  out: () => string;
  stop: () => Promise<void>;
}

async function startApp(args: string[], env: Record<string, string>): Promise<App> {
  const child = spawn(process.execPath, args, {
    cwd: pkg,
    env: { ...process.env, OTEL_SERVICE_NAME: 'register-test', OTEL_BSP_SCHEDULE_DELAY: '20', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c) => {
    out += c;
  });
  child.stderr!.on('data', (c) => {
    out += c;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`app did not start:\n${out}`)), 20_000);
    const poll = setInterval(() => {
      const m = /"listening":(\d+)/.exec(out);
      if (m) {
        clearTimeout(t);
        clearInterval(poll);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    }, 20);
    child.on('exit', () => {
      clearTimeout(t);
      clearInterval(poll);
      reject(new Error(`app exited:\n${out}`));
    });
  });
  return {
    child,
    url,
    out: () => out,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

describe.skipIf(!tools.ok)('the register entry (real OTLP exporter, real PostgreSQL)', () => {
  let pg: PostgresServer;
  let otlp: OtlpReceiver;
  beforeAll(async () => {
    [pg, otlp] = await Promise.all([startPostgres(), startOtlpReceiver()]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([pg?.stop(), otlp?.stop()]);
  });
  beforeEach(() => otlp.reset());

  const env = () => ({ DATABASE_URL: pg.url, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url });

  for (const [kind, args] of [
    ['ESM with --import', ['--import', '@immo/tracing/register', 'test/fixtures/esm-app.mjs']],
    ['CJS with --require', ['--require', '@immo/tracing/register', 'test/fixtures/cjs-app.cjs']],
  ] as const) {
    it(`${kind}: pg queries are spans under the server span`, async () => {
      const app = await startApp([...args], env());
      try {
        expect((await fetch(`${app.url}/api/now`)).status).toBe(200);
        const spans = await otlp.waitForSpans(
          (s) => s.some((x) => x.name === 'GET /api/now') && s.some((x) => x.name.startsWith('pg.query')),
        );
        const server = spans.find((x) => x.name === 'GET /api/now')!;
        const query = spans.find((x) => x.name.startsWith('pg.query'))!;
        expect(query.parentSpanId).toBe(server.spanId);
        expect(server.resource['service.name']).toBe('register-test');
        expect(app.out()).not.toContain('not instrumented');
      } finally {
        await app.stop();
      }
    }, 30_000);
  }

  it('says so when an ESM app sets tracing up after importing pg (the silent failure it prevents)', async () => {
    const app = await startApp(['test/fixtures/esm-app.mjs'], { ...env(), IMMO_FIXTURE_INIT: '1' });
    try {
      expect((await fetch(`${app.url}/api/now`)).status).toBe(200);
      await otlp.waitForSpans((s) => s.some((x) => x.name === 'GET /api/now'));
      expect(otlp.spans().some((x) => x.name.startsWith('pg.query'))).toBe(false);
      expect(app.out()).toContain('pg is loaded but not instrumented');
      expect(app.out()).toContain('--import @immo/tracing/register');
    } finally {
      await app.stop();
    }
  }, 30_000);

  it('switched off by OTEL_SDK_DISABLED: no SDK, no spans, the app runs', async () => {
    const app = await startApp(['--import', '@immo/tracing/register', 'test/fixtures/esm-app.mjs'], {
      ...env(),
      OTEL_SDK_DISABLED: 'true',
    });
    try {
      expect(app.out()).toContain('"tracing":false');
      expect((await fetch(`${app.url}/api/now`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
      expect(otlp.requests).toBe(0);
    } finally {
      await app.stop();
    }
  }, 30_000);
});
