import { Secret } from 'kubernetes-models/v1/Secret';
import YAML from 'yaml';
import { z } from 'zod';
import { formatIssues, K8sManifestsError } from './errors.js';
import { canonical } from './output.js';
import type { ManifestObject } from './render.js';

/** A Slack channel and the file holding its incoming-webhook URL (mounted from a Secret). */
export interface SlackChannelOptions {
  /** `#billing-alerts`. */
  channel: string;
  /** File with the webhook URL, e.g. `/etc/alertmanager/secrets/slack/p1-webhook-url`. */
  apiUrlFile: string;
}

/**
 * Options of {@link alertmanagerConfig}: where each priority goes.
 *
 * @example
 * ```ts
 * const options: AlertmanagerConfigOptions = {
 *   pagerduty: { routingKeyFile: '/etc/alertmanager/secrets/pagerduty/routing-key' },
 *   slack: {
 *     P1: { channel: '#billing-alerts', apiUrlFile: '/etc/alertmanager/secrets/slack/p1' },
 *     P2: { channel: '#billing-notices', apiUrlFile: '/etc/alertmanager/secrets/slack/p2' },
 *   },
 *   heartbeat: { url: 'https://hc-ping.com/<uuid>' },
 * };
 * ```
 */
export interface AlertmanagerConfigOptions {
  /** P0: PagerDuty Events API v2. */
  pagerduty: {
    /** File with the integration's routing key (never in the config itself). */
    routingKeyFile: string;
    /** Events API v2 endpoint. @default 'https://events.pagerduty.com/v2/enqueue' */
    url?: string;
  };
  /** P1 and P2: one Slack channel each. */
  slack: { P1: SlackChannelOptions; P2: SlackChannelOptions };
  /**
   * Where the always-firing `Watchdog` alert goes: a dead-man's-switch service (e.g. PagerDuty's or
   * healthchecks.io's) that pages when the heartbeat stops, i.e. when alerting itself is broken.
   * A URL in the file: webhook `url_file` needs Alertmanager 0.26+, and Debian 12 ships 0.25.
   */
  heartbeat: { url: string };
  /** @default ['service', 'alertname'] */
  groupBy?: string[];
  /** Notification timing. Tests shorten it; the defaults suit production. */
  timing?: { groupWait?: string; groupInterval?: string; repeatInterval?: string; resolveTimeout?: string };
  /** Link shown in notifications, e.g. the Alertmanager or Grafana URL. */
  externalUrl?: string;
}

const duration = z.string().regex(/^(\d+(ms|s|m|h|d|w|y))+$/, 'a Prometheus duration such as "30s" or "4h"');
const file = z.string().regex(/^\/.+/, 'an absolute file path (mounted from a Secret)');
const httpUrl = z.url({ protocol: /^https?$/ });
const slackChannel = z
  .object({
    channel: z.string().regex(/^[#@]?[a-z0-9][-_.a-z0-9]*$/i, 'a channel such as "#billing-alerts"'),
    apiUrlFile: file,
  })
  .strict();
const schema = z
  .object({
    pagerduty: z.object({ routingKeyFile: file, url: httpUrl.optional() }).strict(),
    slack: z.object({ P1: slackChannel, P2: slackChannel }).strict(),
    heartbeat: z.object({ url: httpUrl }).strict(),
    groupBy: z
      .array(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'a label name'))
      .min(1)
      .optional(),
    timing: z
      .object({
        groupWait: duration.optional(),
        groupInterval: duration.optional(),
        repeatInterval: duration.optional(),
        resolveTimeout: duration.optional(),
      })
      .strict()
      .optional(),
    externalUrl: httpUrl.optional(),
  })
  .strict();

/** Receiver names in the rendered configuration (stable: tests and runbooks refer to them). */
export const RECEIVERS = {
  P0: 'pagerduty-p0',
  P1: 'slack-p1',
  P2: 'slack-p2',
  heartbeat: 'heartbeat',
} as const;

// Alertmanager's Go templates. The summary is the headline; the description and runbook follow.
const TITLE =
  '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.service }})';
const TEXT =
  '{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}';

/**
 * The Alertmanager configuration of the rollout plan: P0 → PagerDuty (Events API v2, severity from
 * the `severity` label), P1 → Slack channel A, P2 → Slack channel B, everything with
 * `send_resolved`, grouped by service and alert name; a P0 alert inhibits the P1/P2 alerts of the
 * same service; the `Watchdog` heartbeat goes to its own receiver, repeated every minute. Alerts
 * without a known priority go to the P2 channel, where someone will notice them. Secrets are
 * referenced by file (`routing_key_file`, `api_url_file`), never written into the configuration.
 *
 * @throws {K8sManifestsError} `IMMO_K8S_INVALID_OPTIONS` listing every problem.
 * @example
 * ```ts
 * writeFileSync('alertmanager.yml', YAML.stringify(alertmanagerConfig(options)));
 * ```
 */
export function alertmanagerConfig(options: AlertmanagerConfigOptions): Record<string, unknown> {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    throw new K8sManifestsError(
      'IMMO_K8S_INVALID_OPTIONS',
      'Invalid Alertmanager options',
      formatIssues(parsed.error, options),
    );
  }
  const o = parsed.data;
  const t = o.timing ?? {};
  const slack = (c: SlackChannelOptions) => ({
    api_url_file: c.apiUrlFile,
    channel: c.channel,
    send_resolved: true,
    title: TITLE,
    text: TEXT,
    color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}',
    actions: [{ type: 'button', text: 'Runbook', url: '{{ (index .Alerts 0).Annotations.runbook_url }}' }],
  });
  return canonical({
    global: { resolve_timeout: t.resolveTimeout ?? '5m' },
    route: {
      receiver: RECEIVERS.P2,
      group_by: o.groupBy ?? ['service', 'alertname'],
      group_wait: t.groupWait ?? '30s',
      group_interval: t.groupInterval ?? '5m',
      repeat_interval: t.repeatInterval ?? '4h',
      routes: [
        // First: the heartbeat must never be grouped with, inhibited by, or routed like real alerts.
        {
          matchers: ['alertname="Watchdog"'],
          receiver: RECEIVERS.heartbeat,
          group_wait: '0s',
          group_interval: '1m',
          repeat_interval: '1m',
        },
        { matchers: ['priority="P0"'], receiver: RECEIVERS.P0 },
        { matchers: ['priority="P1"'], receiver: RECEIVERS.P1 },
        { matchers: ['priority="P2"'], receiver: RECEIVERS.P2 },
      ],
    },
    inhibit_rules: [
      // While a service pages, its lesser alerts are noise: the P0 runbook covers them.
      // Only a P0 that names its service inhibits (a label missing on both sides counts as equal),
      // and never the Watchdog: the heartbeat must keep flowing whatever pages.
      {
        source_matchers: ['priority="P0"', 'service=~".+"'],
        target_matchers: ['priority=~"P1|P2"', 'alertname!="Watchdog"'],
        equal: ['service'],
      },
    ],
    receivers: [
      {
        name: RECEIVERS.P0,
        pagerduty_configs: [
          {
            routing_key_file: o.pagerduty.routingKeyFile,
            ...(o.pagerduty.url ? { url: o.pagerduty.url } : {}),
            send_resolved: true,
            // Events API v2 severities are critical/error/warning/info; our labels map onto them.
            severity:
              '{{ if eq .CommonLabels.severity "critical" }}critical{{ else if eq .CommonLabels.severity "warning" }}warning{{ else }}info{{ end }}',
            description:
              '{{ .CommonLabels.alertname }} ({{ .CommonLabels.service }}): {{ .CommonAnnotations.summary }}',
            client: 'Alertmanager',
            ...(o.externalUrl ? { client_url: o.externalUrl } : {}),
            details: {
              priority: '{{ .CommonLabels.priority }}',
              service: '{{ .CommonLabels.service }}',
              description: '{{ .CommonAnnotations.description }}',
              runbook_url: '{{ .CommonAnnotations.runbook_url }}',
              firing: '{{ .Alerts.Firing | len }}',
            },
            links: [{ href: '{{ .CommonAnnotations.runbook_url }}', text: 'Runbook' }],
          },
        ],
      },
      { name: RECEIVERS.P1, slack_configs: [slack(o.slack.P1)] },
      { name: RECEIVERS.P2, slack_configs: [slack(o.slack.P2)] },
      {
        name: RECEIVERS.heartbeat,
        webhook_configs: [{ url: o.heartbeat.url, send_resolved: false }],
      },
    ],
  });
}

/**
 * The configuration as Alertmanager's file (YAML, stable key order).
 *
 * @example
 * ```ts
 * writeFileSync('alertmanager.yml', alertmanagerYaml(options));
 * ```
 */
export function alertmanagerYaml(options: AlertmanagerConfigOptions): string {
  return YAML.stringify(alertmanagerConfig(options), { lineWidth: 0 });
}

/**
 * The configuration wrapped in the Secret the Prometheus operator reads
 * (`alertmanager-<name>`, key `alertmanager.yaml`). The secret files it references are mounted
 * separately (`spec.secrets` of the Alertmanager resource puts them under `/etc/alertmanager/secrets/<secret>/`).
 *
 * @example
 * ```ts
 * writeFileSync('k8s/monitoring/alertmanager.yaml', toYaml([alertmanagerSecret(options, { name: 'main', namespace: 'monitoring' })]));
 * ```
 */
export function alertmanagerSecret(
  options: AlertmanagerConfigOptions,
  target: { name: string; namespace: string },
): ManifestObject {
  const secret = new Secret({
    metadata: {
      name: `alertmanager-${target.name}`,
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'immo-k8s' },
    },
    type: 'Opaque',
    stringData: { 'alertmanager.yaml': alertmanagerYaml(options) },
  });
  secret.validate();
  return secret.toJSON() as ManifestObject;
}
