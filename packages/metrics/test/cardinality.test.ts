import fc from 'fast-check';
import Fastify, { type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { immoMetrics } from '../src/fastify.js';
import { OVERFLOW } from '../src/index.js';
import { createTestMetrics, metricValue, seriesCount } from '../src/testing.js';

describe('cardinality cap', () => {
  it('sends new label sets to one _OVERFLOW series once a metric holds maxSeries', async () => {
    const metrics = createTestMetrics();
    const c = metrics.counter({ name: 'hits_total', help: 'H.', labelNames: ['user', 'page'], maxSeries: 3 });
    for (let i = 0; i < 10; i++) c.inc({ user: `u${i}`, page: 'p' });
    c.inc({ user: 'u0', page: 'p' }); // an existing label set still records into its own series
    expect(seriesCount('hits_total', { metrics })).toBe(4);
    expect(metricValue('hits_total', { user: 'u0' }, { metrics })).toBe(2);
    expect(metricValue('hits_total', { user: OVERFLOW, page: OVERFLOW }, { metrics })).toBe(7);
    expect(metricValue('immo_metrics_overflow_total', { metric: 'hits_total' }, { metrics })).toBe(7);
    const body = (await metrics.render()).body;
    expect(body).toContain(
      'hits_total{service="test",version="0.0.0",user="_OVERFLOW",page="_OVERFLOW"} 7\n',
    );
    expect(body).toContain(
      'immo_metrics_overflow_total{service="test",version="0.0.0",metric="hits_total"} 7\n',
    );
  });

  it('counts every observation through a bound overflow handle', () => {
    const metrics = createTestMetrics({ maxSeriesPerMetric: 1 });
    const h = metrics.histogram({ name: 'op_seconds', help: 'O.', unit: 'seconds', labelNames: ['op'] });
    h.observe({ op: 'a' }, 1);
    const overflow = h.bind({ op: 'b' });
    overflow.observe(1);
    overflow.observe(2);
    expect(metricValue('immo_metrics_overflow_total', { metric: 'op_seconds' }, { metrics })).toBe(2);
    expect(seriesCount('op_seconds', { metrics })).toBe(2);
  });

  it('never holds more than maxSeries + 1 series whatever label values arrive', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.string(), fc.oneof(fc.string(), fc.integer())), { maxLength: 200 }),
        (max, sets) => {
          const metrics = createTestMetrics();
          const g = metrics.gauge({ name: 'g', help: 'G.', labelNames: ['a', 'b'], maxSeries: max });
          for (const [a, b] of sets) g.set({ a, b }, 1);
          const distinct = new Set(sets.map(([a, b]) => `${a}\u0000${String(b)}`)).size;
          const n = seriesCount('g', { metrics });
          expect(n).toBeLessThanOrEqual(max + 1);
          expect(n).toBe(distinct <= max ? distinct : max + 1);
        },
      ),
    );
  });
});

describe('cardinality through the Fastify plugin', () => {
  let app: ReturnType<typeof Fastify> | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('keeps the series count bounded under 100,000 random URLs, methods and header values', async () => {
    const metrics = createTestMetrics({ maxSeriesPerMetric: 50 });
    const perTenant = metrics.counter({ name: 'tenant_requests_total', help: 'T.', labelNames: ['tenant'] });
    app = Fastify();
    await app.register(immoMetrics, { metrics });
    let handled = 0;
    app.get('/orgs/:id', async (req: FastifyRequest) => {
      handled++;
      // an application metric labelled by a header value: the cap is what keeps it bounded
      perTenant.inc({ tenant: String(req.headers['x-tenant']) });
      return { id: (req.params as { id: string }).id };
    });
    app.all('/files/*', async () => 'ok');
    await app.ready();
    const methods = [
      'GET',
      'POST',
      'PUT',
      'DELETE',
      'PATCH',
      'OPTIONS',
      'PROPFIND',
      'MKCOL',
      'LOCK',
      'SEARCH',
    ];
    const rnd = () => Math.random().toString(36).slice(2);
    const N = 100_000;
    for (let i = 0; i < N; i += 1000) {
      await Promise.all(
        Array.from({ length: 1000 }, (_, j) => {
          const k = (i + j) % 3;
          const url =
            k === 0
              ? `/orgs/${rnd()}`
              : k === 1
                ? `/files/${rnd()}/${rnd()}`
                : `/${rnd()}/${rnd()}?q=${rnd()}`;
          return app!.inject({
            method: methods[(i + j) % methods.length] as 'GET',
            url,
            headers: { 'x-tenant': rnd(), 'user-agent': rnd() },
          });
        }),
      );
    }
    const body = (await metrics.render()).body;
    const durationSeries = seriesCount('http_server_request_duration_seconds', { metrics });
    // routes x methods x status codes the app can produce, not a function of the URLs
    expect(durationSeries).toBeLessThanOrEqual(51);
    expect(seriesCount('tenant_requests_total', { metrics })).toBe(51);
    expect(handled).toBeGreaterThan(3000);
    expect(metricValue('immo_metrics_overflow_total', { metric: 'tenant_requests_total' }, { metrics })).toBe(
      handled - 50,
    );
    expect(body).not.toMatch(/http_route="\/orgs\/[a-z0-9]/);
    expect(body).toContain('http_route="/orgs/:id"');
    expect(body).toContain('http_route="/files/*"');
    expect(body).toContain('http_route="_UNMATCHED"');
    expect(body).toContain('http_request_method="_OTHER"');
    expect(body.split('\n').length).toBeLessThan(3000);
    expect(metricValue('http_server_active_requests', undefined, { metrics })).toBe(0);
    // 100,000 injections are about 10 s of CPU; on a 2-core CI machine running every package's
    // tests at once this took 83 s in a passing run and went past a 120 s timeout in a failing one
  }, 600_000);
});
