import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineSlos, formatReport, SloError, sloReport } from '../src/index.js';
import { availability, billing, latency } from './fixtures.js';

// A stand-in for Prometheus' HTTP API, to pin how the report reads answers and failures (the sample
// app's integration test runs the report against a real Prometheus).
let server: Server;
let url: string;
const queries: string[] = [];
let refuse = false;
const answers: Record<string, Array<{ metric: Record<string, string>; value: [number, string] }>> = {
  'slo:compliance:ratio': [
    { metric: { slo: 'api-availability', service: 'api' }, value: [0, '0.9995'] },
    { metric: { slo: 'billing-run', service: 'api' }, value: [0, '0.98'] },
  ],
  'slo:error_budget_remaining:ratio': [
    { metric: { slo: 'api-availability', service: 'api' }, value: [0, '0.5'] },
    { metric: { slo: 'billing-run', service: 'api' }, value: [0, '-1'] },
  ],
  'slo:burn_rate:1h': [{ metric: { slo: 'api-availability', service: 'api' }, value: [0, 'NaN'] }],
};

beforeAll(async () => {
  server = createServer((req, res) => {
    const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
    queries.push(q);
    res.setHeader('content-type', 'application/json');
    if (refuse) {
      res.statusCode = 400;
      res.end(JSON.stringify({ status: 'error', error: 'parse error' }));
      return;
    }
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: answers[q] ?? [] } }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('report', () => {
  it('joins the recorded series with the specs: compliance, budget left, minutes, status, no data', async () => {
    const slos = defineSlos([availability, latency, billing]);
    const report = await sloReport(slos, { prometheus: url, time: new Date('2026-11-27T12:00:00Z') });
    expect(report.rows).toEqual([
      {
        slo: 'api-availability',
        service: 'api',
        window: '30d',
        objective: 0.999,
        compliance: 0.9995,
        budgetRemaining: 0.5,
        budgetMinutes: 43.2,
        remainingMinutes: 21.6,
        burnRate1h: undefined,
        status: 'met',
      },
      {
        slo: 'api-latency',
        service: 'api',
        window: '28d',
        objective: 0.99,
        compliance: undefined,
        budgetRemaining: undefined,
        budgetMinutes: 403.2,
        remainingMinutes: undefined,
        burnRate1h: undefined,
        status: 'no data',
      },
      {
        slo: 'billing-run',
        service: 'api',
        window: '30d',
        objective: 0.99,
        compliance: 0.98,
        budgetRemaining: -1,
        budgetMinutes: 432,
        remainingMinutes: -432,
        burnRate1h: undefined,
        status: 'missed',
      },
    ]);
    expect(report.notes[0]).toContain('43.8 min a month" is an average month of 30.44 days');
    const text = formatReport(report);
    expect(text).toContain(
      'api-availability  api      30d     99.9%      99.95%      50%          21.6 of 43.2',
    );
    expect(text.split('\n')[0]).toBe(`SLO report — 2026-11-27T12:00:00.000Z — ${url}`);
  });

  it('fails with IMMO_SLO_PROMETHEUS_QUERY naming the query when Prometheus refuses or is down', async () => {
    const slos = defineSlos([availability]);
    await expect(
      sloReport(slos, { prometheus: 'http://127.0.0.1:9', timeoutMs: 2000 }),
    ).rejects.toMatchObject({
      code: 'IMMO_SLO_PROMETHEUS_QUERY',
    });
    refuse = true;
    const err = await sloReport(slos, { prometheus: url }).catch((e: unknown) => e);
    refuse = false;
    expect(err).toBeInstanceOf(SloError);
    expect((err as SloError).issues).toEqual(['slo:compliance:ratio: parse error']);
  });
});
