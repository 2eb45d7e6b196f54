import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHealth, type Health, type HealthCheck } from '../src/index.js';
import { captureLogger, fakeMetrics, hang, quiet } from './helpers.js';

let health: Health | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  health?.stop();
  health = undefined;
  vi.useRealTimers();
});

function make(checks: HealthCheck[], extra: Parameters<typeof createHealth>[0] = {}) {
  health = createHealth({ ...quiet, checkIntervalMs: 1000, checkTimeoutMs: 200, checks, ...extra });
  health.markStarted();
  return health;
}

const entry = (h: Health, key: string) => h.readiness().report.checks[key]?.[0];

describe('check scheduling', () => {
  it('runs every check at start and then once per interval', async () => {
    const check = vi.fn(async () => undefined);
    const h = make([{ name: 'db', check }]).start();
    await vi.advanceTimersByTimeAsync(0);
    expect(check).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(check).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(check).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(check).toHaveBeenCalledTimes(5);
    h.stop();
    await vi.advanceTimersByTimeAsync(5000);
    expect(check).toHaveBeenCalledTimes(5);
  });

  it('uses a per-check interval when the check sets one', async () => {
    const fast = vi.fn(() => true);
    const slow = vi.fn(() => true);
    make([
      { name: 'fast', intervalMs: 100, check: fast },
      { name: 'slow', check: slow },
    ]).start();
    await vi.advanceTimersByTimeAsync(1000);
    expect(fast).toHaveBeenCalledTimes(11);
    expect(slow).toHaveBeenCalledTimes(2);
  });

  it('does not run checks before start()', async () => {
    const check = vi.fn(() => true);
    make([{ name: 'db', check }]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(check).not.toHaveBeenCalled();
  });

  it('reports a check as failed and pending before its first result', () => {
    const h = make([{ name: 'db', check: () => true }]);
    expect(h.readiness().statusCode).toBe(503);
    expect(entry(h, 'db:responseTime')).toMatchObject({
      status: 'fail',
      output: expect.stringMatching(/pending/),
    });
  });
});

describe('caching', () => {
  it('answers probes from the last result without running the check', async () => {
    const check = vi.fn(() => true);
    const h = make([{ name: 'db', check }]).start();
    await vi.advanceTimersByTimeAsync(0);
    for (let i = 0; i < 100; i++) h.readiness();
    expect(check).toHaveBeenCalledTimes(1);
    expect(h.readiness()).toBe(h.readiness());
    expect(h.readiness().statusCode).toBe(200);
  });

  it('keeps answering from cache while a check hangs', async () => {
    const h = make([{ name: 'slow-dep', check: hang }]).start();
    await vi.advanceTimersByTimeAsync(50);
    const before = h.readiness();
    expect(before.report.checks['slow-dep:responseTime']?.[0]?.output).toMatch(/pending/);
    await vi.advanceTimersByTimeAsync(150);
    expect(h.readiness().statusCode).toBe(503);
  });
});

describe('timeouts', () => {
  it('reports a hanging check as failed once its timeout passes, and aborts its signal', async () => {
    let signal: AbortSignal | undefined;
    const h = make([
      { name: 'db', check: () => true },
      {
        name: 'hangs',
        critical: false,
        check: (s) => {
          signal = s;
          return hang();
        },
      },
    ]).start();
    await vi.advanceTimersByTimeAsync(199);
    expect(entry(h, 'hangs:responseTime')?.output).toMatch(/pending/);
    expect(signal?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(entry(h, 'hangs:responseTime')).toMatchObject({
      status: 'fail',
      observedValue: 200,
      observedUnit: 'ms',
      output: 'IMMO_HEALTH_CHECK_TIMEOUT: check "hangs" did not settle within 200 ms',
    });
    expect(signal?.aborted).toBe(true);
    expect(h.readiness().status).toBe('warn');
  });

  it('uses a per-check timeout', async () => {
    const h = make([{ name: 'slow', timeoutMs: 50, check: hang }]).start();
    await vi.advanceTimersByTimeAsync(50);
    expect(entry(h, 'slow:responseTime')?.output).toMatch(/within 50 ms/);
  });

  it('does not start a second run while the previous one still hangs', async () => {
    const check = vi.fn(hang);
    const h = make([{ name: 'hangs', check }]).start();
    await vi.advanceTimersByTimeAsync(1200 + 1);
    expect(check).toHaveBeenCalledTimes(1);
    expect(entry(h, 'hangs:responseTime')?.output).toMatch(/^IMMO_HEALTH_CHECK_STILL_RUNNING/);
  });

  it('starts running the check again once the hung run settles', async () => {
    let release: () => void = () => {};
    const check = vi.fn(() => new Promise<void>((r) => (release = r)));
    const h = make([{ name: 'dep', check }]).start();
    await vi.advanceTimersByTimeAsync(1200 + 1);
    release();
    check.mockImplementation(async () => undefined);
    await vi.advanceTimersByTimeAsync(1200);
    expect(check).toHaveBeenCalledTimes(2);
    expect(entry(h, 'dep:responseTime')?.status).toBe('pass');
  });
});

describe('critical and non-critical checks', () => {
  it('fails readiness when a critical check fails', async () => {
    const h = make([
      { name: 'db', check: () => false },
      { name: 'cache', critical: false, check: () => true },
    ]);
    const r = await h.runChecks();
    expect(r.statusCode).toBe(503);
    expect(r.status).toBe('fail');
  });

  it('reports warn and stays ready when only a non-critical check fails', async () => {
    const h = make([
      { name: 'db', check: () => true },
      { name: 'cache', critical: false, check: () => false },
    ]);
    const r = await h.runChecks();
    expect(r.statusCode).toBe(200);
    expect(r.status).toBe('warn');
    expect(r.report.checks['cache:responseTime']?.[0]?.status).toBe('fail');
  });

  it('passes a warn outcome of a critical check through as warn', async () => {
    const h = make([
      {
        name: 'lag',
        measurement: 'replicationLag',
        check: () => ({ status: 'warn', observedValue: 12, observedUnit: 's', output: 'lagging' }),
      },
    ]);
    const r = await h.runChecks();
    expect(r.status).toBe('warn');
    expect(r.report.checks['lag:replicationLag']?.[0]).toMatchObject({
      status: 'warn',
      observedValue: 12,
      observedUnit: 's',
      output: 'lagging',
    });
  });
});

describe('bad checks', () => {
  it.each([
    [
      'throws synchronously',
      () => {
        throw new TypeError('boom');
      },
      /^TypeError: boom$/,
    ],
    [
      'rejects',
      async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
      },
      /^ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:5432$/,
    ],
    ['rejects with a non-error', () => Promise.reject(42), /non-error thrown: number/],
    ['returns a number', () => 42 as never, /^IMMO_HEALTH_CHECK_INVALID_RESULT: .*received number$/],
    [
      'returns an object without status',
      () => ({ ok: true }) as never,
      /IMMO_HEALTH_CHECK_INVALID_RESULT: .*received object/,
    ],
    ['returns null', () => null as never, /received null/],
    ['returns false', () => false, /check returned false/],
    [
      'returns an object with a throwing getter',
      () =>
        ({
          get status(): never {
            throw new Error('getter');
          },
        }) as never,
      /Error: getter/,
    ],
  ])('reports a failure with the reason when the check %s', async (_what, check, output) => {
    const h = make([{ name: 'bad', check }]);
    const r = await h.runChecks();
    expect(r.statusCode).toBe(503);
    expect(r.report.checks['bad:responseTime']?.[0]?.output).toMatch(output);
  });

  it('removes credentials from outputs and cuts long ones', async () => {
    const h = make([
      {
        name: 'url',
        check: () =>
          Promise.reject(new Error('could not connect to postgres://app:hunter2@db.internal:5432/app')),
      },
      { name: 'long', check: () => ({ status: 'fail', output: `x${'y'.repeat(1000)}` }) },
    ]);
    const r = await h.runChecks();
    const url = r.report.checks['url:responseTime']?.[0]?.output;
    expect(url).not.toContain('hunter2');
    expect(url).toContain('db.internal:5432');
    expect(r.report.checks['long:responseTime']?.[0]?.output?.length).toBeLessThanOrEqual(256);
    expect(r.body).not.toContain('hunter2');
  });
});

describe('report format', () => {
  it('builds an IETF health+json report with service, version and per-check entries', async () => {
    const h = make(
      [{ name: 'postgres', componentType: 'datastore', componentId: 'db-1', check: () => true }],
      { service: 'billing-api', version: '1.4.2', description: 'billing' },
    );
    vi.setSystemTime(new Date('2026-11-27T12:00:00.000Z'));
    const r = await h.runChecks();
    expect(JSON.parse(r.body)).toEqual({
      status: 'pass',
      version: '1.4.2',
      serviceId: 'billing-api',
      description: 'billing',
      checks: {
        startup: [{ componentType: 'system', status: 'pass', time: expect.any(String) }],
        'postgres:responseTime': [
          {
            componentId: 'db-1',
            componentType: 'datastore',
            status: 'pass',
            time: '2026-11-27T12:00:00.000Z',
            observedValue: expect.any(Number),
            observedUnit: 'ms',
          },
        ],
      },
    });
  });

  it('fails readiness and startup until start-up work is marked done', async () => {
    health = createHealth({ ...quiet, checks: [{ name: 'db', check: () => true }] });
    await health.runChecks();
    expect(health.readiness().statusCode).toBe(503);
    expect(health.readiness().report.checks.startup?.[0]?.output).toMatch(/start-up/);
    expect(health.startup().statusCode).toBe(503);
    expect(health.liveness().statusCode).toBe(200);
    health.markStarted();
    expect(health.readiness().statusCode).toBe(200);
    expect(health.startup().statusCode).toBe(200);
  });

  it('answers liveness with pass whatever the checks say', async () => {
    const h = make([{ name: 'db', check: () => false }]);
    await h.runChecks();
    expect(h.liveness()).toMatchObject({ statusCode: 200, status: 'pass' });
  });
});

describe('check metrics and logs', () => {
  it('records status (1/0.5/0) and duration per check', async () => {
    const m = fakeMetrics();
    const h = make(
      [
        { name: 'a', check: () => true },
        { name: 'b', critical: false, check: () => ({ status: 'warn' }) },
        { name: 'c', check: hang },
      ],
      { metrics: m.registry },
    );
    const run = h.runChecks();
    await vi.advanceTimersByTimeAsync(200);
    await run;
    expect(m.values.get('immo_health_check_status{check="a"}')).toBe(1);
    expect(m.values.get('immo_health_check_status{check="b"}')).toBe(0.5);
    expect(m.values.get('immo_health_check_status{check="c"}')).toBe(0);
    expect(m.observations.get('immo_health_check_duration_seconds{check="c"}')).toEqual([0.2]);
  });

  it('logs when a check starts failing and when it recovers, once per change', async () => {
    const logger = captureLogger();
    let ok = true;
    const h = make([{ name: 'db', check: () => ok }], { logger });
    await h.runChecks();
    ok = false;
    await h.runChecks();
    await h.runChecks();
    ok = true;
    await h.runChecks();
    expect(logger.entries.map((e) => [e.level, e.msg])).toEqual([
      ['warn', 'health check db:responseTime is failing'],
      ['info', 'health check db:responseTime recovered'],
    ]);
  });
});
