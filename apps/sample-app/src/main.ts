import { createLogger, flush } from '@immo/logger';
import { buildApp } from './app.js';

const logger = createLogger({ service: 'sample-app', version: process.env.npm_package_version });
const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);

const app = await buildApp(logger);
await app.listen({ host, port });
const base = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${(app.server.address() as { port: number }).port}`;
process.stderr.write(
  [
    '',
    `sample-app listening on ${base}  (JSON logs on stdout)`,
    `  curl ${base}/api/orgs/1`,
    `  curl -H 'x-request-id: my-trace-123' ${base}/api/orgs/2`,
    `  curl -X POST -H 'content-type: application/json' -d '{"payer_iban":"DE89 3704 0044 0532 0130 00","amount":120.5,"reference":"rent 11/2026"}' ${base}/api/payments`,
    '  Ctrl-C to stop.',
    '',
  ].join('\n'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, async () => {
    logger.info({ signal }, 'shutting down');
    await app.close();
    await flush(logger);
    process.exit(0);
  });
}
