import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { K8sManifestsError } from './errors.js';
import type { NetworkPolicyOptions, PeerOptions, ResolvedService, ServiceDefinition } from './options.js';
import { lintRules } from './rules.js';

/** A Kubernetes object as plain JSON data. */
export type ManifestObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, unknown>;

/**
 * The rendered objects, grouped by the file they are written to (relative paths such as
 * `deployment.yaml`, `monitoring/prometheusrule.yaml`).
 */
export type RenderedManifests = ReadonlyMap<string, readonly ManifestObject[]>;

/** Largest dashboard ConfigMap: `kubectl apply` keeps a copy in an annotation limited to 256 KiB. */
export const MAX_DASHBOARD_BYTES = 256 * 1024;

/** The Downward API fields behind `@immo/tracing`'s `K8S_DOWNWARD_ENV` variables. */
const DOWNWARD_FIELDS = {
  K8S_POD_NAME: 'metadata.name',
  K8S_POD_UID: 'metadata.uid',
  K8S_NAMESPACE_NAME: 'metadata.namespace',
  K8S_NODE_NAME: 'spec.nodeName',
} as const;

const PRIVATE_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const DEFAULT_PEERS: Required<Omit<NetworkPolicyOptions, never>> = {
  ingress: { namespaceLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
  prometheus: { namespaceLabels: { 'kubernetes.io/metadata.name': 'monitoring' } },
  database: { podLabels: { 'app.kubernetes.io/name': 'postgresql' }, ports: [5432] },
  otlp: {
    namespaceLabels: { 'kubernetes.io/metadata.name': 'observability' },
    podLabels: { 'app.kubernetes.io/name': 'opentelemetry-collector' },
    ports: [4318],
  },
  // Sentry's SaaS: anywhere outside the private ranges, HTTPS only.
  sentry: { cidr: '0.0.0.0/0', except: PRIVATE_RANGES, ports: [443] },
  dns: {
    namespaceLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
    podLabels: { 'k8s-app': 'kube-dns' },
  },
};

function selectorLabels(s: ResolvedService): Record<string, string> {
  return { 'app.kubernetes.io/name': s.name };
}

function commonLabels(s: ResolvedService): Record<string, string> {
  return {
    ...s.labels,
    ...selectorLabels(s),
    ...(s.version ? { 'app.kubernetes.io/version': s.version } : {}),
    'app.kubernetes.io/managed-by': 'immo-k8s',
  };
}

function meta(s: ResolvedService, name: string, extraLabels: Record<string, string> = {}) {
  return { name, namespace: s.namespace, labels: sortKeys({ ...commonLabels(s), ...extraLabels }) };
}

function sortKeys<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) as T;
}

function httpProbe(p: ResolvedService['probes']['liveness']) {
  return {
    httpGet: { path: p.path, port: 'http' },
    initialDelaySeconds: p.initialDelaySeconds,
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

function env(s: ResolvedService) {
  const plain: Record<string, string> = {
    ...s.env,
    HOST: '0.0.0.0',
    PORT: String(s.port),
    NODE_ENV: 'production',
    OTEL_SERVICE_NAME: s.name,
    IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: String(s.shutdown.shutdownDeadlineMs),
  };
  // The preStop sleep waits for endpoint propagation, so the app must not wait a second time.
  // Without a sleep (images without a `sleep` binary on old clusters) the app's own delay does it.
  if (s.shutdown.preStopSleepSeconds > 0) plain.IMMO_HEALTH_PROPAGATION_DELAY_MS = '0';
  if (s.version) {
    // One version on spans, metrics and logs (npm_package_version is not set under plain `node`).
    plain.IMMO_TRACING_SERVICE_VERSION = s.version;
    plain.IMMO_METRICS_VERSION = s.version;
    plain.IMMO_LOGGER_VERSION = s.version;
  }
  if (s.environment) plain.IMMO_TRACING_ENVIRONMENT = s.environment;
  if (s.tracing.otlpEndpoint) plain.OTEL_EXPORTER_OTLP_ENDPOINT = s.tracing.otlpEndpoint;
  if (s.tracing.sampleRatio !== undefined) plain.IMMO_TRACING_SAMPLE_RATIO = String(s.tracing.sampleRatio);
  if (s.flags) plain.IMMO_FLAGS_FILE = `${s.flags.mountPath}/${Object.keys(s.flags.files).sort()[0]}`;
  plain.K8S_CONTAINER_NAME = s.name;
  const out: Array<Record<string, unknown>> = Object.keys(plain)
    .sort()
    .map((name) => ({ name, value: plain[name] }));
  for (const [name, fieldPath] of Object.entries(DOWNWARD_FIELDS)) {
    out.push({ name, valueFrom: { fieldRef: { fieldPath } } });
  }
  for (const name of Object.keys(s.secretEnv).sort()) {
    const ref = s.secretEnv[name]!;
    out.push({
      name,
      valueFrom: {
        secretKeyRef: { name: ref.secretName, key: ref.key, ...(ref.optional ? { optional: true } : {}) },
      },
    });
  }
  return out;
}

function deployment(s: ResolvedService): ManifestObject {
  const selector = selectorLabels(s);
  const volumes: Array<Record<string, unknown>> = [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }];
  const mounts: Array<Record<string, unknown>> = [{ name: 'tmp', mountPath: '/tmp' }];
  if (s.flags) {
    volumes.push({ name: 'flags', configMap: { name: `${s.name}-flags` } });
    mounts.push({ name: 'flags', mountPath: s.flags.mountPath, readOnly: true });
  }
  const replicas = s.autoscaling === false ? s.replicas : s.autoscaling.minReplicas;
  const spread =
    replicas >= 2
      ? {
          affinity: {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    topologyKey: 'kubernetes.io/hostname',
                    labelSelector: { matchLabels: selector },
                  },
                },
              ],
            },
          },
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ],
        }
      : {};
  const resources = {
    requests: { cpu: s.resources.cpuRequest, memory: s.resources.memoryRequest },
    limits: {
      memory: s.resources.memoryLimit,
      ...(s.resources.cpuLimit ? { cpu: s.resources.cpuLimit } : {}),
    },
  };
  return model(Deployment, {
    metadata: meta(s, s.name),
    spec: {
      // With an HPA the replica count is the HPA's: a `replicas` field would reset it on every apply.
      ...(s.autoscaling === false ? { replicas: s.replicas } : {}),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: sortKeys(commonLabels(s)) },
        spec: {
          serviceAccountName: s.name,
          automountServiceAccountToken: s.serviceAccount.automountToken,
          terminationGracePeriodSeconds: s.shutdown.terminationGracePeriodSeconds,
          enableServiceLinks: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: s.runAsUser,
            runAsGroup: s.runAsUser,
            fsGroup: s.runAsUser,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          ...spread,
          containers: [
            {
              name: s.name,
              image: s.image,
              imagePullPolicy: 'IfNotPresent',
              ports: [{ name: 'http', containerPort: s.port, protocol: 'TCP' }],
              env: env(s),
              resources,
              startupProbe: httpProbe(s.probes.startup),
              livenessProbe: httpProbe(s.probes.liveness),
              readinessProbe: httpProbe(s.probes.readiness),
              lifecycle:
                s.shutdown.preStopSleepSeconds > 0
                  ? { preStop: { sleep: { seconds: s.shutdown.preStopSleepSeconds } } }
                  : undefined,
              securityContext: {
                allowPrivilegeEscalation: false,
                privileged: false,
                readOnlyRootFilesystem: true,
                runAsNonRoot: true,
                capabilities: { drop: ['ALL'] },
              },
              volumeMounts: mounts,
            },
          ],
          volumes,
        },
      },
    },
  });
}

function peerSelectors(p: PeerOptions): Array<Record<string, unknown>> {
  if (p.cidr) return [{ ipBlock: { cidr: p.cidr, ...(p.except?.length ? { except: p.except } : {}) } }];
  const peer: Record<string, unknown> = {};
  if (p.namespaceLabels) peer.namespaceSelector = { matchLabels: sortKeys(p.namespaceLabels) };
  if (p.podLabels) peer.podSelector = { matchLabels: sortKeys(p.podLabels) };
  return [peer];
}

function networkPolicy(s: ResolvedService, o: NetworkPolicyOptions): ManifestObject {
  const peers = { ...DEFAULT_PEERS, ...o };
  const tcp = (ports: readonly number[]) => ports.map((port) => ({ protocol: 'TCP', port }));
  const ingress = (p: PeerOptions) => ({ from: peerSelectors(p), ports: tcp(p.ports ?? [s.port]) });
  const egress = (p: PeerOptions, fallback: number[]) => ({
    to: peerSelectors(p),
    ports: tcp(p.ports ?? fallback),
  });
  return model(NetworkPolicy, {
    metadata: meta(s, s.name),
    spec: {
      podSelector: { matchLabels: selectorLabels(s) },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [ingress(peers.ingress), ingress(peers.prometheus)],
      egress: [
        {
          to: peerSelectors(peers.dns),
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
        egress(peers.database, [5432]),
        egress(peers.otlp, [4318]),
        egress(peers.sentry, [443]),
      ],
    },
  });
}

function model<T extends { toJSON(): unknown; validate(): void }>(
  Ctor: new (data: never) => T,
  data: Record<string, unknown>,
): ManifestObject {
  const object = new Ctor(data as never);
  try {
    object.validate();
  } catch (err) {
    // Our own generator produced an invalid object: a bug here, not in the user's options.
    throw new K8sManifestsError(
      'IMMO_K8S_SCHEMA',
      `Generated ${Ctor.name} fails its schema`,
      [String((err as Error).message)],
      err,
    );
  }
  return object.toJSON() as ManifestObject;
}

function mixinObjects(s: ResolvedService): Map<string, ManifestObject[]> {
  const out = new Map<string, ManifestObject[]>();
  const groups = s.mixins.flatMap((m) => m.groups);
  const seen = new Map<string, string>();
  const problems: string[] = [];
  for (const m of s.mixins) {
    for (const g of m.groups) {
      const owner = seen.get(g.name);
      if (owner !== undefined)
        problems.push(
          `mixins.${m.name}.groups.${g.name}: expected a unique group name, received one already in mixin "${owner}"`,
        );
      seen.set(g.name, m.name);
    }
  }
  const dashboards: Array<[string, string, object]> = [];
  const files = new Set<string>();
  for (const m of s.mixins) {
    for (const [file, dashboard] of Object.entries(m.dashboards ?? {})) {
      if (!/^[a-z0-9][-a-z0-9_.]*\.json$/.test(file)) {
        problems.push(
          `mixins.${m.name}.dashboards.${file}: expected a file name like "overview.json", received "${file.slice(0, 60)}"`,
        );
        continue;
      }
      // Two names that map to one rendered file (a.b.json, a_b.json) would overwrite each other.
      const slug = file.replace(/\.json$/, '').replace(/[^a-z0-9-]/g, '-');
      if (files.has(slug)) {
        problems.push(
          `mixins.${m.name}.dashboards.${file}: expected a unique file name, received one that renders to the same file as another`,
        );
      }
      files.add(slug);
      const json = `${JSON.stringify(dashboard, null, 2)}\n`;
      const bytes = Buffer.byteLength(json);
      if (bytes >= MAX_DASHBOARD_BYTES) {
        problems.push(
          `mixins.${m.name}.dashboards.${file}: expected below ${MAX_DASHBOARD_BYTES} bytes, received ${bytes}`,
        );
        continue;
      }
      dashboards.push([m.name, file, dashboard]);
    }
  }
  problems.push(...lintRules(groups).map((p) => `mixins: ${p}`));
  if (problems.length > 0) throw new K8sManifestsError('IMMO_K8S_INVALID_MIXIN', 'Invalid mixins', problems);
  if (groups.length > 0) {
    out.set('monitoring/prometheusrule.yaml', [
      model(PrometheusRule, {
        metadata: meta(s, `${s.name}-rules`, s.monitoring.labels),
        spec: { groups: groups.map((g) => JSON.parse(JSON.stringify(g))) },
      }),
    ]);
  }
  for (const [, file, dashboard] of dashboards.sort(([, a], [, b]) => (a < b ? -1 : 1))) {
    const base = file.replace(/\.json$/, '').replace(/[^a-z0-9-]/g, '-');
    out.set(`monitoring/dashboard-${base}.yaml`, [
      model(ConfigMap, {
        metadata: {
          ...meta(s, `${s.name}-dashboard-${base}`.slice(0, 253), { grafana_dashboard: '1' }),
          ...(s.dashboardFolder ? { annotations: { grafana_folder: s.dashboardFolder } } : {}),
        },
        data: { [file]: `${JSON.stringify(dashboard, null, 2)}\n` },
      }),
    ]);
  }
  return out;
}

/**
 * Renders one environment of a service: ServiceAccount, Deployment, Service, HPA, PDB,
 * ServiceMonitor, NetworkPolicy, the flags ConfigMap, and from the mixins a PrometheusRule and one
 * ConfigMap per Grafana dashboard. Every object is built with kubernetes-models and validated
 * against its schema.
 *
 * @throws {K8sManifestsError} `IMMO_K8S_INVALID_OPTIONS` (unknown environment), `IMMO_K8S_INVALID_MIXIN`.
 * @example
 * ```ts
 * const manifests = renderService(api, { environment: 'production' });
 * writeManifests('k8s/production', manifests);
 * ```
 */
export function renderService(
  definition: ServiceDefinition,
  options: { environment?: string } = {},
): RenderedManifests {
  const s = definition.resolve(options.environment);
  const files = new Map<string, ManifestObject[]>();
  files.set('serviceaccount.yaml', [
    model(ServiceAccount, {
      metadata: {
        ...meta(s, s.name),
        ...(Object.keys(s.serviceAccount.annotations).length
          ? { annotations: sortKeys(s.serviceAccount.annotations) }
          : {}),
      },
      automountServiceAccountToken: s.serviceAccount.automountToken,
    }),
  ]);
  if (s.flags) {
    files.set('configmap-flags.yaml', [
      model(ConfigMap, { metadata: meta(s, `${s.name}-flags`), data: sortKeys(s.flags.files) }),
    ]);
  }
  files.set('deployment.yaml', [deployment(s)]);
  files.set('service.yaml', [
    model(Service, {
      metadata: meta(s, s.name),
      spec: {
        type: 'ClusterIP',
        selector: selectorLabels(s),
        ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
      },
    }),
  ]);
  if (s.ingress) {
    const ing = s.ingress;
    files.set('ingress.yaml', [
      model(Ingress, {
        metadata: {
          ...meta(s, s.name),
          ...(Object.keys(ing.annotations).length ? { annotations: sortKeys(ing.annotations) } : {}),
        },
        spec: {
          ingressClassName: ing.className,
          ...(ing.tlsSecretName ? { tls: [{ hosts: [ing.host], secretName: ing.tlsSecretName }] } : {}),
          rules: [
            {
              host: ing.host,
              http: {
                paths: [
                  {
                    path: ing.path,
                    pathType: 'Prefix',
                    backend: { service: { name: s.name, port: { name: 'http' } } },
                  },
                ],
              },
            },
          ],
        },
      }),
    ]);
  }
  if (s.autoscaling !== false) {
    files.set('hpa.yaml', [
      model(HorizontalPodAutoscaler, {
        metadata: meta(s, s.name),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: s.name },
          minReplicas: s.autoscaling.minReplicas,
          maxReplicas: s.autoscaling.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: { type: 'Utilization', averageUtilization: s.autoscaling.cpuUtilization },
              },
            },
          ],
          // Scale down slowly: a billing run's burst should not bounce the replica count.
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
      }),
    ]);
  }
  files.set('pdb.yaml', [
    model(PodDisruptionBudget, {
      metadata: meta(s, s.name),
      spec: {
        ...s.disruptionBudget,
        selector: { matchLabels: selectorLabels(s) },
        // Pods that are not ready anyway may always be evicted: they must not block a node drain.
        unhealthyPodEvictionPolicy: 'AlwaysAllow',
      },
    }),
  ]);
  files.set('servicemonitor.yaml', [
    model(ServiceMonitor, {
      metadata: meta(s, s.name, s.monitoring.labels),
      spec: {
        selector: { matchLabels: selectorLabels(s) },
        endpoints: [
          {
            port: 'http',
            path: s.monitoring.path,
            interval: s.monitoring.interval,
            scrapeTimeout: s.monitoring.scrapeTimeout,
            // @immo/metrics puts `service` (and `version`) on every series, and the alerts, SLOs
            // and dashboards select on it. The operator also sets a `service` target label (the
            // Kubernetes Service's name); without honorLabels the app's own label would be renamed
            // to exported_service and the selectors would only match while the two names agree.
            // @immo/metrics refuses `job` and `instance` labels, so honouring cannot hide those.
            honorLabels: true,
          },
        ],
      },
    }),
  ]);
  if (s.networkPolicy !== false) files.set('networkpolicy.yaml', [networkPolicy(s, s.networkPolicy)]);
  for (const [file, objects] of mixinObjects(s)) files.set(file, objects);
  return files;
}
