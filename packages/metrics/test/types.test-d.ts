import Fastify, { type FastifyPluginCallback } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { type ImmoMetricsPluginOptions, immoMetrics } from '../src/fastify.js';
import { type Counter, type Histogram, initMetrics, type Metrics } from '../src/index.js';

declare const metrics: Metrics;

describe('label-name typing', () => {
  it('infers label names from labelNames and rejects others', () => {
    const h = metrics.histogram({ name: 'a_seconds', help: 'A.', unit: 'seconds', labelNames: ['a'] });
    expectTypeOf(h).toEqualTypeOf<Histogram<'a'>>();
    h.observe({ a: 'x' }, 1);
    h.observe({ a: 200 }, 1);
    // @ts-expect-error b is not a label of this histogram
    h.observe({ b: 'x' }, 1);
    // @ts-expect-error label values are strings or numbers
    h.bind({ a: true });
    const c = metrics.counter({ name: 'c_total', help: 'C.' });
    expectTypeOf(c).toEqualTypeOf<Counter<never>>();
    c.inc();
    // @ts-expect-error an unlabelled counter takes no labels
    c.inc({ x: '1' });
  });

  it('types the options and the plugin', () => {
    // @ts-expect-error maxSeriesPerMetric is a number
    initMetrics({ maxSeriesPerMetric: '10' });
    expectTypeOf(immoMetrics).toExtend<FastifyPluginCallback<ImmoMetricsPluginOptions>>();
    const app = Fastify();
    app.register(immoMetrics, { exposeRoute: { port: 9464, host: '0.0.0.0' } });
    // @ts-expect-error exposeRoute.port is a number
    app.register(immoMetrics, { exposeRoute: { port: '9464' } });
    expectTypeOf(app.immoMetrics).toEqualTypeOf<Metrics>();
  });
});
