import type { CheckOutcome, HealthStatus } from './checks.js';
import {
  createHealth,
  type Health,
  kInternals,
  type ProbeResponse,
  type ShutdownOptions,
  type ShutdownResult,
} from './health.js';
import type { HealthLogger, HealthOptions } from './options.js';

/** Options of {@link createTestHealth}: {@link HealthOptions} plus `started`. */
export interface TestHealthOptions extends HealthOptions {
  /** Mark start-up as done at once. @default true */
  started?: boolean;
}

const silent: HealthLogger = { info() {}, warn() {}, error() {} };

/**
 * A health instance for a service's own tests: no signal or crash handlers, no metrics, no
 * pressure sampling, no propagation delay, a silent logger, and an `exit` that does nothing.
 * Anything can be overridden.
 *
 * @example
 * ```ts
 * const health = createTestHealth({ checks: [pgCheck(pool)] });
 * const app = await buildApp({ health });
 * forceCheck(health, 'postgres', 'fail');
 * expect((await app.inject('/health/ready')).statusCode).toBe(503);
 * ```
 */
export function createTestHealth(options: TestHealthOptions = {}): Health {
  const { started = true, ...rest } = options;
  const health = createHealth({
    handleSignals: false,
    handleUncaught: false,
    metrics: false,
    pressure: false,
    propagationDelayMs: 0,
    logger: silent,
    exit: () => {},
    ...rest,
  });
  if (started) health.markStarted();
  return health;
}

/**
 * Forces a check's result (`'pass'`, `'warn'`, `'fail'` or a full outcome) until called again with
 * `undefined`, which runs the real check again. An unknown name adds a stub check. Takes effect at once.
 *
 * @example
 * ```ts
 * forceCheck(health, 'postgres', { status: 'fail', output: 'connection refused' });
 * forceCheck(health, 'postgres', undefined); // back to the real check
 * ```
 */
export function forceCheck(
  health: Health,
  name: string,
  outcome: HealthStatus | CheckOutcome | undefined,
): void {
  const internals = health[kInternals];
  let runner = [...internals.runners.values()].find((r) => r.key === name || r.name === name);
  if (runner === undefined) {
    health.addCheck({ name, check: () => undefined });
    runner = [...internals.runners.values()].find((r) => r.name === name)!;
  }
  runner.forced = typeof outcome === 'string' ? { status: outcome } : outcome;
  void runner.run();
}

/**
 * Forces load shedding on (`true`) or off (`false`), or back to the real readings (`undefined`).
 * Needs a health instance with `pressure` enabled.
 *
 * @example
 * ```ts
 * const health = createTestHealth({ pressure: {} });
 * forcePressure(health, true);
 * expect((await app.inject('/api/orgs')).headers['retry-after']).toBe('10');
 * ```
 */
export function forcePressure(health: Health, active: boolean | undefined): void {
  const pressure = health[kInternals].pressure;
  if (pressure === undefined) {
    throw new Error('forcePressure: this health instance has pressure: false; create it with pressure: {}');
  }
  pressure.force(active);
}

/** Options of {@link waitForStatus}. */
export interface WaitForStatusOptions {
  /** @default 'readiness' */
  probe?: 'readiness' | 'startup';
  /** @default 5000 */
  timeoutMs?: number;
}

/**
 * Resolves with the probe's answer once its status is `status`; rejects after `timeoutMs` with
 * the last answer in the message.
 *
 * @example
 * ```ts
 * await pg.stop();
 * const ready = await waitForStatus(health, 'fail', { timeoutMs: 10_000 });
 * expect(ready.report.checks['postgres:responseTime']?.[0]?.output).toMatch(/ECONNREFUSED/);
 * ```
 */
export function waitForStatus(
  health: Health,
  status: HealthStatus,
  options: WaitForStatusOptions = {},
): Promise<ProbeResponse> {
  const probe = options.probe ?? 'readiness';
  const read = () => (probe === 'startup' ? health.startup() : health.readiness());
  const now = read();
  if (now.status === status) return Promise.resolve(now);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(
        new Error(
          `waitForStatus: ${probe} did not become "${status}" within ${options.timeoutMs ?? 5000} ms; last answer: ${read().body}`,
        ),
      );
    }, options.timeoutMs ?? 5000);
    const off = health.onChange(() => {
      const r = read();
      if (r.status !== status) return;
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

/**
 * Runs the whole shutdown sequence (readiness fails, propagation delay, drain, hooks) without
 * ending the process, and returns what happened.
 *
 * @example
 * ```ts
 * const result = await runShutdown(health);
 * expect(result.hooks.map((h) => h.name)).toEqual(['logger', 'pg pool']);
 * ```
 */
export function runShutdown(
  health: Health,
  options: Omit<ShutdownOptions, 'exit'> = {},
): Promise<ShutdownResult> {
  return health.shutdown({ ...options, exit: false });
}
