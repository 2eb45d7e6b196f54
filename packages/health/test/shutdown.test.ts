import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { kInternals } from '../src/health.js';
import { createHealth, type Health } from '../src/index.js';
import { captureLogger, fakeMetrics, hang, quiet } from './helpers.js';

let health: Health | undefined;
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  health?.stop();
  health = undefined;
  vi.useRealTimers();
});

function make(extra: Parameters<typeof createHealth>[0] = {}) {
  const exit = vi.fn();
  const events: string[] = [];
  health = createHealth({
    ...quiet,
    exit,
    propagationDelayMs: 1000,
    shutdownDeadlineMs: 10_000,
    closeTimeoutMs: 2000,
    hookTimeoutMs: 500,
    ...extra,
  });
  health.markStarted();
  return { health, exit, events };
}

describe('shutdown sequence', () => {
  it('fails readiness at once, keeps serving for the propagation delay, drains, runs hooks in reverse and exits 0', async () => {
    const { health: h, exit, events } = make();
    h.onShutdown('pg pool', () => void events.push('pg pool'));
    h.onShutdown('logger', async () => {
      await new Promise((r) => setTimeout(r, 10));
      events.push('logger');
    });
    // what the Fastify plugin attaches: the app's close()
    h[kInternals].attach({ close: async () => void events.push('close') });

    const done = h.shutdown({ reason: 'SIGTERM' });
    expect(h.readiness().statusCode).toBe(503);
    expect(h.readiness().report.checks.shutdown?.[0]).toMatchObject({
      status: 'fail',
      output: 'shutting down',
    });
    expect(h.liveness().statusCode).toBe(200);

    await vi.advanceTimersByTimeAsync(999);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(events).toEqual(['close']);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(10);
    const result = await done;
    expect(events).toEqual(['close', 'logger', 'pg pool']);
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
    expect(result).toMatchObject({ reason: 'SIGTERM', exitCode: 0, deadlineExceeded: false });
    expect(result.phases.map((p) => p.phase)).toEqual(['propagation', 'drain', 'hooks', 'total']);
    expect(result.hooks).toEqual([
      { name: 'logger', outcome: 'ok', durationMs: expect.any(Number) },
      { name: 'pg pool', outcome: 'ok', durationMs: expect.any(Number) },
    ]);
  });

  it('moves on when a hook times out or throws, and reports each', async () => {
    const logger = captureLogger();
    const { health: h, exit } = make({ propagationDelayMs: 0, logger });
    const after = vi.fn();
    let aborted = false;
    h.onShutdown('last', after);
    h.onShutdown('throws', () => {
      throw new Error('pool already closed');
    });
    h.onShutdown(
      'hangs',
      (signal) => {
        signal.addEventListener('abort', () => (aborted = true));
        return hang();
      },
      { timeoutMs: 300 },
    );
    const done = h.shutdown();
    await vi.advanceTimersByTimeAsync(299);
    expect(after).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    const result = await done;
    expect(aborted).toBe(true);
    expect(after).toHaveBeenCalledOnce();
    expect(result.hooks.map((x) => [x.name, x.outcome, x.error])).toEqual([
      ['hangs', 'timeout', 'timed out after 300 ms'],
      ['throws', 'error', 'Error: pool already closed'],
      ['last', 'ok', undefined],
    ]);
    expect(exit).toHaveBeenCalledWith(0);
    expect(logger.entries.filter((e) => e.level === 'error').map((e) => e.msg)).toEqual([
      'shutdown hook "hangs" timed out',
      'shutdown hook "throws" failed',
    ]);
  });

  it('runs the hooks after the close timeout when the servers do not drain', async () => {
    const { health: h, exit } = make({ propagationDelayMs: 0 });
    h[kInternals].attach({ close: hang });
    const hook = vi.fn();
    h.onShutdown('db', hook);
    void h.shutdown();
    await vi.advanceTimersByTimeAsync(1999);
    expect(hook).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(hook).toHaveBeenCalledOnce();
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('exits 1 at the deadline whatever still runs', async () => {
    const logger = captureLogger();
    const { health: h, exit } = make({ shutdownDeadlineMs: 3000, hookTimeoutMs: 60_000, logger });
    h.onShutdown('stuck', hang);
    const done = h.shutdown();
    await vi.advanceTimersByTimeAsync(2999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    expect(await done).toMatchObject({ deadlineExceeded: true, exitCode: 1 });
    expect(logger.entries.find((e) => e.level === 'error')?.msg).toBe(
      'shutdown deadline reached during hooks: exiting now',
    );
  });

  it('returns the same promise when called twice', () => {
    const { health: h } = make();
    expect(h.shutdown()).toBe(h.shutdown());
  });

  it('passes a requested exit code through', async () => {
    const { health: h, exit } = make({ propagationDelayMs: 0 });
    void h.shutdown({ exitCode: 3 });
    await vi.advanceTimersByTimeAsync(0);
    expect(exit).toHaveBeenCalledWith(3);
  });

  it('records the duration of each phase', async () => {
    const m = fakeMetrics();
    const { health: h } = make({ metrics: m.registry });
    void h.shutdown();
    await vi.advanceTimersByTimeAsync(1000);
    expect(m.values.get('immo_health_shutdown_phase_duration_seconds{phase="propagation"}')).toBeCloseTo(
      1,
      2,
    );
    expect(m.values.has('immo_health_shutdown_phase_duration_seconds{phase="drain"}')).toBe(true);
    expect(m.values.has('immo_health_shutdown_phase_duration_seconds{phase="hooks"}')).toBe(true);
    expect(m.values.get('immo_health_shutdown_phase_duration_seconds{phase="total"}')).toBeCloseTo(1, 2);
  });

  it('stops running checks once shutting down', async () => {
    const check = vi.fn(() => true);
    const { health: h } = make({ checks: [{ name: 'db', check }], checkIntervalMs: 100 });
    h.start();
    await vi.advanceTimersByTimeAsync(0);
    void h.shutdown();
    await vi.advanceTimersByTimeAsync(1000);
    expect(check).toHaveBeenCalledTimes(1);
  });
});

describe('signals', () => {
  function withSignals(extra: Parameters<typeof createHealth>[0] = {}) {
    const before = process.listenerCount('SIGTERM');
    const made = make({ handleSignals: true, ...extra });
    made.health.start();
    return { ...made, before };
  }

  it('starts the sequence on SIGTERM and exits 0', async () => {
    const { health: h, exit } = withSignals();
    process.emit('SIGTERM', 'SIGTERM');
    expect(h.shuttingDown).toBe(true);
    expect(h.readiness().statusCode).toBe(503);
    await vi.advanceTimersByTimeAsync(1000);
    expect(exit).toHaveBeenCalledExactlyOnceWith(0);
  });

  it('exits at once on a second signal', async () => {
    const { health: h, exit } = withSignals();
    process.emit('SIGTERM', 'SIGTERM');
    await vi.advanceTimersByTimeAsync(10);
    expect(exit).not.toHaveBeenCalled();
    process.emit('SIGINT', 'SIGINT');
    expect(exit).toHaveBeenCalledExactlyOnceWith(130);
    expect(h.shuttingDown).toBe(true);
  });

  it('removes its listeners on stop()', () => {
    const { health: h, before } = withSignals();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    h.stop();
    expect(process.listenerCount('SIGTERM')).toBe(before);
  });

  it('lets only one instance per process handle signals', () => {
    const logger = captureLogger();
    const { before } = withSignals();
    const second = createHealth({ ...quiet, handleSignals: true, logger });
    second.start();
    expect(process.listenerCount('SIGTERM')).toBe(before + 1);
    expect(logger.entries[0]?.msg).toMatch(/another @immo\/health instance/);
    second.stop();
  });
});
