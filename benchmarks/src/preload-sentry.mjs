// Preload (`node --import`) for the `sentry` and `assembly` variants: @sentry/node 11 set up for
// errors only the way Sentry's docs set it up for Fastify (an instrument file run with `--import`
// before the app, `Sentry.init({ dsn })`, no `tracesSampleRate`; the app then calls
// `Sentry.setupFastifyErrorHandler(app)`, see server.mjs). The DSN comes from SENTRY_DSN (the sink).
//
// BENCH_SENTRY_FASTIFY=off (the `assembly` variant): Sentry's Fastify integration removed and
// Sentry's `openTelemetryIntegration` added, the way to run Sentry errors-only next to one's own
// OpenTelemetry SDK (events linked to the active OTel trace). Sentry's Fastify integration and
// @fastify/otel both decorate `request.opentelemetry`: with both, Fastify refuses to start with
// FST_ERR_DEC_ALREADY_PRESENT (the extra variant `assembly-naive` keeps it to show that).
import * as Sentry from '@sentry/node';

const withoutFastify = process.env.BENCH_SENTRY_FASTIFY === 'off';

Sentry.init({
  dsn: process.env.SENTRY_DSN,
  ...(withoutFastify
    ? {
        integrations: (defaults) => [
          ...defaults.filter((i) => i.name !== 'Fastify'),
          Sentry.openTelemetryIntegration(),
        ],
      }
    : {}),
});

globalThis[Symbol.for('immo.bench.flushers')] ??= [];
const flushers = globalThis[Symbol.for('immo.bench.flushers')];
flushers.push(() => Sentry.flush(2000));
