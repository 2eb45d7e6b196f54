import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import type { HealthMetrics } from './metrics.js';
import type { ResolvedPressureOptions } from './options.js';

/** One sample of the process's load. */
export interface PressureReadings {
  /** Largest event-loop delay in the last sample window, in ms. */
  eventLoopDelayMs: number;
  heapUsedBytes: number;
  rssBytes: number;
}

/** Kinds of pressure, as in the `type` label of `immo_health_pressure`. */
export type PressureType = 'event_loop_delay' | 'heap' | 'rss';

const RESOLUTION_MS = 10;

/**
 * Samples event-loop delay, heap and RSS on an interval and keeps one verdict, so the per-request
 * check is a single boolean read. Internal.
 */
export class PressureMonitor {
  /** The verdict requests read. */
  active = false;
  readonly types = new Set<PressureType>();
  readings: PressureReadings = { eventLoopDelayMs: 0, heapUsedBytes: 0, rssBytes: 0 };
  readonly options: ResolvedPressureOptions;
  readonly #metrics: HealthMetrics;
  readonly #onChange: () => void;
  #histogram: IntervalHistogram | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Set by testing helpers: the verdict regardless of readings. */
  forced: boolean | undefined;

  constructor(options: ResolvedPressureOptions, metrics: HealthMetrics, onChange: () => void) {
    this.options = options;
    this.#metrics = metrics;
    this.#onChange = onChange;
  }

  start(): void {
    if (this.#timer !== undefined) return;
    if (this.options.maxEventLoopDelayMs > 0) {
      this.#histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
      this.#histogram.enable();
    }
    this.#timer = setInterval(() => this.sample(), this.options.sampleIntervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#histogram?.disable();
    this.#histogram = undefined;
  }

  /** Takes a sample now (the interval calls this). */
  sample(): void {
    const h = this.#histogram;
    let delay = 0;
    if (h !== undefined) {
      // The histogram holds the timer's full interval, resolution included. The maximum, not the
      // mean: one 800 ms stall among a hundred 10 ms ticks barely moves the mean, but every
      // request queued behind it waited 800 ms.
      delay = h.count > 0 ? Math.max(0, h.max / 1e6 - RESOLUTION_MS) : 0;
      h.reset();
    }
    const o = this.options;
    const mem = o.maxHeapUsedBytes > 0 ? process.memoryUsage() : undefined;
    this.evaluate({
      eventLoopDelayMs: delay,
      heapUsedBytes: mem?.heapUsed ?? 0,
      rssBytes: mem?.rss ?? (o.maxRssBytes > 0 ? process.memoryUsage.rss() : 0),
    });
  }

  /** Applies the limits to `readings` and updates the verdict and metrics. */
  evaluate(readings: PressureReadings): void {
    this.readings = readings;
    const o = this.options;
    // readiness lists the pressure types, so a change of type is a change even when `active` is not
    let changed = this.#set(
      'event_loop_delay',
      o.maxEventLoopDelayMs > 0 && readings.eventLoopDelayMs > o.maxEventLoopDelayMs,
    );
    changed =
      this.#set('heap', o.maxHeapUsedBytes > 0 && readings.heapUsedBytes > o.maxHeapUsedBytes) || changed;
    changed = this.#set('rss', o.maxRssBytes > 0 && readings.rssBytes > o.maxRssBytes) || changed;
    if (this.#recompute() || changed) this.#onChange();
  }

  /** Testing: `true`/`false` force the verdict, `undefined` returns to the readings. */
  force(active: boolean | undefined): void {
    this.forced = active;
    if (this.#recompute()) this.#onChange();
  }

  #recompute(): boolean {
    const active = this.forced ?? this.types.size > 0;
    if (active === this.active) return false;
    this.active = active;
    return true;
  }

  #set(type: PressureType, on: boolean): boolean {
    if (on === this.types.has(type)) return false;
    if (on) this.types.add(type);
    else this.types.delete(type);
    this.#metrics.pressure(type, on);
    return true;
  }
}
