import type { HealthLogger } from '../src/index.js';
import type { HealthMetricsRegistry } from '../src/metrics.js';

/** A minimal in-memory stand-in for @immo/metrics, for unit tests of this package's own logic. */
export function fakeMetrics() {
  const values = new Map<string, number>();
  const observations = new Map<string, number[]>();
  const defs: { type: string; name: string; labelNames: readonly string[] }[] = [];
  const key = (name: string, labels: Record<string, unknown>) =>
    `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}="${String(v)}"`)
      .join(',')}}`;
  const registry: HealthMetricsRegistry = {
    counter(def) {
      defs.push({ type: 'counter', name: def.name, labelNames: def.labelNames ?? [] });
      return {
        inc: (labels, value = 1) => {
          const k = key(def.name, labels);
          values.set(k, (values.get(k) ?? 0) + value);
        },
      };
    },
    gauge(def) {
      defs.push({ type: 'gauge', name: def.name, labelNames: def.labelNames ?? [] });
      return { set: (labels, value) => void values.set(key(def.name, labels), value) };
    },
    histogram(def) {
      defs.push({ type: 'histogram', name: def.name, labelNames: def.labelNames ?? [] });
      return {
        observe: (labels, value) => {
          const k = key(def.name, labels);
          observations.set(k, [...(observations.get(k) ?? []), value]);
        },
      };
    },
  };
  return { registry, values, observations, defs };
}

export interface LogEntry {
  level: string;
  obj: Record<string, unknown>;
  msg: string | undefined;
}

/** A pino-shaped logger that keeps its calls. */
export function captureLogger(): HealthLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: string) => (obj: object, msg?: string) =>
    void entries.push({ level, obj: obj as Record<string, unknown>, msg });
  return { entries, info: at('info'), warn: at('warn'), error: at('error'), fatal: at('fatal') };
}

/** A promise that never settles: a dependency that hangs. */
export const hang = (): Promise<never> => new Promise(() => {});

/** Blocks the event loop for `ms` (the point of a pressure test). */
export function blockEventLoop(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

/** The options every unit test uses: nothing process-wide, no metrics, no pressure sampling. */
export const quiet = {
  handleSignals: false,
  handleUncaught: false,
  metrics: false,
  pressure: false,
  logger: { info() {}, warn() {}, error() {} },
  exit: () => {},
} as const;
