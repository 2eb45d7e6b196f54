import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alertmanagerConfig } from '@immo/k8s-manifests';
import { toPrometheusRuleFile } from '@immo/metrics/mixin';
import YAML from 'yaml';
import { service } from './k8s.js';

/**
 * `pnpm stack`: the local monitoring stack for a person, on fixed loopback ports — the sample
 * service (embedded PostgreSQL), Prometheus with the production rules of `src/k8s.ts` and exemplar
 * storage, Alertmanager with the rendered routing, and a local receiver standing in for PagerDuty,
 * Slack and the heartbeat that prints every notification. Ctrl-C stops everything.
 * Ports: IMMO_STACK_APP_PORT (3000), IMMO_STACK_PROMETHEUS_PORT (9090),
 * IMMO_STACK_ALERTMANAGER_PORT (9093), IMMO_STACK_RECEIVER_PORT (9099).
 */

const env = process.env;
const ports = {
  app: Number(env.IMMO_STACK_APP_PORT ?? 3000),
  prometheus: Number(env.IMMO_STACK_PROMETHEUS_PORT ?? 9090),
  alertmanager: Number(env.IMMO_STACK_ALERTMANAGER_PORT ?? 9093),
  receiver: Number(env.IMMO_STACK_RECEIVER_PORT ?? 9099),
};
const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

function executable(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}

/** A binary on PATH or in Debian's usual place, else undefined. */
function which(names: string[]): string | undefined {
  const dirs = [...(env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin'];
  for (const name of names) {
    for (const dir of dirs) {
      const found = executable(join(dir, name));
      if (found) return found;
    }
  }
  return undefined;
}

const prometheusBin =
  env.PROMETHEUS_BIN !== undefined ? executable(env.PROMETHEUS_BIN) : which(['prometheus']);
const alertmanagerBin =
  env.ALERTMANAGER_BIN !== undefined
    ? executable(env.ALERTMANAGER_BIN)
    : which(['prometheus-alertmanager', 'alertmanager']);
const missing = [!prometheusBin && 'prometheus', !alertmanagerBin && 'prometheus-alertmanager'].filter(
  Boolean,
);
if (missing.length > 0) {
  log(`not installed: ${missing.join(', ')}.`);
  log(
    'Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y --no-install-recommends prometheus prometheus-alertmanager',
  );
  log('elsewhere: https://prometheus.io/download/ (or set PROMETHEUS_BIN / ALERTMANAGER_BIN)');
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'immo-stack-'));
const children: ChildProcess[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log('stopping...');
    // The app drains and closes its embedded database on SIGTERM; the others stop at once.
    const exits = children.map(
      (c) =>
        new Promise<void>((resolve) => {
          if (c.exitCode !== null || c.signalCode !== null) return resolve();
          c.once('exit', () => resolve());
          c.kill('SIGTERM');
          setTimeout(() => {
            c.kill('SIGKILL');
            resolve();
          }, 15_000).unref();
        }),
    );
    await Promise.all(exits);
    receiver.close();
    rmSync(dir, { recursive: true, force: true });
    log('stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

// The stand-in for PagerDuty (POST /v2/enqueue), Slack (POST /slack/<channel>) and the heartbeat.
const receiver = createServer((req, res) => {
  let body = '';
  req.on('data', (c: Buffer) => {
    body += c;
  });
  req.on('end', () => {
    let summary = body.slice(0, 200);
    try {
      const j = JSON.parse(body) as Record<string, unknown>;
      const p = j.payload as { summary?: string; severity?: string } | undefined;
      const a = (j.attachments as Array<{ title?: string }> | undefined)?.[0];
      summary = p
        ? `${j.event_action} ${p.severity}: ${p.summary}`
        : a
          ? `${j.channel}: ${a.title}`
          : `status ${j.status}`;
    } catch {}
    if (!req.url?.startsWith('/webhook/heartbeat')) log(`notification ${req.method} ${req.url} — ${summary}`);
    res.writeHead(req.url === '/v2/enqueue' ? 202 : 200).end('{}');
  });
});
await new Promise<void>((resolve, reject) => {
  receiver.once('error', reject);
  receiver.listen(ports.receiver, '127.0.0.1', () => resolve());
}).catch((err: Error) => {
  log(`receiver port ${ports.receiver}: ${err.message}`);
  return stop(1);
});
const rx = `http://127.0.0.1:${ports.receiver}`;

writeFileSync(join(dir, 'pagerduty-routing-key'), 'local0stack0routing0key000000000\n');
writeFileSync(join(dir, 'slack-p1'), `${rx}/slack/p1`);
writeFileSync(join(dir, 'slack-p2'), `${rx}/slack/p2`);
writeFileSync(
  join(dir, 'alertmanager.yml'),
  YAML.stringify(
    alertmanagerConfig({
      pagerduty: { routingKeyFile: join(dir, 'pagerduty-routing-key'), url: `${rx}/v2/enqueue` },
      slack: {
        P1: { channel: '#billing-alerts', apiUrlFile: join(dir, 'slack-p1') },
        P2: { channel: '#billing-notices', apiUrlFile: join(dir, 'slack-p2') },
      },
      heartbeat: { url: `${rx}/webhook/heartbeat` },
      externalUrl: `http://127.0.0.1:${ports.alertmanager}`,
    }),
  ),
);
const rules = toPrometheusRuleFile(service.resolve('production').mixins.flatMap((m) => m.groups) as never);
writeFileSync(join(dir, 'rules.yml'), YAML.stringify(rules));
writeFileSync(
  join(dir, 'prometheus.yml'),
  YAML.stringify({
    global: { scrape_interval: '5s', evaluation_interval: '5s' },
    rule_files: [join(dir, 'rules.yml')],
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${ports.alertmanager}`] }] }] },
    scrape_configs: [
      {
        job_name: 'sample-app',
        honor_labels: true,
        static_configs: [{ targets: [`127.0.0.1:${ports.app}`], labels: { service: 'sample-app' } }],
      },
    ],
  }),
);

function start(
  name: string,
  command: string,
  args: string[],
  extraEnv: Record<string, string> = {},
  cwd = dir,
): ChildProcess {
  const child = spawn(command, args, {
    cwd,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', name === 'sample-app' ? 'inherit' : 'ignore', 'pipe'],
  });
  let tail = '';
  child.stderr?.on('data', (c: Buffer) => {
    tail = (tail + c).slice(-4000);
    if (name === 'sample-app') process.stderr.write(c);
  });
  child.on('exit', (code, signal) => {
    if (stopping) return;
    log(`${name} exited (${signal ?? code}); its last output:\n${tail}`);
    void stop(1);
  });
  children.push(child);
  return child;
}

start('alertmanager', alertmanagerBin!, [
  `--config.file=${join(dir, 'alertmanager.yml')}`,
  `--storage.path=${join(dir, 'alertmanager')}`,
  `--web.listen-address=127.0.0.1:${ports.alertmanager}`,
  `--web.external-url=http://127.0.0.1:${ports.alertmanager}/`,
  '--cluster.listen-address=',
]);
start('prometheus', prometheusBin!, [
  `--config.file=${join(dir, 'prometheus.yml')}`,
  `--storage.tsdb.path=${join(dir, 'prometheus')}`,
  `--web.listen-address=127.0.0.1:${ports.prometheus}`,
  `--web.external-url=http://127.0.0.1:${ports.prometheus}/`,
  '--enable-feature=exemplar-storage',
]);
const appDir = fileURLToPath(new URL('..', import.meta.url));
start(
  'sample-app',
  process.execPath,
  ['--import', '@immo/tracing/register', join(appDir, 'dist', 'dev.js')],
  {
    HOST: '127.0.0.1',
    PORT: String(ports.app),
    OTEL_SERVICE_NAME: 'sample-app',
    // Ctrl-C on a laptop: drain and stop at once (no load balancer to wait for).
    IMMO_HEALTH_PROPAGATION_DELAY_MS: '0',
  },
  appDir,
); // --import resolves @immo/tracing/register from the working directory

async function ready(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until && !stopping) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).ok) return true;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

const checks = await Promise.all([
  ready(`http://127.0.0.1:${ports.prometheus}/-/ready`, 60_000),
  ready(`http://127.0.0.1:${ports.alertmanager}/-/ready`, 60_000),
  ready(`http://127.0.0.1:${ports.app}/health/ready`, 120_000),
]);
if (checks.includes(false)) {
  log('a component did not become ready in time');
  await stop(1);
}
log(
  [
    'ready:',
    `  sample app     http://127.0.0.1:${ports.app}/api/orgs/1   (metrics: /metrics)`,
    `  Prometheus     http://127.0.0.1:${ports.prometheus}/alerts   (rules: the production rules of src/k8s.ts)`,
    `  Alertmanager   http://127.0.0.1:${ports.alertmanager}/`,
    `  receiver       ${rx}  (PagerDuty /v2/enqueue, Slack /slack/p1 and /slack/p2: printed here)`,
    '  Ctrl-C stops everything.',
  ].join('\n'),
);
