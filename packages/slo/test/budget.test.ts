import { createTestMetrics } from '@immo/metrics/testing';
import { describe, expect, it } from 'vitest';
import { createErrorBudget, defineSlos, histogramTotals, SloError } from '../src/index.js';
import { availability } from './fixtures.js';

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('in-process error budget', () => {
  it('judges the last hour: ok below the warn burn rate, warn at 6x', () => {
    const c = clock();
    const budget = createErrorBudget({ objective: '99.9%', now: c.now });
    expect(budget.status()).toMatchObject({
      state: 'no-data',
      remaining: 1,
      errorRatio: undefined,
      burnRate: undefined,
    });
    budget.record(true, 10_000);
    expect(budget.status()).toMatchObject({
      state: 'ok',
      events: 10_000,
      errorRatio: 0,
      burnRate: 0,
      remaining: 1,
    });
    budget.record(false, 10); // 0.1%: burn rate 1, the whole window budget
    const s = budget.status();
    expect(s.state).toBe('ok');
    expect(s.burnRate).toBeCloseTo(0.999, 3);
    budget.record(false, 20); // 0.3%: burn rate 3, over the window's share but not fast → still ok
    expect(budget.status()).toMatchObject({ state: 'ok', remaining: expect.closeTo(-1.99, 2) });
    budget.record(false, 35); // 0.65%: burn rate 6.5 → warn
    expect(budget.status().state).toBe('warn');
    const warm = createErrorBudget({ objective: 0.99, now: c.now, warnBurnRate: 6 });
    warm.record(true, 930);
    warm.record(false, 70); // 7% of a 1% budget: burn 7 → warn
    expect(warm.status().state).toBe('warn');
    const slowBurn = createErrorBudget({ objective: 0.9, now: c.now });
    slowBurn.record(true, 930);
    slowBurn.record(false, 70); // 7% of a 10% budget: burn 0.7 → ok
    expect(slowBurn.status()).toMatchObject({ state: 'ok', remaining: expect.closeTo(0.3, 9) });
    const fast = createErrorBudget({ objective: 0.9, now: c.now, warnBurnRate: 0.5 });
    fast.record(true, 930);
    fast.record(false, 70);
    expect(fast.status().state).toBe('warn');
  });

  it('forgets events that left the window, bucket by bucket', () => {
    const c = clock(0);
    const budget = createErrorBudget({ objective: 0.99, now: c.now, windowMs: 10 * 60_000, minEvents: 1 });
    budget.record(false, 5);
    c.advance(5 * 60_000);
    budget.record(true, 95);
    expect(budget.status()).toMatchObject({ events: 100, badEvents: 5 });
    c.advance(5 * 60_000); // the bad minute leaves the 10 minute window
    expect(budget.status()).toMatchObject({ events: 95, badEvents: 0 });
    c.advance(60 * 60_000); // long idle: everything gone, no NaN
    expect(budget.status()).toMatchObject({ events: 0, remaining: 1, state: 'no-data' });
  });

  it('reads cumulative counters: the first reading is the baseline, resets count from zero', () => {
    const c = clock();
    const budget = createErrorBudget({ objective: 0.99, now: c.now, minEvents: 1 });
    budget.observe({ total: 5000, bad: 400 }); // everything since start-up: not this window
    expect(budget.status().events).toBe(0);
    budget.observe({ total: 5100, bad: 401 });
    expect(budget.status()).toMatchObject({ events: 100, badEvents: 1 });
    budget.observe({ total: 50, bad: 5 }); // the process restarted its counters
    expect(budget.status()).toMatchObject({ events: 150, badEvents: 6 });
    budget.observe({ total: Number.NaN, bad: 1 });
    expect(budget.status().events).toBe(150);
  });

  it('reports warn (never fail) to @immo/health and counts a real @immo/metrics histogram', async () => {
    const metrics = createTestMetrics({ service: 'api' });
    const h = metrics.histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration.',
      unit: 'seconds',
      labelNames: ['http_response_status_code'],
    });
    const source = histogramTotals(metrics.registry, 'http_server_request_duration_seconds', (l) =>
      String(l.http_response_status_code).startsWith('5'),
    );
    const [slo] = defineSlos([availability]);
    const budget = createErrorBudget(slo!, { source, minEvents: 10 });
    const check = budget.healthCheck({ intervalMs: 1000 });
    expect(check).toMatchObject({
      name: 'error-budget',
      measurement: 'burnRate',
      critical: false,
      intervalMs: 1000,
    });
    expect(await check.check()).toEqual({ status: 'pass', observedValue: 0, observedUnit: 'x' });
    for (let i = 0; i < 95; i++) h.observe({ http_response_status_code: '200' }, 0.01);
    for (let i = 0; i < 5; i++) h.observe({ http_response_status_code: '503' }, 0.01);
    const out = await check.check();
    expect(out).toEqual({
      status: 'warn',
      output: 'error budget burning fast: burn rate 50 over the last 60 min (5 of 100 events bad)',
      observedValue: 50,
      observedUnit: 'x',
    });
  });

  it('refuses invalid options with every problem', () => {
    try {
      createErrorBudget({ objective: 1, windowMs: -5, warnBurnRate: 0 });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SloError);
      expect((err as SloError).code).toBe('IMMO_SLO_INVALID_OPTIONS');
      expect((err as SloError).issues).toEqual([
        'windowMs: expected > 0, received number -5',
        'warnBurnRate: expected > 0, received number 0',
        'objective: expected a ratio in (0, 1) or a percent below 100%, received 1',
      ]);
    }
  });
});
