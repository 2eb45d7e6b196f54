import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestHealth } from '@immo/health/testing';
import { captureLogs } from '@immo/logger/testing';
import {
  dashboardQueries,
  lintDashboard,
  overviewDashboard,
  recordingRules,
  substituteVariables,
  toPrometheusRuleFile,
} from '@immo/metrics/mixin';
import { createTestMetrics } from '@immo/metrics/testing';
import { type PrometheusServer, requireTools, startPrometheus } from '@immo/test-servers';
import { parser } from '@prometheus-io/lezer-promql';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildApp } from '../src/app.js';
import { eventually, query, startDatabase } from './helpers.js';

const execFileAsync = promisify(execFile);
const tools = requireTools('sample app scraped by Prometheus', ['postgres', 'prometheus', 'promtool']);

/** Parse errors of a PromQL expression (lezer marks them with error nodes). */
function parseErrors(expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: "${expr.slice(node.from, node.to + 10)}"`);
    },
  });
  return errors;
}

describe.skipIf(!tools.ok)('sample app scraped by a real Prometheus', () => {
  let db: Awaited<ReturnType<typeof startDatabase>>;
  let app: FastifyInstance;
  let prom: PrometheusServer;
  let target: string;
  let traffic: NodeJS.Timeout;
  const rules = toPrometheusRuleFile(recordingRules());

  beforeAll(async () => {
    db = await startDatabase();
    const { logger } = captureLogs({ service: 'sample-app' });
    app = await buildApp({
      logger,
      pool: db.pool,
      health: createTestHealth(),
      metrics: createTestMetrics({ service: 'sample-app', runtimeMetrics: true }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    target = `127.0.0.1:${(app.server.address() as { port: number }).port}`;
    prom = await startPrometheus({
      scrapeTargets: [target],
      rules: { 'sample-app.rules.yml': { ...rules } },
    });
    // Steady traffic with a few failures and 404s, as the dashboard's panels expect.
    let n = 0;
    traffic = setInterval(() => {
      n++;
      const url = [
        `/api/orgs/${(n % 2) + 1}`,
        '/api/orgs/1/properties',
        '/api/properties/10/units',
        '/api/orgs/999',
        '/nope',
      ][n % 5];
      void fetch(`http://${target}${url}`)
        .then((r) => r.arrayBuffer())
        .catch(() => {});
    }, 20);
  }, 90_000);

  afterAll(async () => {
    clearInterval(traffic);
    await prom?.stop();
    await app?.close();
    await db?.stop();
  });

  it('passes promtool check rules with the recording rules it evaluates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sample-rules-'));
    try {
      const file = join(dir, 'rules.yml');
      writeFileSync(file, stringify(rules));
      const { stdout } = await execFileAsync(tools.path('promtool'), ['check', 'rules', file]);
      expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns data for every overview dashboard query, with its variables substituted', async () => {
    const dashboard = overviewDashboard();
    expect(lintDashboard(dashboard)).toEqual([]);
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(8);
    // Scrapes every 1 s: a 10 s rate window holds enough samples (Grafana's $__rate_interval is at least 4 scrapes).
    const values = { job: 'targets', instance: target, service: 'sample-app', __rate_interval: '10s' };
    const empty: string[] = [];
    for (const q of queries) {
      const expr = substituteVariables(q.expr, values);
      expect(parseErrors(expr), `${q.panel}: ${expr}`).toEqual([]);
      const result = await eventually(
        () => query(prom, expr),
        (r) => r.length > 0,
        30_000,
      );
      if (result.length === 0) empty.push(`${q.panel}: ${expr}`);
    }
    expect(empty).toEqual([]);
  }, 120_000);

  it('evaluates the recording rules into series for the service', async () => {
    const result = await eventually(
      () => query(prom, 'service:http_server_requests:rate5m{service="sample-app"}'),
      (r) => r.length > 0,
      30_000,
    );
    expect(result.length).toBe(1);
    const ratio = await eventually(
      () => query(prom, 'service:http_server_request_errors:ratio_rate5m{service="sample-app"}'),
      (r) => r.length > 0,
      30_000,
    );
    expect(ratio.length).toBe(1);
  }, 90_000);
});
