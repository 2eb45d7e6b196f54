import type { TraceRef } from './exemplar.js';
import { exemplarTraceId } from './exemplar.js';
import { escapeHelp, formatNumber, labelPairs } from './format.js';

/**
 * Label values by label name; numbers are turned into strings. A metric without labels takes
 * none (`Record<string, never>`, since `{}` would accept any object literal).
 */
export type Labels<L extends string> = [L] extends [never]
  ? Record<string, never>
  : Partial<Record<L, string | number>>;

/** The value every label of the overflow series has. */
export const OVERFLOW = '_OVERFLOW';

/** Marks our own metric objects, across copies of the package. */
export const kImmoMetric: unique symbol = Symbol.for('@immo/metrics.metric') as never;

/** What a metric needs from the {@link Metrics} instance that created it. */
export interface MetricContext {
  /** `service="a",version="b"` (escaped, comma-joined), put before every series' own labels. */
  readonly defaultLabelPairs: string;
  /** Called once per observation recorded into an overflow series. */
  overflowed(metric: string): void;
  /** The active span's context, or null when exemplars are off or the OTel API is missing. */
  readonly exemplarSource: (() => TraceRef | undefined) | null;
  /** Counts expositions (from 1): an exemplar slot is filled once per bucket between two. */
  epoch: number;
}

interface SeriesBase {
  /** Label values in `labelNames` order. */
  readonly values: readonly string[];
  /** Escaped `name="value"` pairs including the default labels, without braces. */
  readonly pairs: string;
  /** Shown in the exposition: touched since creation or the last reset. */
  visible: boolean;
  readonly overflow: boolean;
}

interface ScalarSeries extends SeriesBase {
  value: number;
}

interface HistogramSeries extends SeriesBase {
  /** Per-bucket (not cumulative) counts; the last slot is the +Inf bucket. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
  /** Per-bucket exemplar: value, timestamp (ms) and trace; allocated on the first exemplar. */
  exValue: Float64Array | null;
  exTime: Float64Array | null;
  exTrace: (TraceRef | undefined)[] | null;
  /** The epoch each exemplar slot was filled in. */
  exEpoch: Float64Array | null;
  /** `name_bucket{pairs,le="` cache, built on first exposition. */
  bucketPrefix: string | null;
}

type Tree<S> = Map<string, Tree<S> | S>;

/** One series of a metric as read by `./testing` and `get()`. */
export interface SeriesSnapshot {
  labels: Record<string, string>;
  value: number;
  count: number;
  sum: number;
  buckets: number[];
}

const labelValue = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);

/**
 * The state of every metric: series in a tree of Maps keyed by each label value in declaration
 * order, so a lookup hashes only strings that already exist (no key string is built per call).
 */
abstract class BaseMetric<S extends SeriesBase> {
  readonly [kImmoMetric] = true;
  /** prom-client's Registry writes this property (OpenMetrics counters), so it stays writable. */
  name: string;
  readonly help: string;
  abstract readonly type: 'counter' | 'gauge' | 'histogram';
  readonly aggregator = 'sum' as const;
  readonly labelNames: readonly string[];
  readonly maxSeries: number;
  /** Definition fingerprint: getting a metric again with the same one returns this object. */
  readonly signature: string;
  protected readonly ctx: MetricContext;
  protected readonly tree: Tree<S> = new Map();
  protected readonly single: S | undefined = undefined;
  /** Every series in creation order (the overflow series last when present). */
  protected readonly series: S[] = [];
  protected overflowSeries: S | undefined;
  /** Label sets held, not counting the overflow series. */
  size = 0;
  /** The metric that counts overflow does not count itself. */
  countsOverflow = true;

  constructor(
    ctx: MetricContext,
    name: string,
    help: string,
    labelNames: readonly string[],
    maxSeries: number,
    signature: string,
  ) {
    this.ctx = ctx;
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    this.maxSeries = maxSeries;
    this.signature = signature;
  }

  /** Called at the end of each subclass constructor, once makeSeries() has what it needs. */
  protected init(): void {
    if (this.labelNames.length === 0) {
      const single = this.newSeries([], false);
      single.visible = true;
      this.series.push(single);
      (this as unknown as { single: S | undefined }).single = single;
    }
  }

  protected abstract makeSeries(values: readonly string[], pairs: string, overflow: boolean): S;

  private newSeries(values: readonly string[], overflow: boolean): S {
    const own = labelPairs(this.labelNames, values);
    const d = this.ctx.defaultLabelPairs;
    const pairs = d === '' ? own : own === '' ? d : `${d},${own}`;
    return this.makeSeries(values, pairs, overflow);
  }

  /** The series for a label set; at the cap, the overflow series. Never throws. */
  protected seriesFor(labels: Labels<string> | undefined): S {
    const single = this.single;
    if (single !== undefined) return single;
    const names = this.labelNames;
    const last = names.length - 1;
    let node: Tree<S> = this.tree;
    const l = labels ?? {};
    for (let i = 0; i < last; i++) {
      const next = node.get(labelValue(l[names[i]!])) as Tree<S> | undefined;
      if (next === undefined) return this.create(l);
      node = next;
    }
    const leaf = node.get(labelValue(l[names[last]!])) as S | undefined;
    return leaf === undefined ? this.create(l) : leaf;
  }

  private create(labels: Labels<string>): S {
    if (this.size >= this.maxSeries) {
      if (this.overflowSeries === undefined) {
        this.overflowSeries = this.newSeries(
          this.labelNames.map(() => OVERFLOW),
          true,
        );
        this.series.push(this.overflowSeries);
      }
      return this.overflowSeries;
    }
    const names = this.labelNames;
    const values = names.map((n) => labelValue(labels[n]));
    const s = this.newSeries(values, false);
    let node: Tree<S> = this.tree;
    for (let i = 0; i < values.length - 1; i++) {
      let next = node.get(values[i]!) as Tree<S> | undefined;
      if (next === undefined) {
        next = new Map();
        node.set(values[i]!, next);
      }
      node = next;
    }
    node.set(values[values.length - 1]!, s);
    this.size++;
    // The overflow series stays last so the exposition keeps creation order for the rest.
    if (this.overflowSeries !== undefined) this.series.splice(this.series.length - 1, 0, s);
    else this.series.push(s);
    return s;
  }

  protected overflowed(): void {
    if (this.countsOverflow) this.ctx.overflowed(this.name);
  }

  /** Zeroes every series; label sets (and bound handles) stay valid but are hidden until used. */
  reset(): void {
    for (const s of this.series) {
      this.zero(s);
      s.visible = s === this.single;
    }
  }

  protected abstract zero(s: S): void;

  protected labelsOf(s: S, extra?: Record<string, string>): Record<string, string> {
    const labels: Record<string, string> = {};
    for (let i = 0; i < this.labelNames.length; i++) {
      const v = s.values[i]!;
      if (v !== '') labels[this.labelNames[i]!] = v;
    }
    return extra === undefined ? labels : Object.assign(labels, extra);
  }

  /** Visible series, for `./testing`. */
  abstract snapshot(): SeriesSnapshot[];

  /** Our exposition of this family (Prometheus text or OpenMetrics), ending with a newline. */
  abstract expose(openMetrics: boolean): string;

  protected header(family: string, type: string): string {
    return `# HELP ${family} ${escapeHelp(this.help)}\n# TYPE ${family} ${type}\n`;
  }

  /** prom-client's metric interface, so `registry.metrics()` and `getMetricsAsJSON()` work. */
  abstract get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: 'sum';
    values: { value: number; labels: Record<string, string | number>; metricName?: string }[];
  }>;
}

/** A counter: a value that only goes up. */
export interface Counter<L extends string = never> {
  readonly name: string;
  /** Adds `value` (default 1) to the series of `labels`. Negative and NaN values are ignored. */
  inc(labels?: Labels<L>, value?: number): void;
  inc(value?: number): void;
  /** A handle for one label set: no label lookup on each call. */
  bind(labels: Labels<L>): BoundCounter;
}
/** A counter bound to one label set. */
export interface BoundCounter {
  inc(value?: number): void;
}

/** A gauge: a value that goes up and down. */
export interface Gauge<L extends string = never> {
  readonly name: string;
  set(labels: Labels<L>, value: number): void;
  set(value: number): void;
  inc(labels?: Labels<L>, value?: number): void;
  inc(value?: number): void;
  dec(labels?: Labels<L>, value?: number): void;
  dec(value?: number): void;
  bind(labels: Labels<L>): BoundGauge;
}
/** A gauge bound to one label set. */
export interface BoundGauge {
  set(value: number): void;
  inc(value?: number): void;
  dec(value?: number): void;
}

/** A histogram with fixed buckets. */
export interface Histogram<L extends string = never> {
  readonly name: string;
  observe(labels: Labels<L>, value: number): void;
  observe(value: number): void;
  bind(labels: Labels<L>): BoundHistogram;
  /** Starts a timer; calling the result observes the elapsed seconds and returns them. */
  startTimer(labels?: Labels<L>): (extraLabels?: Labels<L>) => number;
}
/** A histogram bound to one label set. */
export interface BoundHistogram {
  observe(value: number): void;
}

export class CounterImpl<L extends string = never> extends BaseMetric<ScalarSeries> implements Counter<L> {
  readonly type = 'counter' as const;

  constructor(...args: ConstructorParameters<typeof BaseMetric<ScalarSeries>>) {
    super(...args);
    this.init();
  }

  protected makeSeries(values: readonly string[], pairs: string, overflow: boolean): ScalarSeries {
    return { values, pairs, visible: false, overflow, value: 0 };
  }
  protected zero(s: ScalarSeries): void {
    s.value = 0;
  }

  inc(a?: Labels<L> | number, b?: number): void {
    let s: ScalarSeries;
    let v: number;
    if (typeof a === 'number') {
      s = this.seriesFor(undefined);
      v = a;
    } else {
      s = this.seriesFor(a);
      v = b === undefined ? 1 : b;
    }
    this.add(s, v);
  }

  /** @internal */
  add(s: ScalarSeries, v: number): void {
    if (!(v >= 0)) return;
    s.value += v;
    s.visible = true;
    if (s.overflow) this.overflowed();
  }

  bind(labels: Labels<L>): BoundCounter {
    const s = this.seriesFor(labels);
    s.visible = true;
    return new BoundCounterImpl(this as CounterImpl<string>, s);
  }

  snapshot(): SeriesSnapshot[] {
    return this.series
      .filter((s) => s.visible)
      .map((s) => ({ labels: this.labelsOf(s), value: s.value, count: 0, sum: 0, buckets: [] }));
  }

  expose(openMetrics: boolean): string {
    const family = openMetrics ? this.name.slice(0, -6) : this.name;
    let out = this.header(family, 'counter');
    const name = this.name;
    for (const s of this.series) {
      if (!s.visible) continue;
      out +=
        s.pairs === ''
          ? `${name} ${formatNumber(s.value)}\n`
          : `${name}{${s.pairs}} ${formatNumber(s.value)}\n`;
    }
    return out;
  }

  async get() {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.series.filter((s) => s.visible).map((s) => ({ value: s.value, labels: this.labelsOf(s) })),
    };
  }
}

class BoundCounterImpl implements BoundCounter {
  constructor(
    private readonly m: CounterImpl<string>,
    private readonly s: ScalarSeries,
  ) {}
  inc(value?: number): void {
    this.m.add(this.s, value === undefined ? 1 : value);
  }
}

export class GaugeImpl<L extends string = never> extends BaseMetric<ScalarSeries> implements Gauge<L> {
  readonly type = 'gauge' as const;

  constructor(...args: ConstructorParameters<typeof BaseMetric<ScalarSeries>>) {
    super(...args);
    this.init();
  }

  /** Run before each exposition; the latest definition's function wins. */
  collectFn: ((g: Gauge<L>) => void | Promise<void>) | undefined;

  protected makeSeries(values: readonly string[], pairs: string, overflow: boolean): ScalarSeries {
    return { values, pairs, visible: false, overflow, value: 0 };
  }
  protected zero(s: ScalarSeries): void {
    s.value = 0;
  }

  private write(a: Labels<L> | number | undefined, b: number | undefined, sign: 0 | 1 | -1): void {
    let s: ScalarSeries;
    let v: number;
    if (typeof a === 'number' || (a === undefined && sign === 0)) {
      s = this.seriesFor(undefined);
      v = a as number;
    } else {
      s = this.seriesFor(a);
      v = b === undefined ? (sign === 0 ? Number.NaN : 1) : b;
    }
    this.apply(s, v, sign);
  }

  /** @internal */
  apply(s: ScalarSeries, v: number, sign: 0 | 1 | -1): void {
    if (typeof v !== 'number' || Number.isNaN(v)) return;
    if (sign === 0) s.value = v;
    else s.value += sign * v;
    s.visible = true;
    if (s.overflow) this.overflowed();
  }

  set(a: Labels<L> | number, b?: number): void {
    this.write(a, b, 0);
  }
  inc(a?: Labels<L> | number, b?: number): void {
    this.write(a === undefined ? 1 : a, b, 1);
  }
  dec(a?: Labels<L> | number, b?: number): void {
    this.write(a === undefined ? 1 : a, b, -1);
  }

  bind(labels: Labels<L>): BoundGauge {
    const s = this.seriesFor(labels);
    s.visible = true;
    return new BoundGaugeImpl(this as GaugeImpl<string>, s);
  }

  snapshot(): SeriesSnapshot[] {
    return this.series
      .filter((s) => s.visible)
      .map((s) => ({ labels: this.labelsOf(s), value: s.value, count: 0, sum: 0, buckets: [] }));
  }

  expose(openMetrics: boolean): string {
    const name = this.name;
    // OpenMetrics reserves the _info suffix for the info type.
    let out =
      openMetrics && name.endsWith('_info')
        ? this.header(name.slice(0, -5), 'info')
        : this.header(name, 'gauge');
    for (const s of this.series) {
      if (!s.visible) continue;
      out +=
        s.pairs === ''
          ? `${name} ${formatNumber(s.value)}\n`
          : `${name}{${s.pairs}} ${formatNumber(s.value)}\n`;
    }
    return out;
  }

  async get() {
    if (this.collectFn) await this.collectFn(this);
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: this.series.filter((s) => s.visible).map((s) => ({ value: s.value, labels: this.labelsOf(s) })),
    };
  }
}

class BoundGaugeImpl implements BoundGauge {
  constructor(
    private readonly m: GaugeImpl<string>,
    private readonly s: ScalarSeries,
  ) {}
  set(value: number): void {
    this.m.apply(this.s, value, 0);
  }
  inc(value?: number): void {
    this.m.apply(this.s, value === undefined ? 1 : value, 1);
  }
  dec(value?: number): void {
    this.m.apply(this.s, value === undefined ? 1 : value, -1);
  }
}

export class HistogramImpl<L extends string = never>
  extends BaseMetric<HistogramSeries>
  implements Histogram<L>
{
  readonly type = 'histogram' as const;
  readonly unit: string;
  readonly buckets: readonly number[];
  /** `,le="0.005"} ` etc., with `,le="+Inf"} ` last. */
  private readonly leSuffix: string[];
  private readonly leSuffixBare: string[];
  private readonly upper: Float64Array;
  /** Off for metrics recorded outside any request (GC), so they never pay for the lookup. */
  exemplars: boolean;

  constructor(
    ctx: MetricContext,
    name: string,
    help: string,
    unit: string,
    labelNames: readonly string[],
    buckets: readonly number[],
    maxSeries: number,
    signature: string,
  ) {
    super(ctx, name, help, labelNames, maxSeries, signature);
    this.unit = unit;
    this.buckets = buckets;
    this.upper = Float64Array.from(buckets);
    const les = [...buckets.map((b) => formatNumber(b)), '+Inf'];
    this.leSuffix = les.map((le) => `,le="${le}"} `);
    this.leSuffixBare = les.map((le) => `le="${le}"} `);
    this.exemplars = ctx.exemplarSource !== null;
    this.init();
  }

  protected makeSeries(values: readonly string[], pairs: string, overflow: boolean): HistogramSeries {
    const n = this.buckets.length + 1;
    return {
      values,
      pairs,
      visible: false,
      overflow,
      counts: new Float64Array(n),
      sum: 0,
      count: 0,
      exValue: null,
      exTime: null,
      exTrace: null,
      exEpoch: null,
      bucketPrefix: null,
    };
  }
  protected zero(s: HistogramSeries): void {
    s.counts.fill(0);
    s.sum = 0;
    s.count = 0;
    s.exValue = null;
    s.exTime = null;
    s.exTrace = null;
    s.exEpoch = null;
  }

  observe(a: Labels<L> | number, b?: number): void {
    if (typeof a === 'number') this.record(this.seriesFor(undefined), a);
    else this.record(this.seriesFor(a), b as number);
  }

  /** @internal */
  record(s: HistogramSeries, v: number): void {
    if (typeof v !== 'number' || Number.isNaN(v)) return;
    const upper = this.upper;
    const n = upper.length;
    let i = 0;
    while (i < n && v > upper[i]!) i++;
    s.counts[i]!++;
    s.sum += v;
    s.count++;
    s.visible = true;
    if (this.exemplars) {
      const seen = s.exEpoch;
      if (seen === null || seen[i] !== this.ctx.epoch) this.captureExemplar(s, i, v);
    }
    if (s.overflow) this.overflowed();
  }

  private exEpoch = 0;
  private exMisses = 0;

  /**
   * Looking up the active span and the time costs more than the observation itself, so a bucket
   * takes the first traced observation after each exposition and later ones skip the lookup (the
   * scraper keeps one exemplar per bucket and scrape anyway). Without tracing, a metric stops
   * looking after 32 misses until the next exposition.
   */
  private captureExemplar(s: HistogramSeries, i: number, v: number): void {
    const epoch = this.ctx.epoch;
    if (this.exEpoch !== epoch) {
      this.exEpoch = epoch;
      this.exMisses = 0;
    } else if (this.exMisses >= 32) {
      return;
    }
    const ref = this.ctx.exemplarSource!();
    if (ref === undefined) {
      this.exMisses++;
      return;
    }
    if (s.exTrace === null) {
      const n = s.counts.length;
      s.exValue = new Float64Array(n);
      s.exTime = new Float64Array(n);
      s.exEpoch = new Float64Array(n);
      s.exTrace = new Array(n).fill(undefined);
    }
    s.exValue![i] = v;
    s.exTime![i] = Date.now();
    s.exEpoch![i] = epoch;
    s.exTrace[i] = ref;
  }

  bind(labels: Labels<L>): BoundHistogram {
    const s = this.seriesFor(labels);
    s.visible = true;
    return new BoundHistogramImpl(this as HistogramImpl<string>, s);
  }

  startTimer(labels?: Labels<L>): (extraLabels?: Labels<L>) => number {
    const start = performance.now();
    return (extra) => {
      const seconds = (performance.now() - start) / 1000;
      const all = extra === undefined ? labels : { ...labels, ...extra };
      this.record(this.seriesFor(all), seconds);
      return seconds;
    };
  }

  snapshot(): SeriesSnapshot[] {
    return this.series
      .filter((s) => s.visible)
      .map((s) => {
        let c = 0;
        const buckets = Array.from(s.counts, (x) => (c += x));
        return { labels: this.labelsOf(s), value: s.sum, count: s.count, sum: s.sum, buckets };
      });
  }

  expose(openMetrics: boolean): string {
    const name = this.name;
    let out = this.header(name, 'histogram');
    const nb = this.leSuffix.length;
    for (const s of this.series) {
      if (!s.visible) continue;
      const pairs = s.pairs;
      let prefix = s.bucketPrefix;
      if (prefix === null) prefix = s.bucketPrefix = `${name}_bucket{${pairs}`;
      const les = pairs === '' ? this.leSuffixBare : this.leSuffix;
      const counts = s.counts;
      const exTrace = openMetrics ? s.exTrace : null;
      let cum = 0;
      for (let i = 0; i < nb; i++) {
        cum += counts[i]!;
        out += prefix + les[i] + cum;
        if (exTrace !== null) {
          const ref = exTrace[i];
          const id = ref === undefined ? undefined : exemplarTraceId(ref);
          if (id !== undefined)
            out += ` # {trace_id="${id}"} ${formatNumber(s.exValue![i]!)} ${(s.exTime![i]! / 1000).toFixed(3)}`;
        }
        out += '\n';
      }
      const braces = pairs === '' ? ' ' : `{${pairs}} `;
      out += `${name}_sum${braces}${formatNumber(s.sum)}\n${name}_count${braces}${s.count}\n`;
    }
    return out;
  }

  async get() {
    const values: { value: number; labels: Record<string, string | number>; metricName: string }[] = [];
    for (const s of this.series) {
      if (!s.visible) continue;
      let cum = 0;
      for (let i = 0; i < s.counts.length; i++) {
        cum += s.counts[i]!;
        const le = i < this.buckets.length ? this.buckets[i]! : '+Inf';
        values.push({
          value: cum,
          labels: { ...this.labelsOf(s), le } as never,
          metricName: `${this.name}_bucket`,
        });
      }
      values.push({ value: s.sum, labels: this.labelsOf(s), metricName: `${this.name}_sum` });
      values.push({ value: s.count, labels: this.labelsOf(s), metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}

class BoundHistogramImpl implements BoundHistogram {
  constructor(
    private readonly m: HistogramImpl<string>,
    private readonly s: HistogramSeries,
  ) {}
  observe(value: number): void {
    this.m.record(this.s, value);
  }
}

const noop = (): void => {};
const NOOP_BOUND = { inc: noop, dec: noop, set: noop, observe: noop };

/** The no-op metric `enabled: false` hands out. */
export function noopMetric(name: string): Counter<string> & Gauge<string> & Histogram<string> {
  return {
    name,
    inc: noop,
    dec: noop,
    set: noop,
    observe: noop,
    bind: () => NOOP_BOUND,
    startTimer: () => () => 0,
  };
}

export type AnyImmoMetric = CounterImpl<string> | GaugeImpl<string> | HistogramImpl<string>;

export function isImmoMetric(m: unknown): m is AnyImmoMetric {
  return typeof m === 'object' && m !== null && (m as Record<symbol, unknown>)[kImmoMetric] === true;
}
