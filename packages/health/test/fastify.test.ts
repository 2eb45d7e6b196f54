import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import immoHealthDefault, { DEFAULT_PROBE_PATHS, HEALTH_CONTENT_TYPE, immoHealth } from '../src/fastify.js';
import { createHealth, type Health, HealthOptionsError, type HealthReport as Report } from '../src/index.js';
import { createTestHealth, forceCheck, forcePressure } from '../src/testing.js';
import { captureLogger, fakeMetrics, hang, quiet } from './helpers.js';

let app: FastifyInstance | undefined;
let health: Health | undefined;
afterEach(async () => {
  await app?.close();
  health?.stop();
  app = undefined;
  health = undefined;
});

async function build(pluginOptions: Parameters<typeof immoHealth>[1] = {}, h: Health = createTestHealth()) {
  health = h;
  app = Fastify();
  await app.register(immoHealth, { health: h, routes: true, ...pluginOptions });
  app.get('/api/orgs/:id', async () => ({ ok: true }));
  app.get('/metrics', async () => 'up 1\n');
  await app.ready();
  return app;
}

describe('plugin shape', () => {
  it('is a fastify-plugin named @immo/health for Fastify 5, exported as default and named', () => {
    expect(immoHealthDefault).toBe(immoHealth);
    const meta = (immoHealth as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    expect(meta).toMatchObject({ name: '@immo/health', fastify: '5.x' });
  });

  it('rejects invalid options at registration with every problem', async () => {
    app = Fastify();
    app.register(immoHealth, {
      health: {} as never,
      routes: { readiness: 'ready' },
      shedding: 'yes',
      extra: 1,
    } as never);
    const err = await app.ready().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(HealthOptionsError);
    expect((err as HealthOptionsError).code).toBe('IMMO_HEALTH_INVALID_PLUGIN_OPTIONS');
    expect((err as HealthOptionsError).issues).toEqual([
      'health: expected a Health from createHealth(), received object',
      'routes.readiness: expected a path starting with "/", received "ready"',
      'shedding: expected boolean, received "yes"',
      '(options): unknown option(s) extra — remove them or check the spelling',
    ]);
  });

  it('adds no routes unless asked to', async () => {
    await build({ routes: undefined });
    expect((await app!.inject('/health')).statusCode).toBe(404);
    expect(app!.health).toBe(health);
  });

  it('starts the health schedule when the app is ready and stops it when the app closes', async () => {
    const check = vi.fn(() => true);
    const h = createTestHealth({ checks: [{ name: 'db', check }], checkIntervalMs: 60_000 });
    await build({}, h);
    await vi.waitFor(() => expect(check).toHaveBeenCalledOnce());
    expect((await app!.inject('/health/ready')).statusCode).toBe(200);
    const before = process.listenerCount('SIGTERM');
    await app!.close();
    app = undefined;
    expect(process.listenerCount('SIGTERM')).toBeLessThanOrEqual(before);
  });

  it('marks start-up done when the app listens, unless told not to', async () => {
    const h = createTestHealth({ started: false });
    await build({}, h);
    expect((await app!.inject('/health/startup')).statusCode).toBe(503);
    await app!.listen({ port: 0, host: '127.0.0.1' });
    expect((await app!.inject('/health/startup')).statusCode).toBe(200);

    const h2 = createTestHealth({ started: false });
    const app2 = Fastify();
    await app2.register(immoHealth, { health: h2, routes: true, markStartedOnListen: false });
    await app2.listen({ port: 0, host: '127.0.0.1' });
    expect((await app2.inject('/health/startup')).statusCode).toBe(503);
    await app2.close();
  });
});

describe('probe routes', () => {
  it('answer in application/health+json, never cached by proxies', async () => {
    await build();
    for (const path of Object.values(DEFAULT_PROBE_PATHS)) {
      const res = await app!.inject(path);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(HEALTH_CONTENT_TYPE);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json()).toMatchObject({ status: 'pass', checks: expect.any(Object) });
    }
  });

  it('answer 503 on fail and 200 on warn, with per-check status and output', async () => {
    const h = createTestHealth({
      service: 'billing-api',
      version: '1.0.0',
      checks: [{ name: 'db', check: () => true }],
    });
    await build({}, h);
    forceCheck(h, 'db', { status: 'fail', output: 'connect ECONNREFUSED' });
    forceCheck(h, 'cache', 'pass');
    let res = await app!.inject('/health/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      status: 'fail',
      serviceId: 'billing-api',
      version: '1.0.0',
      checks: {
        'db:responseTime': [{ status: 'fail', output: 'connect ECONNREFUSED', time: expect.any(String) }],
        'cache:responseTime': [{ status: 'pass' }],
      },
    });
    forceCheck(h, 'db', 'warn');
    res = await app!.inject('/health/ready');
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('warn');
    // liveness never looks at dependencies
    forceCheck(h, 'db', 'fail');
    expect((await app!.inject('/health')).statusCode).toBe(200);
  });

  it('use the configured paths and leave out a probe set to false', async () => {
    await build({ routes: { liveness: '/livez', readiness: '/readyz', startup: false } });
    expect((await app!.inject('/livez')).statusCode).toBe(200);
    expect((await app!.inject('/readyz')).statusCode).toBe(200);
    expect((await app!.inject('/health/startup')).statusCode).toBe(404);
    expect((await app!.inject('/health')).statusCode).toBe(404);
  });

  it('answer readiness from cache within a second while a check hangs, and report it failed after its timeout', async () => {
    // The timeout is long enough that the first probe lands before it even on a loaded CI machine.
    const h = createTestHealth({ checkTimeoutMs: 2000, checks: [{ name: 'hangs', check: hang }] });
    await build({}, h);
    await app!.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(app!.server.address() as { port: number }).port}/health/ready`;
    const first = await fetch(url, { signal: AbortSignal.timeout(1000) });
    expect(first.status).toBe(503);
    expect(((await first.json()) as Report).checks['hangs:responseTime']?.[0]?.output).toMatch(/pending/);
    await vi.waitFor(
      async () => {
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        const body = (await res.json()) as Report;
        expect(body.checks['hangs:responseTime']?.[0]?.output).toBe(
          'IMMO_HEALTH_CHECK_TIMEOUT: check "hangs" did not settle within 2000 ms',
        );
      },
      { timeout: 8000, interval: 50 },
    );
  });
});

describe('load shedding', () => {
  it('answers 503 with Retry-After under pressure, exempts probes and exempt paths, and counts shed requests', async () => {
    const m = fakeMetrics();
    const h = createTestHealth({ metrics: m.registry, pressure: { retryAfterSeconds: 7 } });
    await build({ exemptPaths: ['/metrics'] }, h);
    expect((await app!.inject('/api/orgs/1')).statusCode).toBe(200);
    forcePressure(h, true);
    const shed = await app!.inject('/api/orgs/1');
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('7');
    expect(shed.json()).toMatchObject({ code: 'IMMO_HEALTH_OVERLOADED' });
    expect((await app!.inject('/does-not-exist')).statusCode).toBe(503);
    expect((await app!.inject('/metrics')).statusCode).toBe(200);
    expect((await app!.inject('/health')).statusCode).toBe(200);
    const ready = await app!.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({
      status: 'warn',
      checks: { 'process:pressure': [{ status: 'warn' }] },
    });
    expect(m.values.get('immo_health_shed_requests_total{}')).toBe(2);
    forcePressure(h, false);
    expect((await app!.inject('/api/orgs/1')).statusCode).toBe(200);
  });

  it('fails readiness under pressure with failReadiness', async () => {
    const h = createTestHealth({ pressure: { failReadiness: true } });
    await build({}, h);
    forcePressure(h, true);
    expect((await app!.inject('/health/ready')).statusCode).toBe(503);
  });

  it('does not shed with shedding: false', async () => {
    const h = createTestHealth({ pressure: {} });
    await build({ shedding: false }, h);
    forcePressure(h, true);
    expect((await app!.inject('/api/orgs/1')).statusCode).toBe(200);
  });
});

describe('shutdown integration', () => {
  it('closes the app as the drain phase, after the propagation delay, before the hooks', async () => {
    const h = createTestHealth({ propagationDelayMs: 200 });
    const events: string[] = [];
    h.onShutdown('db', () => void events.push(`hook, app closed: ${app!.server.listening === false}`));
    health = h;
    app = Fastify();
    app.addHook('onClose', (_i, done) => {
      events.push('close');
      done();
    });
    await app.register(immoHealth, { health: h, routes: true });
    app.get('/api/orgs/:id', async () => ({ ok: true }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const done = h.shutdown({ exit: false });
    // still serving during the propagation delay, readiness failing, connections not reused
    const during = await app!.inject('/api/orgs/1');
    expect(during.statusCode).toBe(200);
    expect(during.headers.connection).toBe('close');
    expect((await app!.inject('/health/ready')).statusCode).toBe(503);
    expect(events).toEqual([]);
    const result = await done;
    expect(events).toEqual(['close', 'hook, app closed: true']);
    expect(result.exitCode).toBe(0);
    app = undefined;
  });

  it('logs through the Fastify logger by default and through the logger option when given', async () => {
    const logger = captureLogger();
    const h = createHealth({ ...quiet, logger: undefined, propagationDelayMs: 0 });
    h.markStarted();
    health = h;
    app = Fastify();
    await app.register(immoHealth, { health: h, logger });
    await app.ready();
    await h.shutdown({ exit: false });
    expect(logger.entries.map((e) => e.msg)).toContain('shutdown started: readiness fails now');
    app = undefined;
  });

  it('leaves the app open in the shutdown sequence with shutdown: false', async () => {
    const h = createTestHealth();
    await build({ shutdown: false }, h);
    await h.shutdown({ exit: false });
    expect((await app!.inject('/api/orgs/1')).statusCode).toBe(200);
  });
});
