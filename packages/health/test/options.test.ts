import { describe, expect, it } from 'vitest';
import { createHealth, HealthOptionsError } from '../src/index.js';
import { resolveHealthOptions } from '../src/options.js';
import { quiet } from './helpers.js';

function thrown(fn: () => unknown): HealthOptionsError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HealthOptionsError);
    return err as HealthOptionsError;
  }
  throw new Error('expected a throw');
}

describe('options', () => {
  it('applies the defaults when nothing is set', () => {
    const o = resolveHealthOptions({}, {});
    expect(o).toMatchObject({
      checkIntervalMs: 5000,
      checkTimeoutMs: 2000,
      propagationDelayMs: 5000,
      shutdownDeadlineMs: 25_000,
      closeTimeoutMs: 10_000,
      hookTimeoutMs: 5000,
      handleSignals: true,
      handleUncaught: true,
      pressure: {
        maxEventLoopDelayMs: 1000,
        maxHeapUsedBytes: 0,
        maxRssBytes: 0,
        sampleIntervalMs: 1000,
        retryAfterSeconds: 10,
        failReadiness: false,
      },
    });
    expect(o.service).toBeUndefined();
  });

  it('reads IMMO_HEALTH_* variables when no option is given', () => {
    const o = resolveHealthOptions(
      {},
      {
        IMMO_HEALTH_SERVICE: 'billing-api',
        IMMO_HEALTH_VERSION: '1.2.3',
        IMMO_HEALTH_CHECK_INTERVAL_MS: '10000',
        IMMO_HEALTH_CHECK_TIMEOUT_MS: '500',
        IMMO_HEALTH_PROPAGATION_DELAY_MS: '0',
        IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: '50000',
        IMMO_HEALTH_CLOSE_TIMEOUT_MS: '8000',
        IMMO_HEALTH_HOOK_TIMEOUT_MS: '1000',
        IMMO_HEALTH_HANDLE_SIGNALS: 'false',
        IMMO_HEALTH_MAX_EVENT_LOOP_DELAY_MS: '200',
        IMMO_HEALTH_MAX_HEAP_USED_BYTES: '1000000',
        IMMO_HEALTH_MAX_RSS_BYTES: '2000000',
        IMMO_HEALTH_SAMPLE_INTERVAL_MS: '250',
        IMMO_HEALTH_RETRY_AFTER_SECONDS: '3',
      },
    );
    expect(o).toMatchObject({
      service: 'billing-api',
      version: '1.2.3',
      checkIntervalMs: 10_000,
      checkTimeoutMs: 500,
      propagationDelayMs: 0,
      shutdownDeadlineMs: 50_000,
      closeTimeoutMs: 8000,
      hookTimeoutMs: 1000,
      handleSignals: false,
      pressure: {
        maxEventLoopDelayMs: 200,
        maxHeapUsedBytes: 1e6,
        maxRssBytes: 2e6,
        sampleIntervalMs: 250,
        retryAfterSeconds: 3,
      },
    });
  });

  it('prefers explicit options over variables, per field (also inside pressure)', () => {
    const o = resolveHealthOptions(
      { propagationDelayMs: 1000, pressure: { maxRssBytes: 5 } },
      {
        IMMO_HEALTH_PROPAGATION_DELAY_MS: '0',
        IMMO_HEALTH_MAX_RSS_BYTES: '9',
        IMMO_HEALTH_MAX_HEAP_USED_BYTES: '7',
      },
    );
    expect(o.propagationDelayMs).toBe(1000);
    expect(o.pressure).toMatchObject({ maxRssBytes: 5, maxHeapUsedBytes: 7, maxEventLoopDelayMs: 1000 });
  });

  it('falls back to OTEL_SERVICE_NAME and npm_package_version', () => {
    const o = resolveHealthOptions({}, { OTEL_SERVICE_NAME: 'svc', npm_package_version: '9.9.9' });
    expect(o).toMatchObject({ service: 'svc', version: '9.9.9' });
  });

  it('turns pressure sampling off with IMMO_HEALTH_PRESSURE=false, and back on with an explicit object', () => {
    expect(resolveHealthOptions({}, { IMMO_HEALTH_PRESSURE: 'false' }).pressure).toBe(false);
    expect(resolveHealthOptions({ pressure: {} }, { IMMO_HEALTH_PRESSURE: 'false' }).pressure).toMatchObject({
      maxEventLoopDelayMs: 1000,
    });
  });

  it('lists every problem at once with a stable code', () => {
    const err = thrown(() =>
      resolveHealthOptions(
        {
          checkIntervalMs: -1,
          checkTimeoutMs: 1.5,
          handleSignals: 'yes' as never,
          pressure: { sampleIntervalMs: 1, bogus: 1 } as never,
          logger: {} as never,
          typo: true,
        } as never,
        { IMMO_HEALTH_HOOK_TIMEOUT_MS: 'soon' },
      ),
    );
    expect(err.code).toBe('IMMO_HEALTH_INVALID_OPTIONS');
    expect(err.issues).toEqual(
      expect.arrayContaining([
        'checkIntervalMs: expected > 0, received number -1',
        'checkTimeoutMs: expected an integer, received number 1.5',
        'hookTimeoutMs: expected number, received "soon" (from IMMO_HEALTH_HOOK_TIMEOUT_MS)',
        'handleSignals: expected boolean, received "yes"',
        'pressure.sampleIntervalMs: expected >= 10, received number 1',
        'pressure: unknown option(s) bogus — remove them or check the spelling',
        'logger: expected a logger with info, warn and error, received object',
        '(options): unknown option(s) typo — remove them or check the spelling',
      ]),
    );
    expect(err.issues).toHaveLength(8);
    expect(err.message).toContain('Invalid @immo/health options');
  });

  it('rejects a propagation delay that does not fit before the deadline', () => {
    const err = thrown(() => resolveHealthOptions({ propagationDelayMs: 30_000 }, {}));
    expect(err.issues).toEqual([
      'propagationDelayMs: expected less than shutdownDeadlineMs (25000), received number 30000',
    ]);
  });

  it('rejects invalid and duplicate check definitions with every problem', () => {
    const err = thrown(() =>
      createHealth({
        ...quiet,
        checks: [
          { name: 'db', check: () => true },
          { name: 'db', check: () => true },
          { name: 'bad name!', timeoutMs: 0, check: 'nope' as never },
        ],
      }),
    );
    expect(err.code).toBe('IMMO_HEALTH_INVALID_OPTIONS');
    expect(err.issues).toEqual([
      'checks.2.name: expected a name of letters, digits, "_", "." or "-" (max 63), received "bad name!"',
      'checks.2.timeoutMs: expected > 0, received number 0',
      'checks.2.check: expected function, received "nope"',
      'checks.1.name: expected a unique check name, received "db"',
    ]);
  });

  it('never echoes a long string value in an issue', () => {
    const secret = `postgres://app:${'s'.repeat(60)}@db/app`;
    const err = thrown(() =>
      resolveHealthOptions({ service: 5 as never, description: { secret } as never }, {}),
    );
    expect(err.message).not.toContain('s'.repeat(50));
  });
});

describe('addCheck and onShutdown', () => {
  it('rejects an invalid check with IMMO_HEALTH_INVALID_CHECK', () => {
    const h = createHealth(quiet);
    const err = thrown(() => h.addCheck({ name: '', check: undefined as never }));
    expect(err.code).toBe('IMMO_HEALTH_INVALID_CHECK');
    expect(err.issues).toHaveLength(2);
  });

  it('rejects a second check with the same name', () => {
    const h = createHealth(quiet).addCheck({ name: 'db', check: () => true });
    const err = thrown(() => h.addCheck({ name: 'db', check: () => true }));
    expect(err.code).toBe('IMMO_HEALTH_INVALID_CHECK');
    expect(err.issues[0]).toMatch(/^name: expected a unique check name, received "db"/);
  });

  it('rejects an invalid shutdown hook with IMMO_HEALTH_INVALID_HOOK', () => {
    const h = createHealth(quiet);
    const err = thrown(() => h.onShutdown('', 'x' as never, { timeoutMs: -5 }));
    expect(err.code).toBe('IMMO_HEALTH_INVALID_HOOK');
    expect(err.issues).toEqual([
      'name: expected a non-empty string, received string',
      'hook: expected function, received string',
      'timeoutMs: expected a positive integer, received number -5',
    ]);
  });
});
