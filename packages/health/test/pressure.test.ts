import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { immoHealth } from '../src/fastify.js';
import type { Health } from '../src/index.js';
import { createTestHealth, forcePressure } from '../src/testing.js';
import { blockEventLoop, fakeMetrics } from './helpers.js';

let app: FastifyInstance | undefined;
let health: Health | undefined;
afterEach(async () => {
  await app?.close();
  health?.stop();
  app = undefined;
  health = undefined;
});

function until(h: Health, underPressure: boolean, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (h.underPressure === underPressure) return resolve();
    const timer = setTimeout(
      () => reject(new Error(`underPressure did not become ${underPressure}`)),
      timeoutMs,
    );
    const off = h.onChange(() => {
      if (h.underPressure !== underPressure) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

describe('load shedding under real event-loop delay', () => {
  it('sheds requests with 503 and Retry-After after the event loop was blocked, probes exempt, then recovers', async () => {
    const m = fakeMetrics();
    health = createTestHealth({
      metrics: m.registry,
      pressure: { maxEventLoopDelayMs: 100, sampleIntervalMs: 500, retryAfterSeconds: 2 },
    });
    app = Fastify();
    await app.register(immoHealth, { health, routes: true });
    app.get('/api/work', async () => ({ ok: true }));
    await app.ready();
    expect((await app.inject('/api/work')).statusCode).toBe(200);
    // the delay monitor measures between its own timer ticks: let it tick once before the stall
    await new Promise((r) => setTimeout(r, 100));
    blockEventLoop(400);
    await until(health, true);
    expect(m.values.get('immo_health_pressure{type="event_loop_delay"}')).toBe(1);

    const shed = await app.inject('/api/work');
    expect(shed.statusCode).toBe(503);
    expect(shed.headers['retry-after']).toBe('2');
    expect((await app.inject('/health')).statusCode).toBe(200);
    const ready = await app.inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks['process:pressure'][0]).toMatchObject({
      status: 'warn',
      output: 'under pressure: event_loop_delay',
      observedUnit: 'ms',
    });
    expect(ready.json().checks['process:pressure'][0].observedValue).toBeGreaterThan(100);

    await until(health, false);
    expect((await app.inject('/api/work')).statusCode).toBe(200);
    expect(m.values.get('immo_health_pressure{type="event_loop_delay"}')).toBe(0);
  });

  it('sheds on heap and RSS limits', async () => {
    health = createTestHealth({
      pressure: { maxEventLoopDelayMs: 0, maxHeapUsedBytes: 1, maxRssBytes: 1, sampleIntervalMs: 50 },
    });
    health.start();
    await until(health, true);
    expect(health.readiness().report.checks['process:pressure']?.[0]?.output).toBe(
      'under pressure: heap, rss',
    );
  });

  it('lets a test force pressure on and off', () => {
    health = createTestHealth({ pressure: {} });
    forcePressure(health, true);
    expect(health.underPressure).toBe(true);
    forcePressure(health, undefined);
    expect(health.underPressure).toBe(false);
    expect(() => forcePressure(createTestHealth(), true)).toThrow(/pressure: false/);
  });
});
