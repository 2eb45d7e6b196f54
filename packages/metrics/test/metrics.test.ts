import client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  getMetrics,
  initMetrics,
  MetricDefinitionError,
  type MetricsOptions,
  MetricsOptionsError,
} from '../src/index.js';
import { createMetrics, forgetProcessMetrics } from '../src/metrics.js';
import { createTestMetrics } from '../src/testing.js';

const base: MetricsOptions = { service: 'svc', version: '1.0.0', runtimeMetrics: false };

function errorOf(fn: () => unknown): { code: string; issues: readonly string[] } {
  try {
    fn();
  } catch (err) {
    expect(err instanceof MetricDefinitionError || err instanceof MetricsOptionsError).toBe(true);
    return err as MetricDefinitionError;
  }
  throw new Error('expected a throw');
}

describe('process-wide instance', () => {
  afterEach(() => forgetProcessMetrics());

  it('keeps one instance on globalThis under Symbol.for, shared by a second package copy', () => {
    const m = initMetrics(base);
    expect((globalThis as Record<symbol, unknown>)[Symbol.for('@immo/metrics.instance')]).toBe(m);
    expect(getMetrics()).toBe(m);
    expect(initMetrics({ service: 'svc' })).toBe(m);
  });

  it('throws IMMO_METRICS_ALREADY_INITIALIZED listing what differs when options change', () => {
    initMetrics(base);
    const err = errorOf(() => initMetrics({ service: 'other', maxSeriesPerMetric: 5 }));
    expect(err).toBeInstanceOf(MetricsOptionsError);
    expect(err.code).toBe('IMMO_METRICS_ALREADY_INITIALIZED');
    expect(err.issues).toEqual([
      'service: initialised with "svc", now "other"',
      'maxSeriesPerMetric: initialised with 2000, now 5',
    ]);
  });

  it('creates the instance from the environment when getMetrics comes first', () => {
    process.env.IMMO_METRICS_SERVICE = 'from-env';
    process.env.IMMO_METRICS_RUNTIME = 'false';
    try {
      expect(getMetrics().options.service).toBe('from-env');
    } finally {
      delete process.env.IMMO_METRICS_SERVICE;
      delete process.env.IMMO_METRICS_RUNTIME;
    }
  });
});

describe('options', () => {
  it('reads explicit options, then IMMO_METRICS_* variables, then defaults', () => {
    const m = createMetrics(
      { version: '2.0.0' },
      {
        IMMO_METRICS_SERVICE: 'env-svc',
        IMMO_METRICS_VERSION: '9.9.9',
        IMMO_METRICS_MAX_SERIES: '50',
        IMMO_METRICS_RUNTIME: '0',
      },
    );
    expect(m.options).toMatchObject({
      service: 'env-svc',
      version: '2.0.0',
      maxSeriesPerMetric: 50,
      runtimeMetrics: false,
    });
  });

  it('falls back to OTEL_SERVICE_NAME, npm_package_name and unknown_service', () => {
    const o = (env: NodeJS.ProcessEnv) => createMetrics({ runtimeMetrics: false }, env).options.service;
    expect(o({ OTEL_SERVICE_NAME: 'otel', npm_package_name: 'pkg' })).toBe('otel');
    expect(o({ npm_package_name: 'pkg' })).toBe('pkg');
    expect(o({})).toBe('unknown_service');
  });

  it('throws IMMO_METRICS_INVALID_OPTIONS listing every problem with its source', () => {
    const err = errorOf(() =>
      createMetrics({ maxSeriesPerMetric: 0, defaultLabels: { __x: 'a' }, bogus: 1 } as never, {
        IMMO_METRICS_ENABLED: 'maybe',
      }),
    );
    expect(err.code).toBe('IMMO_METRICS_INVALID_OPTIONS');
    expect(err.issues).toHaveLength(4);
    expect(err.issues.join('\n')).toMatch(/maxSeriesPerMetric: expected .*received number 0/);
    expect(err.issues.join('\n')).toMatch(
      /enabled: expected boolean, received "maybe" \(from IMMO_METRICS_ENABLED\)/,
    );
    expect(err.issues.join('\n')).toMatch(/unknown option\(s\) bogus/);
    expect(err.issues.join('\n')).toMatch(/defaultLabels\.__x/);
  });
});

describe('metric definitions', () => {
  it('returns the same object for the same name and definition', () => {
    const m = createTestMetrics();
    const def = { name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'] } as const;
    expect(m.counter(def)).toBe(m.counter({ ...def, labelNames: ['kind'] }));
  });

  it('throws IMMO_METRICS_CONFLICT when a name is reused with another definition', () => {
    const m = createTestMetrics();
    m.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['kind'] });
    const err = errorOf(() => m.counter({ name: 'jobs_total', help: 'Jobs.', labelNames: ['type'] }));
    expect(err).toBeInstanceOf(MetricDefinitionError);
    expect(err.code).toBe('IMMO_METRICS_CONFLICT');
    expect(err.issues).toEqual(['labelNames: defined before as ["kind"], now ["type"]']);
    m.histogram({ name: 'wait_seconds', help: 'W.', unit: 'seconds' });
    const typed = errorOf(() => m.gauge({ name: 'wait_seconds', help: 'W.' }));
    expect(typed.code).toBe('IMMO_METRICS_CONFLICT');
    expect(typed.issues[0]).toBe('type: defined before as "histogram", now "gauge"');
  });

  it('throws IMMO_METRICS_CONFLICT for a name a prom-client metric holds', () => {
    const m = createTestMetrics();
    new client.Gauge({ name: 'queue_depth', help: 'Depth.', registers: [m.registry] });
    expect(errorOf(() => m.gauge({ name: 'queue_depth', help: 'Depth.' })).code).toBe(
      'IMMO_METRICS_CONFLICT',
    );
  });

  it('rejects names, units, labels and buckets Prometheus would reject, listing every problem', () => {
    const m = createTestMetrics();
    const err = errorOf(() =>
      m.histogram({
        name: 'requestLatency_ms',
        help: '',
        unit: 'milliseconds',
        labelNames: ['le', '__meta', 'bad-name', 'service', 'a', 'a', 'job', 'instance'],
        buckets: [1, 0.5, Number.POSITIVE_INFINITY],
      }),
    );
    expect(err.code).toBe('IMMO_METRICS_INVALID_METRIC');
    const text = err.issues.join('\n');
    for (const part of [
      'name: expected snake_case (lower case)',
      'help: expected a non-empty string',
      'unit: use the base unit seconds',
      'name: a histogram name ends with its unit',
      'labelNames.0: "le" is reserved',
      'labelNames.1: label names starting with __ are reserved',
      'labelNames.2: expected a label name',
      'labelNames.3: "service" is a default label',
      'labelNames.5: duplicate label "a"',
      'labelNames.6: "job" is set by Prometheus on every scraped series (yours would become exported_job)',
      'labelNames.7: "instance" is set by Prometheus',
      'buckets.1: expected buckets sorted ascending',
      'buckets.2: expected a finite number',
    ])
      expect(text).toContain(part);
  });

  it('enforces _total on counters only', () => {
    const m = createTestMetrics();
    expect(errorOf(() => m.counter({ name: 'requests', help: 'R.' })).issues[0]).toMatch(/ends in _total/);
    expect(errorOf(() => m.gauge({ name: 'open_total', help: 'O.' })).issues[0]).toMatch(/only counters/);
  });
});

describe('recording', () => {
  it('counts, sets and observes by label set, numbers becoming strings', async () => {
    const m = createTestMetrics();
    const c = m.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['status'] });
    c.inc({ status: 200 });
    c.inc({ status: '200' }, 2);
    c.bind({ status: 'queued' }).inc(0.5);
    c.inc({ status: 'x' }, -1); // ignored: counters only go up
    const g = m.gauge({ name: 'queue_size', help: 'Q.' });
    g.set(5);
    g.inc();
    g.dec(2);
    const h = m.histogram({ name: 'size_bytes', help: 'S.', unit: 'bytes', buckets: [10, 100] });
    h.observe(5);
    h.observe(50);
    h.observe(500);
    const body = (await m.render()).body;
    expect(body).toContain('orders_total{service="test",version="0.0.0",status="200"} 3\n');
    expect(body).toContain('orders_total{service="test",version="0.0.0",status="queued"} 0.5\n');
    expect(body).not.toContain('status="x"} 0');
    expect(body).toContain('queue_size{service="test",version="0.0.0"} 4\n');
    expect(body).toContain('size_bytes_bucket{service="test",version="0.0.0",le="10"} 1\n');
    expect(body).toContain('size_bytes_bucket{service="test",version="0.0.0",le="100"} 2\n');
    expect(body).toContain('size_bytes_bucket{service="test",version="0.0.0",le="+Inf"} 3\n');
    expect(body).toContain('size_bytes_sum{service="test",version="0.0.0"} 555\n');
    expect(body).toContain('size_bytes_count{service="test",version="0.0.0"} 3\n');
  });

  it('times with startTimer and returns the seconds', () => {
    const m = createTestMetrics();
    const h = m.histogram({ name: 'step_seconds', help: 'S.', unit: 'seconds', labelNames: ['step', 'ok'] });
    const end = h.startTimer({ step: 'a' });
    const s = end({ ok: 'yes' });
    expect(s).toBeGreaterThanOrEqual(0);
    expect(
      (m as never as { registry: client.Registry }).registry.getSingleMetric('step_seconds'),
    ).toBeDefined();
  });

  it('escapes label values and help text', async () => {
    const m = createTestMetrics();
    m.counter({ name: 'esc_total', help: 'Line\\one\nline two', labelNames: ['v'] }).inc({ v: 'a"b\\c\nd' });
    const body = (await m.render()).body;
    expect(body).toContain('# HELP esc_total Line\\\\one\\nline two\n');
    expect(body).toContain('esc_total{service="test",version="0.0.0",v="a\\"b\\\\c\\nd"} 1\n');
  });

  it('keeps default labels on every series, ours and prom-client’s', async () => {
    const m = createTestMetrics({ defaultLabels: { region: 'eu' } });
    m.counter({ name: 'a_total', help: 'A.' }).inc();
    new client.Counter({ name: 'legacy_total', help: 'L.', labelNames: ['x'], registers: [m.registry] }).inc({
      x: '1',
    });
    const body = (await m.render()).body;
    expect(body).toContain('a_total{service="test",version="0.0.0",region="eu"} 1\n');
    expect(body).toContain('legacy_total{service="test",version="0.0.0",region="eu",x="1"} 1\n');
  });

  it('works through prom-client’s own registry API (metrics, getMetricsAsJSON, resetMetrics)', async () => {
    const m = createTestMetrics();
    m.histogram({ name: 'h_seconds', help: 'H.', unit: 'seconds', buckets: [1] }).observe(0.5);
    const text = await m.registry.metrics();
    expect(text).toContain('h_seconds_bucket{le="1",service="test",version="0.0.0"} 1');
    const json = await m.registry.getMetricsAsJSON();
    const h = json.find((x) => x.name === 'h_seconds')!;
    expect(h.type).toBe('histogram');
    expect(h.values).toContainEqual({
      value: 1,
      labels: { le: '+Inf', service: 'test', version: '0.0.0' },
      metricName: 'h_seconds_count'.replace('_count', '_bucket'),
    });
    m.registry.resetMetrics();
    expect((await m.render()).body).toContain('h_seconds_count{service="test",version="0.0.0"} 0\n');
  });

  it('turns every metric into a no-op and renders nothing when disabled', async () => {
    const m = createTestMetrics({ enabled: false });
    const c = m.counter({ name: 'x_total', help: 'X.', labelNames: ['a'] });
    c.inc({ a: '1' });
    c.bind({ a: '1' }).inc();
    m.histogram({ name: 'y_seconds', help: 'Y.', unit: 'seconds' }).startTimer()();
    expect(await m.render()).toEqual({ contentType: 'text/plain; version=0.0.4; charset=utf-8', body: '' });
    expect((await m.render('application/openmetrics-text')).body).toBe('# EOF\n');
    // definitions are still checked
    expect(errorOf(() => m.counter({ name: 'bad', help: 'B.' })).code).toBe('IMMO_METRICS_INVALID_METRIC');
  });

  it('runs gauge collect callbacks, awaited, before rendering', async () => {
    const m = createTestMetrics();
    let n = 0;
    m.gauge({
      name: 'pool_size',
      help: 'P.',
      collect: async (g) => {
        await new Promise((r) => setTimeout(r, 1));
        g.set(++n);
      },
    });
    expect((await m.render()).body).toContain('pool_size{service="test",version="0.0.0"} 1\n');
    expect((await m.render()).body).toContain('pool_size{service="test",version="0.0.0"} 2\n');
  });
});
