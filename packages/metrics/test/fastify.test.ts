import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { freePort } from '@immo/test-servers';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import immoMetricsDefault, { DEFAULT_IGNORED_PATHS, immoMetrics, routeTemplate } from '../src/fastify.js';
import { addBuckets, HTTP_SERVER_DURATION_BUCKETS, type MetricsOptionsError } from '../src/index.js';
import { createTestMetrics, histogramCount, metricValue, seriesCount } from '../src/testing.js';

const DURATION = 'http_server_request_duration_seconds';
let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(options: Parameters<typeof immoMetrics>[1] = {}) {
  const metrics = createTestMetrics();
  const server = Fastify();
  await server.register(immoMetrics, { metrics, ...options });
  server.get('/orgs/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  server.post('/orgs/:id/payments', async (_req, reply) => reply.code(201).send({ ok: true }));
  server.get('/missing/:id', async (_req, reply) => reply.code(404).send({ error: 'not found' }));
  server.get('/boom', async () => {
    class LedgerUnavailableError extends Error {}
    throw new LedgerUnavailableError('down');
  });
  server.get('/unavailable', async (_req, reply) => reply.code(503).send('later'));
  server.get('/health/ready', async () => ({ ok: true }));
  server.get('/slow', async () => {
    await new Promise((r) => setTimeout(r, 30));
    return 'ok';
  });
  app = server;
  return { app: server, metrics };
}

function get(
  port: number,
  path: string,
  accept?: string,
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, agent: false, headers: accept ? { accept } : {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('plugin shape', () => {
  it('is a fastify-plugin named @immo/metrics for Fastify 5, exported as default and named', () => {
    expect(immoMetricsDefault).toBe(immoMetrics);
    const meta = (immoMetrics as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    expect(meta).toMatchObject({ name: '@immo/metrics', fastify: '5.x' });
    expect(DEFAULT_IGNORED_PATHS).toContain('/metrics');
  });

  it('rejects invalid options with IMMO_METRICS_INVALID_PLUGIN_OPTIONS listing every problem', async () => {
    const server = Fastify();
    app = server;
    const err = await server
      .register(immoMetrics, {
        exposeRoute: { port: -1 },
        ignorePaths: ['health'],
        requestSize: 'yes',
      } as never)
      .ready()
      .then(
        () => undefined,
        (e: MetricsOptionsError) => e,
      );
    expect(err?.code).toBe('IMMO_METRICS_INVALID_PLUGIN_OPTIONS');
    expect(err?.issues).toHaveLength(3);
  });

  it('rejects unsorted buckets with IMMO_METRICS_INVALID_METRIC at registration', async () => {
    const server = Fastify();
    app = server;
    const err = await server
      .register(immoMetrics, { metrics: createTestMetrics(), buckets: [1, 0.5] })
      .ready()
      .then(
        () => undefined,
        (e: { code: string }) => e,
      );
    expect(err?.code).toBe('IMMO_METRICS_INVALID_METRIC');
  });

  it('can be registered on two servers sharing one metrics instance', async () => {
    const metrics = createTestMetrics();
    const a = Fastify();
    const b = Fastify();
    await a.register(immoMetrics, { metrics });
    await b.register(immoMetrics, { metrics });
    a.get('/a', async () => 'a');
    b.get('/b', async () => 'b');
    await a.inject('/a');
    await b.inject('/b');
    expect(histogramCount(DURATION, undefined, { metrics })).toBe(2);
    await a.close();
    await b.close();
  });
});

describe('HTTP server metrics', () => {
  it('labels by method, route template, status code and nothing else on success', async () => {
    const { app, metrics } = await build();
    await app.inject('/orgs/org_1');
    await app.inject('/orgs/org_2');
    await app.inject({ method: 'POST', url: '/orgs/org_3/payments', payload: {} });
    await app.inject('/missing/42');
    expect(
      histogramCount(
        DURATION,
        { http_request_method: 'GET', http_route: '/orgs/:id', http_response_status_code: 200 },
        { metrics },
      ),
    ).toBe(2);
    expect(
      histogramCount(
        DURATION,
        { http_route: '/orgs/:id/payments', http_response_status_code: 201 },
        { metrics },
      ),
    ).toBe(1);
    // a matched route that answers 404 keeps its template
    expect(
      histogramCount(DURATION, { http_route: '/missing/:id', http_response_status_code: 404 }, { metrics }),
    ).toBe(1);
    const body = (await metrics.render()).body;
    expect(body).toContain(
      'http_server_request_duration_seconds_count{service="test",version="0.0.0",http_request_method="GET",http_route="/orgs/:id",http_response_status_code="200"} 2\n',
    );
    expect(body).not.toContain('org_1');
  });

  it('collapses unmatched URLs into _UNMATCHED and unknown methods into _OTHER', async () => {
    const { app, metrics } = await build();
    await app.inject('/nope/1');
    await app.inject('/nope/2?x=1');
    await app.inject({ method: 'PROPFIND' as 'GET', url: '/orgs/1' });
    expect(
      histogramCount(
        DURATION,
        { http_route: '_UNMATCHED', http_request_method: 'GET', http_response_status_code: 404 },
        { metrics },
      ),
    ).toBe(2);
    expect(histogramCount(DURATION, { http_request_method: '_OTHER' }, { metrics })).toBe(1);
  });

  it('sets error_type to the error class on thrown errors and to the status on other 5xx', async () => {
    const { app, metrics } = await build();
    await app.inject('/boom');
    await app.inject('/unavailable');
    expect(
      histogramCount(
        DURATION,
        { http_route: '/boom', http_response_status_code: 500, error_type: 'LedgerUnavailableError' },
        { metrics },
      ),
    ).toBe(1);
    expect(histogramCount(DURATION, { http_route: '/unavailable', error_type: '503' }, { metrics })).toBe(1);
    expect(histogramCount(DURATION, { http_route: '/orgs/:id', error_type: '' }, { metrics })).toBe(0);
  });

  it('records the duration in seconds from reply.elapsedTime', async () => {
    const { app, metrics } = await build();
    await app.inject('/slow');
    const sum = metricValue(DURATION, { http_route: '/slow' }, { metrics })!;
    expect(sum).toBeGreaterThanOrEqual(0.025);
    expect(sum).toBeLessThan(10);
  });

  it('uses the custom buckets, e.g. the 2 s SLO threshold', async () => {
    const { app, metrics } = await build({ buckets: addBuckets(HTTP_SERVER_DURATION_BUCKETS, [2]) });
    await app.inject('/orgs/1');
    expect((await metrics.render()).body).toContain('le="2"}');
  });

  it('tracks requests in flight and returns to zero', async () => {
    const { app, metrics } = await build();
    let seen: number | undefined;
    app.get('/peek', async () => {
      seen = metricValue('http_server_active_requests', { http_request_method: 'GET' }, { metrics });
      return 'ok';
    });
    await app.inject('/peek');
    expect(seen).toBe(1);
    expect(metricValue('http_server_active_requests', { http_request_method: 'GET' }, { metrics })).toBe(0);
  });

  it('stops counting a request in flight when its client goes away before the response', async () => {
    const { app, metrics } = await build();
    let release!: () => void;
    let serverSocket!: Socket;
    const started = new Promise<void>((resolveStarted) => {
      app.get('/hang', async (req) => {
        serverSocket = req.raw.socket;
        resolveStarted();
        await new Promise<void>((r) => {
          release = r;
        });
        return 'late';
      });
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /hang HTTP/1.1\r\nHost: x\r\n\r\n');
    await started;
    const gauge = () =>
      metricValue('http_server_active_requests', { http_request_method: 'GET' }, { metrics });
    expect(gauge()).toBe(1);
    // wait for the server to see the client go, not for a fixed time: on a loaded CI machine a
    // timer can fire before the event loop has polled the socket's end
    const serverClosed = once(serverSocket, 'close');
    socket.destroy();
    await serverClosed;
    await metrics.render(); // the scrape finds the abandoned request
    expect(gauge()).toBe(0);
    release(); // the handler finishes late: no second decrement
    await new Promise((r) => setTimeout(r, 50));
    await metrics.render();
    expect(gauge()).toBe(0);
  });

  it('skips ignored paths (probes and /metrics by default)', async () => {
    const { app, metrics } = await build();
    await app.inject('/health/ready');
    expect(histogramCount(DURATION, undefined, { metrics })).toBe(0);
  });

  it('records body sizes from Content-Length when enabled', async () => {
    const { app, metrics } = await build({ requestSize: true, responseSize: true });
    await app.inject({ method: 'POST', url: '/orgs/1/payments', payload: { amount: 12 } });
    expect(
      metricValue('http_server_request_body_size_bytes', { http_route: '/orgs/:id/payments' }, { metrics }),
    ).toBe(13);
    expect(
      metricValue('http_server_response_body_size_bytes', { http_response_status_code: 201 }, { metrics }),
    ).toBe(11);
  });

  it('reads the route template as request.routeOptions.url does', async () => {
    const { app } = await build();
    const seen: [string | undefined, string | undefined][] = [];
    app.addHook('onResponse', async (req) => {
      seen.push([routeTemplate(req), req.routeOptions.url]);
    });
    await app.inject('/orgs/1');
    await app.inject('/not-there');
    expect(seen).toEqual([
      ['/orgs/:id', '/orgs/:id'],
      [undefined, undefined],
    ]);
  });
});

describe('/metrics route', () => {
  it('is not added unless asked for', async () => {
    const { app } = await build();
    expect((await app.inject('/metrics')).statusCode).toBe(404);
  });

  it('serves the exposition on the app with content negotiation', async () => {
    const { app } = await build({ exposeRoute: true });
    await app.inject('/orgs/1');
    const text = await app.inject('/metrics');
    expect(text.statusCode).toBe(200);
    expect(text.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text.body).toContain('http_route="/orgs/:id"');
    expect(text.body).not.toContain('http_route="/metrics"');
    const om = await app.inject({
      url: '/metrics',
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(om.headers['content-type']).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body.endsWith('# EOF\n')).toBe(true);
  });

  it('serves on a separate port bound to the configured host, opened on ready and closed on close', async () => {
    const port = await freePort();
    const { app } = await build({ exposeRoute: { port, host: '127.0.0.1', path: '/custom-metrics' } });
    await app.ready();
    await app.inject('/orgs/1');
    expect((await app.inject('/custom-metrics')).statusCode).toBe(404);
    const res = await get(port, '/custom-metrics');
    expect(res.status).toBe(200);
    expect(res.body).toContain('http_route="/orgs/:id"');
    const om = await get(port, '/custom-metrics?x=1', 'application/openmetrics-text');
    expect(om.type).toContain('application/openmetrics-text');
    expect((await get(port, '/other')).status).toBe(404);
    await app.close();
    await expect(get(port, '/custom-metrics')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});

describe('plugin with the process-wide instance', () => {
  it('decorates the instance with the metrics it records into', async () => {
    const { app, metrics } = await build();
    expect(app.immoMetrics).toBe(metrics);
    expect(seriesCount('http_server_active_requests', { metrics })).toBe(0);
  });
});
