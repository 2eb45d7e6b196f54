import { execFile } from 'node:child_process';
import { join } from 'node:path';
import {
  type OtlpReceiver,
  type SentryReceiver,
  startOtlpReceiver,
  startSentryReceiver,
} from '@immo/test-servers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { initSentry } from '../src/sentry.js';

// Lazy loading is a per-process state (@sentry/node, once loaded, stays loaded), so each case runs
// the fixture service in a fresh process against the real @sentry/node and local receivers.
const fixture = join(import.meta.dirname, 'fixtures', 'sentry-lazy.cjs');

let otlp: OtlpReceiver;
let sentry: SentryReceiver;

beforeAll(async () => {
  [otlp, sentry] = await Promise.all([startOtlpReceiver(), startSentryReceiver()]);
});
afterAll(async () => {
  await Promise.all([otlp?.stop(), sentry?.stop()]);
});
beforeEach(() => {
  sentry.reset();
  otlp.reset();
});

interface Step {
  step: string;
  sentryLoaded: boolean;
  handleLoaded?: boolean;
  status?: number;
  requestId?: string;
}

function run(
  mode: 'request' | 'crash' | 'loaded-crash' | 'lone-crash',
  env: Record<string, string> = { IMMO_SENTRY_LOAD: 'lazy' },
): Promise<{ code: number | null; steps: Step[]; stderr: string }> {
  const { SENTRY_DSN: _d, IMMO_SENTRY_ENABLED: _e, IMMO_SENTRY_LOAD: _l, ...base } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [fixture, mode],
      {
        env: {
          ...base,
          SENTRY_DSN: sentry.dsn(),
          ...env,
          OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        },
        timeout: 30_000,
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? null) : 0;
        const steps = String(stdout)
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Step);
        resolve({ code: typeof code === 'number' ? code : null, steps, stderr: String(stderr) });
      },
    );
  });
}

/** The one event a crash of the fixture sends: the exception, fatal, unhandled. */
async function expectCrashEvent(): Promise<void> {
  const [event] = await sentry.waitForEvents(1);
  expect(event?.exception?.values?.[0]?.value).toBe('lazy crash');
  expect(event?.level).toBe('fatal');
  expect(event?.exception?.values?.[0]?.mechanism).toMatchObject({
    type: 'onuncaughtexception',
    handled: false,
  });
}

describe('initSentry with load: lazy (the default; IMMO_SENTRY_LOAD=lazy)', () => {
  it('loads nothing at start-up or for clean requests, then sends the first 5xx linked to its server span', async () => {
    const { code, steps, stderr } = await run('request');
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const at = (name: string) => steps.find((s) => s.step === name);
    // Neither initTracing (no preload) nor initSentry loaded the SDK.
    expect(at('init')).toMatchObject({ sentryLoaded: false, handleLoaded: false });
    expect(at('ok')).toMatchObject({ status: 200, sentryLoaded: false, handleLoaded: false });
    expect(at('failed')).toMatchObject({ status: 500, sentryLoaded: true, handleLoaded: true });

    const [event] = await sentry.waitForEvents(1);
    expect(event?.exception?.values?.[0]?.value).toBe('lazy failure');
    expect(event?.exception?.values?.[0]?.mechanism).toMatchObject({ type: 'fastify', handled: false });
    expect(event?.tags).toMatchObject({
      'http.route': '/api/fail/:id',
      'http.response.status_code': '500',
      request_id: at('failed')?.requestId,
    });
    expect(event?.release).toBe('lazy-test@1.0.0');
    const spans = await otlp.waitForSpans((s) => s.some((x) => x.name === 'GET /api/fail/:id'));
    const server = spans.find((x) => x.name === 'GET /api/fail/:id');
    const trace = (event!.contexts as { trace: { trace_id: string; span_id: string } }).trace;
    expect(trace.trace_id).toBe(server?.traceId);
    expect(trace.span_id).toBe(server?.spanId);
  });

  it.each([
    ['not yet', 'crash'],
    ['already', 'loaded-crash'],
  ] as const)(
    'captures an uncaught exception as the process crashes (SDK %s loaded), sent by the crash handler’s telemetry flush',
    async (_when, mode) => {
      const { code, steps } = await run(mode);
      expect(steps[0]).toMatchObject({ step: 'init', sentryLoaded: false });
      if (mode === 'loaded-crash')
        expect(steps[1]).toMatchObject({ step: 'loaded', sentryLoaded: true, handleLoaded: true });
      expect(code).toBe(1);
      await expectCrashEvent();
    },
  );
});

describe('initSentry in lazy mode without a crash handler of the service', () => {
  it('prints an uncaught exception, sends it and exits 1 as Node would (lazy is the default)', async () => {
    // No IMMO_SENTRY_LOAD at all: the default mode.
    const { code, steps, stderr } = await run('lone-crash', {});
    expect(steps[0]).toMatchObject({ step: 'init', sentryLoaded: false, handleLoaded: false });
    expect(code).toBe(1);
    expect(stderr).toContain('lazy crash');
    await expectCrashEvent();
    expect(sentry.events()).toHaveLength(1);
  });
});

describe('initSentry options (load)', () => {
  it('rejects an unknown load mode with a coded error naming the option, or the variable it came from', () => {
    const issues = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return { code: (err as { code?: string }).code, issues: (err as { issues?: string[] }).issues };
      }
      return 'did not throw';
    };
    expect(
      issues(() => initSentry({ dsn: 'http://k@127.0.0.1:9/1', load: 'sometimes' as never }, {})),
    ).toEqual({
      code: 'IMMO_SENTRY_INVALID_OPTIONS',
      issues: ['load: expected one of "eager", "lazy", received "sometimes"'],
    });
    expect(
      issues(() => initSentry({}, { SENTRY_DSN: 'http://k@127.0.0.1:9/1', IMMO_SENTRY_LOAD: 'soon' })),
    ).toEqual({
      code: 'IMMO_SENTRY_INVALID_OPTIONS',
      issues: ['load: expected one of "eager", "lazy", received "soon" (from IMMO_SENTRY_LOAD)'],
    });
  });
});
