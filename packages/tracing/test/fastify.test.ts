import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, currentRequestId, withCorrelation } from '@immo/logger';
import { immoLogger, loggerServerOptions } from '@immo/logger/fastify';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { immoTracing } from '../src/fastify.js';
import { currentTraceId, TracingOptionsError } from '../src/index.js';
import { createTestTracing } from '../src/testing.js';

const t = createTestTracing({ serviceName: 'fastify-test', instrumentUndici: true });
afterAll(() => t.close());

// A downstream service that records the headers of calls it receives.
let downstream: Server;
let downstreamUrl = '';
const received: IncomingHttpHeaders[] = [];
beforeAll(async () => {
  downstream = createServer((req, res) => {
    received.push(req.headers);
    res.end('{}');
  });
  await new Promise<void>((r) => downstream.listen(0, '127.0.0.1', r));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => downstream.close(() => r())));

let app: FastifyInstance;
let base = '';
const lines: Record<string, unknown>[] = [];

beforeEach(async () => {
  await t.reset();
  received.length = 0;
  lines.length = 0;
  const logger = createLogger({
    service: 'fastify-test',
    destination: { write: (s: string) => void lines.push(JSON.parse(s)) },
  });
  app = Fastify(loggerServerOptions(logger));
  await app.register(immoLogger);
  await app.register(immoTracing);
  app.get('/api/orgs/:id', async (req) => {
    req.log.info('loading org');
    return { id: (req.params as { id: string }).id, trace: currentTraceId() };
  });
  app.post('/api/payments', async (req) => ({ trace: currentTraceId(), body: req.body }));
  app.get('/api/deep', async () => {
    // Code with no access to `request`: the root logger and currentRequestId() still see the request.
    logger.info('deep inside');
    const loggerStorage = (globalThis as Record<symbol, { getStore(): unknown } | undefined>)[
      Symbol.for('@immo/logger.correlation')
    ];
    return { id: currentRequestId(), ownStore: loggerStorage?.getStore() !== undefined };
  });
  app.get('/api/calls', async () => {
    const r = await fetch(`${downstreamUrl}/x`);
    await r.text();
    return { trace: currentTraceId() };
  });
  app.get('/boom', async () => {
    throw new RangeError('ledger for IBAN DE89370400440532013000 is locked, password=hunter2');
  });
  app.get('/answered-503', async (_req, reply) => reply.code(503).send({ busy: true }));
  app.get(
    '/validated',
    { schema: { querystring: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async () => ({ ok: true }),
  );
  app.get('/health/ready', async () => ({ status: 'pass' }));
  app.get('/metrics', async () => 'x 1\n');
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterEach(() => app.close());

describe('server spans', () => {
  it('names the span after the route template with semantic-convention attributes', async () => {
    const res = await fetch(`${base}/api/orgs/42?page=2`);
    const body = (await res.json()) as { trace: string };
    const span = await t.span('GET /api/orgs/:id');
    expect(span?.kind).toBe(SpanKind.SERVER);
    expect(span?.spanContext().traceId).toBe(body.trace);
    expect(span?.attributes).toMatchObject({
      'http.request.method': 'GET',
      'http.route': '/api/orgs/:id',
      'http.response.status_code': 200,
      'url.path': '/api/orgs/42',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
    });
    expect(JSON.stringify(span?.attributes)).not.toContain('page=2');
  });

  it('uses the server span trace id as the request id and on every log line of the request', async () => {
    const res = await fetch(`${base}/api/orgs/1`);
    const { trace } = (await res.json()) as { trace: string };
    expect(res.headers.get('x-request-id')).toBe(trace);
    const mine = lines.filter((l) => l.request_id === trace);
    expect(mine.map((l) => l.msg)).toEqual(['loading org', 'request completed']);
    for (const l of mine) expect(l.trace_id).toBe(trace);
  });

  it('shares one async context with @immo/logger: lines without `request` still carry both ids', async () => {
    const res = await fetch(`${base}/api/deep`, { headers: { 'x-request-id': 'req-deep-1' } });
    const body = (await res.json()) as { id: string; ownStore: boolean };
    expect(body).toEqual({ id: 'req-deep-1', ownStore: false });
    const line = lines.find((l) => l.msg === 'deep inside');
    const span = await t.span('GET /api/deep');
    expect(line?.request_id).toBe('req-deep-1');
    expect(line?.trace_id).toBe(span?.spanContext().traceId);
  });

  it('continues an incoming W3C trace and follows its sampling decision', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${base}/api/orgs/1`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01`, baggage: 'tenant=t1' },
    });
    expect(((await res.json()) as { trace: string }).trace).toBe(traceId);
    const span = await t.span('GET /api/orgs/:id');
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7');
    await t.reset();
    await fetch(`${base}/api/orgs/1`, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-00` } });
    expect(await t.spans()).toHaveLength(0); // the caller did not sample: nothing recorded
  });

  it('traces inject() requests too', async () => {
    const res = await app.inject({ url: '/api/orgs/5' });
    expect(res.statusCode).toBe(200);
    expect((await t.span('GET /api/orgs/:id'))?.spanContext().traceId).toBe(res.json().trace);
  });

  it('keeps the span active in a handler that reads a body', async () => {
    const res = await fetch(`${base}/api/payments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ amount: 1 }),
    });
    const { trace } = (await res.json()) as { trace: string };
    expect((await t.span('POST /api/payments'))?.spanContext().traceId).toBe(trace);
  });

  it('does not trace probe and metrics paths', async () => {
    await fetch(`${base}/health/ready`);
    await fetch(`${base}/metrics`);
    await app.inject({ url: '/health/ready' });
    expect(await t.spans()).toHaveLength(0);
  });

  it('collapses unmatched routes: no raw URL in the span name', async () => {
    await fetch(`${base}/no/such/thing-123`);
    const [span] = await t.spans();
    expect(span?.name).toBe('GET');
    expect(span?.attributes['http.route']).toBeUndefined();
    expect(span?.attributes['http.response.status_code']).toBe(404);
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });
});

describe('outgoing calls', () => {
  it('propagate traceparent and x-request-id, with a client span under the server span', async () => {
    const res = await fetch(`${base}/api/calls`, { headers: { 'x-request-id': 'ingress-7f3a' } });
    const { trace } = (await res.json()) as { trace: string };
    expect(received).toHaveLength(1);
    expect(received[0]?.traceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
    expect(received[0]?.['x-request-id']).toBe('ingress-7f3a');
    const spans = await t.spans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER);
    const client = spans.find((s) => s.kind === SpanKind.CLIENT);
    expect(client?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(received[0]?.traceparent).toContain(client?.spanContext().spanId);
  });
});

describe('outgoing calls of jobs', () => {
  it("carry @immo/logger's job correlation id, with no span outside a request", async () => {
    await withCorrelation('billing-run-42', async () => {
      await (await fetch(`${downstreamUrl}/job`)).text();
    });
    expect(received[0]?.['x-request-id']).toBe('billing-run-42');
    expect(received[0]?.traceparent).toBeUndefined();
    expect(await t.spans()).toHaveLength(0);
  });
});

describe('one error policy', () => {
  it('a thrown error: span error with the exception, a safe 500 body with the request id', async () => {
    const res = await fetch(`${base}/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal Server Error',
      request_id: res.headers.get('x-request-id'),
    });
    const span = await t.span('GET /boom');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('RangeError');
    expect(span?.events[0]?.attributes?.['exception.type']).toBe('RangeError');
    const exported = JSON.stringify({ a: span?.attributes, e: span?.events, s: span?.status });
    expect(exported).not.toContain('DE89370400440532013000');
    expect(exported).not.toContain('hunter2');
    expect(lines.find((l) => l.msg === 'request failed')?.trace_id).toBe(span?.spanContext().traceId);
  });

  it('an answered 5xx is an error on the span, typed by its status', async () => {
    await fetch(`${base}/answered-503`);
    const span = await t.span('GET /answered-503');
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).toBe('503');
  });

  it('a 4xx is not an error: the span stays unset and the client gets the reason', async () => {
    const res = await fetch(`${base}/validated?n=abc`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'FST_ERR_VALIDATION' });
    expect(body.message).toContain('querystring/n');
    expect(body.request_id).toBe(res.headers.get('x-request-id'));
    const span = await t.span('GET /validated');
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
    expect(span?.events).toHaveLength(0);
  });
});

describe('hostile trace headers', () => {
  it('ignores malformed traceparent, tracestate and baggage: a new trace, never a crash', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 600 }),
        fc.string({ unit: 'binary', maxLength: 600 }),
        fc.string({ unit: 'binary', maxLength: 600 }),
        async (tp, ts, bg) => {
          const headers: Record<string, string> = {};
          // Header values a client can send: no CR/LF; the rest as it comes.
          const clean = (s: string) => s.replace(/[\r\n\0]/g, '');
          headers.traceparent = clean(tp);
          headers.tracestate = clean(ts);
          headers.baggage = clean(bg);
          const res = await app.inject({ url: '/api/orgs/1', headers });
          expect(res.statusCode).toBe(200);
          expect(res.json().trace).toMatch(/^[0-9a-f]{32}$/);
        },
      ),
      { numRuns: 150 },
    );
    for (const tp of [
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01', // all-zero trace id
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', // all-zero span id
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', // forbidden version
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', // upper case
    ]) {
      const res = await app.inject({ url: '/api/orgs/1', headers: { traceparent: tp } });
      expect(res.json().trace).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    }
  });
});

describe('plugin options', () => {
  it('lists every problem with a stable code', async () => {
    const bad = Fastify();
    await expect(
      bad.register(immoTracing, { ignorePaths: ['health'], errorHandler: 'yes', bogus: 1 } as never),
    ).rejects.toSatisfy((e: unknown) => {
      expect(e).toBeInstanceOf(TracingOptionsError);
      const err = e as TracingOptionsError;
      expect(err.code).toBe('IMMO_TRACING_INVALID_PLUGIN_OPTIONS');
      expect(err.issues.join('\n')).toContain('ignorePaths.0: expected');
      expect(err.issues.join('\n')).toContain('errorHandler: expected boolean');
      expect(err.issues.join('\n')).toContain('bogus');
      return true;
    });
  });
});
