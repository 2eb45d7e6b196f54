import { z } from 'zod';
import { formatIssues, SloError } from './errors.js';
import { clean } from './numbers.js';
import { parseObjective, type Slo } from './spec.js';

/** Cumulative event counts, as a service's own counters hold them. */
export interface EventTotals {
  total: number;
  bad: number;
}

/** Options of {@link createErrorBudget}. */
export interface ErrorBudgetOptions {
  /** The objective: a ratio (0.999) or a percent ('99.9%'); or pass an `Slo` to take its own. */
  objective?: number | string;
  /** The sliding window the in-process budget is judged over. @default 3600000 (1h) */
  windowMs?: number;
  /** Width of one bucket of the window. @default 60000 */
  bucketMs?: number;
  /** Burn rate from which the state is `warn` (6: 5% of a 30d budget in 6h). @default 6 */
  warnBurnRate?: number;
  /** Fewer events than this in the window: state `no-data`, never `warn`. @default 100 */
  minEvents?: number;
  /** Where the counts come from when a health check runs (cumulative totals; resets are handled). */
  source?: () => EventTotals | Promise<EventTotals>;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

/** The budget as the service sees it over its own window. */
export interface ErrorBudgetStatus {
  objective: number;
  budget: number;
  windowMs: number;
  events: number;
  badEvents: number;
  /** Bad / all events in the window; `undefined` without events (never NaN). */
  errorRatio: number | undefined;
  /** Error ratio / budget: 1 spends the budget exactly as fast as the objective allows. */
  burnRate: number | undefined;
  /** 1 − error ratio / budget over the window (1 without events; below 0 when overspent). */
  remaining: number;
  /**
   * `no-data` under `minEvents`; `warn` at `warnBurnRate` or more. The window is an hour, not the
   * SLO's period, so a window burning above 1 is not a spent budget: Prometheus' rules judge that.
   */
  state: 'ok' | 'warn' | 'no-data';
}

/** A health check in the shape `@immo/health`'s `addCheck` takes (never critical: an error budget must not fail readiness). */
export interface ErrorBudgetHealthCheck {
  name: string;
  measurement: string;
  componentType: string;
  critical: false;
  intervalMs?: number;
  check(): Promise<{ status: 'pass' | 'warn'; output?: string; observedValue: number; observedUnit: string }>;
}

/** The in-process error budget returned by {@link createErrorBudget}. */
export interface ErrorBudget {
  /** Counts events directly (`good` false = bad). */
  record(good: boolean, count?: number): void;
  /** Feeds cumulative totals (e.g. read from counters); adds what changed since the last call. */
  observe(totals: EventTotals): void;
  /** Reads `source` (if any) and then the status. */
  refresh(): Promise<ErrorBudgetStatus>;
  /** The status over the window now. */
  status(): ErrorBudgetStatus;
  /** An `@immo/health` check: `warn` (never `fail`) while the budget burns fast. */
  healthCheck(options?: { name?: string; intervalMs?: number }): ErrorBudgetHealthCheck;
}

const optionsSchema = z
  .object({
    objective: z.union([z.number(), z.string()]).optional(),
    windowMs: z.number().int().positive().optional(),
    bucketMs: z.number().int().positive().optional(),
    warnBurnRate: z.number().positive().optional(),
    minEvents: z.number().int().nonnegative().optional(),
    source: z.function().optional(),
    now: z.function().optional(),
  })
  .strict();

/**
 * An error budget kept in the process from the service's own counts, over a short sliding window
 * (an hour by default: a pod does not live for the SLO's 30 days). `@immo/health` can report it as
 * `warn` through {@link ErrorBudget.healthCheck}; a flag policy can read {@link ErrorBudget.status}
 * (e.g. hold a rollout while `state !== 'ok'`). Prometheus' rules stay the source of truth.
 *
 * @example
 * ```ts
 * const budget = createErrorBudget({ objective: '99.9%', source: () => httpTotals() });
 * health.addCheck(budget.healthCheck());
 * if (budget.status().state === 'warn') holdRollout();
 * ```
 */
export function createErrorBudget(
  from: Slo | ErrorBudgetOptions,
  more: ErrorBudgetOptions = {},
): ErrorBudget {
  const options: ErrorBudgetOptions =
    'sli' in from
      ? { objective: (from as Slo).objective, ...more }
      : { ...(from as ErrorBudgetOptions), ...more };
  const parsed = optionsSchema.safeParse(options);
  const issues = parsed.success ? [] : formatIssues(parsed.error, options);
  const objective = parseObjective(options.objective);
  if (objective === undefined) {
    issues.push(
      `objective: expected a ratio in (0, 1) or a percent below 100%, received ${JSON.stringify(options.objective)}`,
    );
  }
  const windowMs = options.windowMs ?? 3_600_000;
  const bucketMs = options.bucketMs ?? 60_000;
  if (parsed.success && (windowMs % bucketMs !== 0 || windowMs / bucketMs > 10_000)) {
    issues.push(
      `windowMs: expected a multiple of bucketMs (${bucketMs}) of at most 10000 buckets, received ${windowMs}`,
    );
  }
  if (issues.length > 0)
    throw new SloError('IMMO_SLO_INVALID_OPTIONS', 'Invalid error budget options', issues);
  const budget = clean(1 - objective!);
  const now = options.now ?? Date.now;
  const n = windowMs / bucketMs;
  const good = new Float64Array(n);
  const bad = new Float64Array(n);
  let current = Math.floor(now() / bucketMs);
  let last: EventTotals | undefined;

  // Moves the ring to the current bucket, clearing the ones that left the window.
  const advance = () => {
    const b = Math.floor(now() / bucketMs);
    for (let i = 1; i <= Math.min(b - current, n); i++) {
      const slot = (current + i) % n;
      good[slot] = 0;
      bad[slot] = 0;
    }
    // A clock that went backwards keeps counting into the current bucket instead of a "future" one.
    if (b > current) current = b;
    return current % n;
  };
  const record = (ok: boolean, count = 1) => {
    if (!(count > 0)) return;
    const slot = advance();
    if (ok) good[slot] = (good[slot] ?? 0) + count;
    else bad[slot] = (bad[slot] ?? 0) + count;
  };
  const observe = (totals: EventTotals) => {
    if (!Number.isFinite(totals.total) || !Number.isFinite(totals.bad)) return;
    // A counter that went down was reset (a restart, a registry reset): count from zero again.
    const prev = last && totals.total >= last.total && totals.bad >= last.bad ? last : { total: 0, bad: 0 };
    const first = last === undefined;
    last = { total: totals.total, bad: totals.bad };
    // The first reading holds everything since start-up, not the window: it is the baseline.
    if (first) return;
    const dBad = totals.bad - prev.bad;
    const dGood = totals.total - prev.total - dBad;
    record(false, dBad);
    record(true, dGood);
  };
  const status = (): ErrorBudgetStatus => {
    advance();
    let g = 0;
    let b = 0;
    for (let i = 0; i < n; i++) {
      g += good[i]!;
      b += bad[i]!;
    }
    const events = g + b;
    const errorRatio = events > 0 ? b / events : undefined;
    const burnRate = errorRatio === undefined ? undefined : errorRatio / budget;
    const remaining = burnRate === undefined ? 1 : 1 - burnRate;
    let state: ErrorBudgetStatus['state'] = 'ok';
    if (events < (options.minEvents ?? 100)) state = 'no-data';
    else if ((burnRate ?? 0) >= (options.warnBurnRate ?? 6)) state = 'warn';
    return {
      objective: objective!,
      budget,
      windowMs,
      events,
      badEvents: b,
      errorRatio,
      burnRate,
      remaining,
      state,
    };
  };
  const refresh = async () => {
    if (options.source) observe(await options.source());
    return status();
  };
  return {
    record,
    observe,
    status,
    refresh,
    healthCheck(o = {}) {
      return {
        name: o.name ?? 'error-budget',
        measurement: 'burnRate',
        componentType: 'component',
        critical: false,
        ...(o.intervalMs !== undefined ? { intervalMs: o.intervalMs } : {}),
        async check() {
          const s = await refresh();
          const rate = Number((s.burnRate ?? 0).toFixed(3));
          if (s.state === 'warn') {
            return {
              status: 'warn' as const,
              output: `error budget burning fast: burn rate ${rate} over the last ${windowMs / 60_000} min (${s.badEvents} of ${s.events} events bad)`,
              observedValue: rate,
              observedUnit: 'x',
            };
          }
          return { status: 'pass' as const, observedValue: rate, observedUnit: 'x' };
        },
      };
    },
  };
}

/** The part of a prom-client `Registry` {@link histogramTotals} reads. */
export interface CounterRegistry {
  getSingleMetric(name: string):
    | {
        get(): Promise<{
          values: Array<{
            value: number;
            labels: Partial<Record<string, string | number>>;
            metricName?: string;
          }>;
        }>;
      }
    | undefined;
}

/**
 * A {@link ErrorBudgetOptions.source} reading a histogram of the service's own registry (e.g.
 * `http_server_request_duration_seconds` of @immo/metrics): all observations, and the bad ones by
 * their labels.
 *
 * @example
 * ```ts
 * const source = histogramTotals(metrics.registry, 'http_server_request_duration_seconds', (l) => String(l.http_response_status_code).startsWith('5'));
 * ```
 */
export function histogramTotals(
  registry: CounterRegistry,
  metric: string,
  isBad: (labels: Partial<Record<string, string | number>>) => boolean,
): () => Promise<EventTotals> {
  return async () => {
    const m = registry.getSingleMetric(metric);
    if (!m) return { total: 0, bad: 0 };
    let total = 0;
    let bad = 0;
    for (const v of (await m.get()).values) {
      if (v.metricName !== `${metric}_count`) continue;
      total += v.value;
      if (isBad(v.labels)) bad += v.value;
    }
    return { total, bad };
  };
}
