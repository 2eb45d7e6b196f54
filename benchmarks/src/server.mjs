// One benchmark server, started fresh for every measured run by run.mjs.
// argv: <variant> <logFile>. Reports { port } over IPC once listening; on a
// 'stop' message it closes, flushes its log destination and exits.
import Fastify from 'fastify';
import pino from 'pino';

const [variant, logFile] = process.argv.slice(2);
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

async function build() {
  switch (variant) {
    case 'fastify-nolog':
      return Fastify({ logger: false });
    case 'F_log':
      return Fastify({ logger: { level: 'info', stream: dest } });
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
    case 'immo-full': {
      // The whole @immo stack a service registers: logger, metrics (HTTP metrics + runtime
      // metrics), health (probes, load shedding with pressure sampling). No database on this route.
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
      const metrics = initMetrics({ service: 'bench', version: '0.0.0' });
      const health = createHealth({
        service: 'bench',
        handleSignals: false,
        handleUncaught: false,
        logger,
        metrics,
      });
      const app = Fastify(loggerServerOptions(logger));
      await app.register(immoLogger);
      await app.register(immoMetrics, { metrics, exposeRoute: true });
      await app.register(immoHealth, { health, routes: true, exemptPaths: ['/metrics'] });
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
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address();
process.send?.({ type: 'ready', port, pid: process.pid });

process.on('message', async (msg) => {
  if (msg?.type !== 'stop') return;
  await app.close();
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
