import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHealth, pgCheck } from '@immo/health';
import { alertmanagerConfig } from '@immo/k8s-manifests';
import { captureLogs } from '@immo/logger/testing';
import { metricsMixin, parseDuration, toPrometheusRuleFile } from '@immo/metrics/mixin';
import { createTestMetrics } from '@immo/metrics/testing';
import {
  type AlertmanagerServer,
  type NotificationReceiver,
  type PrometheusServer,
  type ReceivedNotification,
  requireTools,
  startAlertmanager,
  startNotificationReceiver,
  startPrometheus,
} from '@immo/test-servers';
import { createTestTracing, type TestTracing } from '@immo/tracing/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleAppMixin } from '../src/alerts.js';
import { buildApp } from '../src/app.js';
import { recordBackup } from '../src/backups.js';
import { RUNBOOKS } from '../src/k8s.js';
import { startDatabase } from './helpers.js';

const tools = requireTools('alerting end to end', ['postgres', 'prometheus', 'alertmanager']);

/**
 * The test option of the rules: `for:` shortened so the suite fits CI (the promtool unit tests in
 * k8s.test.ts check the production durations). HighErrorRate keeps a longer `for:` than
 * CriticalErrorRate, as in production (15m vs 5m), so the P0 is firing, and inhibits it, first.
 */
const SHORT_FOR = {
  CriticalErrorRate: '10s',
  HighErrorRate: '20s',
  ServiceDegraded: '10s',
  DbConnectionsCritical: '10s',
  TargetDown: '10s',
  TargetMissing: '10s',
};
const LONGEST_FOR_MS = Math.max(...Object.values(SHORT_FOR).map((f) => parseDuration(f)!));

const rules = toPrometheusRuleFile([
  ...metricsMixin({
    rules: { selector: 'service="sample-app"' },
    alerts: { runbookBaseUrl: RUNBOOKS, job: 'sample-app', selector: 'service="sample-app"', for: SHORT_FOR },
  }).groups,
  ...sampleAppMixin({ runbookBaseUrl: RUNBOOKS, for: { BackupMissing: '10s', AuthFailuresHigh: '10s' } })
    .groups,
] as never);

describe.skipIf(!tools.ok)(
  'alerting end to end: sample app → Prometheus → Alertmanager → PagerDuty/Slack',
  () => {
    let db: Awaited<ReturnType<typeof startDatabase>>;
    let app: FastifyInstance;
    let rx: NotificationReceiver;
    let am: AlertmanagerServer;
    let prom: PrometheusServer;
    let traffic: NodeJS.Timeout | undefined;
    let path = '/api/orgs/1';
    let tracing: TestTracing;
    const secrets = mkdtempSync(join(tmpdir(), 'alerting-e2e-'));
    const routingKey = 'e2e0routing0key0000000000000000a';
    const timings: Record<string, number> = {};

    const paging = (n: ReceivedNotification) => n.kind !== 'webhook';
    const isFor = (alertname: string) => (n: ReceivedNotification) =>
      JSON.stringify(n.body).includes(alertname);

    beforeAll(async () => {
      db = await startDatabase();
      // A fresh backup, so that only the stale-backup fault below makes BackupMissing fire.
      await recordBackup(db.pool, { finishedAt: new Date(), ok: true });
      rx = await startNotificationReceiver();
      writeFileSync(join(secrets, 'pagerduty-routing-key'), `${routingKey}\n`);
      writeFileSync(join(secrets, 'slack-p1'), rx.slackUrl('p1'));
      writeFileSync(join(secrets, 'slack-p2'), rx.slackUrl('p2'));
      am = await startAlertmanager({
        config: alertmanagerConfig({
          pagerduty: { routingKeyFile: join(secrets, 'pagerduty-routing-key'), url: rx.pagerdutyUrl },
          slack: {
            P1: { channel: '#billing-alerts', apiUrlFile: join(secrets, 'slack-p1') },
            P2: { channel: '#billing-notices', apiUrlFile: join(secrets, 'slack-p2') },
          },
          heartbeat: { url: rx.webhookUrl('heartbeat') },
          timing: { groupWait: '1s', groupInterval: '2s', repeatInterval: '1h' },
        }),
      });

      const { logger } = captureLogs({ service: 'sample-app' });
      // Every request sampled: its trace id becomes the exemplar of its duration observation.
      tracing = createTestTracing({ serviceName: 'sample-app' });
      const metrics = createTestMetrics({ service: 'sample-app', exemplars: true });
      const health = createHealth({
        service: 'sample-app',
        checks: [pgCheck(db.pool, { timeoutMs: 500 })],
        checkIntervalMs: 500,
        metrics,
        handleSignals: false,
        handleUncaught: false,
        pressure: false,
        propagationDelayMs: 0,
        exit: () => {},
      });
      app = await buildApp({ logger, pool: db.pool, health, metrics, backupAgeRefreshMs: 500 });
      // The 5xx fault: a route that fails the way an unhandled bug does.
      app.get('/api/fault', async () => {
        throw new Error('injected fault');
      });
      await app.listen({ host: '127.0.0.1', port: 0 });
      health.markStarted();
      const target = `127.0.0.1:${(app.server.address() as { port: number }).port}`;
      prom = await startPrometheus({
        config: {
          scrape_configs: [
            // The operator's ServiceMonitor adds `service` (the Kubernetes Service's name) to `up`.
            {
              job_name: 'sample-app',
              honor_labels: true,
              static_configs: [{ targets: [target], labels: { service: 'sample-app' } }],
            },
          ],
        },
        rules: { 'sample-app.rules.yml': rules as never },
        alertmanagers: [am.address],
        // Real exemplar links (Grafana's Prometheus → Tempo) need exemplar storage; resend-delay 1s
        // keeps alert delivery in seconds, as the shortened for: durations assume.
        extraArgs: ['--enable-feature=exemplar-storage', '--rules.alert.resend-delay=1s'],
      });
      traffic = setInterval(() => {
        void fetch(`http://${target}${path}`)
          .then((r) => r.arrayBuffer())
          .catch(() => {});
      }, 20);
    }, 120_000);

    afterAll(async () => {
      if (traffic) clearInterval(traffic);
      await prom?.stop();
      await am?.stop();
      await rx?.stop();
      await app?.close();
      await db?.stop();
      await tracing?.close();
      rmSync(secrets, { recursive: true, force: true });
      if (Object.keys(timings).length)
        process.stdout.write(`alerting e2e, fault → delivery: ${JSON.stringify(timings)}\n`);
    });

    it('clean traffic pages nobody for longer than the longest for:, while the heartbeat arrives', async () => {
      await new Promise((r) => setTimeout(r, LONGEST_FOR_MS + 5_000));
      await rx.waitFor((n) => n.path === '/webhook/heartbeat', 30_000);
      expect(rx.notifications().filter(paging)).toEqual([]);
      expect(rx.errors).toEqual([]);
    }, 90_000);

    it('Prometheus stores exemplars whose trace_id is a span the service exported (the Grafana exemplar link)', async () => {
      const end = Date.now() / 1000;
      const q = encodeURIComponent('http_server_request_duration_seconds_bucket{service="sample-app"}');
      const res = await fetch(`${prom.url}/api/v1/query_exemplars?query=${q}&start=${end - 300}&end=${end}`);
      const body = (await res.json()) as {
        data: Array<{ exemplars: Array<{ labels: { trace_id?: string } }> }>;
      };
      const ids = body.data.flatMap((d) => d.exemplars.map((e) => e.labels.trace_id)).filter(Boolean);
      expect(ids.length).toBeGreaterThan(0);
      const exported = new Set((await tracing.spans()).map((sp) => sp.spanContext().traceId));
      expect(exported).toContain(ids[0]);
    }, 30_000);

    it('a stale backup reaches Slack channel A (P1) with a Slack payload, and resolves after a fresh backup', async () => {
      const t0 = Date.now();
      await db.pool.query('DELETE FROM backups');
      await recordBackup(db.pool, { finishedAt: new Date(Date.now() - 30 * 3600_000), ok: true });
      const n = await rx.waitFor((x) => x.path === '/slack/p1' && isFor('BackupMissing')(x), 90_000, t0);
      timings.BackupMissing_P1_slack_s = (n.at - t0) / 1000;
      const a = (n.body.attachments as Array<Record<string, string>>)[0]!;
      expect(n.body.channel).toBe('#billing-alerts');
      expect(a.title).toMatch(/^\[FIRING:1\] BackupMissing \(sample-app\)$/);
      expect(a.text).toContain('*The last successful database backup is too old.*');
      expect(a.text).toContain(`Runbook: ${RUNBOOKS}/BackupMissing.md`);
      expect(a.color).toBe('danger');
      expect(rx.notifications().filter((x) => x.kind === 'pagerduty')).toEqual([]);

      const t1 = Date.now();
      await recordBackup(db.pool, { finishedAt: new Date(), ok: true });
      const resolved = await rx.waitFor(
        (x) => x.path === '/slack/p1' && JSON.stringify(x.body).includes('[RESOLVED] BackupMissing'),
        90_000,
        t1,
      );
      timings.BackupMissing_resolved_s = (resolved.at - t1) / 1000;
    }, 200_000);

    it('a burst of 5xx pages PagerDuty (P0) with an Events API v2 body; the P1 of the same service is inhibited', async () => {
      const t0 = Date.now();
      path = '/api/fault';
      const n = await rx.waitFor((x) => x.kind === 'pagerduty' && isFor('CriticalErrorRate')(x), 90_000, t0);
      timings.CriticalErrorRate_P0_pagerduty_s = (n.at - t0) / 1000;
      expect(n.body).toMatchObject({
        routing_key: routingKey,
        event_action: 'trigger',
        client: 'Alertmanager',
        payload: { severity: 'critical', source: expect.any(String) },
      });
      const payload = n.body.payload as { summary: string; custom_details: Record<string, string> };
      expect(payload.summary).toMatch(
        /^CriticalErrorRate \(sample-app\): Many requests fail with a server error\.$/,
      );
      expect(payload.custom_details).toMatchObject({
        priority: 'P0',
        service: 'sample-app',
        runbook_url: `${RUNBOOKS}/CriticalErrorRate.md`,
      });
      expect(n.body.links).toEqual([{ href: `${RUNBOOKS}/CriticalErrorRate.md`, text: 'Runbook' }]);
      // HighErrorRate fires 10 s later; the P0 of the same service inhibits it: no Slack message.
      await new Promise((r) => setTimeout(r, 15_000));
      expect(rx.notifications().filter((x) => x.kind === 'slack' && isFor('HighErrorRate')(x))).toEqual([]);
      const alerts = (await (
        await fetch(`${am.url}/api/v2/alerts?filter=alertname="HighErrorRate"`)
      ).json()) as Array<{
        status: { state: string };
      }>;
      expect(alerts.map((a) => a.status.state)).toEqual(['suppressed']);
    }, 200_000);

    it('stopping the database pages PagerDuty with ServiceDegraded (readiness fails on every instance)', async () => {
      path = '/api/orgs/1';
      const t0 = Date.now();
      await db.server.stop();
      const n = await rx.waitFor((x) => x.kind === 'pagerduty' && isFor('ServiceDegraded')(x), 90_000, t0);
      timings.ServiceDegraded_P0_pagerduty_s = (n.at - t0) / 1000;
      expect((n.body.payload as { summary: string }).summary).toBe(
        'ServiceDegraded (sample-app): Most instances of the service fail their readiness checks.',
      );
      // Every page went to the P0 receiver, every P1 to channel A; nothing reached channel B.
      expect(rx.notifications().filter((x) => x.path === '/slack/p2')).toEqual([]);
      // Every request the receiver got had the shape the real services require.
      expect(rx.errors).toEqual([]);
    }, 200_000);
  },
);
