import { z } from 'zod';
import { formatIssues, K8sManifestsError } from './errors.js';
import { digestProblem } from './image.js';
import type { Mixin } from './mixin.js';
import { parseQuantity, QUANTITY_PATTERN } from './quantity.js';

/** One HTTP probe. Paths default to `@immo/health`'s routes. */
export interface ProbeOptions {
  /** HTTP path on the container port. */
  path?: string;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  /** Above 1 s: a probe that times out at 1 s fails on the first GC pause. */
  timeoutSeconds?: number;
  failureThreshold?: number;
}

/**
 * Shutdown timing. Kubernetes counts `terminationGracePeriodSeconds` from the moment the pod is
 * deleted, and the `preStop` sleep runs inside it before SIGTERM; the app then has its own
 * `shutdownDeadlineMs` (drain, shutdown hooks, telemetry flush) before it exits. The grace period is
 * derived from both plus a margin, and the Deployment passes the same numbers to the app as
 * `IMMO_HEALTH_*` variables, so the two cannot drift apart.
 */
export interface ShutdownOptions {
  /**
   * `preStop` sleep while endpoint removal propagates to every kube-proxy and ingress. The app's own
   * propagation delay (`IMMO_HEALTH_PROPAGATION_DELAY_MS`) is set to 0: the wait happens once, here.
   * @default 5
   */
  preStopSleepSeconds?: number;
  /** `IMMO_HEALTH_SHUTDOWN_DEADLINE_MS`: from SIGTERM to exit, whatever still runs. @default 25000 */
  shutdownDeadlineMs?: number;
  /**
   * The longest telemetry flush (`@immo/tracing/fastify`'s `flushTimeoutMs`); must fit in the
   * deadline. @default 5000
   */
  telemetryFlushMs?: number;
  /** Slack between the app's deadline and SIGKILL. @default 5 */
  marginSeconds?: number;
  /**
   * Set it only to pin a value: it must be at least preStop + deadline + margin, or rendering fails.
   * @default derived
   */
  terminationGracePeriodSeconds?: number;
}

/** A set of pods allowed through a NetworkPolicy, by namespace labels and/or pod labels, or a CIDR. */
export interface PeerOptions {
  namespaceLabels?: Record<string, string>;
  podLabels?: Record<string, string>;
  /** An IP block (`10.0.0.0/8`); `except` carves out ranges (e.g. the cluster's private ranges). */
  cidr?: string;
  except?: string[];
  /** TCP ports; for ingress peers the container port is used when empty. */
  ports?: number[];
}

/** Who may reach the service and whom it may reach. DNS (kube-dns, port 53 UDP/TCP) is always allowed. */
export interface NetworkPolicyOptions {
  /** The ingress controller's pods. */
  ingress?: PeerOptions;
  /** Prometheus' pods (scrapes). */
  prometheus?: PeerOptions;
  /** PostgreSQL. */
  database?: PeerOptions;
  /** The OpenTelemetry collector. */
  otlp?: PeerOptions;
  /** Sentry (SaaS: a CIDR on 443; self-hosted: pod labels). */
  sentry?: PeerOptions;
  /** Labels of the DNS pods. @default { 'k8s-app': 'kube-dns' } in `kube-system` */
  dns?: PeerOptions;
}

/** An Ingress routing a host (and path prefix) to the Service. */
export interface IngressOptions {
  /** DNS name, e.g. `billing.example.com`. */
  host: string;
  /** Path prefix. @default '/' */
  path?: string;
  /** `spec.ingressClassName`. @default 'nginx' */
  className?: string;
  /** A TLS Secret for the host (e.g. issued by cert-manager). */
  tlsSecretName?: string;
  annotations?: Record<string, string>;
}

/** A Secret key exposed as an environment variable (`valueFrom.secretKeyRef`). */
export interface SecretEnv {
  secretName: string;
  key: string;
  /** The pod starts without it (e.g. `SENTRY_DSN` in a staging cluster without Sentry). */
  optional?: boolean;
}

/** A ConfigMap with feature flags mounted as files; its path goes to `IMMO_FLAGS_FILE`. */
export interface FlagsOptions {
  /** File name → content (JSON or YAML text). */
  files: Record<string, string>;
  /** @default '/etc/immo/flags' */
  mountPath?: string;
}

/**
 * One service's deployment: everything that differs per environment can be overridden in
 * `environments` (replicas, resources, image, hostnames, policies).
 */
export interface ServiceOptions {
  /** DNS-1035 label: objects, labels and `OTEL_SERVICE_NAME`. */
  name: string;
  namespace: string;
  /** `name@sha256:<64 lowercase hex>` (tag before `@` allowed). A tag alone is refused. */
  image: string;
  /** `app.kubernetes.io/version` and `service.version` of spans. */
  version?: string;
  /** `deployment.environment.name`; filled from the `environments` key when rendering one. */
  environment?: string;
  /** Container port (named `http`). @default 3000 */
  port?: number;
  /** Replicas when there is no HPA. @default 2 */
  replicas?: number;
  resources?: { cpuRequest?: string; memoryRequest?: string; memoryLimit?: string; cpuLimit?: string };
  probes?: { liveness?: ProbeOptions; readiness?: ProbeOptions; startup?: ProbeOptions };
  shutdown?: ShutdownOptions;
  /** Plain settings. Secret-looking names (password, token, key, DSN, DATABASE_URL) are refused here. */
  env?: Record<string, string>;
  secretEnv?: Record<string, SecretEnv>;
  /** OTLP/HTTP endpoint of the collector (`OTEL_EXPORTER_OTLP_ENDPOINT`) and head sampling ratio. */
  tracing?: { otlpEndpoint?: string; sampleRatio?: number };
  /** An Ingress for the Service (`networking.k8s.io/v1`); hosts usually differ per environment. */
  ingress?: IngressOptions;
  /** `false` for a fixed replica count. */
  autoscaling?: false | { minReplicas?: number; maxReplicas?: number; cpuUtilization?: number };
  /** One of the two; `maxUnavailable: 1` by default. */
  disruptionBudget?: { maxUnavailable?: number | string; minAvailable?: number | string };
  /** ServiceMonitor scrape settings. */
  monitoring?: { path?: string; interval?: string; scrapeTimeout?: string; labels?: Record<string, string> };
  /** `false`: no NetworkPolicy. */
  networkPolicy?: false | NetworkPolicyOptions;
  serviceAccount?: { automountToken?: boolean; annotations?: Record<string, string> };
  flags?: FlagsOptions;
  /** Rule groups and dashboards: rendered to a PrometheusRule and dashboard ConfigMaps. */
  mixins?: readonly Mixin[];
  /** Extra labels on every object. */
  labels?: Record<string, string>;
  /** Non-root UID the image runs as. @default 1000 */
  runAsUser?: number;
  /** Folder the Grafana sidecar puts dashboards in (annotation `grafana_folder`). */
  dashboardFolder?: string;
}

/** Per-environment overrides: any subset of the options, merged deeply (arrays and `false` replace). */
export type EnvironmentOverrides = DeepPartial<Omit<ServiceOptions, 'name'>>;

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Input of {@link defineService}. */
export interface ServiceDefinitionInput extends ServiceOptions {
  /** `production`, `staging`, …: overrides of the base options. */
  environments?: Record<string, EnvironmentOverrides>;
}

const dnsLabel = z
  .string()
  .regex(/^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS-1035 label (lowercase letters, digits, "-", ≤ 63)');
const labelMap = z.record(
  z.string().regex(/^([a-z0-9.-]+\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/, 'a label key'),
  z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, 'a label value (≤ 63 characters)'),
);
const seconds = z.number().int().min(0).max(3600);
const quantity = z.string().regex(QUANTITY_PATTERN, 'a quantity such as "250m", "0.5", "256Mi"');
const tcpPort = z.number().int().min(1).max(65_535);
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name');
const cidr = z
  .string()
  .regex(/^(\d{1,3}\.){3}\d{1,3}\/\d{1,2}$|^[0-9a-fA-F:]+\/\d{1,3}$/, 'a CIDR such as "10.0.0.0/8"');
const percentOrCount = z.union([
  z.number().int().min(0),
  z.string().regex(/^(100|[1-9]?[0-9])%$/, 'a percentage from 0% to 100% such as "25%"'),
]);

const probe = z
  .object({
    path: z.string().regex(/^\//, 'a path starting with "/"').optional(),
    initialDelaySeconds: seconds.optional(),
    periodSeconds: z.number().int().min(1).max(3600).optional(),
    timeoutSeconds: z.number().int().min(2, 'above 1 s').max(3600).optional(),
    failureThreshold: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const peer = z
  .object({
    namespaceLabels: labelMap.optional(),
    podLabels: labelMap.optional(),
    cidr: cidr.optional(),
    except: z.array(cidr).optional(),
    ports: z.array(tcpPort).optional(),
  })
  .strict();

const serviceShape = {
  name: dnsLabel,
  namespace: dnsLabel,
  image: z.string(),
  version: z
    .string()
    .regex(
      /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
      'a label value such as "1.4.2" (letters, digits, "-", "_", "."; no "+"; ≤ 63)',
    )
    .optional(),
  environment: z.string().min(1).max(63).optional(),
  port: tcpPort.optional(),
  replicas: z.number().int().min(1).max(1000).optional(),
  resources: z
    .object({
      cpuRequest: quantity.optional(),
      memoryRequest: quantity.optional(),
      memoryLimit: quantity.optional(),
      cpuLimit: quantity.optional(),
    })
    .strict()
    .optional(),
  probes: z
    .object({ liveness: probe.optional(), readiness: probe.optional(), startup: probe.optional() })
    .strict()
    .optional(),
  shutdown: z
    .object({
      preStopSleepSeconds: z.number().int().min(0).max(600).optional(),
      shutdownDeadlineMs: z.number().int().min(1000).max(3_600_000).optional(),
      telemetryFlushMs: z.number().int().min(1).max(600_000).optional(),
      marginSeconds: z.number().int().min(0).max(600).optional(),
      terminationGracePeriodSeconds: z.number().int().min(1).max(7200).optional(),
    })
    .strict()
    .optional(),
  env: z.record(envName, z.string()).optional(),
  secretEnv: z
    .record(
      envName,
      z
        .object({
          secretName: dnsLabel.or(z.string().regex(/^[a-z0-9.-]{1,253}$/)),
          key: z.string().min(1),
          optional: z.boolean().optional(),
        })
        .strict(),
    )
    .optional(),
  tracing: z
    .object({
      otlpEndpoint: z.url({ protocol: /^https?$/ }).optional(),
      sampleRatio: z.number().min(0).max(1).optional(),
    })
    .strict()
    .optional(),
  ingress: z
    .object({
      host: z
        .string()
        .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\.)+[a-z]{2,}$/, 'a DNS name such as "billing.example.com"'),
      path: z.string().regex(/^\//, 'a path starting with "/"').optional(),
      className: z.string().min(1).optional(),
      tlsSecretName: z
        .string()
        .regex(/^[a-z0-9.-]{1,253}$/, 'a Secret name')
        .optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .strict()
    .optional(),
  autoscaling: z
    .union([
      z.literal(false),
      z
        .object({
          minReplicas: z
            .number()
            .int()
            .min(2, '>= 2 (one replica is an outage on every node drain)')
            .max(1000)
            .optional(),
          maxReplicas: z.number().int().min(2).max(1000).optional(),
          cpuUtilization: z.number().int().min(10).max(100).optional(),
        })
        .strict(),
    ])
    .optional(),
  disruptionBudget: z
    .object({ maxUnavailable: percentOrCount.optional(), minAvailable: percentOrCount.optional() })
    .strict()
    .optional(),
  monitoring: z
    .object({
      path: z.string().regex(/^\//).optional(),
      interval: z
        .string()
        .regex(/^\d+[smh]$/, 'a duration such as "30s"')
        .optional(),
      scrapeTimeout: z
        .string()
        .regex(/^\d+[smh]$/, 'a duration such as "10s"')
        .optional(),
      labels: labelMap.optional(),
    })
    .strict()
    .optional(),
  networkPolicy: z
    .union([
      z.literal(false),
      z
        .object({
          ingress: peer.optional(),
          prometheus: peer.optional(),
          database: peer.optional(),
          otlp: peer.optional(),
          sentry: peer.optional(),
          dns: peer.optional(),
        })
        .strict(),
    ])
    .optional(),
  serviceAccount: z
    .object({
      automountToken: z.boolean().optional(),
      annotations: z.record(z.string(), z.string()).optional(),
    })
    .strict()
    .optional(),
  flags: z
    .object({
      files: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/, 'a file name'), z.string()),
      mountPath: z.string().regex(/^\/.+/, 'an absolute path').optional(),
    })
    .strict()
    .optional(),
  mixins: z
    .array(
      z
        .object({
          name: z.string().min(1),
          groups: z.array(
            z
              .object({
                name: z.string().min(1),
                interval: z
                  .string()
                  .regex(/^\d+[smh]$/, 'a duration such as "1m"')
                  .optional(),
                // Each rule's PromQL is checked by promtool in verify; here only its shape.
                rules: z.array(
                  z
                    .object({
                      record: z.string().min(1).optional(),
                      alert: z.string().min(1).optional(),
                      expr: z.string().min(1),
                      for: z.string().optional(),
                      labels: z.record(z.string(), z.string()).optional(),
                      annotations: z.record(z.string(), z.string()).optional(),
                    })
                    .loose(),
                ),
              })
              .loose(),
          ),
          dashboards: z.record(z.string(), z.object({}).loose()).optional(),
        })
        .loose(),
    )
    .optional(),
  labels: labelMap.optional(),
  runAsUser: z.number().int().min(1, '> 0 (0 is root)').max(2_147_483_647).optional(),
  dashboardFolder: z.string().min(1).optional(),
};

const serviceSchema = z.object(serviceShape).strict();

/** Names the generator sets itself: a user value would silently fight it. */
export const GENERATED_ENV = [
  'HOST',
  'PORT',
  'NODE_ENV',
  'OTEL_SERVICE_NAME',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'IMMO_TRACING_SERVICE_VERSION',
  'IMMO_METRICS_VERSION',
  'IMMO_LOGGER_VERSION',
  'IMMO_TRACING_ENVIRONMENT',
  'IMMO_TRACING_SAMPLE_RATIO',
  'IMMO_HEALTH_PROPAGATION_DELAY_MS',
  'IMMO_HEALTH_SHUTDOWN_DEADLINE_MS',
  'IMMO_FLAGS_FILE',
  'K8S_POD_NAME',
  'K8S_POD_UID',
  'K8S_NAMESPACE_NAME',
  'K8S_NODE_NAME',
  'K8S_CONTAINER_NAME',
] as const;

/** Variable names that hold secrets: their values must come from a Secret, never a literal. */
export const SECRET_ENV_NAME =
  /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL|_DSN$|^DSN$|DATABASE_URL|_URL_WITH_AUTH)/i;

/** The options after defaults: what the generators read. */
export interface ResolvedService {
  name: string;
  namespace: string;
  image: string;
  version: string | undefined;
  environment: string | undefined;
  port: number;
  replicas: number;
  resources: { cpuRequest: string; memoryRequest: string; memoryLimit: string; cpuLimit: string | undefined };
  probes: Record<'liveness' | 'readiness' | 'startup', Required<ProbeOptions>>;
  shutdown: Required<Omit<ShutdownOptions, 'terminationGracePeriodSeconds'>> & {
    terminationGracePeriodSeconds: number;
  };
  env: Record<string, string>;
  secretEnv: Record<string, SecretEnv>;
  tracing: { otlpEndpoint: string | undefined; sampleRatio: number | undefined };
  autoscaling: false | { minReplicas: number; maxReplicas: number; cpuUtilization: number };
  ingress:
    | (Required<Omit<IngressOptions, 'tlsSecretName'>> & { tlsSecretName: string | undefined })
    | undefined;
  disruptionBudget: { maxUnavailable?: number | string; minAvailable?: number | string };
  monitoring: { path: string; interval: string; scrapeTimeout: string; labels: Record<string, string> };
  networkPolicy: false | NetworkPolicyOptions;
  serviceAccount: { automountToken: boolean; annotations: Record<string, string> };
  flags: { files: Record<string, string>; mountPath: string } | undefined;
  mixins: readonly Mixin[];
  labels: Record<string, string>;
  runAsUser: number;
  dashboardFolder: string | undefined;
}

/** The rollout plan's probes: liveness `/health` 15 s/10 s, readiness `/health/ready` 5 s/5 s. */
export const DEFAULT_PROBES = {
  liveness: {
    path: '/health',
    initialDelaySeconds: 15,
    periodSeconds: 10,
    timeoutSeconds: 2,
    failureThreshold: 3,
  },
  readiness: {
    path: '/health/ready',
    initialDelaySeconds: 5,
    periodSeconds: 5,
    timeoutSeconds: 2,
    failureThreshold: 2,
  },
  // 30 × 2 s = up to 60 s to start (migrations, cold caches) before liveness may restart the pod.
  startup: {
    path: '/health/startup',
    initialDelaySeconds: 0,
    periodSeconds: 2,
    timeoutSeconds: 2,
    failureThreshold: 30,
  },
} as const;

/** preStop + deadline + margin, in whole seconds: the shortest safe `terminationGracePeriodSeconds`. */
export function shutdownBudgetSeconds(s: {
  preStopSleepSeconds: number;
  shutdownDeadlineMs: number;
  marginSeconds: number;
}): number {
  return s.preStopSleepSeconds + Math.ceil(s.shutdownDeadlineMs / 1000) + s.marginSeconds;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    v !== null && typeof v === 'object' && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

/** @internal Deep merge where arrays, scalars and `false` replace. */
export function mergeOverrides<T>(base: T, override: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(override))
    return (override === undefined ? base : override) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergeOverrides(out[k], v) : v;
  }
  return out as T;
}

/** Cross-field rules zod cannot express on one field. */
function crossCheck(o: z.infer<typeof serviceSchema>): string[] {
  const problems: string[] = [];
  const image = digestProblem(o.image);
  if (image !== undefined) {
    problems.push(
      `image: expected name@sha256:<64 lowercase hex>, received "${o.image.slice(0, 80)}" (${image})`,
    );
  }
  const sd = o.shutdown ?? {};
  const deadline = sd.shutdownDeadlineMs ?? 25_000;
  const flush = sd.telemetryFlushMs ?? 5000;
  if (flush >= deadline) {
    problems.push(
      `shutdown.telemetryFlushMs: expected less than shutdownDeadlineMs (${deadline}), received number ${flush}`,
    );
  }
  const budget = shutdownBudgetSeconds({
    preStopSleepSeconds: sd.preStopSleepSeconds ?? 5,
    shutdownDeadlineMs: deadline,
    marginSeconds: sd.marginSeconds ?? 5,
  });
  if (sd.terminationGracePeriodSeconds !== undefined && sd.terminationGracePeriodSeconds < budget) {
    problems.push(
      `shutdown.terminationGracePeriodSeconds: expected >= ${budget} (preStop ${sd.preStopSleepSeconds ?? 5} s + shutdown deadline ${deadline} ms + margin ${sd.marginSeconds ?? 5} s), received number ${sd.terminationGracePeriodSeconds}`,
    );
  }
  const r = o.resources ?? {};
  const memReq = parseQuantity(r.memoryRequest ?? '256Mi');
  const memLim = parseQuantity(r.memoryLimit ?? '512Mi');
  if (memReq !== undefined && memLim !== undefined && memLim < memReq) {
    problems.push(
      `resources.memoryLimit: expected >= memoryRequest (${r.memoryRequest ?? '256Mi'}), received "${r.memoryLimit ?? '512Mi'}"`,
    );
  }
  if (r.cpuLimit !== undefined) {
    const cpuReq = parseQuantity(r.cpuRequest ?? '100m');
    const cpuLim = parseQuantity(r.cpuLimit);
    if (cpuReq !== undefined && cpuLim !== undefined && cpuLim < cpuReq) {
      problems.push(
        `resources.cpuLimit: expected >= cpuRequest (${r.cpuRequest ?? '100m'}), received "${r.cpuLimit}"`,
      );
    }
  }
  for (const kind of ['liveness', 'readiness', 'startup'] as const) {
    const given = o.probes?.[kind] ?? {};
    const period = given.periodSeconds ?? DEFAULT_PROBES[kind].periodSeconds;
    const timeout = given.timeoutSeconds ?? DEFAULT_PROBES[kind].timeoutSeconds;
    if (timeout > period) {
      problems.push(
        `probes.${kind}.timeoutSeconds: expected <= periodSeconds (${period}), received number ${timeout}`,
      );
    }
  }
  if (o.autoscaling !== false && o.autoscaling !== undefined) {
    const min = o.autoscaling.minReplicas ?? 2;
    const max = o.autoscaling.maxReplicas ?? Math.max(min, 6);
    if (max < min)
      problems.push(`autoscaling.maxReplicas: expected >= minReplicas (${min}), received number ${max}`);
  }
  if (o.autoscaling !== false && o.replicas !== undefined) {
    problems.push(
      `replicas: expected only with autoscaling: false (with an HPA, autoscaling.minReplicas sets the count), received number ${o.replicas}`,
    );
  }
  const minPods = o.autoscaling === false ? (o.replicas ?? 2) : (o.autoscaling?.minReplicas ?? 2);
  const pdb = o.disruptionBudget ?? {};
  if (pdb.maxUnavailable !== undefined && pdb.minAvailable !== undefined) {
    problems.push('disruptionBudget: expected one of maxUnavailable or minAvailable, received both');
  }
  if (pdb.maxUnavailable === 0 || pdb.maxUnavailable === '0%') {
    problems.push(
      `disruptionBudget.maxUnavailable: expected >= 1 (0 blocks every node drain), received ${JSON.stringify(pdb.maxUnavailable)}`,
    );
  }
  if (pdb.minAvailable !== undefined) {
    const blocks =
      typeof pdb.minAvailable === 'number'
        ? pdb.minAvailable >= minPods
        : // Kubernetes rounds a percentage of pods up: 60 % of 2 pods is 2, which blocks every drain.
          Math.ceil((Number.parseInt(pdb.minAvailable, 10) / 100) * minPods) >= minPods;
    if (blocks) {
      problems.push(
        `disruptionBudget.minAvailable: expected below the minimum replica count (${minPods}) so one pod can be evicted, received ${JSON.stringify(pdb.minAvailable)}`,
      );
    }
  }
  for (const name of Object.keys(o.env ?? {})) {
    if ((GENERATED_ENV as readonly string[]).includes(name)) {
      problems.push(
        `env.${name}: expected a variable the generator does not set, received "${name}" (set it through its option)`,
      );
    } else if (SECRET_ENV_NAME.test(name)) {
      problems.push(
        `env.${name}: expected a non-secret setting, received a secret-looking name (move it to secretEnv: a Secret reference)`,
      );
    }
    if (o.secretEnv?.[name] !== undefined)
      problems.push(`env.${name}: expected in env or secretEnv, received both`);
  }
  for (const name of Object.keys(o.secretEnv ?? {})) {
    if ((GENERATED_ENV as readonly string[]).includes(name)) {
      problems.push(`secretEnv.${name}: expected a variable the generator does not set, received "${name}"`);
    }
  }
  return problems;
}

function resolve(o: z.infer<typeof serviceSchema>): ResolvedService {
  const sd = o.shutdown ?? {};
  const shutdown = {
    preStopSleepSeconds: sd.preStopSleepSeconds ?? 5,
    shutdownDeadlineMs: sd.shutdownDeadlineMs ?? 25_000,
    telemetryFlushMs: sd.telemetryFlushMs ?? 5000,
    marginSeconds: sd.marginSeconds ?? 5,
  };
  // `replicas` with an HPA is refused above, so the HPA's minimum is its own or 2.
  const minReplicas = o.autoscaling === false ? 0 : (o.autoscaling?.minReplicas ?? 2);
  const pdb = o.disruptionBudget ?? {};
  return {
    name: o.name,
    namespace: o.namespace,
    image: o.image,
    version: o.version,
    environment: o.environment,
    port: o.port ?? 3000,
    replicas: o.autoscaling === false ? (o.replicas ?? 2) : minReplicas,
    resources: {
      cpuRequest: o.resources?.cpuRequest ?? '100m',
      memoryRequest: o.resources?.memoryRequest ?? '256Mi',
      memoryLimit: o.resources?.memoryLimit ?? '512Mi',
      cpuLimit: o.resources?.cpuLimit,
    },
    probes: {
      liveness: { ...DEFAULT_PROBES.liveness, ...o.probes?.liveness },
      readiness: { ...DEFAULT_PROBES.readiness, ...o.probes?.readiness },
      startup: { ...DEFAULT_PROBES.startup, ...o.probes?.startup },
    },
    shutdown: {
      ...shutdown,
      terminationGracePeriodSeconds: sd.terminationGracePeriodSeconds ?? shutdownBudgetSeconds(shutdown),
    },
    env: { ...o.env },
    secretEnv: { ...o.secretEnv },
    tracing: { otlpEndpoint: o.tracing?.otlpEndpoint, sampleRatio: o.tracing?.sampleRatio },
    autoscaling:
      o.autoscaling === false
        ? false
        : {
            minReplicas,
            maxReplicas: o.autoscaling?.maxReplicas ?? Math.max(minReplicas, 6),
            cpuUtilization: o.autoscaling?.cpuUtilization ?? 70,
          },
    ingress:
      o.ingress === undefined
        ? undefined
        : {
            host: o.ingress.host,
            path: o.ingress.path ?? '/',
            className: o.ingress.className ?? 'nginx',
            tlsSecretName: o.ingress.tlsSecretName,
            annotations: { ...o.ingress.annotations },
          },
    disruptionBudget:
      pdb.minAvailable !== undefined
        ? { minAvailable: pdb.minAvailable }
        : { maxUnavailable: pdb.maxUnavailable ?? 1 },
    monitoring: {
      path: o.monitoring?.path ?? '/metrics',
      interval: o.monitoring?.interval ?? '30s',
      scrapeTimeout: o.monitoring?.scrapeTimeout ?? '10s',
      labels: { ...o.monitoring?.labels },
    },
    networkPolicy: o.networkPolicy === undefined ? {} : o.networkPolicy,
    serviceAccount: {
      automountToken: o.serviceAccount?.automountToken ?? false,
      annotations: { ...o.serviceAccount?.annotations },
    },
    flags:
      o.flags === undefined
        ? undefined
        : { files: o.flags.files, mountPath: o.flags.mountPath ?? '/etc/immo/flags' },
    mixins: (o.mixins ?? []) as unknown as readonly Mixin[],
    labels: { ...o.labels },
    runAsUser: o.runAsUser ?? 1000,
    dashboardFolder: o.dashboardFolder,
  };
}

/** Validates one set of options (base or base + environment). */
function check(input: unknown): { problems: string[]; value?: ResolvedService } {
  const parsed = serviceSchema.safeParse(input);
  if (!parsed.success) return { problems: formatIssues(parsed.error, input) };
  const problems = crossCheck(parsed.data);
  return problems.length > 0 ? { problems } : { problems, value: resolve(parsed.data) };
}

/**
 * A validated service definition: the base options and each environment's merged result.
 *
 * @example
 * ```ts
 * const def = defineService({ name: 'api', namespace: 'billing', image: `ghcr.io/immo/api@sha256:${digest}` });
 * def.environments; // ['default'] when none are declared
 * ```
 */
export interface ServiceDefinition {
  readonly name: string;
  /** Environment names; `default` when none were declared. */
  readonly environments: readonly string[];
  /** The resolved options of one environment. */
  resolve(environment?: string): ResolvedService;
}

/**
 * Validates a service definition and every environment's merged options at once, so a bad
 * production override fails on the developer's machine, not in the pipeline.
 *
 * @throws {K8sManifestsError} `IMMO_K8S_INVALID_OPTIONS` listing every problem as `path: expected X, received Y`.
 * @example
 * ```ts
 * const api = defineService({
 *   name: 'api',
 *   namespace: 'billing',
 *   image: readImageLock('image.lock').get('ghcr.io/immo/api')!,
 *   environments: { staging: { namespace: 'billing-staging' }, production: { autoscaling: { minReplicas: 3 } } },
 * });
 * ```
 */
export function defineService(input: ServiceDefinitionInput): ServiceDefinition {
  if (!isPlainObject(input)) {
    throw new K8sManifestsError('IMMO_K8S_INVALID_OPTIONS', 'Invalid service definition', [
      `(options): expected an object, received ${input === null ? 'null' : typeof input}`,
    ]);
  }
  const { environments, ...base } = input;
  const resolved = new Map<string, ResolvedService>();
  const problems: string[] = [];
  const names = environments === undefined ? [] : Object.keys(environments);
  if (environments !== undefined && !isPlainObject(environments)) {
    problems.push(`environments: expected an object of overrides, received ${typeof environments}`);
  }
  if (names.length === 0) {
    const r = check(base);
    problems.push(...r.problems);
    if (r.value) resolved.set('default', r.value);
  } else {
    // The base alone need not be complete or valid (e.g. the image may come per environment):
    // what is rendered is each merged environment, so that is what is validated.
    const perEnv = new Map<string, string[]>();
    for (const env of names) {
      if (!/^[a-z][-a-z0-9]{0,30}$/.test(env)) {
        problems.push(
          `environments.${env}: expected a lowercase environment name, received "${env.slice(0, 40)}"`,
        );
        continue;
      }
      // The environment's key names it (not a base value); its own overrides may still rename it.
      const merged = mergeOverrides(
        { ...base, environment: env },
        (environments as Record<string, unknown>)[env],
      );
      const r = check(merged);
      perEnv.set(env, r.problems);
      if (r.value) resolved.set(env, r.value);
    }
    // A problem of the base shows in every environment: report it once, unprefixed.
    const lists = [...perEnv.values()];
    const everywhere = new Set(
      lists.length < 2 ? [] : (lists[0]?.filter((p) => lists.every((l) => l.includes(p))) ?? []),
    );
    problems.push(...everywhere);
    for (const [env, list] of perEnv) {
      for (const p of list) if (!everywhere.has(p)) problems.push(`environments.${env}.${p}`);
    }
  }
  if (problems.length > 0) {
    throw new K8sManifestsError('IMMO_K8S_INVALID_OPTIONS', 'Invalid service definition', problems);
  }
  return Object.freeze({
    name: input.name,
    environments: [...resolved.keys()],
    resolve(environment?: string): ResolvedService {
      const key = environment ?? (resolved.size === 1 ? [...resolved.keys()][0]! : undefined);
      const value = key === undefined ? undefined : resolved.get(key);
      if (value === undefined) {
        throw new K8sManifestsError('IMMO_K8S_INVALID_OPTIONS', 'Unknown environment', [
          `environment: expected one of ${[...resolved.keys()].map((k) => JSON.stringify(k)).join(', ')}, received ${environment === undefined ? 'none' : JSON.stringify(environment)}`,
        ]);
      }
      return value;
    },
  });
}
