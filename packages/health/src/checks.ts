import { CheckTimeoutError } from './errors.js';
import { errorOutput, sanitizeOutput } from './sanitize.js';

/** A status in the IETF health check format. */
export type HealthStatus = 'pass' | 'warn' | 'fail';

/** What a check may return, besides `undefined`/`true` (pass) and `false` (fail). */
export interface CheckOutcome {
  status: HealthStatus;
  /** Why; sanitised and cut to 256 characters before it is served. */
  output?: string;
  /** The measured value, e.g. a replication lag. @default the run's duration in ms */
  observedValue?: number | string | boolean;
  /** Unit of `observedValue`, e.g. `'s'`. @default 'ms' */
  observedUnit?: string;
}

/** A check's return value: nothing/`true` pass, `false` fail, or a {@link CheckOutcome}. */
// biome-ignore lint/suspicious/noConfusingVoidType: `async () => { await pool.query(...) }` must fit
export type CheckReturn = void | boolean | CheckOutcome;

/**
 * A named readiness check. It runs in the background every `intervalMs`; probes answer from its
 * last result. A check that throws, hangs past `timeoutMs` or returns something else than a
 * {@link CheckReturn} is reported as failed with the reason.
 *
 * @example
 * ```ts
 * const redis: HealthCheck = {
 *   name: 'redis',
 *   componentType: 'datastore',
 *   critical: false,
 *   timeoutMs: 500,
 *   check: async (signal) => {
 *     await client.ping({ signal });
 *   },
 * };
 * ```
 */
export interface HealthCheck {
  /** Key of the check (`<name>:<measurement>` in responses, `check` label in metrics). */
  name: string;
  /** @default 'responseTime' */
  measurement?: string;
  /** IETF `componentType`, e.g. `'datastore'`, `'component'`, `'system'`. */
  componentType?: string;
  /** IETF `componentId`, e.g. the database's host name (never credentials). */
  componentId?: string;
  /** `true`: a failure makes readiness fail (503). `false`: a failure is a `warn` (200). @default true */
  critical?: boolean;
  /** @default the `checkTimeoutMs` option (2000) */
  timeoutMs?: number;
  /** @default the `checkIntervalMs` option (5000) */
  intervalMs?: number;
  /** The check. `signal` aborts when the timeout is reached. */
  check(signal: AbortSignal): CheckReturn | Promise<CheckReturn>;
}

/** One entry of `checks` in an `application/health+json` response. */
export interface CheckResult {
  componentId?: string;
  componentType?: string;
  status: HealthStatus;
  /** ISO 8601 time of the observation. */
  time: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
  output?: string;
}

const STATUSES = new Set<unknown>(['pass', 'warn', 'fail']);
const OBSERVED = new Set<unknown>(['number', 'string', 'boolean']);

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object without a valid status';
  return typeof v;
}

interface Normalised {
  status: HealthStatus;
  output?: string;
  observedValue?: number | string | boolean;
  observedUnit?: string;
}

function normalise(value: unknown): Normalised {
  if (value === undefined || value === true) return { status: 'pass' };
  if (value === false) return { status: 'fail', output: 'check returned false' };
  try {
    if (typeof value === 'object' && value !== null && STATUSES.has((value as CheckOutcome).status)) {
      const o = value as CheckOutcome;
      const n: Normalised = { status: o.status };
      if (typeof o.output === 'string' && o.output !== '') n.output = sanitizeOutput(o.output);
      if (OBSERVED.has(typeof o.observedValue)) {
        n.observedValue =
          typeof o.observedValue === 'string' ? sanitizeOutput(o.observedValue) : o.observedValue;
        if (typeof o.observedUnit === 'string') n.observedUnit = sanitizeOutput(o.observedUnit, 32);
      }
      return n;
    }
  } catch (err) {
    // a throwing getter on a returned object
    return { status: 'fail', output: errorOutput(err) };
  }
  return {
    status: 'fail',
    output: `IMMO_HEALTH_CHECK_INVALID_RESULT: expected undefined, a boolean or { status: 'pass' | 'warn' | 'fail' }, received ${kind(value)}`,
  };
}

const rounded = (ms: number) => Math.round(ms * 100) / 100;

/** Runs one check on its schedule and holds its last result. Internal. */
export class CheckRunner {
  readonly key: string;
  readonly name: string;
  readonly critical: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  result: CheckResult;
  /** Set by testing helpers: reported instead of running the check. */
  forced: CheckOutcome | undefined;
  readonly #def: HealthCheck;
  readonly #onResult: (runner: CheckRunner, durationSeconds: number) => void;
  #current: Promise<CheckResult> | undefined;
  #hung: Promise<unknown> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #scheduled = false;

  constructor(
    def: HealthCheck,
    defaults: { timeoutMs: number; intervalMs: number },
    onResult: (runner: CheckRunner, durationSeconds: number) => void,
  ) {
    this.#def = def;
    this.name = def.name;
    this.key = `${def.name}:${def.measurement ?? 'responseTime'}`;
    this.critical = def.critical ?? true;
    this.timeoutMs = def.timeoutMs ?? defaults.timeoutMs;
    this.intervalMs = def.intervalMs ?? defaults.intervalMs;
    this.#onResult = onResult;
    this.result = this.#entry({ status: 'fail', output: 'pending: the check has not completed yet' });
  }

  /** Starts the background schedule: a run now, then one `intervalMs` after each run settles. */
  start(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    void this.#loop();
  }

  stop(): void {
    this.#scheduled = false;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #loop(): Promise<void> {
    await this.run();
    if (!this.#scheduled) return;
    // Timers are unref'd: a health schedule never keeps a process alive on its own.
    this.#timer = setTimeout(() => void this.#loop(), this.intervalMs);
    this.#timer.unref();
  }

  /** Runs the check once (never rejects) and records the result. A run already going is joined. */
  run(): Promise<CheckResult> {
    if (this.forced !== undefined) {
      this.#record(normalise(this.forced), 0, false);
      return Promise.resolve(this.result);
    }
    if (this.#current !== undefined) return this.#current;
    if (this.#hung !== undefined) {
      // The last run hung past its timeout and has still not settled: starting another would pile
      // up connections against a dependency that is already in trouble.
      this.#record(
        {
          status: 'fail',
          output: `IMMO_HEALTH_CHECK_STILL_RUNNING: the previous run has not settled ${this.timeoutMs} ms after it started`,
        },
        this.timeoutMs,
        false,
      );
      return Promise.resolve(this.result);
    }
    const current = this.#runOnce().finally(() => {
      this.#current = undefined;
    });
    this.#current = current;
    return current;
  }

  async #runOnce(): Promise<CheckResult> {
    const controller = new AbortController();
    const start = performance.now();
    let call: Promise<Normalised>;
    try {
      call = Promise.resolve(this.#def.check(controller.signal)).then(normalise, (err: unknown) => ({
        status: 'fail' as const,
        output: errorOutput(err),
      }));
    } catch (err) {
      call = Promise.resolve({ status: 'fail', output: errorOutput(err) });
    }
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const timeout = new Promise<Normalised>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        const err = new CheckTimeoutError(this.name, this.timeoutMs);
        controller.abort(err);
        resolve({ status: 'fail', output: errorOutput(err) });
      }, this.timeoutMs);
      timer.unref();
    });
    const outcome = await Promise.race([call, timeout]);
    clearTimeout(timer);
    if (timedOut) {
      const hung = call.then(() => {
        if (this.#hung === hung) this.#hung = undefined;
      });
      this.#hung = hung;
    }
    // forced while this run was going: the forced outcome wins (testing helpers)
    if (this.forced !== undefined) {
      this.#record(normalise(this.forced), 0, false);
      return this.result;
    }
    const durationMs = timedOut ? this.timeoutMs : performance.now() - start;
    this.#record(outcome, durationMs, true);
    return this.result;
  }

  #entry(n: Normalised, durationMs?: number): CheckResult {
    const r = {} as CheckResult;
    if (this.#def.componentId !== undefined) r.componentId = this.#def.componentId;
    if (this.#def.componentType !== undefined) r.componentType = this.#def.componentType;
    r.status = n.status;
    r.time = new Date().toISOString();
    if (n.observedValue !== undefined) {
      r.observedValue = n.observedValue;
      if (n.observedUnit !== undefined) r.observedUnit = n.observedUnit;
    } else if (durationMs !== undefined) {
      r.observedValue = rounded(durationMs);
      r.observedUnit = 'ms';
    }
    if (n.output !== undefined) r.output = n.output;
    return r;
  }

  #record(n: Normalised, durationMs: number, measured: boolean): void {
    this.result = this.#entry(n, measured ? durationMs : undefined);
    this.#onResult(this, durationMs / 1000);
  }
}
