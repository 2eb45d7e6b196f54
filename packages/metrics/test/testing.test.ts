import client from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { getMetrics, initMetrics, recordSecurityEvent } from '../src/index.js';
import { forgetProcessMetrics } from '../src/metrics.js';
import { histogramCount, metricValue, resetMetrics, scrape, seriesCount } from '../src/testing.js';

describe('./testing on the process-wide instance', () => {
  afterEach(() => forgetProcessMetrics());

  it('reads values, counts and series, and resets them without breaking bound handles', async () => {
    initMetrics({ service: 'svc', runtimeMetrics: false });
    const h = getMetrics().histogram({
      name: 'step_seconds',
      help: 'S.',
      unit: 'seconds',
      labelNames: ['step'],
    });
    const bound = h.bind({ step: 'parse' });
    bound.observe(0.25);
    h.observe({ step: 'save' }, 1);
    const legacy = new client.Counter({
      name: 'legacy_total',
      help: 'L.',
      registers: [getMetrics().registry],
    });
    legacy.inc(3);
    recordSecurityEvent('auth_failure');
    expect(histogramCount('step_seconds')).toBe(2);
    expect(histogramCount('step_seconds', { step: 'parse' })).toBe(1);
    expect(metricValue('step_seconds', { step: 'save' })).toBe(1);
    expect(seriesCount('step_seconds')).toBe(2);
    expect(metricValue('immo_security_events_total', { type: 'auth_failure' })).toBe(1);
    resetMetrics();
    expect(seriesCount('step_seconds')).toBe(0);
    expect(metricValue('immo_security_events_total', { type: 'auth_failure' })).toBeUndefined();
    expect(await scrape()).toContain('legacy_total{service="svc",version="0.0.0"} 0');
    bound.observe(0.5);
    expect(histogramCount('step_seconds', { step: 'parse' })).toBe(1);
    expect(metricValue('step_seconds')).toBe(0.5);
  });

  it('names the known metrics when asked for an unknown one', () => {
    initMetrics({ service: 'svc', runtimeMetrics: false });
    expect(() => metricValue('nope_total')).toThrow(
      /no metric named "nope_total".*immo_metrics_overflow_total/,
    );
  });
});
