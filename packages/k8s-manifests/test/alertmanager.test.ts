import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AlertmanagerServer, requireTools, startAlertmanager } from '@immo/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  type AlertmanagerConfigOptions,
  alertmanagerConfig,
  alertmanagerSecret,
  alertmanagerYaml,
  type K8sManifestsError,
  RECEIVERS,
} from '../src/index.js';

const execFileAsync = promisify(execFile);
const tools = requireTools('Alertmanager configuration', ['amtool', 'alertmanager']);
const tmp = mkdtempSync(join(tmpdir(), 'immo-k8s-am-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const secrets = {
  pd: join(tmp, 'pagerduty-routing-key'),
  p1: join(tmp, 'slack-p1-url'),
  p2: join(tmp, 'slack-p2-url'),
};
writeFileSync(secrets.pd, 'R0UTINGKEY0000000000000000000000\n');
writeFileSync(secrets.p1, 'http://127.0.0.1:9/slack/p1\n');
writeFileSync(secrets.p2, 'http://127.0.0.1:9/slack/p2\n');

const options: AlertmanagerConfigOptions = {
  pagerduty: { routingKeyFile: secrets.pd, url: 'http://127.0.0.1:9/v2/enqueue' },
  slack: {
    P1: { channel: '#billing-alerts', apiUrlFile: secrets.p1 },
    P2: { channel: '#billing-notices', apiUrlFile: secrets.p2 },
  },
  heartbeat: { url: 'http://127.0.0.1:9/heartbeat' },
};

describe('alertmanagerConfig', () => {
  it('routes by priority, sends resolved notifications, and keeps secrets out of the file', () => {
    const text = alertmanagerYaml(options);
    const config = YAML.parse(text);
    expect(config.route.group_by).toEqual(['service', 'alertname']);
    expect(config.route.routes.map((r: { receiver: string }) => r.receiver)).toEqual([
      RECEIVERS.heartbeat,
      RECEIVERS.P0,
      RECEIVERS.P1,
      RECEIVERS.P2,
    ]);
    const receivers = Object.fromEntries(config.receivers.map((r: { name: string }) => [r.name, r]));
    expect(receivers[RECEIVERS.P0].pagerduty_configs[0]).toMatchObject({
      routing_key_file: secrets.pd,
      send_resolved: true,
    });
    expect(receivers[RECEIVERS.P1].slack_configs[0]).toMatchObject({
      channel: '#billing-alerts',
      api_url_file: secrets.p1,
      send_resolved: true,
    });
    expect(receivers[RECEIVERS.P2].slack_configs[0]).toMatchObject({
      channel: '#billing-notices',
      send_resolved: true,
    });
    expect(config.inhibit_rules).toEqual([
      {
        source_matchers: ['priority="P0"', 'service=~".+"'],
        target_matchers: ['priority=~"P1|P2"', 'alertname!="Watchdog"'],
        equal: ['service'],
      },
    ]);
    expect(text).not.toContain('R0UTINGKEY');
    expect(text).not.toContain('127.0.0.1:9/slack');
  });

  it('lists every bad option at once', () => {
    let err: K8sManifestsError | undefined;
    try {
      alertmanagerConfig({
        pagerduty: { routingKeyFile: 'relative/key' },
        slack: { P1: { channel: 'billing alerts', apiUrlFile: secrets.p1 }, P2: options.slack.P2 },
        heartbeat: {} as never,
        timing: { groupWait: 'soon' },
      });
    } catch (e) {
      err = e as K8sManifestsError;
    }
    expect(err?.code).toBe('IMMO_K8S_INVALID_OPTIONS');
    expect(err?.issues).toEqual([
      'pagerduty.routingKeyFile: expected an absolute file path (mounted from a Secret), received "relative/key"',
      'slack.P1.channel: expected a channel such as "#billing-alerts", received "billing alerts"',
      'heartbeat.url: expected string, received undefined',
      'timing.groupWait: expected a Prometheus duration such as "30s" or "4h", received "soon"',
    ]);
  });

  it('wraps the configuration in the Secret the Prometheus operator reads', () => {
    const secret = alertmanagerSecret(options, { name: 'main', namespace: 'monitoring' }) as unknown as {
      metadata: { name: string };
      stringData: Record<string, string>;
    };
    expect(secret.metadata.name).toBe('alertmanager-main');
    expect(YAML.parse(secret.stringData['alertmanager.yaml']!)).toEqual(alertmanagerConfig(options));
  });
});

describe.skipIf(!tools.ok)('the rendered configuration in the real amtool and Alertmanager', () => {
  const file = join(tmp, 'alertmanager.yml');
  let am: AlertmanagerServer;
  beforeAll(async () => {
    writeFileSync(file, alertmanagerYaml(options));
    am = await startAlertmanager({ config: alertmanagerYaml(options) });
  });
  afterAll(async () => {
    await am?.stop();
  });

  it('passes amtool check-config', async () => {
    const { stdout } = await execFileAsync(tools.path('amtool'), ['check-config', file]);
    expect(stdout).toMatch(/SUCCESS/);
    expect(stdout).toMatch(/4 receivers/);
  });

  // amtool config routes test exits 1 when the labels reach another receiver than the one given.
  const table: Array<[string, string[]]> = [
    [RECEIVERS.P0, ['alertname=CriticalErrorRate', 'priority=P0', 'severity=critical', 'service=billing']],
    [
      RECEIVERS.P0,
      ['alertname=DbConnectionsCritical', 'priority=P0', 'severity=critical', 'service=payments'],
    ],
    [RECEIVERS.P1, ['alertname=HighErrorRate', 'priority=P1', 'severity=warning', 'service=billing']],
    [RECEIVERS.P1, ['alertname=BackupMissing', 'priority=P1', 'severity=warning']],
    [RECEIVERS.P2, ['alertname=SloBudgetBurnSlow', 'priority=P2', 'severity=info', 'service=billing']],
    [RECEIVERS.P2, ['alertname=SomethingNew', 'severity=warning', 'service=billing']],
    [RECEIVERS.heartbeat, ['alertname=Watchdog', 'priority=P2', 'severity=info']],
    [RECEIVERS.heartbeat, ['alertname=Watchdog', 'priority=P0']],
  ];
  const routeTest = (receiver: string, labels: readonly string[]) =>
    execFileAsync(tools.path('amtool'), [
      'config',
      'routes',
      'test',
      `--config.file=${file}`,
      `--verify.receivers=${receiver}`,
      ...labels,
    ]);
  for (const [receiver, labels] of table) {
    it(`routes ${labels.join(' ')} to ${receiver}`, async () => {
      await expect(routeTest(receiver, labels)).resolves.toMatchObject({ stdout: `${receiver}\n` });
    });
  }

  it('a wrong expectation makes amtool fail (the table above can fail)', async () => {
    await expect(routeTest(RECEIVERS.P1, ['priority=P0'])).rejects.toMatchObject({ code: 1 });
  });

  it('a firing P0 inhibits the P1 and P2 alerts of the same service only (running Alertmanager)', async () => {
    const alert = (alertname: string, priority: string, service: string) => ({
      labels: { alertname, priority, service, severity: priority === 'P0' ? 'critical' : 'warning' },
      annotations: { summary: `${alertname}.` },
      startsAt: new Date().toISOString(),
    });
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        alert('CriticalErrorRate', 'P0', 'billing'),
        alert('HighErrorRate', 'P1', 'billing'),
        alert('SloBudgetBurnSlow', 'P2', 'billing'),
        alert('HighErrorRate', 'P1', 'payments'),
        // A P0 without a service label (another team's rule) must not inhibit alerts that have no
        // service label either (a missing label counts as equal), least of all the heartbeat.
        {
          labels: { alertname: 'ClusterDown', priority: 'P0', severity: 'critical' },
          startsAt: new Date().toISOString(),
        },
        {
          labels: { alertname: 'Watchdog', priority: 'P2', severity: 'info' },
          startsAt: new Date().toISOString(),
        },
        {
          labels: { alertname: 'TargetMissing', priority: 'P1', severity: 'warning', job: 'billing' },
          startsAt: new Date().toISOString(),
        },
      ]),
    });
    expect(res.status).toBe(200);
    type State = { labels: Record<string, string>; status: { state: string; inhibitedBy: string[] } };
    let alerts: State[] = [];
    // a deadline, not a count of tries: each fetch is slower on a loaded CI machine
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      alerts = (await (await fetch(`${am.url}/api/v2/alerts`)).json()) as State[];
      if (alerts.length === 7 && alerts.filter((a) => a.status.state === 'suppressed').length === 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const state = (name: string, service: string) =>
      alerts.find((a) => a.labels.alertname === name && a.labels.service === service)?.status;
    expect(state('CriticalErrorRate', 'billing')).toMatchObject({ state: 'active', inhibitedBy: [] });
    expect(state('HighErrorRate', 'billing')?.state).toBe('suppressed');
    expect(state('HighErrorRate', 'billing')?.inhibitedBy).toHaveLength(1);
    expect(state('SloBudgetBurnSlow', 'billing')?.state).toBe('suppressed');
    expect(state('HighErrorRate', 'payments')).toMatchObject({ state: 'active', inhibitedBy: [] });
    const byName = (name: string) => alerts.find((a) => a.labels.alertname === name)?.status;
    expect(byName('Watchdog')).toMatchObject({ state: 'active', inhibitedBy: [] });
    expect(byName('TargetMissing')).toMatchObject({ state: 'active', inhibitedBy: [] });
  });
});
