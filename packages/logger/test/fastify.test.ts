import { connect } from 'node:net';
import fc from 'fast-check';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import immoLoggerDefault, { DEFAULT_IGNORED_PATHS, immoLogger, loggerServerOptions } from '../src/fastify.js';
import { createLogger, currentRequestId, type LoggerOptionsError } from '../src/index.js';
import { IBAN, memory } from './helpers.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function build(pluginOptions: Parameters<typeof immoLogger>[1] = {}, level: 'info' | 'debug' = 'info') {
  const dest = memory();
  const logger = createLogger({ service: 'api', destination: dest, level });
  const server = Fastify(loggerServerOptions(logger));
  await server.register(immoLogger, pluginOptions);
  // Code with no access to `request`: it logs through the root logger.
  const deepInService = async () => {
    await new Promise((r) => setTimeout(r, 1));
    logger.info({ where: 'service' }, 'deep');
    return currentRequestId();
  };
  server.get('/api/orgs/:id', async (req) => ({
    id: (req.params as { id: string }).id,
    seen: await deepInService(),
  }));
  server.post('/api/payments', async (req) => {
    req.log.debug({ body: req.body }, 'payment received');
    return { ok: true, seen: await deepInService() };
  });
  server.get('/health', async () => ({ status: 'ok' }));
  server.get('/health/ready', async (req, reply) =>
    req.headers['x-down'] ? reply.code(503).send({ status: 'fail' }) : { status: 'ok' },
  );
  server.get('/health/startup', async () => {
    throw new Error('probe handler crashed');
  });
  server.get('/metrics', async () => 'x 1\n');
  server.get('/boom', async (req) => {
    req.log.debug('about to fail');
    throw new Error(`db rejected ${IBAN}`);
  });
  server.get('/bad', async (_req, reply) => reply.code(400).send({ error: 'bad' }));
  server.get('/slow', async (req) => {
    req.log.debug('slow step');
    await new Promise((r) => setTimeout(r, 60));
    return 'ok';
  });
  server.get('/chatty', async (req) => {
    for (let i = 0; i < 500; i++) req.log.debug({ i, filler: 'x'.repeat(200) }, 'chatter');
    throw new Error('fail after chatter');
  });
  app = server;
  return { app: server, dest };
}

describe('plugin shape', () => {
  it('configures Fastify without deprecated options', () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name + w.message);
    process.on('warning', onWarning);
    const opts = loggerServerOptions(createLogger({ service: 's', destination: memory() }));
    const server = Fastify(opts);
    return new Promise<void>((resolve) =>
      setImmediate(() => {
        process.off('warning', onWarning);
        expect(warnings.filter((w) => /FSTDEP02[34]/.test(w))).toEqual([]);
        expect(opts).not.toHaveProperty('disableRequestLogging');
        void server.close().then(() => resolve());
      }),
    );
  });

  it('is a fastify-plugin named @immo/logger for Fastify 5, exported as default and named', () => {
    expect(immoLoggerDefault).toBe(immoLogger);
    const meta = (immoLogger as unknown as Record<symbol, { name: string; fastify: string }>)[
      Symbol.for('plugin-meta')
    ];
    expect(meta).toMatchObject({ name: '@immo/logger', fastify: '5.x' });
    expect((immoLogger as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')]).toBe(true);
  });

  it('rejects invalid options at registration with every problem listed', async () => {
    const server = Fastify(loggerServerOptions(createLogger({ service: 's', destination: memory() })));
    app = server;
    await expect(
      server.register(immoLogger, { accessLog: 'yes', ignorePaths: ['health'], other: 1 } as never).ready(),
    ).rejects.toSatisfy((err: unknown) => {
      const e = err as LoggerOptionsError;
      return (
        e.code === 'IMMO_LOGGER_INVALID_PLUGIN_OPTIONS' &&
        e.issues.length === 3 &&
        e.issues.some((i) => i.startsWith('accessLog: expected boolean, received "yes"'))
      );
    });
  });
});

describe('request id', () => {
  it('keeps a valid incoming x-request-id, echoes it and puts it on every line of the request', async () => {
    const { app, dest } = await build();
    const res = await app.inject({ url: '/api/orgs/7', headers: { 'x-request-id': 'ingress-123' } });
    expect(res.headers['x-request-id']).toBe('ingress-123');
    expect(res.json()).toEqual({ id: '7', seen: 'ingress-123' });
    const lines = dest.lines.filter((l) => l.request_id === 'ingress-123');
    expect(lines.map((l) => l.msg)).toEqual(['deep', 'request completed']);
    // Exactly one request_id key on each line, also on lines logged without `request`.
    for (const t of dest.text) expect(t.match(/"request_id"/g)?.length ?? 0).toBeLessThanOrEqual(1);
  });

  it('uses the traceparent trace id when there is no usable x-request-id', async () => {
    const { app } = await build();
    const res = await app.inject({
      url: '/api/orgs/1',
      headers: { 'x-request-id': 'has space', traceparent: TP },
    });
    expect(res.headers['x-request-id']).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
  });

  it('generates a UUID otherwise', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/api/orgs/1' });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it('keeps the id through body parsing for POST requests', async () => {
    const { app, dest } = await build();
    const res = await app.inject({
      method: 'POST',
      url: '/api/payments',
      headers: { 'x-request-id': 'post-1' },
      payload: { amount: 10 },
    });
    expect(res.json()).toEqual({ ok: true, seen: 'post-1' });
    expect(dest.lines.find((l) => l.msg === 'deep')?.request_id).toBe('post-1');
  });

  it('sanitises hostile headers: never echoed raw, never in the logs, no crash', async () => {
    const { app, dest } = await build();
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', minLength: 1, maxLength: 9000 }), async (raw) => {
        const before = dest.text.length;
        const res = await app.inject({
          url: '/api/orgs/1',
          headers: { 'x-request-id': raw, traceparent: raw },
        });
        expect(res.statusCode).toBe(200);
        const echoed = String(res.headers['x-request-id']);
        expect(echoed).toMatch(/^[A-Za-z0-9\-_.:/+=]{1,128}$/);
        if (!/^[A-Za-z0-9\-_.:/+=]{1,128}$/.test(raw)) {
          expect(echoed).not.toBe(raw);
          for (const t of dest.text.slice(before)) expect(t).not.toContain(JSON.stringify(raw).slice(1, -1));
        }
      }),
      { numRuns: 200 },
    );
    for (const raw of ['x'.repeat(8192), 'a\r\nx-injected: 1', 'a\u0001b', 'ünïcödé', '00-zz-zz-zz"']) {
      const res = await app.inject({
        url: '/api/orgs/1',
        headers: { 'x-request-id': raw, traceparent: raw },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-request-id']).toMatch(UUID);
      expect(res.headers).not.toHaveProperty('x-injected');
    }
  });

  it('survives hostile raw bytes on a real socket', async () => {
    const { app } = await build();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const port = (app.server.address() as { port: number }).port;
    const send = (head: Buffer) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(head));
        let data = '';
        socket.on('data', (c) => {
          data += c.toString('latin1');
        });
        socket.on('close', () => resolve(data));
        socket.on('error', reject);
      });
    const cases = [
      Buffer.concat([
        Buffer.from('GET /api/orgs/1 HTTP/1.1\r\nHost: x\r\nx-request-id: '),
        Buffer.from([0xc3, 0xbc, 0xff]),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
      Buffer.concat([
        Buffer.from('GET /api/orgs/1 HTTP/1.1\r\nHost: x\r\nx-request-id: '),
        Buffer.from([0xc3, 0xbc, 0xff, 0x7f]),
        Buffer.from('\r\nConnection: close\r\n\r\n'),
      ]),
      Buffer.from(
        `GET /api/orgs/1 HTTP/1.1\r\nHost: x\r\nx-request-id: ${'y'.repeat(8192)}\r\ntraceparent: 00-zz\r\nConnection: close\r\n\r\n`,
      ),
      Buffer.from(
        'GET /api/orgs/1 HTTP/1.1\r\nHost: x\r\nx-request-id: a\u0001b\r\nConnection: close\r\n\r\n',
        'latin1',
      ),
    ];
    for (const head of cases) {
      const response = await send(head);
      expect(response).toMatch(/^HTTP\/1\.1 (200|400)/);
      const echoed = /x-request-id: (.*)\r\n/i.exec(response)?.[1];
      if (echoed !== undefined) expect(echoed).toMatch(UUID);
    }
    const ok = await send(Buffer.from('GET /api/orgs/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    expect(ok).toMatch(/^HTTP\/1\.1 200/);
  });
});

describe('access log', () => {
  it('writes one line per request with route template, method, path, status and duration', async () => {
    const { app, dest } = await build();
    await app.inject({ url: '/api/orgs/42?token=abc' });
    const access = dest.lines.filter((l) => l.msg === 'request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({
      level: 'info',
      method: 'GET',
      route: '/api/orgs/:id',
      path: '/api/orgs/42',
      status_code: 200,
    });
    expect(typeof access[0]?.duration_ms).toBe('number');
    expect(dest.text.join('\n')).not.toContain('token=abc');
  });

  it('writes no line for probes and the metrics route by default', async () => {
    const { app, dest } = await build();
    for (const url of ['/health', '/health/ready', '/metrics']) await app.inject({ url });
    expect(dest.lines).toHaveLength(0);
    expect(DEFAULT_IGNORED_PATHS).toContain('/health/ready');
  });

  it('writes no line for a probe answering 503 on purpose, but logs a probe that throws', async () => {
    const { app, dest } = await build();
    expect((await app.inject({ url: '/health/ready', headers: { 'x-down': '1' } })).statusCode).toBe(503);
    expect(dest.lines).toHaveLength(0);
    expect((await app.inject({ url: '/health/startup' })).statusCode).toBe(500);
    expect(dest.lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'request failed',
        route: '/health/startup',
        status_code: 500,
      }),
    ]);
  });

  it('can be configured to log probes or to log nothing', async () => {
    const first = await build({ ignorePaths: [] });
    await first.app.inject({ url: '/health' });
    expect(first.dest.lines).toHaveLength(1);
    await first.app.close();
    const second = await build({ accessLog: false });
    await second.app.inject({ url: '/api/orgs/1' });
    expect(second.dest.lines.filter((l) => l.msg === 'request completed')).toHaveLength(0);
  });

  it('logs a 4xx at info and a 5xx once, at error, with the redacted error and a safe response', async () => {
    const { app, dest } = await build();
    await app.inject({ url: '/bad' });
    const res = await app.inject({ url: '/boom', headers: { 'x-request-id': 'fail-1' } });
    expect(res.statusCode).toBe(500);
    expect(dest.lines.find((l) => l.status_code === 400)).toMatchObject({
      level: 'info',
      msg: 'request completed',
    });
    const failed = dest.lines.filter((l) => l.request_id === 'fail-1');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 'error',
      msg: 'request failed',
      status_code: 500,
      route: '/boom',
      err: { type: 'Error' },
    });
    expect(dest.text.join('\n')).not.toContain(IBAN);
  });

  it('logs unmatched routes without a route template', async () => {
    const { app, dest } = await build();
    await app.inject({ url: '/nope' });
    expect(dest.text[0]?.match(/"request_id"/g)).toHaveLength(1);
    expect(dest.lines[0]).toMatchObject({ status_code: 404, path: '/nope' });
    expect(dest.lines[0]).not.toHaveProperty('route');
  });
});

describe('per-request buffering', () => {
  it('drops held debug lines of a successful, fast request', async () => {
    const { app, dest } = await build({ buffer: true });
    await app.inject({ method: 'POST', url: '/api/payments', payload: { amount: 1 } });
    expect(dest.lines.filter((l) => l.level === 'debug')).toHaveLength(0);
    expect(dest.lines.filter((l) => l.msg === 'request completed')).toHaveLength(1);
  });

  it('writes held debug lines, in order and before the final line, when the request fails', async () => {
    const { app, dest } = await build({ buffer: true });
    await app.inject({ url: '/boom', headers: { 'x-request-id': 'b-1' } });
    const msgs = dest.lines.filter((l) => l.request_id === 'b-1').map((l) => l.msg);
    expect(msgs).toEqual(['about to fail', 'request failed']);
  });

  it('writes held debug lines when the request is slower than the threshold', async () => {
    const { app, dest } = await build({ buffer: { slowThresholdMs: 20 } });
    await app.inject({ url: '/slow' });
    expect(dest.lines.map((l) => l.msg)).toEqual(['slow step', 'request completed']);
  });

  it('bounds the bytes held per request and says how many lines were dropped', async () => {
    const { app, dest } = await build({ buffer: { maxBytesPerRequest: 4096 } });
    await app.inject({ url: '/chatty' });
    const chatter = dest.lines.filter((l) => l.msg === 'chatter');
    expect(chatter.length).toBeGreaterThan(0);
    expect(chatter.length).toBeLessThan(30);
    const dropped = dest.lines.find((l) => l.msg === 'buffered debug lines dropped (limit reached)');
    expect(dropped?.dropped_lines).toBe(500 - chatter.length);
  });

  it('bounds the bytes held across requests in flight', async () => {
    const { app, dest } = await build({ buffer: { maxTotalBytes: 8192 } });
    await Promise.all(Array.from({ length: 5 }, () => app.inject({ url: '/chatty' })));
    const perRequest = new Map<string, number>();
    for (const t of dest.text.filter((x) => x.includes('"chatter"'))) {
      const id = String(JSON.parse(t).request_id);
      perRequest.set(id, (perRequest.get(id) ?? 0) + t.length);
    }
    expect(perRequest.size).toBeGreaterThan(0);
    for (const bytes of perRequest.values()) expect(bytes).toBeLessThanOrEqual(8192);
  });

  it('writes debug lines directly when the logger level is already debug', async () => {
    const { app, dest } = await build({ buffer: true }, 'debug');
    await app.inject({ method: 'POST', url: '/api/payments', payload: { amount: 1 } });
    expect(dest.lines.map((l) => l.msg)).toContain('payment received');
  });
});

describe('access line wiring', () => {
  const plainRoute = (server: FastifyInstance) => {
    server.get('/api/orgs/:id', async () => ({ ok: true }));
    server.get('/boom', async () => {
      throw new Error('broken');
    });
    return server;
  };

  it('writes the access line through an onResponse hook on a server not built with loggerServerOptions', async () => {
    const dest = memory();
    const logger = createLogger({ service: 'api', destination: dest });
    const LogController = (Fastify as unknown as { LogController: new (o: object) => unknown }).LogController;
    const server = Fastify({
      loggerInstance: logger as unknown as FastifyBaseLogger,
      logController: new LogController({ disableRequestLogging: true }) as never,
    });
    app = server;
    await server.register(immoLogger);
    plainRoute(server);
    await server.inject({ url: '/api/orgs/1' });
    await server.inject({ url: '/boom' });
    expect(dest.lines.map((l) => [l.msg, l.status_code])).toEqual([
      ['request completed', 200],
      ['request failed', 500],
    ]);
    expect(dest.lines[1]?.err).toMatchObject({ message: 'broken' });
  });

  it('gives each server one access line per request when two servers share one options object', async () => {
    const dest = memory();
    const opts = loggerServerOptions(createLogger({ service: 'api', destination: dest }));
    const a = plainRoute(Fastify(opts));
    const b = plainRoute(Fastify(opts));
    try {
      await a.register(immoLogger);
      await b.register(immoLogger);
      await a.inject({ url: '/api/orgs/a' });
      await b.inject({ url: '/api/orgs/b' });
      expect(dest.lines.map((l) => l.path)).toEqual(['/api/orgs/a', '/api/orgs/b']);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('writes nothing per request when loggerServerOptions is used without the plugin', async () => {
    const dest = memory();
    const server = plainRoute(
      Fastify(loggerServerOptions(createLogger({ service: 'api', destination: dest }))),
    );
    app = server;
    await server.inject({ url: '/api/orgs/1' });
    await server.inject({ url: '/boom' });
    expect(dest.lines).toEqual([]);
  });
});

describe('access line redaction', () => {
  it('redacts a request id that is itself PII in the logs', async () => {
    const { app, dest } = await build();
    await app.inject({ url: '/api/orgs/1', headers: { 'x-request-id': '4111111111111111' } });
    expect(dest.lines.length).toBeGreaterThan(0);
    expect(dest.text.join('\n')).not.toContain('4111111111111111');
  });

  it('redacts PII in the path of a successful request', async () => {
    const { app, dest } = await build();
    await app.inject({ url: '/api/orgs/jane.doe@example.com' });
    expect(dest.lines.find((l) => l.msg === 'request completed')).toMatchObject({
      path: '/api/orgs/[REDACTED:email]',
    });
    expect(dest.text.join('\n')).not.toContain('jane.doe@example.com');
  });
});
