import { execFileSync } from 'node:child_process';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import client from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wantsOpenMetrics } from '../src/format.js';
import { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from '../src/index.js';
import { createTestMetrics } from '../src/testing.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** A strict reading of the OpenMetrics 1.0 text format for what we write. */
export function checkOpenMetrics(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('# EOF\n')) problems.push('does not end with "# EOF\\n"');
  const lines = text.split('\n').slice(0, -2);
  let family = '';
  let type = '';
  const SAMPLE =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\n"])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\n"])*")*)?\})? (-?[0-9.e+-]+|[+-]Inf|NaN)( # \{trace_id="[0-9a-f]{32}"\} (-?[0-9.e+-]+) ([0-9]+(?:\.[0-9]+)?))?$/;
  const suffixes: Record<string, string[]> = {
    counter: ['_total', '_created'],
    gauge: [''],
    info: ['_info'],
    histogram: ['_bucket', '_sum', '_count', '_created'],
    summary: ['', '_sum', '_count', '_created'],
    unknown: [''],
  };
  for (const line of lines) {
    if (line === '# EOF') problems.push('# EOF before the end');
    const t = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (\w+)$/.exec(line);
    if (t) {
      family = t[1]!;
      type = t[2]!;
      if (!suffixes[type]) problems.push(`unknown type: ${line}`);
      if (type === 'counter' && family.endsWith('_total'))
        problems.push(`counter family ends in _total: ${line}`);
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* /.test(line)) continue;
    const m = SAMPLE.exec(line);
    if (!m) {
      problems.push(`not a valid line: ${line}`);
      continue;
    }
    const name = m[1]!;
    if (!(suffixes[type] ?? []).some((s) => name === family + s))
      problems.push(`sample ${name} outside family ${family} (${type})`);
    if (m[4] && !(name.endsWith('_bucket') || (type === 'counter' && name.endsWith('_total'))))
      problems.push(`exemplar on a ${type} sample: ${line}`);
  }
  return problems;
}

describe('content negotiation', () => {
  it('serves OpenMetrics to Prometheus’ Accept header and text 0.0.4 otherwise', async () => {
    expect(wantsOpenMetrics(PROMETHEUS_ACCEPT)).toBe(true);
    expect(wantsOpenMetrics('application/openmetrics-text; version=1.0.0')).toBe(true);
    expect(wantsOpenMetrics(undefined)).toBe(false);
    expect(wantsOpenMetrics('text/plain;version=0.0.4')).toBe(false);
    expect(wantsOpenMetrics('*/*')).toBe(false);
    expect(wantsOpenMetrics('text/plain,application/openmetrics-text;q=0.5')).toBe(false);
    expect(wantsOpenMetrics('application/openmetrics-text;q=0')).toBe(false);
    const m = createTestMetrics();
    expect((await m.render(PROMETHEUS_ACCEPT)).contentType).toBe(OPENMETRICS_CONTENT_TYPE);
    expect((await m.render()).contentType).toBe(PROMETHEUS_CONTENT_TYPE);
  });
});

describe('OpenMetrics output', () => {
  it('is valid: counters without _total in the family, _info gauges as info, foreign metrics too, # EOF last', async () => {
    const m = createTestMetrics({ runtimeMetrics: true });
    m.counter({ name: 'orders_total', help: 'Orders.', labelNames: ['s'] }).inc({ s: 'ok' });
    m.gauge({ name: 'build_info', help: 'Build.', labelNames: ['commit'] }).set({ commit: 'abc' }, 1);
    m.histogram({ name: 'lat_seconds', help: 'L.', unit: 'seconds' }).observe(0.2);
    new client.Counter({ name: 'legacy_jobs_total', help: 'Legacy.', registers: [m.registry] }).inc();
    new client.Counter({ name: 'legacy_bare', help: 'Bare.', registers: [m.registry] }).inc(2);
    new client.Histogram({
      name: 'legacy_seconds',
      help: 'H.',
      buckets: [1],
      registers: [m.registry],
    }).observe(3);
    new client.Summary({ name: 'legacy_summary_seconds', help: 'S.', registers: [m.registry] }).observe(1);
    const body = (await m.render(PROMETHEUS_ACCEPT)).body;
    expect(checkOpenMetrics(body)).toEqual([]);
    expect(body).toContain('# TYPE orders counter\norders_total{service="test",version="0.0.0",s="ok"} 1\n');
    expect(body).toContain('# TYPE build info\nbuild_info{');
    expect(body).toContain('# TYPE legacy_jobs counter\nlegacy_jobs_total{');
    expect(body).toContain('# TYPE legacy_bare counter\nlegacy_bare_total{');
    expect(body.match(/# EOF/g)).toHaveLength(1);
  });
});

describe('exemplars', () => {
  const cm = new AsyncLocalStorageContextManager();
  const provider = new BasicTracerProvider();
  beforeAll(() => {
    context.setGlobalContextManager(cm.enable());
    trace.setGlobalTracerProvider(provider);
  });
  afterAll(() => {
    cm.disable();
    context.disable();
    trace.disable();
  });

  it('attaches the active trace id to the bucket of an observation, in OpenMetrics only', async () => {
    const m = createTestMetrics({ exemplars: true });
    const h = m.histogram({
      name: 'req_seconds',
      help: 'R.',
      unit: 'seconds',
      labelNames: ['r'],
      buckets: [0.1, 1],
    });
    const bound = h.bind({ r: 'b' });
    const span = provider.getTracer('t').startSpan('request');
    const before = Date.now() / 1000;
    context.with(trace.setSpan(context.active(), span), () => {
      h.observe({ r: 'a' }, 0.5);
      bound.observe(0.05);
    });
    h.observe({ r: 'a' }, 5); // no active span: no exemplar
    span.end();
    const id = span.spanContext().traceId;
    const om = (await m.render(PROMETHEUS_ACCEPT)).body;
    expect(checkOpenMetrics(om)).toEqual([]);
    const line = om
      .split('\n')
      .find((l) => l.startsWith('req_seconds_bucket{service="test",version="0.0.0",r="a",le="1"}'))!;
    const ex = new RegExp(`^\\S+ 1 # \\{trace_id="${id}"\\} 0\\.5 (\\d+\\.\\d{3})$`).exec(line);
    expect(ex, line).not.toBeNull();
    expect(Number(ex![1])).toBeGreaterThanOrEqual(Math.floor(before));
    expect(om).toContain(`r="b",le="0.1"} 1 # {trace_id="${id}"} 0.05 `);
    expect(om).toMatch(/r="a",le="\+Inf"} 2\n/);
    const text = (await m.render('text/plain')).body;
    expect(text).not.toContain('#  {');
    expect(text).not.toContain('trace_id');
  });

  it('takes the first traced observation per bucket after each exposition', async () => {
    const m = createTestMetrics({ exemplars: true });
    const h = m.histogram({ name: 'x_seconds', help: 'X.', unit: 'seconds', buckets: [1] });
    const tracer = provider.getTracer('t');
    const s1 = tracer.startSpan('one');
    const s2 = tracer.startSpan('two');
    context.with(trace.setSpan(context.active(), s1), () => h.observe(0.1));
    context.with(trace.setSpan(context.active(), s2), () => h.observe(0.2));
    expect((await m.render(PROMETHEUS_ACCEPT)).body).toContain(s1.spanContext().traceId);
    context.with(trace.setSpan(context.active(), s2), () => h.observe(0.3));
    expect((await m.render(PROMETHEUS_ACCEPT)).body).toContain(
      `# {trace_id="${s2.spanContext().traceId}"} 0.3`,
    );
  });

  it('takes no exemplar from an unsampled span (its trace is recorded nowhere)', async () => {
    const m = createTestMetrics({ exemplars: true });
    const h = m.histogram({ name: 'z_seconds', help: 'Z.', unit: 'seconds', buckets: [1] });
    const unsampled = trace.wrapSpanContext({
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: 0,
    });
    context.with(trace.setSpan(context.active(), unsampled), () => h.observe(0.1));
    expect((await m.render(PROMETHEUS_ACCEPT)).body).not.toContain('trace_id');
    const sampled = trace.wrapSpanContext({ ...unsampled.spanContext(), traceFlags: 1 });
    context.with(trace.setSpan(context.active(), sampled), () => h.observe(0.2));
    expect((await m.render(PROMETHEUS_ACCEPT)).body).toContain(
      '# {trace_id="4bf92f3577b34da6a3ce929d0e0e4736"} 0.2',
    );
  });

  it('records no exemplar when exemplars are off', async () => {
    const m = createTestMetrics({ exemplars: false });
    const h = m.histogram({ name: 'y_seconds', help: 'Y.', unit: 'seconds' });
    const span = provider.getTracer('t').startSpan('s');
    context.with(trace.setSpan(context.active(), span), () => h.observe(0.1));
    expect((await m.render(PROMETHEUS_ACCEPT)).body).not.toContain('trace_id');
  });
});

describe('exemplars without @opentelemetry/api', () => {
  it('loads and records without the optional peer installed', () => {
    // A child process in which our build cannot resolve @opentelemetry/api (prom-client, which
    // depends on it, still can: that is the layout pnpm gives an app that does not install it).
    const script = `
      const Module = require('node:module');
      const original = Module._resolveFilename;
      Module._resolveFilename = function (request, parent, ...rest) {
        if (request === '@opentelemetry/api' && parent && /[\\/]dist[\\/]/.test(parent.filename ?? '')) {
          const e = new Error('not found'); e.code = 'MODULE_NOT_FOUND'; throw e;
        }
        return original.call(this, request, parent, ...rest);
      };
      const { createTestMetrics } = require('./dist/testing.cjs');
      const m = createTestMetrics({ exemplars: true });
      const h = m.histogram({ name: 'z_seconds', help: 'Z.', unit: 'seconds' });
      h.observe(0.1);
      m.render('application/openmetrics-text').then((r) => process.stdout.write(r.body));
    `;
    const out = execFileSync(process.execPath, ['-e', script], {
      cwd: `${import.meta.dirname}/..`,
      encoding: 'utf8',
    });
    expect(out).toContain('z_seconds_count{service="test",version="0.0.0"} 1\n');
    expect(out).not.toContain('trace_id');
  });
});
