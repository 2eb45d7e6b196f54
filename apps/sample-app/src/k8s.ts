import { readFileSync } from 'node:fs';
import { defineService, readImageLock } from '@immo/k8s-manifests';
import { metricsMixin } from '@immo/metrics/mixin';
import { sloMixin } from '@immo/slo';
import { sampleAppMixin } from './alerts.js';
import { RUNBOOKS } from './runbooks.js';
import { slos } from './slos.js';

// Resolved from this module, so it works from src/ (tests) and dist/ (`pnpm k8s:render`).
const lockFile = new URL('../image.lock', import.meta.url);
const image = [...readImageLock(lockFile.pathname).values()][0]!;
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

export { RUNBOOKS } from './runbooks.js';

/**
 * The flag file of one environment (the `sample-app-flags` ConfigMap, mounted read-only; the app
 * reads it from `IMMO_FLAGS_FILE` and applies a change within a second). The kill switch is here so
 * an operator flips it fleet-wide with one edit; check an edit with
 * `immo-flags check flags.yaml --registry dist/flags.js`.
 */
function flagFile(ibanChecksum: boolean): string {
  return ['flags:', '  billing-run-kill-switch: false', `  payments-iban-checksum: ${ibanChecksum}`, ''].join(
    '\n',
  );
}

/**
 * The sample service's deployment, one definition for staging and production. Shutdown timing: a
 * 5 s preStop sleep covers endpoint propagation (the app's own propagation delay is set to 0), the
 * app has 25 s to drain, finish billing runs and flush telemetry (tracing flushes within 5 s), and
 * 5 s of margin: terminationGracePeriodSeconds = 35.
 */
export const service = defineService({
  name: 'sample-app',
  namespace: 'billing',
  image,
  version,
  port: 3000,
  resources: { cpuRequest: '250m', memoryRequest: '256Mi', memoryLimit: '512Mi' },
  shutdown: { preStopSleepSeconds: 5, shutdownDeadlineMs: 25_000, telemetryFlushMs: 5000, marginSeconds: 5 },
  env: { LOG_LEVEL: 'info' },
  secretEnv: {
    DATABASE_URL: { secretName: 'sample-app-db', key: 'url' },
    SENTRY_DSN: { secretName: 'sample-app-sentry', key: 'dsn', optional: true },
    // `name:sha256hex,…` from `immo-flags token <name>`; without the Secret there is no /admin/flags.
    FLAGS_ADMIN_TOKENS: { secretName: 'sample-app-flags-admin', key: 'tokens', optional: true },
  },
  flags: { files: { 'flags.yaml': flagFile(false) } },
  tracing: { otlpEndpoint: 'http://otel-collector.observability.svc:4318' },
  monitoring: { interval: '30s', labels: { release: 'kube-prometheus-stack' } },
  networkPolicy: {
    database: { podLabels: { 'app.kubernetes.io/name': 'postgresql' }, ports: [5432] },
  },
  dashboardFolder: 'Billing',
  mixins: [
    metricsMixin({
      rules: { selector: 'service="sample-app"' },
      dashboard: { uid: 'sample-app-http', title: 'Sample app — HTTP', selector: 'service="sample-app"' },
      alerts: { runbookBaseUrl: RUNBOOKS, job: 'sample-app', selector: 'service="sample-app"' },
    }),
    sampleAppMixin({ runbookBaseUrl: RUNBOOKS }),
    // The rollout plan's SLOs: one rule group each (burn rates, budget, alerts) and the SLO dashboard.
    sloMixin(slos, {
      dashboard: { uid: 'sample-app-slos', title: 'Sample app — SLOs', tags: ['slo', 'sample-app'] },
    }),
  ],
  environments: {
    staging: {
      namespace: 'billing-staging',
      ingress: { host: 'sample-app.staging.immo.example', tlsSecretName: 'sample-app-staging-tls' },
      autoscaling: { minReplicas: 2, maxReplicas: 3 },
      resources: { cpuRequest: '100m', memoryRequest: '192Mi', memoryLimit: '384Mi' },
      tracing: { sampleRatio: 1 },
      // The new IBAN check is on in staging first.
      flags: { files: { 'flags.yaml': flagFile(true) } },
    },
    production: {
      ingress: { host: 'sample-app.immo.example', tlsSecretName: 'sample-app-tls' },
      autoscaling: { minReplicas: 3, maxReplicas: 10, cpuUtilization: 70 },
      tracing: { sampleRatio: 0.1 },
    },
  },
});

export default service;
