import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHealth } from '@immo/health';
import { metricsMixin } from '@immo/metrics/mixin';
import { requireTools } from '@immo/test-servers';
import { K8S_DOWNWARD_ENV, kubernetesAttributes } from '@immo/tracing';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  defineService,
  K8sManifestsError,
  type ManifestObject,
  renderAll,
  renderService,
  type ServiceDefinitionInput,
  toYaml,
  verifyManifests,
  writeManifests,
} from '../src/index.js';

const tools = requireTools('rendered manifests pass promtool', ['promtool']);
const image = `ghcr.io/immo/api@sha256:${'f'.repeat(64)}`;
const base: ServiceDefinitionInput = { name: 'api', namespace: 'billing', image, version: '1.4.2' };
const tmp = mkdtempSync(join(tmpdir(), 'immo-k8s-render-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function errorOf(fn: () => unknown): K8sManifestsError {
  try {
    fn();
  } catch (err) {
    if (err instanceof K8sManifestsError) return err;
    throw err;
  }
  throw new Error('expected a K8sManifestsError');
}

// biome-ignore lint/suspicious/noExplicitAny: reading rendered JSON in assertions
type Obj = Record<string, any>;
const one = (m: ReadonlyMap<string, readonly ManifestObject[]>, file: string) => m.get(file)![0] as Obj;
const container = (m: ReadonlyMap<string, readonly ManifestObject[]>) =>
  one(m, 'deployment.yaml').spec.template.spec.containers[0];
const envOf = (c: Obj) => Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));

describe('defineService: bad options', () => {
  it('lists every problem at once, as path: expected X, received Y', () => {
    const err = errorOf(() =>
      defineService({
        ...base,
        image: 'ghcr.io/immo/api:1.4',
        replicas: -2,
        autoscaling: false,
        probes: { readiness: { periodSeconds: 0 }, liveness: { timeoutSeconds: 1 } },
        shutdown: { terminationGracePeriodSeconds: 20 },
      }),
    );
    expect(err.code).toBe('IMMO_K8S_INVALID_OPTIONS');
    expect(err.issues).toEqual([
      'replicas: expected >= 1, received number -2',
      'probes.liveness.timeoutSeconds: expected above 1 s, received number 1',
      'probes.readiness.periodSeconds: expected >= 1, received number 0',
    ]);
    // Cross-field rules are checked once the fields themselves are valid.
    const err2 = errorOf(() =>
      defineService({
        ...base,
        image: 'ghcr.io/immo/api:1.4',
        shutdown: { terminationGracePeriodSeconds: 20 },
      }),
    );
    expect(err2.issues).toEqual([
      'image: expected name@sha256:<64 lowercase hex>, received "ghcr.io/immo/api:1.4" (no digest: the tag "1.4" can be moved to another image)',
      'shutdown.terminationGracePeriodSeconds: expected >= 35 (preStop 5 s + shutdown deadline 25000 ms + margin 5 s), received number 20',
    ]);
  });

  it('refuses secrets as literals, variables the generator owns, blocking budgets and inverted limits', () => {
    const err = errorOf(() =>
      defineService({
        ...base,
        env: { DATABASE_URL: 'postgres://u:p@db/app', PORT: '8080', SENTRY_DSN: 'x' },
        secretEnv: { SENTRY_DSN: { secretName: 'sentry', key: 'dsn' } },
        resources: { memoryRequest: '1Gi', memoryLimit: '512Mi' },
        disruptionBudget: { minAvailable: 2 },
        shutdown: { telemetryFlushMs: 30_000 },
      }),
    );
    expect(err.issues).toEqual([
      'shutdown.telemetryFlushMs: expected less than shutdownDeadlineMs (25000), received number 30000',
      'resources.memoryLimit: expected >= memoryRequest (1Gi), received "512Mi"',
      'disruptionBudget.minAvailable: expected below the minimum replica count (2) so one pod can be evicted, received 2',
      'env.DATABASE_URL: expected a non-secret setting, received a secret-looking name (move it to secretEnv: a Secret reference)',
      'env.PORT: expected a variable the generator does not set, received "PORT" (set it through its option)',
      'env.SENTRY_DSN: expected a non-secret setting, received a secret-looking name (move it to secretEnv: a Secret reference)',
      'env.SENTRY_DSN: expected in env or secretEnv, received both',
    ]);
    expect(err.message).not.toContain('postgres://u:p@db');
  });

  it('prefixes problems of one environment and reports problems of the base once', () => {
    const err = errorOf(() =>
      defineService({
        ...base,
        port: 70_000,
        environments: {
          staging: { replicas: 0, autoscaling: false },
          production: { autoscaling: { minReplicas: 1 } },
        },
      }),
    );
    expect(err.issues).toEqual([
      'port: expected <= 65535, received number 70000',
      'environments.staging.replicas: expected >= 1, received number 0',
      'environments.production.autoscaling.minReplicas: expected >= 2 (one replica is an outage on every node drain), received number 1',
    ]);
  });

  it('refuses settings that would render manifests the API server or a drain rejects', () => {
    const err = errorOf(() =>
      defineService({
        ...base,
        version: '1.2.3+build.5',
        replicas: 5,
        disruptionBudget: { minAvailable: '60%' },
        probes: { startup: { timeoutSeconds: 5 } },
        image: `Registry.Example.com/Team/Api@sha256:${'f'.repeat(64)}`,
      }),
    );
    expect(err.issues).toEqual([expect.stringMatching(/^version: expected a label value such as "1\.4\.2"/)]);
    const err2 = errorOf(() =>
      defineService({
        ...base,
        replicas: 5,
        disruptionBudget: { minAvailable: '60%' },
        probes: { startup: { timeoutSeconds: 5 } },
        image: `Registry.Example.com/Team/Api@sha256:${'f'.repeat(64)}`,
      }),
    );
    expect(err2.issues).toEqual([
      expect.stringMatching(/^image: .*the repository path has uppercase letters/),
      'probes.startup.timeoutSeconds: expected <= periodSeconds (2), received number 5',
      'replicas: expected only with autoscaling: false (with an HPA, autoscaling.minReplicas sets the count), received number 5',
      'disruptionBudget.minAvailable: expected below the minimum replica count (2) so one pod can be evicted, received "60%"',
    ]);
  });

  it('names each environment by its key, whatever the base says', () => {
    const def = defineService({
      ...base,
      environment: 'base',
      environments: { staging: {}, production: {} },
    });
    expect(def.resolve('staging').environment).toBe('staging');
    expect(def.resolve('production').environment).toBe('production');
  });

  it('checks cross-field rules per environment', () => {
    const err = errorOf(() =>
      defineService({
        ...base,
        environments: { staging: {}, production: { disruptionBudget: { maxUnavailable: 0 } } },
      }),
    );
    expect(err.issues).toEqual([
      'environments.production.disruptionBudget.maxUnavailable: expected >= 1 (0 blocks every node drain), received 0',
    ]);
  });

  it('refuses unknown options and non-objects', () => {
    expect(errorOf(() => defineService({ ...base, replcias: 3 } as never)).issues).toEqual([
      '(options): unknown option(s) replcias — remove them or check the spelling',
    ]);
    expect(errorOf(() => defineService(null as never)).issues).toEqual([
      '(options): expected an object, received null',
    ]);
  });

  it('names the environments when asked for an unknown one', () => {
    const def = defineService({ ...base, environments: { staging: {}, production: {} } });
    expect(def.environments).toEqual(['staging', 'production']);
    expect(() => def.resolve('prod')).toThrow(/expected one of "staging", "production", received "prod"/);
  });
});

describe('renderService', () => {
  const def = defineService({
    ...base,
    secretEnv: {
      DATABASE_URL: { secretName: 'api-db', key: 'url' },
      SENTRY_DSN: { secretName: 'api-sentry', key: 'dsn', optional: true },
    },
    tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318', sampleRatio: 0.1 },
    mixins: [metricsMixin({ rules: { selector: 'service="api"' }, dashboard: { uid: 'api-http' } })],
    environments: {
      staging: { namespace: 'billing-staging', autoscaling: { minReplicas: 2, maxReplicas: 3 } },
      production: {},
    },
  });
  const prod = renderService(def, { environment: 'production' });

  it('writes the rollout plan probes, on the declared port, with timeouts above 1 s', () => {
    const c = container(prod);
    expect(c.ports).toEqual([{ name: 'http', containerPort: 3000, protocol: 'TCP' }]);
    expect(c.livenessProbe).toMatchObject({
      httpGet: { path: '/health', port: 'http' },
      initialDelaySeconds: 15,
      periodSeconds: 10,
    });
    expect(c.readinessProbe).toMatchObject({
      httpGet: { path: '/health/ready', port: 'http' },
      initialDelaySeconds: 5,
      periodSeconds: 5,
    });
    expect(c.startupProbe).toMatchObject({ httpGet: { path: '/health/startup', port: 'http' } });
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe])
      expect(p.timeoutSeconds).toBeGreaterThan(1);
    expect(c.imagePullPolicy).toBe('IfNotPresent');
    expect(c.image).toBe(image);
  });

  it('derives the grace period from the preStop sleep and the app shutdown deadline it passes to @immo/health', () => {
    const pod = one(prod, 'deployment.yaml').spec.template.spec;
    const c = container(prod);
    expect(c.lifecycle).toEqual({ preStop: { sleep: { seconds: 5 } } });
    expect(pod.terminationGracePeriodSeconds).toBe(5 + 25 + 5);
    // The same numbers, read by @immo/health itself from the env the Deployment sets.
    const env = envOf(c);
    const health = createHealth({
      handleSignals: false,
      handleUncaught: false,
      metrics: false,
      pressure: false,
      exit: () => {},
    });
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        IMMO_HEALTH_PROPAGATION_DELAY_MS: env.IMMO_HEALTH_PROPAGATION_DELAY_MS,
        IMMO_HEALTH_SHUTDOWN_DEADLINE_MS: env.IMMO_HEALTH_SHUTDOWN_DEADLINE_MS,
      });
      const fromEnv = createHealth({
        handleSignals: false,
        handleUncaught: false,
        metrics: false,
        pressure: false,
        exit: () => {},
      });
      expect(fromEnv.options.propagationDelayMs).toBe(0);
      expect(fromEnv.options.shutdownDeadlineMs).toBe(25_000);
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
        5000 + fromEnv.options.shutdownDeadlineMs,
      );
    } finally {
      process.env = saved;
    }
    expect(health.options.propagationDelayMs).toBe(5000); // the default it replaces
  });

  it('sets every Downward API variable @immo/tracing reads, and tracing settings', () => {
    const env = envOf(container(prod));
    // Resolve the fieldRefs as the kubelet would, then let @immo/tracing read them.
    const pod = {
      'metadata.name': 'api-7d9f',
      'metadata.uid': 'u-1',
      'metadata.namespace': 'billing',
      'spec.nodeName': 'node-a',
    };
    const resolved = Object.fromEntries(
      Object.entries(env).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : ((pod as Record<string, string>)[(v as Obj).fieldRef?.fieldPath] ?? ''),
      ]),
    );
    expect(Object.keys(kubernetesAttributes(resolved)).sort()).toEqual(Object.keys(K8S_DOWNWARD_ENV).sort());
    expect(kubernetesAttributes(resolved)['k8s.container.name']).toBe('api');
    expect(env).toMatchObject({
      HOST: '0.0.0.0',
      PORT: '3000',
      OTEL_SERVICE_NAME: 'api',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel-collector.observability.svc:4318',
      IMMO_TRACING_SAMPLE_RATIO: '0.1',
      IMMO_TRACING_ENVIRONMENT: 'production',
      IMMO_TRACING_SERVICE_VERSION: '1.4.2',
    });
  });

  it('takes secrets from Secret references only', () => {
    const env = envOf(container(prod));
    expect(env.DATABASE_URL).toEqual({ secretKeyRef: { name: 'api-db', key: 'url' } });
    expect(env.SENTRY_DSN).toEqual({ secretKeyRef: { name: 'api-sentry', key: 'dsn', optional: true } });
  });

  it('locks the container down and spreads replicas', () => {
    const d = one(prod, 'deployment.yaml');
    const pod = d.spec.template.spec;
    expect(container(prod).securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1);
    expect(pod.topologySpreadConstraints[0].topologyKey).toBe('topology.kubernetes.io/zone');
    expect(d.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    expect(d.spec.replicas).toBeUndefined(); // the HPA owns it
    expect(container(prod).resources).toEqual({
      requests: { cpu: '100m', memory: '256Mi' },
      limits: { memory: '512Mi' },
    });
  });

  it('renders HPA, PDB, ServiceMonitor, NetworkPolicy and ServiceAccount that fit together', () => {
    expect(one(prod, 'hpa.yaml').spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 6,
      scaleTargetRef: { kind: 'Deployment', name: 'api' },
    });
    expect(one(prod, 'pdb.yaml').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { 'app.kubernetes.io/name': 'api' } },
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    });
    expect(one(prod, 'servicemonitor.yaml').spec.endpoints).toEqual([
      { port: 'http', path: '/metrics', interval: '30s', scrapeTimeout: '10s', honorLabels: true },
    ]);
    expect(one(prod, 'serviceaccount.yaml').automountServiceAccountToken).toBe(false);
    const np = one(prod, 'networkpolicy.yaml').spec;
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.ingress).toHaveLength(2);
    expect(np.egress.map((e: Obj) => e.ports.map((p: Obj) => p.port).join('/'))).toEqual([
      '53/53',
      '5432',
      '4318',
      '443',
    ]);
    expect(np.egress[3].to[0].ipBlock.except).toContain('10.0.0.0/8');
  });

  it('renders the mixins into one PrometheusRule and one dashboard ConfigMap per dashboard', () => {
    const rule = one(prod, 'monitoring/prometheusrule.yaml');
    expect(rule.spec.groups.length).toBeGreaterThan(0);
    const cm = one(prod, 'monitoring/dashboard-api-http.yaml');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(JSON.parse(cm.data['api-http.json']).uid).toBe('api-http');
  });

  it('refuses oversized dashboards and duplicate rule groups', () => {
    const big = {
      name: 'big',
      groups: [{ name: 'g', rules: [] }],
      dashboards: { 'big.json': { panels: 'x'.repeat(300_000) } },
    };
    const dup = { name: 'dup', groups: [{ name: 'g', rules: [] }] };
    const err = errorOf(() => renderService(defineService({ ...base, mixins: [big, dup] })));
    expect(err.code).toBe('IMMO_K8S_INVALID_MIXIN');
    expect(err.issues).toEqual([
      'mixins.dup.groups.g: expected a unique group name, received one already in mixin "big"',
      expect.stringMatching(
        /^mixins\.big\.dashboards\.big\.json: expected below 262144 bytes, received 3000\d\d$/,
      ),
    ]);
  });

  it('refuses a mixin rule without an expression before anything is rendered', () => {
    const err = errorOf(() =>
      defineService({
        ...base,
        mixins: [{ name: 'm', groups: [{ name: 'g', rules: [{ record: 'a:b' } as never] }] }],
      }),
    );
    expect(err.issues).toEqual(['mixins.0.groups.0.rules.0.expr: expected string, received undefined']);
  });

  it('routes an Ingress host to the Service, with TLS', () => {
    const m = renderService(
      defineService({ ...base, ingress: { host: 'billing.example.com', tlsSecretName: 'billing-tls' } }),
    );
    const spec = one(m, 'ingress.yaml').spec;
    expect(spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['billing.example.com'], secretName: 'billing-tls' }],
      rules: [
        {
          host: 'billing.example.com',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'api', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
    expect(errorOf(() => defineService({ ...base, ingress: { host: 'https://billing' } })).issues[0]).toMatch(
      /^ingress\.host: expected a DNS name/,
    );
  });

  it('leaves the propagation wait to the app when there is no preStop sleep', () => {
    const m = renderService(defineService({ ...base, shutdown: { preStopSleepSeconds: 0 } }));
    expect(container(m).lifecycle).toBeUndefined();
    expect(envOf(container(m)).IMMO_HEALTH_PROPAGATION_DELAY_MS).toBeUndefined();
    expect(one(m, 'deployment.yaml').spec.template.spec.terminationGracePeriodSeconds).toBe(0 + 25 + 5);
  });

  it('refuses two dashboards that would render to one file', () => {
    const mixin = {
      name: 'm',
      groups: [],
      dashboards: { 'a.b.json': { uid: 'x' }, 'a_b.json': { uid: 'y' } },
    };
    expect(() => renderService(defineService({ ...base, mixins: [mixin] }))).toThrow(
      /renders to the same file as another/,
    );
  });

  it('mounts a flags ConfigMap and points IMMO_FLAGS_FILE at it', () => {
    const m = renderService(
      defineService({ ...base, flags: { files: { 'flags.yaml': 'billing-v2: false\n' } } }),
    );
    expect(one(m, 'configmap-flags.yaml').data).toEqual({ 'flags.yaml': 'billing-v2: false\n' });
    expect(envOf(container(m)).IMMO_FLAGS_FILE).toBe('/etc/immo/flags/flags.yaml');
    expect(container(m).volumeMounts).toContainEqual({
      name: 'flags',
      mountPath: '/etc/immo/flags',
      readOnly: true,
    });
  });

  it('renders staging and production from one definition', () => {
    const staging = renderService(def, { environment: 'staging' });
    expect(one(staging, 'deployment.yaml').metadata.namespace).toBe('billing-staging');
    expect(one(staging, 'hpa.yaml').spec.maxReplicas).toBe(3);
    expect(envOf(container(staging)).IMMO_TRACING_ENVIRONMENT).toBe('staging');
  });

  it('is deterministic: the same YAML whatever order the options were written in', () => {
    const a = defineService({ ...base, env: { B: '2', A: '1' }, labels: { team: 'billing', tier: 'api' } });
    const b = defineService({
      labels: { tier: 'api', team: 'billing' },
      env: { A: '1', B: '2' },
      version: '1.4.2',
      image,
      namespace: 'billing',
      name: 'api',
    });
    const ya = [...renderService(a)].map(([f, o]) => f + toYaml(o)).join('');
    const yb = [...renderService(b)].map(([f, o]) => f + toYaml(o)).join('');
    expect(ya).toBe(yb);
    expect(ya).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
    const doc = YAML.parse(toYaml(renderService(a).get('deployment.yaml')!).split('---\n')[1]!);
    expect(Object.keys(doc)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
  });

  it('writes files, removes stale generated ones, and leaves other files alone', () => {
    const dir = join(tmp, 'out');
    const files = renderAll(def, dir);
    expect(files).toContain('production/deployment.yaml');
    expect(files).toContain('staging/monitoring/prometheusrule.yaml');
    writeFileSync(join(dir, 'production', 'stale.yaml'), toYaml([]));
    writeFileSync(join(dir, 'production', 'kustomization.yaml'), 'resources: []\n');
    writeManifests(join(dir, 'production'), renderService(def, { environment: 'production' }));
    const left = readdirSync(join(dir, 'production'));
    expect(left).not.toContain('stale.yaml');
    expect(left).toContain('kustomization.yaml');
    expect(readFileSync(join(dir, 'production', 'deployment.yaml'), 'utf8')).toMatch(
      /^# Generated by @immo\/k8s-manifests/,
    );
  });

  it.skipIf(!tools.ok)('renders manifests that pass every check, promtool included', async () => {
    const dir = join(tmp, 'verify');
    renderAll(def, dir);
    const result = await verifyManifests([dir], { promtool: tools.path('promtool') });
    expect(result.findings).toEqual([]);
    expect(result.objects).toBeGreaterThan(15);
  });
});

describe('re-rendering', () => {
  it('removes what a previous render wrote and this one does not: a dropped mixin, a dropped environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'immo-k8s-rerender-'));
    try {
      const mixin = {
        name: 'm',
        groups: [{ name: 'g', rules: [{ record: 'a:b:c', expr: 'sum(up)' }] }],
        dashboards: { 'x.json': { uid: 'x' } },
      };
      renderAll(
        defineService({
          ...base,
          mixins: [mixin],
          environments: { staging: { namespace: 'billing-staging' }, production: {} },
        }),
        dir,
      );
      writeFileSync(join(dir, 'staging', 'NOTES.yaml'), 'hand: written\n');
      expect(readdirSync(join(dir, 'production', 'monitoring')).sort()).toEqual([
        'dashboard-x.yaml',
        'prometheusrule.yaml',
      ]);

      renderAll(defineService({ ...base, environments: { production: {} } }), dir);
      expect(readdirSync(join(dir, 'production'))).not.toContain('monitoring');
      // The dropped environment's generated files are gone; a hand-written file stays.
      expect(readdirSync(join(dir, 'staging'))).toEqual(['NOTES.yaml']);
      expect(readdirSync(join(dir, 'production'))).toContain('deployment.yaml');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
