import { readdirSync } from 'node:fs';
import {
  type IntervalHistogram,
  monitorEventLoopDelay,
  PerformanceObserver,
  performance,
} from 'node:perf_hooks';
import type { CounterImpl, HistogramImpl } from './metric.js';
import type { Metrics } from './metrics.js';
import { internals } from './metrics.js';

/** Buckets of `nodejs_gc_duration_seconds`. */
export const GC_BUCKETS: readonly number[] = [0.001, 0.01, 0.1, 1, 2, 5];

// perf_hooks' constants.NODE_PERFORMANCE_GC_* values.
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };

/**
 * Runtime metrics whose names and types pass `promtool check metrics` (prom-client's defaults do
 * not: `nodejs_active_handles_total` is a gauge). Values are read at scrape time; the event-loop
 * figures cover the time since the previous scrape.
 */
export function startRuntimeMetrics(metrics: Metrics): void {
  const cpuUser = metrics.counter({
    name: 'process_cpu_user_seconds_total',
    help: 'User CPU time spent by the process, in seconds.',
  }) as CounterImpl<never>;
  const cpuSystem = metrics.counter({
    name: 'process_cpu_system_seconds_total',
    help: 'System CPU time spent by the process, in seconds.',
  }) as CounterImpl<never>;
  const cpuTotal = metrics.counter({
    name: 'process_cpu_seconds_total',
    help: 'User and system CPU time spent by the process, in seconds.',
  }) as CounterImpl<never>;
  const rss = metrics.gauge({
    name: 'process_resident_memory_bytes',
    help: 'Resident memory size in bytes.',
  });
  const start = metrics.gauge({
    name: 'process_start_time_seconds',
    help: 'Start time of the process since the Unix epoch, in seconds.',
  });
  const openFds = metrics.gauge({ name: 'process_open_fds', help: 'Open file descriptors (Linux only).' });
  const heapUsed = metrics.gauge({ name: 'nodejs_heap_size_used_bytes', help: 'V8 heap used, in bytes.' });
  const heapTotal = metrics.gauge({ name: 'nodejs_heap_size_total_bytes', help: 'V8 heap size, in bytes.' });
  const external = metrics.gauge({
    name: 'nodejs_external_memory_bytes',
    help: 'Memory of C++ objects bound to JavaScript objects, in bytes.',
  });
  const delay = {
    min: 'nodejs_eventloop_delay_min_seconds',
    max: 'nodejs_eventloop_delay_max_seconds',
    mean: 'nodejs_eventloop_delay_mean_seconds',
    p50: 'nodejs_eventloop_delay_p50_seconds',
    p90: 'nodejs_eventloop_delay_p90_seconds',
    p99: 'nodejs_eventloop_delay_p99_seconds',
  } as const;
  const delayGauges = Object.fromEntries(
    Object.entries(delay).map(([k, name]) => [
      k,
      metrics.gauge({ name, help: `Event loop delay (${k}) since the previous scrape, in seconds.` }),
    ]),
  ) as Record<keyof typeof delay, ReturnType<Metrics['gauge']>>;
  const elu = metrics.gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape (0 to 1).',
  });
  const handles = metrics.gauge({ name: 'nodejs_active_handles', help: 'Active libuv handles.' });
  const requests = metrics.gauge({ name: 'nodejs_active_requests', help: 'Active libuv requests.' });
  const versionInfo = metrics.gauge({
    name: 'nodejs_version_info',
    help: 'Node.js version (the value is always 1).',
    labelNames: ['nodejs_version', 'major', 'minor', 'patch'],
  });
  const gc = metrics.histogram({
    name: 'nodejs_gc_duration_seconds',
    help: 'Garbage collection pauses by kind, in seconds.',
    unit: 'seconds',
    labelNames: ['kind'],
    buckets: GC_BUCKETS,
  }) as HistogramImpl<'kind'>;
  gc.exemplars = false;

  const [major, minor, patch] = process.versions.node.split('.');
  versionInfo.set({ nodejs_version: process.version, major, minor, patch }, 1);
  start.set(Math.round(performance.timeOrigin) / 1000);

  let loopDelay: IntervalHistogram | undefined;
  try {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  } catch {
    loopDelay = undefined;
  }
  let lastElu = performance.eventLoopUtilization();

  try {
    const gcHandles = new Map<string, { observe(v: number): void }>();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
        let h = gcHandles.get(kind);
        if (h === undefined) {
          h = gc.bind({ kind });
          gcHandles.set(kind, h);
        }
        h.observe(entry.duration / 1000);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
  } catch {
    // no GC entries on this runtime: the histogram stays empty
  }

  let lastCpu = { user: 0, system: 0 };
  const proc = process as unknown as {
    _getActiveHandles?: () => unknown[];
    _getActiveRequests?: () => unknown[];
  };

  internals(metrics).addCollector(() => {
    const cpu = process.cpuUsage();
    const du = Math.max(0, cpu.user - lastCpu.user) / 1e6;
    const ds = Math.max(0, cpu.system - lastCpu.system) / 1e6;
    lastCpu = cpu;
    cpuUser.inc(du);
    cpuSystem.inc(ds);
    cpuTotal.inc(du + ds);
    const mem = process.memoryUsage();
    rss.set(mem.rss);
    heapUsed.set(mem.heapUsed);
    heapTotal.set(mem.heapTotal);
    external.set(mem.external);
    if (process.platform === 'linux') {
      try {
        openFds.set(readdirSync('/proc/self/fd').length - 1);
      } catch {
        // /proc not mounted: the gauge keeps its last value
      }
    }
    handles.set(
      typeof proc._getActiveHandles === 'function'
        ? proc._getActiveHandles().length
        : process.getActiveResourcesInfo().length,
    );
    requests.set(typeof proc._getActiveRequests === 'function' ? proc._getActiveRequests().length : 0);
    if (loopDelay !== undefined && loopDelay.count > 0) {
      const s = (ns: number) => (Number.isFinite(ns) ? ns / 1e9 : 0);
      delayGauges.min.set(s(loopDelay.min));
      delayGauges.max.set(s(loopDelay.max));
      delayGauges.mean.set(s(loopDelay.mean));
      delayGauges.p50.set(s(loopDelay.percentile(50)));
      delayGauges.p90.set(s(loopDelay.percentile(90)));
      delayGauges.p99.set(s(loopDelay.percentile(99)));
      loopDelay.reset();
    }
    const now = performance.eventLoopUtilization();
    elu.set(performance.eventLoopUtilization(now, lastElu).utilization);
    lastElu = now;
  });
}
