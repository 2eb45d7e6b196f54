import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ServerStartError } from './errors.ts';
import {
  httpOk,
  makeTempDir,
  type ServerProcess,
  spawnServer,
  waitUntilReady,
  withPortRetry,
} from './process.ts';
import { toolPath } from './tools.ts';

/** A YAML document as text, or a plain object (written as JSON, which YAML parsers read). */
export type YamlConfig = string | Record<string, unknown>;

function toYaml(config: YamlConfig): string {
  return typeof config === 'string' ? config : `${JSON.stringify(config, null, 2)}\n`;
}

/** Options of {@link startPrometheus}. */
export interface PrometheusOptions {
  /**
   * The whole prometheus.yml. When it is a string it is used as is and the shortcut options below
   * must not be set; when it is an object they are merged into it.
   */
  config?: YamlConfig;
  /** `host:port` targets scraped by one job named `targets` (metrics path /metrics). */
  scrapeTargets?: readonly string[];
  /** Rule files (absolute paths) added to `rule_files`. */
  ruleFiles?: readonly string[];
  /** Rule files given by content, written into the server's temp folder and added to `rule_files`. */
  rules?: Record<string, YamlConfig>;
  /** Alertmanager `host:port` addresses alerts are sent to. */
  alertmanagers?: readonly string[];
  /** @default '1s' */
  scrapeInterval?: string;
  /** @default '1s' */
  evaluationInterval?: string;
  /** Extra command-line flags, e.g. `['--enable-feature=exemplar-storage', '--rules.alert.resend-delay=1s']`. */
  extraArgs?: readonly string[];
  /** @default 60000 */
  startTimeoutMs?: number;
}

/** A running Prometheus owned by one test. */
export interface PrometheusServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** The temp folder holding prometheus.yml, rules and the TSDB. */
  readonly dir: string;
  /** Rewrites prometheus.yml when a config is given, then POSTs /-/reload; throws when Prometheus rejects it. */
  reload(config?: PrometheusOptions): Promise<void>;
  /** Stops this Prometheus and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

function prometheusConfig(dir: string, o: PrometheusOptions): string {
  const shortcuts = o.scrapeTargets || o.ruleFiles || o.rules || o.alertmanagers;
  if (typeof o.config === 'string') {
    if (shortcuts) {
      throw new ServerStartError(
        'prometheus',
        'SERVER_SETUP_FAILED',
        'config is a YAML string: put scrape targets, rules and alertmanagers in it, or pass config as an object',
        '',
      );
    }
    return o.config;
  }
  const config: Record<string, unknown> = { ...o.config };
  config.global = {
    scrape_interval: o.scrapeInterval ?? '1s',
    evaluation_interval: o.evaluationInterval ?? '1s',
    ...(config.global as Record<string, unknown> | undefined),
  };
  const ruleFiles = [...((config.rule_files as string[] | undefined) ?? []), ...(o.ruleFiles ?? [])];
  if (o.rules) {
    const rulesDir = join(dir, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    for (const [name, content] of Object.entries(o.rules)) {
      const file = join(rulesDir, name);
      writeFileSync(file, toYaml(content));
      ruleFiles.push(file);
    }
  }
  if (ruleFiles.length) config.rule_files = ruleFiles;
  if (o.scrapeTargets?.length) {
    config.scrape_configs = [
      ...((config.scrape_configs as unknown[] | undefined) ?? []),
      { job_name: 'targets', static_configs: [{ targets: [...o.scrapeTargets] }] },
    ];
  }
  if (o.alertmanagers?.length) {
    config.alerting = { alertmanagers: [{ static_configs: [{ targets: [...o.alertmanagers] }] }] };
  }
  return toYaml(config);
}

async function startHttpServer(
  name: string,
  command: string,
  dir: string,
  args: (port: number) => string[],
  timeoutMs: number,
): Promise<{ proc: ServerProcess; port: number; url: string }> {
  return withPortRetry(async (port) => {
    const url = `http://127.0.0.1:${port}`;
    const proc = spawnServer({ name, command, args: args(port), cwd: dir, dir });
    try {
      await waitUntilReady({ name, proc, timeoutMs, probe: () => httpOk(`${url}/-/ready`) });
    } catch (err) {
      await proc.stop({ graceMs: 2_000, keepDir: true });
      throw err;
    }
    return { proc, port, url };
  });
}

async function postReload(name: string, url: string, proc: ServerProcess): Promise<void> {
  const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  if (!res.ok) {
    throw new ServerStartError(
      name,
      'SERVER_SETUP_FAILED',
      `reload rejected (${res.status}): ${body.trim()}`,
      proc.output.tail(),
    );
  }
}

/**
 * Starts Debian's `prometheus` on a free 127.0.0.1 port with its TSDB in a temp folder and the
 * lifecycle API on (for {@link PrometheusServer.reload}); resolves once /-/ready answers.
 *
 * @example
 * ```ts
 * const prom = await startPrometheus({ scrapeTargets: [`127.0.0.1:${appPort}`], rules: { 'alerts.yml': rules } });
 * const res = await fetch(`${prom.url}/api/v1/query?query=up`);
 * await prom.stop();
 * ```
 */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<PrometheusServer> {
  const bin = toolPath('prometheus');
  const dir = makeTempDir('prometheus');
  const configFile = join(dir, 'prometheus.yml');
  try {
    writeFileSync(configFile, prometheusConfig(dir, options));
    const { proc, port, url } = await startHttpServer(
      'prometheus',
      bin,
      dir,
      (port) => [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}/`,
        '--web.enable-lifecycle',
        ...(options.extraArgs ?? []),
      ],
      options.startTimeoutMs ?? 60_000,
    );
    return {
      url,
      port,
      dir,
      async reload(next) {
        if (next) writeFileSync(configFile, prometheusConfig(dir, next));
        await postReload('prometheus', url, proc);
      },
      stop: () => proc.stop(),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** Options of {@link startAlertmanager}. */
export interface AlertmanagerOptions {
  /** The whole alertmanager.yml. @default one route to a receiver named `null` that sends nothing */
  config?: YamlConfig;
  /** Extra command-line flags. */
  extraArgs?: readonly string[];
  /** @default 60000 */
  startTimeoutMs?: number;
}

/** A running Alertmanager owned by one test. */
export interface AlertmanagerServer {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** `127.0.0.1:<port>`, the form Prometheus' `alertmanagers` option takes. */
  readonly address: string;
  readonly dir: string;
  /** Rewrites alertmanager.yml when a config is given, then POSTs /-/reload. */
  reload(config?: YamlConfig): Promise<void>;
  /** Stops this Alertmanager and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

const defaultAlertmanagerConfig = { route: { receiver: 'null' }, receivers: [{ name: 'null' }] };

/**
 * Starts Debian's `prometheus-alertmanager` on a free 127.0.0.1 port, clustering off
 * (`--cluster.listen-address=` so nothing listens on 0.0.0.0), storage in a temp folder; resolves
 * once /-/ready answers.
 *
 * @example
 * ```ts
 * const am = await startAlertmanager({ config: { route: { receiver: 'pd' }, receivers: [{ name: 'pd', pagerduty_configs: [...] }] } });
 * const prom = await startPrometheus({ alertmanagers: [am.address], rules: { 'a.yml': rules } });
 * ```
 */
export async function startAlertmanager(options: AlertmanagerOptions = {}): Promise<AlertmanagerServer> {
  const bin = toolPath('alertmanager');
  const dir = makeTempDir('alertmanager');
  const configFile = join(dir, 'alertmanager.yml');
  try {
    writeFileSync(configFile, toYaml(options.config ?? defaultAlertmanagerConfig));
    const { proc, port, url } = await startHttpServer(
      'alertmanager',
      bin,
      dir,
      (port) => [
        `--config.file=${configFile}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        `--web.external-url=http://127.0.0.1:${port}/`,
        '--cluster.listen-address=',
        ...(options.extraArgs ?? []),
      ],
      options.startTimeoutMs ?? 60_000,
    );
    return {
      url,
      port,
      address: `127.0.0.1:${port}`,
      dir,
      async reload(next) {
        if (next) writeFileSync(configFile, toYaml(next));
        await postReload('alertmanager', url, proc);
      },
      stop: () => proc.stop(),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
