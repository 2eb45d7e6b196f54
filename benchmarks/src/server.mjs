// One benchmark server, started fresh for every measured run by run.mjs.
// argv: <variant> <logFile>. Reports { port } over IPC once listening; on a
// 'stop' message it closes, flushes its log destination and exits.

import { createRequire } from 'node:module';
import Fastify from 'fastify';
import pino from 'pino';

// A diagnosis variant (`<variant>~KEY=VALUE,...`, see harness.mjs) got its settings as environment.
const [variantArg, logFile] = process.argv.slice(2);
const variant = variantArg?.split('~')[0];
if (!variant || !logFile) {
  console.error('usage: server.mjs <variant> <logFile>');
  process.exit(2);
}

// Every logging variant writes to the same kind of sink: pino's asynchronous
// destination (sonic-boom, sync: false) on a file, as the method asks.
const dest = pino.destination({ dest: logFile, sync: false });

const payload = (id) => ({
  id,
  name: 'Hausverwaltung Nord GmbH',
  plan: 'professional',
  units: 412,
  active: true,
});

globalThis[Symbol.for('immo.bench.flushers')] ??= [];
const flushers = globalThis[Symbol.for('immo.bench.flushers')];

// Which parts of the stack a variant registers: all of them, except in the diagnostic variants
// that split immo-full into its parts (immo-metrics, immo-health, immo-full-nort, immo-full-nopress).
const FULL = { metrics: true, runtime: true, health: true, pressure: true };

/**
 * The exporter of the BENCH_NOOP_EXPORTER diagnosis, or undefined: `1` ends sampled spans in an exporter
 * that does nothing (no protobuf, no HTTP on the main thread), sizing what the OTLP export costs the
 * request path; `serialize` serialises each batch with OTel's own OTLP protobuf serialiser first
 * (resolved from where the OTLP exporter resolves it); `fetch` serialises it and sends it to the sink
 * with Node's fetch (undici) instead of the exporter's node:http client, whose streams share code with
 * the server's responses.
 */
function diagnosisExporter(mode = process.env.BENCH_NOOP_EXPORTER) {
  if (mode !== '1' && mode !== 'serialize' && mode !== 'fetch') return undefined;
  const serializer =
    mode === '1'
      ? undefined
      : createRequire(createRequire(import.meta.url).resolve('@opentelemetry/exporter-trace-otlp-proto'))(
          '@opentelemetry/otlp-transformer',
        ).ProtobufTraceSerializer;
  const url =
    mode === 'fetch' ? `${process.env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : undefined;
  return {
    export: (spans, done) => {
      const body = serializer?.serializeRequest(spans);
      if (url === undefined) return done({ code: 0 });
      fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/x-protobuf' } })
        .then(async (res) => {
          await res.arrayBuffer();
          done({ code: res.ok ? 0 : 1 });
        })
        .catch(() => done({ code: 1 }));
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
}

/**
 * The whole @immo stack a service registers: logger, metrics (HTTP metrics + runtime metrics),
 * health (probes, load shedding with pressure sampling); with `sampleRatio`, also @immo/tracing
 * (initTracing before the app is built, the plugin after health, its pipeline metrics) and Sentry
 * errors-only through @immo/tracing/sentry, wired as apps/sample-app does. No database on this route.
 */
async function immoStack({ sampleRatio, sentry = true, parts: chosen = FULL } = {}) {
  // Diagnosis switches (not used by the default runs): drop one more part of a variant.
  const parts = {
    ...chosen,
    ...(process.env.BENCH_NO_RUNTIME === '1' ? { runtime: false } : {}),
    ...(process.env.BENCH_NO_EXPOSE === '1' ? { expose: false } : {}),
  };
  const { createLogger } = await import('@immo/logger');
  const { immoLogger, loggerServerOptions } = await import('@immo/logger/fastify');
  const { initMetrics } = await import('@immo/metrics');
  const { immoMetrics } = await import('@immo/metrics/fastify');
  const { createHealth } = await import('@immo/health');
  const { immoHealth } = await import('@immo/health/fastify');
  const logger = createLogger({
    service: 'bench',
    version: '0.0.0',
    env: 'bench',
    level: 'info',
    destination: dest,
  });
  let tracing;
  let tracingMod;
  if (sampleRatio !== undefined) {
    // The -ns variants: no Sentry configured at all (initTracing would otherwise load @sentry/node
    // ahead of its require hook because the sink's DSN is in the environment).
    if (!sentry) delete process.env.SENTRY_DSN;
    tracingMod = await import('@immo/tracing');
    const { initSentry } = await import('@immo/tracing/sentry');
    const exporter = diagnosisExporter();
    // Endpoint and DSN from OTEL_EXPORTER_OTLP_ENDPOINT and SENTRY_DSN (the benchmark's sink).
    tracing = tracingMod.initTracing({
      serviceName: 'bench',
      serviceVersion: '0.0.0',
      environment: 'bench',
      // BENCH_SAMPLE_RATIO: a diagnosis switch (cost against the sampling ratio), not used by the default runs.
      sampleRatio: process.env.BENCH_SAMPLE_RATIO ? Number(process.env.BENCH_SAMPLE_RATIO) : sampleRatio,
      // Diagnosis switches (not used by the default runs).
      ...(process.env.BENCH_NO_INSTR === '1' ? { instrumentPg: false, instrumentUndici: false } : {}),
      ...(exporter ? { exporter } : {}),
    });
    tracing.useLogger(logger);
    if (sentry) initSentry({ dsn: process.env.SENTRY_DSN });
    flushers.push(() => tracing.flush(3000));
  }
  const metrics = initMetrics({ service: 'bench', version: '0.0.0', runtimeMetrics: parts.runtime });
  const health = createHealth({
    service: 'bench',
    handleSignals: false,
    handleUncaught: false,
    logger,
    metrics,
    ...(parts.pressure ? {} : { pressure: false }),
  });
  const app = Fastify(loggerServerOptions(logger));
  await app.register(immoLogger);
  if (parts.metrics) await app.register(immoMetrics, { metrics, exposeRoute: parts.expose !== false });
  if (parts.health) await app.register(immoHealth, { health, routes: true, exemptPaths: ['/metrics'] });
  if (tracing && process.env.BENCH_NO_PLUGIN !== '1') {
    const { immoTracing } = await import('@immo/tracing/fastify');
    await app.register(immoTracing);
    tracingMod.registerTracingMetrics(metrics, tracing);
  }
  return app;
}

async function build() {
  switch (variant) {
    case 'fastify-nolog':
      return Fastify({ logger: false });
    case 'F_log': {
      const app = Fastify({ logger: { level: 'info', stream: dest } });
      // BENCH_EMPTY_HOOKS (diagnosis only): onRequest + onResponse hooks that do nothing, to size what
      // Fastify's hook runners cost a plugin before its own work.
      if (process.env.BENCH_EMPTY_HOOKS === '1') {
        app.addHook('onRequest', (_request, _reply, done) => done());
        app.addHook('onResponse', (_request, _reply, done) => done());
      }
      return app;
    }
    case 'F_log-als-emit': {
      // Diagnostic: the AsyncLocalStorage.run entered around the server's 'request' emit instead.
      const { AsyncLocalStorage } = await import('node:async_hooks');
      const als = new AsyncLocalStorage();
      const app = Fastify({ logger: { level: 'info', stream: dest } });
      const emit = app.server.emit;
      app.server.emit = function (event, ...args) {
        if (event === 'request') return als.run({ requestId: 'x' }, () => emit.call(this, event, ...args));
        return emit.call(this, event, ...args);
      };
      return app;
    }
    case 'F_log-als': {
      // Diagnostic, not in the default set: F_log plus what correlation needs on
      // Node 20 (an AsyncLocalStorage.run around each request), to size that part.
      const { AsyncLocalStorage } = await import('node:async_hooks');
      const als = new AsyncLocalStorage();
      const app = Fastify({ logger: { level: 'info', stream: dest } });
      app.addHook('onRequest', (request, _reply, done) => als.run({ requestId: request.id }, done));
      return app;
    }
    case 'F_log-fm':
    case 'F_log-fm-up': {
      // What teams assemble today: Fastify's logger + fastify-metrics with its defaults (route
      // histogram and summary, prom-client default runtime metrics) [+ @fastify/under-pressure].
      const { default: metricsPlugin } = await import('fastify-metrics');
      const app = Fastify({ logger: { level: 'info', stream: dest } });
      await app.register(metricsPlugin, { endpoint: '/metrics' });
      if (variant === 'F_log-fm-up') {
        const { default: underPressure } = await import('@fastify/under-pressure');
        await app.register(underPressure, {
          maxEventLoopDelay: 1000,
          maxHeapUsedBytes: 1024 * 1024 * 1024,
          maxRssBytes: 2 * 1024 * 1024 * 1024,
          exposeStatusRoute: '/health',
        });
      }
      return app;
    }
    case 'immo-metrics':
      return immoStack({ parts: { ...FULL, health: false, pressure: false } });
    case 'immo-health':
      return immoStack({ parts: { ...FULL, metrics: false, runtime: false } });
    case 'immo-full-nort':
      return immoStack({ parts: { ...FULL, runtime: false } });
    case 'immo-full-nopress':
      return immoStack({ parts: { ...FULL, pressure: false } });
    case 'immo-full':
      return immoStack();
    case 'immo-trace':
    case 'immo-trace-eager': // IMMO_SENTRY_LOAD=eager from the harness (VARIANT_SETUP)
      return immoStack({ sampleRatio: 1 });
    case 'immo-trace10':
      return immoStack({ sampleRatio: 0.1 });
    case 'immo-trace0':
      return immoStack({ sampleRatio: 0 });
    case 'immo-trace0-ns':
      return immoStack({ sampleRatio: 0, sentry: false });
    case 'immo-trace-ns':
      return immoStack({ sampleRatio: 1, sentry: false });
    case 'immo-trace10-ns':
      // BENCH_TRACE10_NS_RATIO (diagnosis): another ratio for this variant only, to pair it with
      // immo-trace0-ns in one run (e.g. 0.0001: nearly nothing sampled, yet the sampled path is live).
      return immoStack({ sampleRatio: Number(process.env.BENCH_TRACE10_NS_RATIO ?? 0.1), sentry: false });
    case 'otel':
    case 'otel10':
      // F_log; the NodeSDK (http + @fastify/otel) was started by preload-otel.mjs (--import).
      return Fastify({ logger: { level: 'info', stream: dest } });
    case 'sentry': {
      // F_log; Sentry.init ran in preload-sentry.mjs (--import), as Sentry's docs set it up.
      const Sentry = await import('@sentry/node');
      const app = Fastify({ logger: { level: 'info', stream: dest } });
      // Sentry's Fastify guide calls this on the app; in v11 it is a no-op (errors are captured
      // through Fastify's diagnostics channel by Sentry's Fastify integration).
      if (typeof Sentry.setupFastifyErrorHandler === 'function') Sentry.setupFastifyErrorHandler(app);
      return app;
    }
    case 'assembly':
    case 'assembly-naive': {
      // The best assembly of the tracing issue: Fastify's logger + fastify-metrics (prom-client
      // defaults) + the NodeSDK with http + @fastify/otel at 100 % + Sentry errors-only (preloads).
      const { default: metricsPlugin } = await import('fastify-metrics');
      const app = Fastify({ logger: { level: 'info', stream: dest } });
      await app.register(metricsPlugin, { endpoint: '/metrics' });
      return app;
    }
    case 'immo':
    case 'immo-noredact': {
      const { createLogger } = await import('@immo/logger');
      const { immoLogger, loggerServerOptions } = await import('@immo/logger/fastify');
      const logger = createLogger({
        service: 'bench',
        version: '0.0.0',
        env: 'bench',
        level: 'info',
        destination: dest,
        ...(variant === 'immo-noredact' ? { redact: false } : {}),
      });
      const app = Fastify(loggerServerOptions(logger));
      await app.register(immoLogger);
      return app;
    }
    default:
      throw new Error(`unknown variant ${variant}`);
  }
}

const app = await build();
app.get('/api/orgs/:id', async (request) => payload(request.params.id));
if (process.env.BENCH_STATS === '1') {
  // For resilience.mjs: the export pipeline's counters and the process's memory.
  const tracing = variant.startsWith('immo-trace') ? (await import('@immo/tracing')).getTracing() : undefined;
  app.get('/__stats', async () => ({ tracing: tracing?.stats() ?? null, memory: process.memoryUsage() }));
}
// BENCH_PORT: a fixed port (startup.mjs polls it from spawn on); otherwise any free one.
await app.listen({ host: '127.0.0.1', port: Number(process.env.BENCH_PORT ?? 0) });
const { port } = app.server.address();
process.send?.({ type: 'ready', port, pid: process.pid });

process.on('message', async (msg) => {
  if (msg?.type !== 'stop') return;
  await app.close();
  // Telemetry still queued goes to the sink (counted per run); bounded, as the sink may be down or slow.
  if (flushers.length) {
    await Promise.race([
      Promise.allSettled(flushers.map((f) => f())),
      new Promise((resolve) => setTimeout(resolve, 4000)),
    ]);
  }
  // sonic-boom's end() writes what is still buffered before closing the fd;
  // waiting for 'close' makes the line count in run.mjs complete.
  await new Promise((resolve) => {
    dest.once('close', resolve);
    dest.end();
  });
  process.send?.({ type: 'stopped' });
  process.disconnect?.();
  process.exit(0);
});
