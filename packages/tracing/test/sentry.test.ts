import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type OtlpReceiver,
  type SentryReceiver,
  startOtlpReceiver,
  startSentryReceiver,
} from '@immo/test-servers';
import * as Sentry from '@sentry/node';
import fc from 'fast-check';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { immoTracing } from '../src/fastify.js';
import { currentTraceId, initTracing, type Tracing, withSpan } from '../src/index.js';
import { initSentry, type SentryHandle } from '../src/sentry.js';

// Generated identifiers (computed here, never a real person's): valid IBANs and Luhn-valid cards.
function mod97(numeric: string): number {
  let rem = 0;
  for (const ch of numeric) rem = (rem * 10 + Number(ch)) % 97;
  return rem;
}
function iban(digits: string): string {
  const bban = digits.padEnd(18, '0').slice(0, 18);
  const check = 98 - mod97(`${bban}131400`); // D=13, E=14, then "00"
  return `DE${String(check).padStart(2, '0')}${bban}`;
}
function card(digits: string): string {
  const partial = `4${digits.padEnd(14, '3').slice(0, 14)}`;
  for (let d = 0; d <= 9; d++) {
    let sum = 0;
    let dbl = false;
    const s = partial + d;
    for (let k = s.length - 1; k >= 0; k--) {
      let v = Number(s[k]);
      if (dbl) v = v * 2 > 9 ? v * 2 - 9 : v * 2;
      sum += v;
      dbl = !dbl;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}

const word = fc.stringMatching(/^[A-Za-z0-9]{14,20}$/);
const digits = fc.stringMatching(/^[0-9]{18}$/);
const planted = fc.record({
  password: word.map((w) => `pw${w}`),
  token: word.map((w) => `tk${w}`),
  email: word.map((w) => `${w.toLowerCase()}@example.org`),
  iban: digits.map(iban),
  card: digits.map(card),
});
type Planted = { password: string; token: string; email: string; iban: string; card: string };

let otlp: OtlpReceiver;
let sentry: SentryReceiver;
let tracing: Tracing;
let handle: SentryHandle | undefined;
let app: FastifyInstance;
let base = '';
let downstream: Server;
let downstreamUrl = '';
const downstreamHeaders: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  [otlp, sentry] = await Promise.all([startOtlpReceiver(), startSentryReceiver()]);
  tracing = initTracing({
    serviceName: 'sentry-test',
    serviceVersion: '2.3.4',
    environment: 'test',
    otlpEndpoint: otlp.url,
    scheduledDelayMs: 10,
    instrumentPg: false,
  });
  // Eager: the route below calls @sentry/node through its own import (addBreadcrumb, captureException),
  // which needs the client in place before the first event (see sentry-lazy.test.ts for the default).
  handle = initSentry({ dsn: sentry.dsn(), load: 'eager' });
  downstream = createServer((req, res) => {
    downstreamHeaders.push(req.headers);
    res.end('{}');
  });
  await new Promise<void>((r) => downstream.listen(0, '127.0.0.1', r));
  downstreamUrl = `http://127.0.0.1:${(downstream.address() as AddressInfo).port}`;

  app = Fastify();
  await app.register(immoTracing);
  app.post<{ Body: Planted }>('/api/payments/:ref', async (request) => {
    const p = request.body;
    Sentry.addBreadcrumb({
      category: 'auth',
      message: `login ${p.email} token=${p.token}`,
      data: { password: p.password, iban: p.iban },
    });
    await withSpan(
      'payment.allocate',
      { 'payer.iban': p.iban, 'payer.email': p.email, note: `card ${p.card}` },
      async () => {
        // A handled error the code reports itself, with extra data.
        Sentry.captureException(new Error(`retrying ${p.iban}`), {
          extra: { payment: p, note: `password=${p.password}` },
        });
      },
    );
    throw new Error(
      `payment failed for ${p.iban} card ${p.card} mail ${p.email} password=${p.password} token: ${p.token}`,
    );
  });
  app.get('/api/calls', async () => {
    await (await fetch(`${downstreamUrl}/x`)).text();
    return { trace: currentTraceId() };
  });
  app.get('/api/bad-request', async () => {
    const e = new Error('bad input') as Error & { statusCode: number };
    e.statusCode = 400;
    throw e;
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}, 30_000);

afterAll(async () => {
  await app?.close();
  await handle?.close(2000);
  await tracing?.shutdown(2000);
  await new Promise<void>((r) => downstream.close(() => r()));
  await Promise.all([otlp?.stop(), sentry?.stop()]);
});

function everything(): string {
  return [
    ...sentry.rawBodies(),
    JSON.stringify(otlp.spans(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
  ].join('\n');
}

describe('Sentry on the OpenTelemetry pipeline (real @sentry/node 11 and OTLP exporter, local receivers)', () => {
  it('sends a thrown 5xx as one event linked to the server span, with release, environment and server name', async () => {
    sentry.reset();
    otlp.reset();
    const p: Planted = {
      password: 'pwA',
      token: 'tkB',
      email: 'c@example.org',
      iban: iban('1'),
      card: card('2'),
    };
    const res = await fetch(`${base}/api/payments/r-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(p),
    });
    expect(res.status).toBe(500);
    await tracing.flush(5000);
    const events = await sentry.waitForEvents(2);
    const thrown = events.find((e) => e.exception?.values?.[0]?.value?.startsWith('payment failed'));
    expect(thrown).toBeDefined();
    expect(thrown?.release).toBe('sentry-test@2.3.4');
    expect(thrown?.environment).toBe('test');
    expect(typeof thrown?.server_name).toBe('string');
    expect(thrown?.tags).toMatchObject({
      'http.route': '/api/payments/:ref',
      'http.response.status_code': '500',
    });
    expect(typeof thrown?.tags?.request_id).toBe('string');
    // Unhandled, as a thrown 5xx is: the mechanism survives next to the tags.
    expect(thrown?.exception?.values?.[0]?.mechanism).toMatchObject({ type: 'fastify', handled: false });
    const trace = (thrown!.contexts as { trace: { trace_id: string; span_id: string } }).trace;
    const spans = await otlp.waitForSpans((s) => s.some((x) => x.name === 'POST /api/payments/:ref'));
    const server = spans.find((x) => x.name === 'POST /api/payments/:ref');
    expect(trace.trace_id).toBe(server?.traceId);
    expect(trace.span_id).toBe(server?.spanId);
    // The handled error from inside the flow span is linked to that span.
    const handled = events.find((e) => e.exception?.values?.[0]?.value?.startsWith('retrying'));
    const flow = spans.find((x) => x.name === 'payment.allocate');
    expect(handled).toBeDefined();
    expect((handled!.contexts as { trace: { span_id: string } }).trace.span_id).toBe(flow?.spanId);
    // Errors only: no transaction, span or session items.
    const types = sentry.envelopes().flatMap((e) => e.items.map((i) => i.header.type));
    expect(new Set(types)).toEqual(new Set(['event']));
  });

  it('leaks no planted password, token, IBAN, card number or e-mail into any envelope or exported span', async () => {
    await fc.assert(
      fc.asyncProperty(planted, async (p) => {
        sentry.reset();
        otlp.reset();
        const res = await fetch(
          `${base}/api/payments/r-2?email=${encodeURIComponent(p.email)}&token=${p.token}`,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              authorization: `Bearer ${p.token}`,
              cookie: `session=${p.password}`,
              'x-api-key': p.token,
            },
            body: JSON.stringify(p),
          },
        );
        expect(res.status).toBe(500);
        await tracing.flush(5000);
        await sentry.waitForEvents(2);
        await otlp.waitForSpans((s) => s.some((x) => x.name === 'POST /api/payments/:ref'));
        const text = everything();
        for (const secret of Object.values(p)) expect(text).not.toContain(secret);
        // Grouped print formats too.
        expect(text).not.toContain(p.iban.replace(/(.{4})/g, '$1 ').trim());
      }),
      { numRuns: 25 },
    );
  }, 120_000);

  it('adds no sentry-trace or baggage header to outgoing calls; traceparent is ours', async () => {
    downstreamHeaders.length = 0;
    const res = await fetch(`${base}/api/calls`);
    const { trace } = (await res.json()) as { trace: string };
    expect(downstreamHeaders[0]?.['sentry-trace']).toBeUndefined();
    expect(downstreamHeaders[0]?.baggage).toBeUndefined();
    expect(downstreamHeaders[0]?.traceparent).toContain(trace);
  });

  it('sends nothing for a 4xx', async () => {
    sentry.reset();
    const res = await fetch(`${base}/api/bad-request`);
    expect(res.status).toBe(400);
    await handle?.flush(2000);
    expect(sentry.events()).toHaveLength(0);
  });

  it('flushes queued events and spans under one deadline, and survives an unreachable Sentry', async () => {
    sentry.setMode('hang');
    try {
      await fetch(`${base}/api/payments/r-3`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          password: 'x',
          token: 'y',
          email: 'e@example.org',
          iban: iban('3'),
          card: card('4'),
        }),
      });
      const t0 = Date.now();
      await tracing.flush(1000);
      expect(Date.now() - t0).toBeLessThan(2500);
      const ok = await fetch(`${base}/api/calls`);
      expect(ok.status).toBe(200);
    } finally {
      sentry.setMode('ok');
    }
  });
});

describe('initSentry options', () => {
  it('returns the same handle on a second call and nothing without a DSN', () => {
    expect(initSentry({ dsn: sentry.dsn() })).toBe(handle);
  });
});
