import { Registry } from 'prom-client';
import { MetricDefinitionError, MetricsOptionsError } from './errors.js';
import { activeSpanContextSource } from './exemplar.js';
import { formatForeign } from './foreign.js';
import { labelPairs, OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE, wantsOpenMetrics } from './format.js';
import {
  type AnyImmoMetric,
  type Counter,
  CounterImpl,
  type Gauge,
  GaugeImpl,
  type Histogram,
  HistogramImpl,
  isImmoMetric,
  type MetricContext,
  noopMetric,
} from './metric.js';
import { type MetricsOptions, type ResolvedMetricsOptions, resolveMetricsOptions } from './options.js';
import { startRuntimeMetrics } from './runtime.js';
import { type MetricKind, validateDefinition } from './validate.js';

/** Definition of a counter. Counter names end in `_total`. */
export interface CounterDefinition<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** Label sets this metric holds before new ones go to the overflow series. */
  maxSeries?: number;
}

/** Definition of a gauge. `collect` runs before every exposition (the latest definition's wins). */
export interface GaugeDefinition<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  maxSeries?: number;
  collect?: (gauge: Gauge<L>) => void | Promise<void>;
}

/** Definition of a histogram. Its name ends with `_<unit>`. */
export interface HistogramDefinition<L extends string> {
  name: string;
  help: string;
  /** Base unit, also the name's suffix: `seconds`, `bytes`, `ratio`, ... */
  unit: 'seconds' | 'bytes' | 'ratio' | (string & {});
  labelNames?: readonly L[];
  /** Upper bounds, ascending; `+Inf` is added. @default DEFAULT_BUCKETS */
  buckets?: readonly number[];
  maxSeries?: number;
}

/** The process's metrics: a prom-client registry plus fast, capped metric classes. */
export interface Metrics {
  /** The prom-client registry every metric lives in; register your own prom-client metrics here too. */
  readonly registry: Registry;
  /** The resolved options. */
  readonly options: Readonly<ResolvedMetricsOptions>;
  counter<L extends string = never>(def: CounterDefinition<L>): Counter<L>;
  gauge<L extends string = never>(def: GaugeDefinition<L>): Gauge<L>;
  histogram<L extends string = never>(def: HistogramDefinition<L>): Histogram<L>;
  /**
   * The exposition: OpenMetrics (with exemplars) when `accept` asks for
   * `application/openmetrics-text`, else the Prometheus text format 0.0.4.
   */
  render(accept?: string): Promise<{ contentType: string; body: string }>;
}

/** Buckets of a histogram defined without any (the OpenTelemetry HTTP duration advice). */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

const kInternals = Symbol.for('@immo/metrics.internals');

/** What `./testing` and the helpers reach for; keyed by a global symbol for a second package copy. */
export interface MetricsInternals {
  ownMetric(name: string): AnyImmoMetric | undefined;
  /** Runs collect callbacks and collectors (as before a scrape). */
  collect(): Promise<void>;
  addCollector(fn: () => void): void;
  /** Per-instance memo for helpers (e.g. the security-event counter). */
  readonly memo: Map<string, unknown>;
}

export function internals(metrics: Metrics): MetricsInternals {
  return (metrics as unknown as Record<symbol, MetricsInternals>)[kInternals]!;
}

class MetricsImpl implements Metrics {
  readonly registry: Registry;
  readonly options: Readonly<ResolvedMetricsOptions>;
  readonly explicit: MetricsOptions;
  private readonly ctx: { -readonly [K in keyof MetricContext]: MetricContext[K] };
  private readonly own = new Map<string, AnyImmoMetric>();
  private readonly collectors: (() => void)[] = [];
  private readonly reserved: string[];
  private overflowCounter: CounterImpl<'metric'> | undefined;
  private readonly overflowHandles = new Map<string, { inc(): void }>();
  readonly [kInternals]: MetricsInternals;

  constructor(options: ResolvedMetricsOptions, explicit: MetricsOptions) {
    this.options = Object.freeze({ ...options });
    this.explicit = explicit;
    this.registry = new Registry();
    const defaults: Record<string, string> = {
      service: options.service,
      version: options.version,
      ...options.defaultLabels,
    };
    this.reserved = Object.keys(defaults);
    this.registry.setDefaultLabels(defaults);
    this.ctx = {
      defaultLabelPairs: labelPairs(Object.keys(defaults), Object.values(defaults)),
      overflowed: (metric) => this.countOverflow(metric),
      exemplarSource: options.exemplars ? activeSpanContextSource() : null,
      epoch: 1,
    };
    this[kInternals] = {
      ownMetric: (name) => this.own.get(name),
      collect: () => this.collect(),
      addCollector: (fn) => {
        this.collectors.push(fn);
      },
      memo: new Map(),
    };
    if (!options.enabled) return;
    const overflow = this.counter({
      name: 'immo_metrics_overflow_total',
      help: 'Observations recorded into a metric’s _OVERFLOW series because it reached its series cap.',
      labelNames: ['metric'],
      maxSeries: 10_000,
    }) as CounterImpl<'metric'>;
    overflow.countsOverflow = false;
    this.overflowCounter = overflow;
    if (options.runtimeMetrics) startRuntimeMetrics(this);
  }

  private countOverflow(metric: string): void {
    let h = this.overflowHandles.get(metric);
    if (h === undefined) {
      h = this.overflowCounter!.bind({ metric });
      this.overflowHandles.set(metric, h);
    }
    h.inc();
  }

  private define<M extends AnyImmoMetric>(
    kind: MetricKind,
    def: Record<string, unknown>,
    make: (name: string, help: string, labels: readonly string[], maxSeries: number, sig: string) => M,
  ): M {
    validateDefinition(kind, def, this.reserved);
    const name = def.name as string;
    const help = def.help as string;
    const labels = Object.freeze([...((def.labelNames as string[] | undefined) ?? [])]);
    const maxSeries = (def.maxSeries as number | undefined) ?? this.options.maxSeriesPerMetric;
    const buckets = kind === 'histogram' ? ((def.buckets as number[] | undefined) ?? DEFAULT_BUCKETS) : [];
    const sig = JSON.stringify([kind, help, labels, def.unit ?? null, buckets, maxSeries]);
    const existing = this.own.get(name);
    if (existing !== undefined) {
      if (existing.signature === sig) return existing as M;
      throw new MetricDefinitionError('IMMO_METRICS_CONFLICT', name, describeConflict(existing, sig));
    }
    if (this.registry.getSingleMetric(name) !== undefined) {
      throw new MetricDefinitionError('IMMO_METRICS_CONFLICT', name, [
        'name: a metric that is not an @immo/metrics metric is registered under this name already',
      ]);
    }
    const metric = make(name, help, labels, maxSeries, sig);
    this.own.set(name, metric);
    this.registry.registerMetric(metric as never);
    return metric;
  }

  counter<L extends string = never>(def: CounterDefinition<L>): Counter<L> {
    if (!this.options.enabled) return noopFor('counter', def, this.reserved);
    return this.define(
      'counter',
      def as never,
      (n, h, l, m, s) => new CounterImpl(this.ctx, n, h, l, m, s),
    ) as unknown as Counter<L>;
  }

  gauge<L extends string = never>(def: GaugeDefinition<L>): Gauge<L> {
    if (!this.options.enabled) return noopFor('gauge', def, this.reserved);
    const g = this.define('gauge', def as never, (n, h, l, m, s) => new GaugeImpl(this.ctx, n, h, l, m, s));
    if (def.collect !== undefined) (g as GaugeImpl<string>).collectFn = def.collect as never;
    return g as unknown as Gauge<L>;
  }

  histogram<L extends string = never>(def: HistogramDefinition<L>): Histogram<L> {
    if (!this.options.enabled) return noopFor('histogram', def, this.reserved);
    return this.define(
      'histogram',
      def as never,
      (n, h, l, m, s) =>
        new HistogramImpl(this.ctx, n, h, def.unit, l, [...(def.buckets ?? DEFAULT_BUCKETS)], m, s),
    ) as unknown as Histogram<L>;
  }

  private async collect(): Promise<void> {
    for (const c of this.collectors) {
      try {
        c();
      } catch (err) {
        warnOnce('collector', err);
      }
    }
    const pending: Promise<void>[] = [];
    for (const m of this.own.values()) {
      if (m instanceof GaugeImpl && m.collectFn !== undefined) {
        try {
          const r = m.collectFn(m);
          if (r !== undefined && typeof (r as Promise<void>).then === 'function')
            pending.push(Promise.resolve(r).catch((err: unknown) => warnOnce(m.name, err)));
        } catch (err) {
          warnOnce(m.name, err);
        }
      }
    }
    if (pending.length > 0) await Promise.all(pending);
  }

  async render(accept?: string): Promise<{ contentType: string; body: string }> {
    const om = wantsOpenMetrics(accept);
    const contentType = om ? OPENMETRICS_CONTENT_TYPE : PROMETHEUS_CONTENT_TYPE;
    if (!this.options.enabled) return { contentType, body: om ? '# EOF\n' : '' };
    await this.collect();
    this.ctx.epoch++;
    let body = '';
    const defaults = (this.registry as unknown as { _defaultLabels: Record<string, string> })._defaultLabels;
    for (const m of this.registry.getMetricsAsArray()) {
      if (isImmoMetric(m as unknown)) {
        body += (m as unknown as AnyImmoMetric).expose(om);
      } else {
        try {
          body += formatForeign(await (m as unknown as { get(): Promise<never> }).get(), om, defaults);
        } catch (err) {
          warnOnce(`foreign:${(m as { name: string }).name}`, err);
        }
      }
    }
    if (om) body += '# EOF\n';
    return { contentType, body };
  }
}

function describeConflict(existing: AnyImmoMetric, sig: string): string[] {
  const [kind, help, labels, unit, buckets, maxSeries] = JSON.parse(sig) as unknown[];
  const [k0, h0, l0, u0, b0, m0] = JSON.parse(existing.signature) as unknown[];
  const issues: string[] = [];
  const cmp = (what: string, a: unknown, b: unknown) => {
    if (JSON.stringify(a) !== JSON.stringify(b))
      issues.push(`${what}: defined before as ${JSON.stringify(a)}, now ${JSON.stringify(b)}`);
  };
  cmp('type', k0, kind);
  cmp('help', h0, help);
  cmp('labelNames', l0, labels);
  cmp('unit', u0, unit);
  cmp('buckets', b0, buckets);
  cmp('maxSeries', m0, maxSeries);
  return issues;
}

function noopFor(kind: MetricKind, def: unknown, reserved: readonly string[]): never {
  // Definitions are still checked when metrics are off, so turning them on later cannot break.
  validateDefinition(kind, def as never, reserved);
  return noopMetric((def as { name: string }).name) as never;
}

const warned = new Set<string>();
function warnOnce(key: string, err: unknown): void {
  if (warned.has(key)) return;
  warned.add(key);
  process.emitWarning(
    `@immo/metrics: collecting ${key} failed, its values may be stale: ${(err as Error)?.message ?? err}`,
    { code: 'IMMO_METRICS_COLLECT_FAILED' },
  );
}

/** Creates a Metrics instance that is not the process-wide one (tests, benchmarks). */
export function createMetrics(options: MetricsOptions = {}, env: NodeJS.ProcessEnv = process.env): Metrics {
  return new MetricsImpl(resolveMetricsOptions(options, env), { ...options });
}

const kInstance = Symbol.for('@immo/metrics.instance');
type GlobalSlot = { [kInstance]?: MetricsImpl };

/**
 * Creates the process-wide metrics instance, or returns it when it exists. Kept on `globalThis`
 * under `Symbol.for('@immo/metrics.instance')`, so two copies of the package share one registry.
 * Calling it again with explicit options that differ from the instance's throws
 * `IMMO_METRICS_ALREADY_INITIALIZED` listing what differs.
 *
 * @example
 * ```ts
 * import { initMetrics } from '@immo/metrics';
 *
 * const metrics = initMetrics({ service: 'billing-api', version: '1.4.2' });
 * const runs = metrics.counter({ name: 'billing_runs_total', help: 'Billing runs.', labelNames: ['outcome'] });
 * runs.inc({ outcome: 'success' });
 * ```
 */
export function initMetrics(options: MetricsOptions = {}): Metrics {
  const slot = globalThis as GlobalSlot;
  const existing = slot[kInstance];
  if (existing === undefined) {
    const created = new MetricsImpl(resolveMetricsOptions(options), { ...options });
    slot[kInstance] = created;
    return created;
  }
  const issues: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    const current = (existing.options as unknown as Record<string, unknown>)[key];
    if (JSON.stringify(current) !== JSON.stringify(value))
      issues.push(`${key}: initialised with ${JSON.stringify(current)}, now ${JSON.stringify(value)}`);
  }
  if (issues.length > 0) {
    throw new MetricsOptionsError(
      'IMMO_METRICS_ALREADY_INITIALIZED',
      '@immo/metrics is initialised already with other options (call initMetrics once, at start-up, before other modules call getMetrics)',
      issues,
    );
  }
  return existing;
}

/**
 * The process-wide metrics instance; creates one from the environment and defaults when
 * {@link initMetrics} was not called yet.
 *
 * @example
 * ```ts
 * import { getMetrics } from '@immo/metrics';
 *
 * const jobs = getMetrics().histogram({ name: 'import_duration_seconds', help: 'Imports.', unit: 'seconds' });
 * ```
 */
export function getMetrics(): Metrics {
  return (globalThis as GlobalSlot)[kInstance] ?? initMetrics();
}

/** Forgets the process-wide instance (tests of start-up code). @internal */
export function forgetProcessMetrics(): void {
  delete (globalThis as GlobalSlot)[kInstance];
}
