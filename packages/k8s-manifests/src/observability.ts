import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import YAML from 'yaml';
import { z } from 'zod';
import { formatIssues, K8sManifestsError } from './errors.js';
import { canonical } from './output.js';
import type { ManifestObject } from './render.js';

/**
 * The JSON fields of `@immo/logger`'s log schema that the log pipeline keeps (see that package's
 * README, "Log schema"). Labels are the low-cardinality ones Loki indexes; the rest become
 * structured metadata or stay in the line.
 */
export const LOG_FIELDS = {
  /** Indexed as Loki labels: few values each. */
  labels: ['level', 'service', 'env'],
  /** Loki structured metadata: high cardinality, searchable without being labels. */
  metadata: ['request_id', 'trace_id', 'span_id', 'version'],
  /** Parsed for the timestamp. */
  time: 'time',
} as const;

/** Options of {@link grafanaDatasources} and {@link alloyLogsConfig}. */
export interface ObservabilityOptions {
  /** Prometheus (or Mimir/Thanos) query URL, e.g. `http://prometheus-operated.monitoring:9090`. */
  prometheusUrl: string;
  /** Loki URL, e.g. `http://loki-gateway.monitoring`. */
  lokiUrl: string;
  /** Tempo URL, e.g. `http://tempo.monitoring:3200`. */
  tempoUrl: string;
  /** Datasource uids, stable so dashboards and links survive re-provisioning. */
  uids?: { prometheus?: string; loki?: string; tempo?: string };
  /** Namespaces whose pods' logs Alloy ships. @default all */
  namespaces?: string[];
}

const schema = z.strictObject({
  prometheusUrl: z.url({ protocol: /^https?$/ }),
  lokiUrl: z.url({ protocol: /^https?$/ }),
  tempoUrl: z.url({ protocol: /^https?$/ }),
  uids: z
    .strictObject({
      prometheus: z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,40}$/)
        .optional(),
      loki: z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,40}$/)
        .optional(),
      tempo: z
        .string()
        .regex(/^[a-zA-Z0-9_-]{1,40}$/)
        .optional(),
    })
    .optional(),
  namespaces: z.array(z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)).optional(),
});

function resolve(options: ObservabilityOptions) {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    throw new K8sManifestsError(
      'IMMO_K8S_INVALID_OPTIONS',
      'Invalid observability options',
      formatIssues(parsed.error, options),
    );
  }
  const o = parsed.data;
  return {
    ...o,
    uid: {
      prometheus: o.uids?.prometheus ?? 'prometheus',
      loki: o.uids?.loki ?? 'loki',
      tempo: o.uids?.tempo ?? 'tempo',
    },
  };
}

/**
 * Grafana datasource provisioning (`apiVersion: 1`) for Prometheus, Loki and Tempo, linked both
 * ways by trace id: Prometheus exemplars (`trace_id`, written by `@immo/metrics` from sampled
 * spans) open the trace in Tempo; Loki's derived field finds `trace_id` in the JSON log line and
 * opens the trace; Tempo links a span to its logs in Loki (by trace id, over the span's time) and to
 * its metrics.
 *
 * @example
 * ```ts
 * writeFileSync('datasources.yaml', YAML.stringify(grafanaDatasources(options)));
 * ```
 */
export function grafanaDatasources(options: ObservabilityOptions): Record<string, unknown> {
  const o = resolve(options);
  return canonical({
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        uid: o.uid.prometheus,
        type: 'prometheus',
        access: 'proxy',
        url: o.prometheusUrl,
        isDefault: true,
        jsonData: {
          httpMethod: 'POST',
          exemplarTraceIdDestinations: [{ name: 'trace_id', datasourceUid: o.uid.tempo }],
        },
      },
      {
        name: 'Loki',
        uid: o.uid.loki,
        type: 'loki',
        access: 'proxy',
        url: o.lokiUrl,
        jsonData: {
          derivedFields: [
            // The logger writes "trace_id":"<32 hex>" in every line inside a traced request.
            {
              name: 'trace_id',
              matcherRegex: '"trace_id":"([0-9a-f]{32})"',
              url: '$${__value.raw}',
              datasourceUid: o.uid.tempo,
            },
          ],
        },
      },
      {
        name: 'Tempo',
        uid: o.uid.tempo,
        type: 'tempo',
        access: 'proxy',
        url: o.tempoUrl,
        jsonData: {
          tracesToLogsV2: {
            datasourceUid: o.uid.loki,
            spanStartTimeShift: '-5m',
            spanEndTimeShift: '5m',
            filterByTraceID: true,
            filterBySpanID: false,
            customQuery: true,
            // `$$` because Grafana expands `${VAR}` from the environment in provisioning files.
            query: '{service="$${__span.tags["service.name"]}"} | trace_id="$${__trace.traceId}"',
          },
          tracesToMetrics: { datasourceUid: o.uid.prometheus },
          serviceMap: { datasourceUid: o.uid.prometheus },
          nodeGraph: { enabled: true },
          lokiSearch: { datasourceUid: o.uid.loki },
        },
      },
    ],
  });
}

/**
 * The datasources as the ConfigMap Grafana's sidecar provisions (label `grafana_datasource: "1"`).
 *
 * @example
 * ```ts
 * toYaml([grafanaDatasourcesConfigMap(options, { namespace: 'monitoring' })]);
 * ```
 */
export function grafanaDatasourcesConfigMap(
  options: ObservabilityOptions,
  target: { namespace: string; name?: string },
): ManifestObject {
  const cm = new ConfigMap({
    metadata: {
      name: target.name ?? 'immo-datasources',
      namespace: target.namespace,
      labels: { grafana_datasource: '1', 'app.kubernetes.io/managed-by': 'immo-k8s' },
    },
    data: { 'immo-datasources.yaml': YAML.stringify(grafanaDatasources(options), { lineWidth: 0 }) },
  });
  cm.validate();
  return cm.toJSON() as ManifestObject;
}

const q = (s: string) => JSON.stringify(s);

/**
 * A Grafana Alloy configuration (Promtail is end-of-life) that tails the pods' logs through the
 * Kubernetes API, keeps `@immo/logger`'s JSON fields — `level`, `service`, `env` as labels,
 * `request_id`, `trace_id`, `span_id`, `version` as structured metadata, `time` as the timestamp —
 * and pushes to Loki. The line itself stays the JSON the logger wrote (already redacted).
 *
 * @example
 * ```ts
 * writeFileSync('config.alloy', alloyLogsConfig(options));
 * ```
 */
export function alloyLogsConfig(options: ObservabilityOptions): string {
  const o = resolve(options);
  const json = [...LOG_FIELDS.labels, ...LOG_FIELDS.metadata, LOG_FIELDS.time]
    .map((f) => `      ${f} = ${q(f)},`)
    .join('\n');
  const labels = LOG_FIELDS.labels.map((f) => `      ${f} = ${q(f)},`).join('\n');
  const metadata = LOG_FIELDS.metadata.map((f) => `      ${f} = ${q(f)},`).join('\n');
  const namespaces = o.namespaces?.length
    ? `\n  rule {\n    source_labels = ["__meta_kubernetes_namespace"]\n    regex         = ${q(o.namespaces.join('|'))}\n    action        = "keep"\n  }`
    : '';
  return `// Generated by @immo/k8s-manifests (alloyLogsConfig). Ships pod logs to Loki, keeping the JSON
// fields of @immo/logger's log schema.
discovery.kubernetes "pods" {
  role = "pod"
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets${namespaces}
  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }
  rule {
    source_labels = ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]
    target_label  = "app"
  }
}

loki.source.kubernetes "pods" {
  targets    = discovery.relabel.pods.output
  forward_to = [loki.process.immo.receiver]
}

loki.process "immo" {
  // Lines that are not JSON (other containers) pass through unchanged.
  stage.json {
    expressions = {
${json}
    }
  }

  stage.timestamp {
    source = ${q(LOG_FIELDS.time)}
    format = "RFC3339Nano"
  }

  stage.labels {
    values = {
${labels}
    }
  }

  stage.structured_metadata {
    values = {
${metadata}
    }
  }

  forward_to = [loki.write.default.receiver]
}

loki.write "default" {
  endpoint {
    url = ${q(`${o.lokiUrl.replace(/\/+$/, '')}/loki/api/v1/push`)}
  }
}
`;
}

/**
 * The Alloy configuration as a ConfigMap (key `config.alloy`), as the Grafana Alloy Helm chart
 * mounts it (`alloy.configMap.name`).
 *
 * @example
 * ```ts
 * toYaml([alloyConfigMap(options, { namespace: 'monitoring' })]);
 * ```
 */
export function alloyConfigMap(
  options: ObservabilityOptions,
  target: { namespace: string; name?: string },
): ManifestObject {
  const cm = new ConfigMap({
    metadata: {
      name: target.name ?? 'alloy-config',
      namespace: target.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'immo-k8s' },
    },
    data: { 'config.alloy': alloyLogsConfig(options) },
  });
  cm.validate();
  return cm.toJSON() as ManifestObject;
}
