import { requireTools } from '@immo/test-servers';
import autocannon from 'autocannon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type ServiceProcess, startDatabase, startService } from './helpers.js';

const tools = requireTools('sample app resilience', ['postgres']);

async function status(url: string): Promise<number> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe.skipIf(!tools.ok)('sample app resilience (the built server, real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  beforeAll(async () => {
    db = await startDatabase();
  }, 60_000);
  afterAll(async () => {
    await db?.stop();
  });

  it('turns readiness 503 within two check intervals of a database outage, keeps liveness 200 and recovers', async () => {
    const interval = 500;
    const service: ServiceProcess = await startService({
      DATABASE_URL: db.server.url,
      IMMO_HEALTH_CHECK_INTERVAL_MS: String(interval),
      IMMO_HEALTH_CHECK_TIMEOUT_MS: '400',
    });
    try {
      // Ready once the first database check has run (a probe before that answers 503, as it should).
      const ready = await eventually(
        () => status(`${service.url}/health/ready`),
        (s) => s === 200,
        5_000,
      );
      expect(ready).toBe(200);
      await db.server.pause();
      const stoppedAt = Date.now();
      let readyFailedAfter = -1;
      while (Date.now() - stoppedAt < 5_000) {
        if ((await status(`${service.url}/health/ready`)) === 503) {
          readyFailedAfter = Date.now() - stoppedAt;
          break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(readyFailedAfter).toBeGreaterThanOrEqual(0);
      expect(readyFailedAfter).toBeLessThanOrEqual(2 * interval);
      expect(await status(`${service.url}/health`)).toBe(200);
      // Requests that need the database fail cleanly; none takes the process down.
      const during = await Promise.all(Array.from({ length: 20 }, () => status(`${service.url}/api/orgs/1`)));
      expect(during.every((s) => s === 500 || s === 503)).toBe(true);
      const report = await (await fetch(`${service.url}/health/ready`)).text();
      expect(report).not.toContain(db.server.password);

      await db.server.resume();
      const resumedAt = Date.now();
      let recovered = false;
      while (Date.now() - resumedAt < 10_000) {
        if ((await status(`${service.url}/health/ready`)) === 200) {
          recovered = true;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(recovered).toBe(true);
      expect(await status(`${service.url}/api/orgs/1`)).toBe(200);
      expect(service.child.exitCode).toBeNull();
    } finally {
      service.kill();
    }
  }, 60_000);

  it('drains under steady load on SIGTERM: no failed request, readiness 503 during the delay, exit 0 before the deadline', async () => {
    const delay = 4_000;
    const deadline = 10_000;
    // The load stops here, 2.5 s before the server starts closing: room for a loaded CI machine.
    const loadStopsAt = 1_500;
    const service = await startService({
      DATABASE_URL: db.server.url,
      IMMO_HEALTH_PROPAGATION_DELAY_MS: String(delay),
      IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: String(deadline),
    });
    try {
      const failures: string[] = [];
      let ok = 0;
      let okAfterSignal = 0;
      let signalledAt = 0;
      // The callback form returns the instance (events, stop()); the result is not needed.
      const load = autocannon({ url: `${service.url}/api/orgs/1`, connections: 8, duration: 60 }, () => {});
      load.on('response', (_client, statusCode) => {
        if (statusCode === 200) {
          ok++;
          if (signalledAt > 0) okAfterSignal++;
        } else failures.push(`status ${statusCode}`);
      });
      load.on('reqError', (err) =>
        failures.push(
          `error ${err.message} ${signalledAt ? `${Date.now() - signalledAt} ms after SIGTERM` : 'before SIGTERM'}`,
        ),
      );
      await new Promise((r) => setTimeout(r, 1_000));

      signalledAt = Date.now();
      service.child.kill('SIGTERM');
      const readiness: { at: number; status: number }[] = [];
      // Kubernetes takes the pod out of the Service after readiness fails; the load stops there,
      // well inside the propagation delay, as traffic from a Service would. A timer stops it, not
      // the probe loop: on a loaded machine one probe can take longer than the slack.
      const stopped = new Promise((r) => load.once('done', r));
      const stopLoad = setTimeout(() => load.stop(), loadStopsAt);
      while (Date.now() - signalledAt < loadStopsAt) {
        const at = Date.now() - signalledAt;
        readiness.push({ at, status: await status(`${service.url}/health/ready`) });
        await new Promise((r) => setTimeout(r, 100));
      }
      await stopped;
      clearTimeout(stopLoad);

      const { code, at } = await service.exited;
      expect(failures).toEqual([]);
      expect(ok).toBeGreaterThan(0);
      expect(okAfterSignal).toBeGreaterThan(0);
      // The signal reaches the process a moment after kill(); from then on readiness fails at once
      // and stays failed for the whole delay.
      const firstFail = readiness.findIndex((r) => r.status === 503);
      expect(firstFail, JSON.stringify(readiness)).toBeGreaterThanOrEqual(0);
      expect(readiness[firstFail]!.at).toBeLessThan(500);
      expect(
        readiness.slice(firstFail).every((r) => r.status === 503),
        JSON.stringify(readiness),
      ).toBe(true);
      expect(code).toBe(0);
      expect(at - signalledAt).toBeGreaterThanOrEqual(delay);
      expect(at - signalledAt).toBeLessThan(deadline);
      const lines = service.lines();
      expect(lines.filter((l) => l.level === 'error' || l.level === 'fatal')).toEqual([]);
    } finally {
      service.kill();
    }
  }, 60_000);
});
