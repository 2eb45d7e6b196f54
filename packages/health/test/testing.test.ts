import Fastify from 'fastify';
import { describe, expect, it, vi } from 'vitest';
import { immoHealth } from '../src/fastify.js';
import { createTestHealth, forceCheck, runShutdown, waitForStatus } from '../src/testing.js';

describe('testing helpers', () => {
  it('createTestHealth installs nothing process-wide and is started', () => {
    const before = process.listenerCount('SIGTERM');
    const health = createTestHealth({ checks: [{ name: 'db', check: () => true }] });
    health.start();
    expect(process.listenerCount('SIGTERM')).toBe(before);
    expect(health.started).toBe(true);
    expect(health.options).toMatchObject({ propagationDelayMs: 0, pressure: false, metrics: false });
    health.stop();
  });

  it('forceCheck overrides a real check until cleared, and adds a stub for an unknown name', async () => {
    const check = vi.fn(() => true);
    const health = createTestHealth({ checks: [{ name: 'db', check }] });
    forceCheck(health, 'db', 'fail');
    expect(health.readiness().statusCode).toBe(503);
    await health.runChecks();
    expect(check).not.toHaveBeenCalled();
    expect(health.readiness().statusCode).toBe(503);
    forceCheck(health, 'db', undefined);
    await health.runChecks();
    expect(check).toHaveBeenCalledOnce();
    expect(health.readiness().statusCode).toBe(200);
    forceCheck(health, 'payments-api', { status: 'warn', output: 'slow' });
    expect(health.readiness().report.checks['payments-api:responseTime']?.[0]).toMatchObject({
      status: 'warn',
      output: 'slow',
    });
  });

  it('waitForStatus resolves on the change and rejects with the last answer on timeout', async () => {
    const health = createTestHealth({ started: false });
    const started = waitForStatus(health, 'pass', { probe: 'startup', timeoutMs: 1000 });
    health.markStarted();
    expect((await started).statusCode).toBe(200);
    await expect(waitForStatus(health, 'fail', { timeoutMs: 20 })).rejects.toThrow(
      /readiness did not become "fail" within 20 ms; last answer: \{"status":"pass"/,
    );
  });

  it('runShutdown runs the whole sequence, closing a Fastify app, without exiting', async () => {
    const exit = vi.fn();
    const health = createTestHealth({ exit });
    const order: string[] = [];
    health.onShutdown('first registered', () => void order.push('first registered'));
    health.onShutdown('last registered', () => void order.push('last registered'));
    const app = Fastify();
    await app.register(immoHealth, { health });
    await app.ready();
    const result = await runShutdown(health, { reason: 'test' });
    expect(order).toEqual(['last registered', 'first registered']);
    expect(result).toMatchObject({ reason: 'test', exitCode: 0, deadlineExceeded: false });
    expect(exit).not.toHaveBeenCalled();
    expect(app.server.listening).toBe(false);
  });
});
