import { createRequire } from 'node:module';
import { getMetrics } from '@immo/metrics';

type LabelValues = Record<string, string | number>;

/**
 * The part of `@immo/metrics`' `Metrics` that @immo/flags uses. Any `Metrics` from
 * `getMetrics()`/`initMetrics()` fits (a type test holds that in place).
 */
export interface FlagsMetricsRegistry {
  counter(def: { name: string; help: string; labelNames?: readonly string[]; maxSeries?: number }): {
    inc(labels: LabelValues, value?: number): void;
    bind(labels: LabelValues): { inc(value?: number): void };
  };
  gauge(def: {
    name: string;
    help: string;
    labelNames?: readonly string[];
    maxSeries?: number;
    collect?: (gauge: { set(labels: LabelValues, value: number): void }) => void;
  }): unknown;
}

/** A counter bound to one label set. */
export interface Bound {
  inc(): void;
}

/** Attributes of one `feature_flag.evaluation` span event. */
export type EventAttributes = Readonly<Record<string, string>>;

/** What the evaluation path and the admin endpoint record. */
export interface FlagsTelemetry {
  /** A counter handle for one (flag, variant, reason), bound once per configuration. */
  evaluation(flag: string, variant: string, reason: string): Bound;
  /** Adds a `feature_flag.evaluation` event to the active span when one is recording. */
  readonly spanEvent: ((attributes: EventAttributes) => void) | null;
  reload(result: 'applied' | 'rejected'): void;
  adminChange(flag: string, operator: string): void;
}

const NOOP_BOUND: Bound = { inc() {} };

/** The OpenTelemetry event name of an evaluation (semantic conventions v1.40). */
export const EVALUATION_EVENT = 'feature_flag.evaluation';

interface SpanLike {
  isRecording(): boolean;
  addEvent(name: string, attributes?: Record<string, string>): unknown;
}

let spanSource: (() => SpanLike | undefined) | null | undefined;

/**
 * `@opentelemetry/api` is an optional peer: loaded on first use, synchronously; when it is missing
 * span events are off. The api keeps its state on a global, so the CJS copy loaded here sees the
 * context manager and tracer provider an ESM application registered.
 */
function activeSpanSource(): (() => SpanLike | undefined) | null {
  if (spanSource !== undefined) return spanSource;
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
    const api = req('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const trace = api.trace;
    spanSource = () => trace.getActiveSpan();
  } catch {
    spanSource = null;
  }
  return spanSource;
}

let warnedSpan = false;

/**
 * Creates the flag metrics on `registry` (the process instance of @immo/metrics when undefined,
 * none when `false`) and the span-event recorder (none when `tracing` is false or the OTel API is
 * not installed).
 */
export function createTelemetry(
  registry: FlagsMetricsRegistry | false | undefined,
  tracing: boolean,
  killSwitchState: () => ReadonlyMap<string, boolean>,
  staleCount: () => number,
  onTelemetryError: (err: unknown) => void,
): FlagsTelemetry {
  const source = tracing ? activeSpanSource() : null;
  const spanEvent =
    source === null
      ? null
      : (attributes: EventAttributes) => {
          try {
            const span = source();
            if (span?.isRecording()) span.addEvent(EVALUATION_EVENT, attributes);
          } catch (err) {
            // Telemetry never breaks an evaluation: warn once, then stay quiet.
            if (!warnedSpan) {
              warnedSpan = true;
              onTelemetryError(err);
            }
          }
        };
  if (registry === false) {
    return { evaluation: () => NOOP_BOUND, spanEvent, reload() {}, adminChange() {} };
  }
  const m = registry ?? (getMetrics() as unknown as FlagsMetricsRegistry);
  const evaluations = m.counter({
    name: 'immo_flags_evaluations_total',
    help: 'Flag evaluations by flag, variant and reason (OpenFeature reason: STATIC, TARGETING_MATCH, SPLIT, DEFAULT, DISABLED, ERROR).',
    labelNames: ['flag', 'variant', 'reason'],
    maxSeries: 2000,
  });
  const reloads = m.counter({
    name: 'immo_flags_config_reloads_total',
    help: 'Flag file reloads by result: applied (a new configuration is in force) or rejected (invalid; the last good one stays).',
    labelNames: ['result'],
  });
  const admin = m.counter({
    name: 'immo_flags_admin_changes_total',
    help: 'Kill switches flipped through the admin endpoint, by flag and operator (the token name).',
    labelNames: ['flag', 'operator'],
  });
  m.gauge({
    name: 'immo_flags_kill_switch_active',
    help: 'Whether a kill switch is on (1) or off (0) in this process, from every source.',
    labelNames: ['flag'],
    collect: (g) => {
      for (const [flag, on] of killSwitchState()) g.set({ flag }, on ? 1 : 0);
    },
  });
  m.gauge({
    name: 'immo_flags_stale_flags',
    help: 'Declared flags past their expiry date (release, experiment and ops flags that should be removed).',
    collect: (g) => g.set({}, staleCount()),
  });
  const applied = reloads.bind({ result: 'applied' });
  const rejected = reloads.bind({ result: 'rejected' });
  return {
    evaluation: (flag, variant, reason) => evaluations.bind({ flag, variant, reason }),
    spanEvent,
    reload: (result) => (result === 'applied' ? applied : rejected).inc(),
    adminChange: (flag, operator) => admin.inc({ flag, operator }),
  };
}
