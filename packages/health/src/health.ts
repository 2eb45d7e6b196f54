import { constants } from 'node:os';
import { type CheckResult, CheckRunner, type HealthCheck, type HealthStatus } from './checks.js';
import { HealthOptionsError } from './errors.js';
import { createHealthMetrics, type HealthMetrics } from './metrics.js';
import {
  type HealthLogger,
  type HealthOptions,
  type ResolvedHealthOptions,
  resolveHealthOptions,
  validateCheck,
} from './options.js';
import { PressureMonitor } from './pressure.js';
import { errorOutput } from './sanitize.js';

/** The media type of every probe response (draft-inadarei-api-health-check). */
export const HEALTH_CONTENT_TYPE = 'application/health+json';

/** A probe response body in the IETF health check format. */
export interface HealthReport {
  status: HealthStatus;
  version?: string;
  serviceId?: string;
  description?: string;
  /** Keyed `<name>:<measurement>` (or a bare name for built-in entries). */
  checks: Record<string, CheckResult[]>;
}

/** A cached probe answer: built when a result changes, returned as is by every probe. */
export interface ProbeResponse {
  /** 200 for `pass`/`warn`, 503 for `fail`. */
  readonly statusCode: 200 | 503;
  readonly status: HealthStatus;
  readonly report: HealthReport;
  /** `report` as JSON, ready to send. */
  readonly body: string;
}

/** Phases of the shutdown sequence, as in the `phase` label of the phase-duration metric. */
export type ShutdownPhase = 'propagation' | 'drain' | 'hooks' | 'total';

/** What a shutdown did; returned by `health.shutdown()` (the process has not exited when `exit: false`). */
export interface ShutdownResult {
  /** The signal name, `uncaughtException`, `unhandledRejection` or the reason passed. */
  reason: string;
  exitCode: number;
  /** `true` when the deadline cut the sequence short (the exit code is then 1). */
  deadlineExceeded: boolean;
  phases: { phase: ShutdownPhase; durationMs: number }[];
  hooks: { name: string; outcome: 'ok' | 'error' | 'timeout'; durationMs: number; error?: string }[];
}

/** Options of `health.shutdown()`. */
export interface ShutdownOptions {
  /** @default 'manual' */
  reason?: string;
  /** @default 0 */
  exitCode?: number;
  /** `false`: run the sequence without ending the process (tests). @default true */
  exit?: boolean;
}

/** Options of `health.onShutdown()`. */
export interface ShutdownHookOptions {
  /** @default the `hookTimeoutMs` option (5000) */
  timeoutMs?: number;
}

/** Something the drain phase closes, e.g. a Fastify instance (`app.close()` drains in-flight requests). */
export interface Closable {
  close(): Promise<unknown> | unknown;
}

interface Hook {
  name: string;
  fn: (signal: AbortSignal) => unknown;
  timeoutMs: number;
}

/** Internals shared with `./fastify` and `./testing` (separate bundles: looked up by a global symbol). */
export interface HealthInternals {
  readonly pressure: PressureMonitor | undefined;
  readonly runners: ReadonlyMap<string, CheckRunner>;
  readonly metrics: HealthMetrics;
  /** `true` once something needs a per-request look: pressure or a shutdown in progress. */
  readonly gate: { open: boolean };
  attach(server: Closable, logger?: HealthLogger): () => void;
  notify(): void;
}
export const kInternals: unique symbol = Symbol.for('@immo/health.internals') as never;
const kSignalOwner = Symbol.for('@immo/health.signalOwner');

const fallbackLogger: HealthLogger = {
  info: (obj, msg) => writeLine('info', obj, msg),
  warn: (obj, msg) => writeLine('warn', obj, msg),
  error: (obj, msg) => writeLine('error', obj, msg),
  fatal: (obj, msg) => writeLine('fatal', obj, msg),
};

function writeLine(level: string, obj: object, msg?: string): void {
  const fields: Record<string, unknown> = { level, time: new Date().toISOString() };
  for (const [k, v] of Object.entries(obj)) {
    fields[k] = v instanceof Error ? { type: v.name, message: v.message, stack: v.stack } : v;
  }
  if (msg !== undefined) fields.msg = msg;
  process.stderr.write(`${JSON.stringify(fields)}\n`);
}

function response(report: HealthReport): ProbeResponse {
  return {
    statusCode: report.status === 'fail' ? 503 : 200,
    status: report.status,
    report,
    body: JSON.stringify(report),
  };
}

const sleep = (ms: number) =>
  new Promise<void>((resolve) => {
    if (ms <= 0) resolve();
    else setTimeout(resolve, ms);
  });

type Settled = { outcome: 'ok' } | { outcome: 'error'; error: unknown } | { outcome: 'timeout' };

/** Runs `fn` with a timeout; never rejects. The signal aborts at the timeout. */
async function withTimeout(fn: (signal: AbortSignal) => unknown, timeoutMs: number): Promise<Settled> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled>((resolve) => {
    timer = setTimeout(() => {
      controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      resolve({ outcome: 'timeout' });
    }, timeoutMs);
  });
  const run = (async () => {
    await fn(controller.signal);
  })().then(
    (): Settled => ({ outcome: 'ok' }),
    (error: unknown): Settled => ({ outcome: 'error', error }),
  );
  const settled = await Promise.race([run, timeout]);
  clearTimeout(timer);
  return settled;
}

/**
 * Health state of one service: readiness checks run in the background, cached probe answers,
 * start-up state, load shedding and the shutdown sequence. Create it with {@link createHealth}.
 */
export class Health {
  /** The options after env and defaults were applied. */
  readonly options: ResolvedHealthOptions;
  readonly #runners = new Map<string, CheckRunner>();
  readonly #metrics: HealthMetrics;
  readonly #pressure: PressureMonitor | undefined;
  readonly #hooks: Hook[] = [];
  readonly #closables = new Set<{ server: Closable; logger?: HealthLogger }>();
  readonly #listeners = new Set<(readiness: ProbeResponse) => void>();
  readonly #gate = { open: false };
  readonly #liveness: ProbeResponse;
  #logger: HealthLogger;
  #readiness!: ProbeResponse;
  #startup!: ProbeResponse;
  #started = false;
  #startedAt = new Date().toISOString();
  #running = false;
  #shutdown: Promise<ShutdownResult> | undefined;
  #shutdownAt = '';
  #exitCode = 0;
  #processListeners: [string, (...args: never[]) => void][] = [];

  constructor(options: HealthOptions = {}) {
    this.options = resolveHealthOptions(options);
    this.#logger = this.options.logger ?? fallbackLogger;
    this.#metrics = createHealthMetrics(this.options.metrics);
    if (this.options.pressure !== false) {
      this.#pressure = new PressureMonitor(this.options.pressure, this.#metrics, () =>
        this.#pressureChanged(),
      );
    }
    for (const c of this.options.checks) this.#addRunner(c);
    const base = this.#base();
    this.#liveness = response({ status: 'pass', ...base, checks: {} });
    this.#rebuild();
  }

  /**
   * Adds a readiness check. Runs at once (and on its interval) when the schedule is started.
   * Throws `IMMO_HEALTH_INVALID_CHECK` when the definition is invalid or the name is taken.
   *
   * @example
   * ```ts
   * health.addCheck({ name: 'payments-api', critical: false, check: () => fetch(url).then((r) => r.ok) });
   * ```
   */
  addCheck(check: HealthCheck): this {
    validateCheck(check);
    const key = `${check.name}:${check.measurement ?? 'responseTime'}`;
    if (this.#runners.has(key)) {
      throw new HealthOptionsError('IMMO_HEALTH_INVALID_CHECK', 'Invalid @immo/health check', [
        `name: expected a unique check name, received "${check.name}" (already registered as ${key})`,
      ]);
    }
    const runner = this.#addRunner(check);
    this.#rebuild();
    if (this.#running) runner.start();
    return this;
  }

  /**
   * Registers a shutdown hook. Hooks run after the servers have drained, in reverse order of
   * registration (the pool opened first closes last), each with its own timeout; a hook that
   * throws or times out is logged and the next one runs. Throws `IMMO_HEALTH_INVALID_HOOK` on a
   * bad name, function or timeout.
   *
   * @example
   * ```ts
   * health.onShutdown('pg pool', () => pool.end(), { timeoutMs: 3000 });
   * health.onShutdown('logger', () => flush(logger));
   * ```
   */
  onShutdown(name: string, hook: (signal: AbortSignal) => unknown, options: ShutdownHookOptions = {}): this {
    const issues: string[] = [];
    if (typeof name !== 'string' || name === '')
      issues.push(`name: expected a non-empty string, received ${typeof name}`);
    if (typeof hook !== 'function') issues.push(`hook: expected function, received ${typeof hook}`);
    const t = options?.timeoutMs;
    if (t !== undefined && !(Number.isInteger(t) && t > 0)) {
      issues.push(`timeoutMs: expected a positive integer, received ${typeof t} ${String(t)}`);
    }
    if (issues.length > 0) {
      throw new HealthOptionsError('IMMO_HEALTH_INVALID_HOOK', 'Invalid @immo/health shutdown hook', issues);
    }
    this.#hooks.push({ name, fn: hook, timeoutMs: t ?? this.options.hookTimeoutMs });
    return this;
  }

  /**
   * Marks start-up work as done: the startup probe passes from now on and readiness no longer
   * fails for `startup`. The Fastify plugin calls it when the server listens (unless told not to).
   *
   * @example
   * ```ts
   * await runMigrations();
   * await warmCaches();
   * health.markStarted();
   * ```
   */
  markStarted(): void {
    if (this.#started) return;
    this.#started = true;
    this.#startedAt = new Date().toISOString();
    this.#rebuild();
  }

  /**
   * Starts the background work: every check runs now and then on its interval, pressure is
   * sampled, and (per options) signals and uncaught errors start the shutdown sequence.
   * Idempotent; the Fastify plugin calls it when the app is ready.
   *
   * @example
   * ```ts
   * const health = createHealth({ checks: [pgCheck(pool)] });
   * health.start();
   * ```
   */
  start(): this {
    if (this.#running || this.#shutdown !== undefined) return this;
    this.#running = true;
    for (const r of this.#runners.values()) r.start();
    this.#pressure?.start();
    this.#installProcessListeners();
    return this;
  }

  /**
   * Stops the background work and removes the process listeners. The Fastify plugin calls it when
   * the app is closed outside a shutdown sequence (in a shutdown, the listeners stay so that a
   * second signal still ends the process).
   *
   * @example
   * ```ts
   * afterAll(() => health.stop());
   * ```
   */
  stop(): void {
    this.#stopBackground();
    this.#removeProcessListeners();
  }

  /**
   * Runs every check now (also when not started) and returns the new readiness answer.
   *
   * @example
   * ```ts
   * const ready = await health.runChecks();
   * console.log(ready.status, ready.report.checks);
   * ```
   */
  async runChecks(): Promise<ProbeResponse> {
    await Promise.all([...this.#runners.values()].map((r) => r.run()));
    return this.#readiness;
  }

  /**
   * The liveness answer: `pass` whenever the process can answer at all. Touches no dependency.
   *
   * @example
   * ```ts
   * const { statusCode, body } = health.liveness();
   * ```
   */
  liveness(): ProbeResponse {
    return this.#liveness;
  }

  /**
   * The readiness answer from cache: fails while start-up is not done, while a critical check
   * fails, while shutting down (and under pressure with `failReadiness`); `warn` for failing
   * non-critical checks and pressure.
   *
   * @example
   * ```ts
   * if (health.readiness().statusCode === 503) console.log(health.readiness().report);
   * ```
   */
  readiness(): ProbeResponse {
    return this.#readiness;
  }

  /**
   * The startup answer: `pass` once {@link Health.markStarted} was called.
   *
   * @example
   * ```ts
   * health.startup().status; // 'fail' until markStarted()
   * ```
   */
  startup(): ProbeResponse {
    return this.#startup;
  }

  /** `true` once {@link Health.markStarted} was called. */
  get started(): boolean {
    return this.#started;
  }

  /** `true` from the moment a shutdown begins. */
  get shuttingDown(): boolean {
    return this.#shutdown !== undefined;
  }

  /** `true` while requests are shed. */
  get underPressure(): boolean {
    return this.#pressure?.active ?? false;
  }

  /**
   * Calls `listener` with the readiness answer whenever it is rebuilt (a check result, pressure,
   * start-up or shutdown). Returns the unsubscribe function.
   *
   * @example
   * ```ts
   * const off = health.onChange((ready) => console.log(ready.status));
   * ```
   */
  onChange(listener: (readiness: ProbeResponse) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs the shutdown sequence: readiness fails at once; the app keeps serving for
   * `propagationDelayMs`; attached servers close and drain; hooks run in reverse order, each
   * with its timeout; then the process exits (`exitCode`, or 1 if the deadline cut it short).
   * Calling it again returns the same promise. Signals call it for you after `start()`.
   *
   * @example
   * ```ts
   * process.on('message', (m) => m === 'shutdown' && void health.shutdown({ reason: 'ipc' }));
   * ```
   */
  shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
    if (this.#shutdown !== undefined) return this.#shutdown;
    const exit = options.exit ?? true;
    this.#exitCode = Math.max(this.#exitCode, options.exitCode ?? 0);
    const result: ShutdownResult = {
      reason: options.reason ?? 'manual',
      exitCode: 0,
      deadlineExceeded: false,
      phases: [],
      hooks: [],
    };
    this.#shutdownAt = new Date().toISOString();
    this.#gate.open = true;
    // Readiness must fail before anything else happens: that is what takes the pod out of the
    // Service endpoints while it still serves.
    const promise = this.#runShutdown(result, exit);
    this.#shutdown = promise;
    this.#stopChecks();
    this.#rebuild();
    return promise;
  }

  /** @internal */
  get [kInternals](): HealthInternals {
    return {
      pressure: this.#pressure,
      runners: this.#runners,
      metrics: this.#metrics,
      gate: this.#gate,
      attach: (server, logger) => {
        const entry = logger === undefined ? { server } : { server, logger };
        this.#closables.add(entry);
        if (logger !== undefined && this.options.logger === undefined) this.#logger = logger;
        // the logger stays: the rest of a shutdown sequence logs after the app has closed
        return () => {
          this.#closables.delete(entry);
        };
      },
      notify: () => this.#rebuild(),
    };
  }

  async #runShutdown(result: ShutdownResult, exit: boolean): Promise<ShutdownResult> {
    const t0 = performance.now();
    let phase: ShutdownPhase = 'propagation';
    this.#log(
      'info',
      { reason: result.reason, propagation_delay_ms: this.options.propagationDelayMs },
      'shutdown started: readiness fails now',
    );
    let deadlineTimer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      deadlineTimer = setTimeout(() => resolve('deadline'), this.options.shutdownDeadlineMs);
    });
    const timePhase = async (p: ShutdownPhase, fn: () => Promise<void>) => {
      phase = p;
      const start = performance.now();
      await fn();
      const durationMs = performance.now() - start;
      result.phases.push({ phase: p, durationMs });
      this.#metrics.shutdownPhase(p, durationMs / 1000);
    };
    const sequence = (async () => {
      await timePhase('propagation', () => sleep(this.options.propagationDelayMs));
      await timePhase('drain', () => this.#drain());
      this.#pressure?.stop();
      await timePhase('hooks', () => this.#runHooks(result));
      return 'done' as const;
    })();
    const how = await Promise.race([sequence, deadline]);
    clearTimeout(deadlineTimer);
    const totalMs = performance.now() - t0;
    result.phases.push({ phase: 'total', durationMs: totalMs });
    this.#metrics.shutdownPhase('total', totalMs / 1000);
    if (how === 'deadline') {
      result.deadlineExceeded = true;
      this.#exitCode = 1;
      this.#log(
        'error',
        { phase, deadline_ms: this.options.shutdownDeadlineMs },
        `shutdown deadline reached during ${phase}: exiting now`,
      );
    }
    result.exitCode = this.#exitCode;
    this.#log('info', { exit_code: result.exitCode, duration_ms: Math.round(totalMs) }, 'shutdown complete');
    this.#stopBackground();
    if (exit) this.options.exit(result.exitCode);
    // only reached when `exit` did not end the process (tests, or `exit: false`)
    this.#removeProcessListeners();
    return result;
  }

  async #drain(): Promise<void> {
    if (this.#closables.size === 0) return;
    const settled = await withTimeout(
      () => Promise.all([...this.#closables].map((c) => c.server.close())),
      this.options.closeTimeoutMs,
    );
    if (settled.outcome === 'timeout') {
      this.#log(
        'warn',
        { close_timeout_ms: this.options.closeTimeoutMs },
        'servers did not drain in time: running the shutdown hooks anyway',
      );
    } else if (settled.outcome === 'error') {
      this.#log('error', { err: settled.error }, 'closing the servers failed');
    }
  }

  async #runHooks(result: ShutdownResult): Promise<void> {
    for (let i = this.#hooks.length - 1; i >= 0; i--) {
      const hook = this.#hooks[i]!;
      const start = performance.now();
      const settled = await withTimeout(hook.fn, hook.timeoutMs);
      const durationMs = performance.now() - start;
      const entry: ShutdownResult['hooks'][number] = {
        name: hook.name,
        outcome: settled.outcome,
        durationMs,
      };
      if (settled.outcome === 'error') {
        entry.error = errorOutput(settled.error);
        this.#log('error', { hook: hook.name, err: settled.error }, `shutdown hook "${hook.name}" failed`);
      } else if (settled.outcome === 'timeout') {
        entry.error = `timed out after ${hook.timeoutMs} ms`;
        this.#log(
          'error',
          { hook: hook.name, timeout_ms: hook.timeoutMs },
          `shutdown hook "${hook.name}" timed out`,
        );
      }
      result.hooks.push(entry);
    }
  }

  #addRunner(check: HealthCheck): CheckRunner {
    const runner = new CheckRunner(
      check,
      { timeoutMs: this.options.checkTimeoutMs, intervalMs: this.options.checkIntervalMs },
      (r, seconds) => this.#onResult(r, seconds),
    );
    this.#runners.set(runner.key, runner);
    return runner;
  }

  #lastStatus = new Map<string, HealthStatus>();

  #onResult(runner: CheckRunner, seconds: number): void {
    const status = runner.result.status;
    this.#metrics.checkResult(runner.name, status, seconds);
    const before = this.#lastStatus.get(runner.key);
    if (before !== status) {
      this.#lastStatus.set(runner.key, status);
      const fields = { check: runner.key, status, critical: runner.critical, output: runner.result.output };
      if (status === 'pass') {
        if (before !== undefined) this.#log('info', fields, `health check ${runner.key} recovered`);
      } else {
        this.#log(
          'warn',
          fields,
          `health check ${runner.key} is ${status === 'fail' ? 'failing' : 'warning'}`,
        );
      }
    }
    this.#rebuild();
  }

  #pressureChanged(): void {
    const p = this.#pressure!;
    this.#gate.open = p.active || this.#shutdown !== undefined;
    if (p.active) {
      this.#log('warn', { pressure: [...p.types], ...p.readings }, 'under pressure: shedding requests');
    } else {
      this.#log('info', { ...p.readings }, 'pressure relieved: serving all requests');
    }
    this.#rebuild();
  }

  #base(): Omit<HealthReport, 'status' | 'checks'> {
    const o = this.options;
    const base: Omit<HealthReport, 'status' | 'checks'> = {};
    if (o.version !== undefined) base.version = o.version;
    if (o.service !== undefined) base.serviceId = o.service;
    if (o.description !== undefined) base.description = o.description;
    return base;
  }

  #rebuild(): void {
    const checks: Record<string, CheckResult[]> = {};
    let status: HealthStatus = 'pass';
    const worse = (s: HealthStatus) => {
      if (s === 'fail') status = 'fail';
      else if (s === 'warn' && status === 'pass') status = 'warn';
    };
    const startupEntry: CheckResult = {
      componentType: 'system',
      status: this.#started ? 'pass' : 'fail',
      time: this.#startedAt,
    };
    if (!this.#started) startupEntry.output = 'start-up work is not done yet';
    this.#startup = response({
      status: startupEntry.status,
      ...this.#base(),
      checks: { startup: [startupEntry] },
    });
    checks.startup = [startupEntry];
    worse(startupEntry.status);
    if (this.#shutdown !== undefined) {
      checks.shutdown = [
        { componentType: 'system', status: 'fail', time: this.#shutdownAt, output: 'shutting down' },
      ];
      worse('fail');
    }
    for (const r of this.#runners.values()) {
      checks[r.key] = [r.result];
      if (r.result.status === 'fail') worse(r.critical ? 'fail' : 'warn');
      else worse(r.result.status);
    }
    const p = this.#pressure;
    if (p !== undefined) {
      const entry: CheckResult = {
        componentType: 'system',
        status: p.active ? (p.options.failReadiness ? 'fail' : 'warn') : 'pass',
        time: new Date().toISOString(),
        observedValue: Math.round(p.readings.eventLoopDelayMs * 100) / 100,
        observedUnit: 'ms',
      };
      if (p.active)
        entry.output = p.types.size > 0 ? `under pressure: ${[...p.types].join(', ')}` : 'under pressure';
      checks['process:pressure'] = [entry];
      worse(entry.status);
    }
    this.#readiness = response({ status, ...this.#base(), checks });
    for (const l of this.#listeners) {
      try {
        l(this.#readiness);
      } catch {
        // a listener's bug must not break the health state
      }
    }
  }

  #stopChecks(): void {
    for (const r of this.#runners.values()) r.stop();
  }

  #stopBackground(): void {
    this.#running = false;
    this.#stopChecks();
    this.#pressure?.stop();
  }

  #installProcessListeners(): void {
    const o = this.options;
    if (!o.handleSignals && !o.handleUncaught) return;
    const g = globalThis as { [kSignalOwner]?: Health };
    if (g[kSignalOwner] !== undefined && g[kSignalOwner] !== this) {
      this.#log(
        'warn',
        {},
        'another @immo/health instance already handles signals in this process: this one does not',
      );
      return;
    }
    g[kSignalOwner] = this;
    const on = (event: string, fn: (...args: never[]) => void) => {
      process.on(event, fn as (...args: unknown[]) => void);
      this.#processListeners.push([event, fn]);
    };
    if (o.handleSignals) {
      for (const signal of ['SIGTERM', 'SIGINT'] as const) on(signal, () => this.#onSignal(signal));
    }
    if (o.handleUncaught) {
      on('uncaughtException', (err: unknown) => this.#onCrash('uncaughtException', err));
      on('unhandledRejection', (reason: unknown) => this.#onCrash('unhandledRejection', reason));
    }
  }

  #removeProcessListeners(): void {
    for (const [event, fn] of this.#processListeners) process.off(event, fn as (...args: unknown[]) => void);
    this.#processListeners = [];
    const g = globalThis as { [kSignalOwner]?: Health };
    if (g[kSignalOwner] === this) delete g[kSignalOwner];
  }

  #onSignal(signal: 'SIGTERM' | 'SIGINT'): void {
    if (this.#shutdown !== undefined) {
      const code = 128 + constants.signals[signal];
      this.#log('warn', { signal, exit_code: code }, `second ${signal} during shutdown: exiting now`);
      this.options.exit(code);
      return;
    }
    void this.shutdown({ reason: signal });
  }

  #onCrash(origin: 'uncaughtException' | 'unhandledRejection', err: unknown): void {
    this.#exitCode = 1;
    this.#log('fatal', { err, origin }, `${origin}: shutting down`);
    void this.shutdown({ reason: origin, exitCode: 1 });
  }

  #log(level: 'info' | 'warn' | 'error' | 'fatal', obj: object, msg: string): void {
    try {
      const l = this.#logger;
      if (level === 'fatal') (l.fatal ?? l.error).call(l, obj, msg);
      else l[level](obj, msg);
    } catch {
      // logging never breaks the health state or the shutdown
    }
  }
}

/**
 * Creates the health state of a service. Options: explicit > `IMMO_HEALTH_*` > defaults; throws
 * `IMMO_HEALTH_INVALID_OPTIONS` listing every problem. Nothing runs until `start()` (the Fastify
 * plugin calls it).
 *
 * @example
 * ```ts
 * import { createHealth, pgCheck } from '@immo/health';
 *
 * const health = createHealth({ service: 'billing-api', checks: [pgCheck(pool)] });
 * health.onShutdown('pg pool', () => pool.end());
 * ```
 */
export function createHealth(options: HealthOptions = {}): Health {
  return new Health(options);
}
