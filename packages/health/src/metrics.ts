import { getMetrics } from '@immo/metrics';

type LabelValues = Record<string, string | number>;

/**
 * The part of `@immo/metrics`' `Metrics` that @immo/health uses. Any `Metrics` from
 * `getMetrics()`/`initMetrics()` fits (a type test holds that in place); the structural type keeps
 * this package's public types independent of the metrics package's generics.
 */
export interface HealthMetricsRegistry {
  counter(def: { name: string; help: string; labelNames?: readonly string[] }): {
    inc(labels: LabelValues, value?: number): void;
  };
  gauge(def: { name: string; help: string; labelNames?: readonly string[] }): {
    set(labels: LabelValues, value: number): void;
  };
  histogram(def: {
    name: string;
    help: string;
    unit: string;
    labelNames?: readonly string[];
    buckets?: readonly number[];
  }): { observe(labels: LabelValues, value: number): void };
}

/** What the health code records; a no-op when metrics are off. */
export interface HealthMetrics {
  checkResult(check: string, status: 'pass' | 'warn' | 'fail', seconds: number): void;
  shutdownPhase(phase: string, seconds: number): void;
  pressure(type: 'event_loop_delay' | 'heap' | 'rss', active: boolean): void;
  shed(): void;
}

const STATUS_VALUE = { pass: 1, warn: 0.5, fail: 0 } as const;
const CHECK_BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
const EMPTY = {};

const noop: HealthMetrics = {
  checkResult() {},
  shutdownPhase() {},
  pressure() {},
  shed() {},
};

/**
 * Creates the health metrics (names fixed by the @immo/metrics contract) on `registry`, the
 * process instance of @immo/metrics when `undefined`, or none when `false`.
 */
export function createHealthMetrics(registry: HealthMetricsRegistry | false | undefined): HealthMetrics {
  if (registry === false) return noop;
  const m = registry ?? (getMetrics() as unknown as HealthMetricsRegistry);
  const status = m.gauge({
    name: 'immo_health_check_status',
    help: 'Last result of a health check: 1 pass, 0.5 warn, 0 fail.',
    labelNames: ['check'],
  });
  const duration = m.histogram({
    name: 'immo_health_check_duration_seconds',
    help: 'Duration of health check runs (a timed-out run counts as its timeout).',
    unit: 'seconds',
    labelNames: ['check'],
    buckets: CHECK_BUCKETS,
  });
  const phase = m.gauge({
    name: 'immo_health_shutdown_phase_duration_seconds',
    help: 'Duration of each phase of the last graceful shutdown.',
    labelNames: ['phase'],
  });
  const pressure = m.gauge({
    name: 'immo_health_pressure',
    help: 'Whether the process is under pressure (1) or not (0), by type.',
    labelNames: ['type'],
  });
  const shed = m.counter({
    name: 'immo_health_shed_requests_total',
    help: 'Requests answered 503 by load shedding.',
  });
  // Label objects are built once per check/phase/type so a run allocates nothing for metrics.
  const labels = new Map<string, { check: string }>();
  const labelsFor = (check: string) => {
    let l = labels.get(check);
    if (l === undefined) {
      l = { check };
      labels.set(check, l);
    }
    return l;
  };
  const pressureLabels = {
    event_loop_delay: { type: 'event_loop_delay' },
    heap: { type: 'heap' },
    rss: { type: 'rss' },
  } as const;
  for (const l of Object.values(pressureLabels)) pressure.set(l, 0);
  return {
    checkResult(check, s, seconds) {
      const l = labelsFor(check);
      status.set(l, STATUS_VALUE[s]);
      duration.observe(l, seconds);
    },
    shutdownPhase(p, seconds) {
      phase.set({ phase: p }, seconds);
    },
    pressure(type, active) {
      pressure.set(pressureLabels[type], active ? 1 : 0);
    },
    shed() {
      shed.inc(EMPTY);
    },
  };
}
