import { gzipSync } from 'node:zlib';
import { context, type SpanContext, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import * as Sentry from '@sentry/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type OtlpReceiver,
  type ReceivedSpan,
  ReceiverWaitError,
  type SentryReceiver,
  startOtlpReceiver,
  startSentryReceiver,
} from '../src/index.ts';
import { portIsFree } from './helpers.ts';

type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtoExporter>[0]>;
type ExportResult = { code: number; error?: Error };

const linked: SpanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
};

/** A parent span (every attribute type, an event, an error status, a link) and a child, through `exporter`. */
async function exportSample(exporter: SpanExporter): Promise<{ parent: SpanContext; child: SpanContext }> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'receiver-test', 'deployment.environment': 'test' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('receiver-test-scope', '0.1.0');
  const parent = tracer.startSpan('parent', {
    kind: SpanKind.SERVER,
    attributes: {
      'attr.string': 'hello',
      'attr.int': 42,
      'attr.negative': -7,
      'attr.big': 2 ** 60,
      'attr.double': 2.5,
      'attr.bool': true,
      'attr.strings': ['a', 'b'],
      'attr.numbers': [1, 2, 3],
    },
    links: [{ context: linked, attributes: { 'link.reason': 'follows' } }],
  });
  parent.addEvent('cache miss', { 'cache.key': 'orders:1', 'cache.tries': 3 });
  parent.setStatus({ code: SpanStatusCode.ERROR, message: 'it broke' });
  const child = tracer.startSpan('child', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), parent));
  child.setAttribute('db.system', 'postgresql');
  child.end();
  parent.end();
  await provider.forceFlush();
  await provider.shutdown();
  return { parent: parent.spanContext(), child: child.spanContext() };
}

function expectSample(spans: ReceivedSpan[], ids: { parent: SpanContext; child: SpanContext }): void {
  // SimpleSpanProcessor sends one request per span, concurrently: arrival order is not guaranteed
  expect(spans.map((s) => s.name).sort()).toEqual(['child', 'parent']);
  const child = spans.find((s) => s.name === 'child')!;
  const parent = spans.find((s) => s.name === 'parent')!;
  expect(parent).toEqual({
    traceId: ids.parent.traceId,
    spanId: ids.parent.spanId,
    parentSpanId: undefined,
    name: 'parent',
    kind: 2,
    startTimeUnixNano: expect.any(BigInt),
    endTimeUnixNano: expect.any(BigInt),
    attributes: {
      'attr.string': 'hello',
      'attr.int': 42,
      'attr.negative': -7,
      'attr.big': '1152921504606846976',
      'attr.double': 2.5,
      'attr.bool': true,
      'attr.strings': ['a', 'b'],
      'attr.numbers': [1, 2, 3],
    },
    events: [
      {
        name: 'cache miss',
        timeUnixNano: expect.any(BigInt),
        attributes: { 'cache.key': 'orders:1', 'cache.tries': 3 },
      },
    ],
    links: [{ traceId: linked.traceId, spanId: linked.spanId, attributes: { 'link.reason': 'follows' } }],
    status: { code: 2, message: 'it broke' },
    resource: expect.objectContaining({ 'service.name': 'receiver-test', 'deployment.environment': 'test' }),
    scope: { name: 'receiver-test-scope', version: '0.1.0' },
  });
  expect(child).toMatchObject({
    traceId: ids.parent.traceId,
    spanId: ids.child.spanId,
    parentSpanId: ids.parent.spanId,
    kind: 3,
    attributes: { 'db.system': 'postgresql' },
    events: [],
    links: [],
    status: { code: 0 },
  });
  expect(child.status.message).toBeUndefined();
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  expect(parent.startTimeUnixNano).toBeGreaterThan(nowNs - 60_000_000_000n);
  expect(parent.endTimeUnixNano).toBeGreaterThanOrEqual(parent.startTimeUnixNano);
}

/** The parts that do not change between two exports of the same sample. */
function shape(spans: ReceivedSpan[]): unknown {
  return spans.map(
    ({ traceId, spanId, parentSpanId, startTimeUnixNano, endTimeUnixNano, events, ...rest }) => ({
      ...rest,
      hasParent: parentSpanId !== undefined,
      events: events.map(({ timeUnixNano, ...e }) => e),
    }),
  );
}

async function finishedSpans(name: string): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  provider.getTracer('modes').startSpan(name).end();
  await provider.forceFlush();
  return memory.getFinishedSpans();
}

function exportOnce(exporter: SpanExporter, spans: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => exporter.export(spans, resolve));
}

function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, { method: 'POST', body, headers });
}

// --- a tiny protobuf encoder, for what the JS exporter never sends (kvlist, bytes) ----------------------

function varint(n: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asUintN(64, n);
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const field = (no: number, bytes: Uint8Array | number[]): number[] => [
  ...varint(BigInt((no << 3) | 2)),
  ...varint(BigInt(bytes.length)),
  ...bytes,
];
const str = (no: number, s: string) => field(no, Buffer.from(s));
const kv = (key: string, anyValue: number[]) => [...str(1, key), ...field(2, anyValue)];

describe('startOtlpReceiver', () => {
  let otlp: OtlpReceiver;
  beforeAll(async () => {
    otlp = await startOtlpReceiver({ slowMs: 300 });
  });
  afterEach(() => {
    otlp.setMode('ok');
    otlp.reset();
  });
  afterAll(() => otlp?.stop());

  it('decodes the same spans from the protobuf and the JSON exporter', async () => {
    expect(otlp.url).toBe(`http://127.0.0.1:${otlp.port}`);
    expect(otlp.tracesUrl).toBe(`${otlp.url}/v1/traces`);

    const protoIds = await exportSample(new ProtoExporter({ url: otlp.tracesUrl }));
    const fromProto = await otlp.waitForSpans((s) => s.length === 2);
    expectSample(fromProto, protoIds);
    expect(otlp.requests).toBe(2); // SimpleSpanProcessor: one request per span
    otlp.reset();

    const jsonIds = await exportSample(new JsonExporter({ url: otlp.tracesUrl }));
    const fromJson = await otlp.waitForSpans((s) => s.length === 2);
    expectSample(fromJson, jsonIds);

    expect(shape(fromJson)).toEqual(shape(fromProto));
    expect(otlp.errors).toEqual([]);
  });

  it('reads gzipped requests (compression: gzip) from both exporters', async () => {
    const gzip = 'gzip' as ExporterConfig['compression'];
    const protoIds = await exportSample(new ProtoExporter({ url: otlp.tracesUrl, compression: gzip }));
    expectSample(await otlp.waitForSpans((s) => s.length === 2), protoIds);
    otlp.reset();
    const jsonIds = await exportSample(new JsonExporter({ url: otlp.tracesUrl, compression: gzip }));
    expectSample(await otlp.waitForSpans((s) => s.length === 2), jsonIds);
  });

  it("mode 'fail' makes the export fail; the spans are still recorded", async () => {
    const exporter = new ProtoExporter({ url: otlp.tracesUrl });
    otlp.setMode('fail');
    const result = await exportOnce(exporter, await finishedSpans('failing'));
    expect(result.code).toBe(1);
    expect(otlp.requests).toBe(1);
    expect(otlp.spans().map((s) => s.name)).toEqual(['failing']);
    otlp.setMode('ok');
    expect((await exportOnce(exporter, await finishedSpans('after fail'))).code).toBe(0);
    await exporter.shutdown();
  });

  it("mode 'hang' makes the export time out; back in 'ok' exports succeed again", async () => {
    const exporter = new JsonExporter({ url: otlp.tracesUrl, timeoutMillis: 500 });
    otlp.setMode('hang');
    const started = Date.now();
    const result = await exportOnce(exporter, await finishedSpans('hung'));
    expect(result.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(450);
    expect(Date.now() - started).toBeLessThan(5_000);
    otlp.setMode('ok');
    expect((await exportOnce(exporter, await finishedSpans('after hang'))).code).toBe(0);
    expect(otlp.spans().map((s) => s.name)).toEqual(['hung', 'after hang']);
    await exporter.shutdown();
  });

  it("mode 'slow' answers 200 after slowMs", async () => {
    const exporter = new ProtoExporter({ url: otlp.tracesUrl });
    otlp.setMode('slow');
    const started = Date.now();
    expect((await exportOnce(exporter, await finishedSpans('slow'))).code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    await exporter.shutdown();
  });

  it('waitForSpans waits for later spans and times out listing what arrived', async () => {
    const exporter = new ProtoExporter({ url: otlp.tracesUrl });
    const waiting = otlp.waitForSpans((s) => s.some((x) => x.name === 'late'), 5_000);
    await exportOnce(exporter, await finishedSpans('early'));
    await exportOnce(exporter, await finishedSpans('late'));
    expect((await waiting).map((s) => s.name)).toEqual(['early', 'late']);

    const error = await otlp.waitForSpans((s) => s.some((x) => x.name === 'never'), 200).catch((e) => e);
    expect(error).toBeInstanceOf(ReceiverWaitError);
    expect(error.code).toBe('RECEIVER_TIMEOUT');
    expect(error.received).toEqual(['early', 'late']);
    expect(error.message).toContain('no matching spans within 200 ms; received 2: "early", "late"');
    await exporter.shutdown();
  });

  it('reads OTLP/JSON from other encoders: base64 ids, string ints, enum names, kvlists, bytes', async () => {
    const request = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'other' } }] },
          scopeSpans: [
            {
              scope: { name: 'other-scope' },
              spans: [
                {
                  traceId: Buffer.from(linked.traceId, 'hex').toString('base64'),
                  spanId: Buffer.from(linked.spanId, 'hex').toString('base64'),
                  parentSpanId: '',
                  name: 'handmade',
                  kind: 'SPAN_KIND_CONSUMER',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: 1700000000000001000,
                  attributes: [
                    { key: 'small', value: { intValue: '12' } },
                    { key: 'huge', value: { intValue: '9007199254740993' } },
                    {
                      key: 'map',
                      value: { kvlistValue: { values: [{ key: 'k', value: { boolValue: false } }] } },
                    },
                    { key: 'raw', value: { bytesValue: Buffer.from([1, 2, 255]).toString('base64') } },
                    { key: 'empty', value: {} },
                  ],
                  status: { code: 'STATUS_CODE_OK' },
                },
              ],
            },
          ],
        },
      ],
    };
    const res = await post(otlp.tracesUrl, JSON.stringify(request), { 'content-type': 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.text()).toBe('{}');
    expect(otlp.spans()).toEqual([
      {
        traceId: linked.traceId,
        spanId: linked.spanId,
        parentSpanId: undefined,
        name: 'handmade',
        kind: 5,
        startTimeUnixNano: 1700000000000000000n,
        endTimeUnixNano: 1700000000000001024n, // the number lost precision in JSON, as it would anywhere
        attributes: {
          small: 12,
          huge: '9007199254740993',
          map: { k: false },
          raw: new Uint8Array([1, 2, 255]),
          empty: null,
        },
        events: [],
        links: [],
        status: { code: 1 },
        resource: { 'service.name': 'other' },
        scope: { name: 'other-scope' },
      },
    ]);
  });

  it('reads protobuf kvlists, bytes and out-of-order fields, and answers an empty protobuf body', async () => {
    const anyKvlist = field(6, field(1, kv('inner', str(1, 'v'))));
    const anyBytes = field(7, [0, 1, 2]);
    const span = [
      ...str(5, 'handmade'),
      ...field(9, kv('map', anyKvlist)),
      ...field(9, kv('raw', anyBytes)),
      ...field(2, Buffer.from(linked.spanId, 'hex')),
      ...field(1, Buffer.from(linked.traceId, 'hex')),
    ];
    const scopeSpans = [...field(2, span), ...field(1, str(1, 'pb-scope'))];
    const resourceSpans = [...field(2, scopeSpans), ...field(1, field(1, kv('service.name', str(1, 'pb'))))];
    const res = await post(otlp.tracesUrl, new Uint8Array(field(1, resourceSpans)), {
      'content-type': 'application/x-protobuf',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-protobuf');
    expect((await res.arrayBuffer()).byteLength).toBe(0);
    expect(otlp.spans()).toMatchObject([
      {
        traceId: linked.traceId,
        spanId: linked.spanId,
        parentSpanId: undefined,
        name: 'handmade',
        kind: 0,
        startTimeUnixNano: 0n,
        attributes: { map: { inner: 'v' }, raw: new Uint8Array([0, 1, 2]) },
        resource: { 'service.name': 'pb' },
        scope: { name: 'pb-scope' },
        status: { code: 0 },
      },
    ]);
  });

  it('answers malformed requests with 4xx, records them in errors and keeps working', async () => {
    const proto = { 'content-type': 'application/x-protobuf' };
    const json = { 'content-type': 'application/json' };
    const cases: [string, Promise<Response>, number][] = [
      ['truncated protobuf', post(otlp.tracesUrl, new Uint8Array([0x0a, 0xff, 0x01]), proto), 400],
      ['wire type 7', post(otlp.tracesUrl, new Uint8Array([0x0f]), proto), 400],
      ['not JSON', post(otlp.tracesUrl, '{"resourceSpans": [', json), 400],
      [
        'bad id',
        post(otlp.tracesUrl, JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{}] }] }] }), json),
        400,
      ],
      ['not gzip', post(otlp.tracesUrl, 'plain', { ...json, 'content-encoding': 'gzip' }), 400],
      ['text/plain', post(otlp.tracesUrl, 'hello', { 'content-type': 'text/plain' }), 415],
      ['unknown path', post(`${otlp.url}/v1/metrics`, '{}', json), 404],
      ['GET', fetch(otlp.tracesUrl), 405],
    ];
    for (const [name, response, status] of cases) {
      const res = await response;
      expect({ name, status: res.status }).toEqual({ name, status });
      await res.text();
    }
    const errors = otlp.errors;
    expect(errors).toHaveLength(cases.length);
    expect(errors.join('\n')).toContain('protobuf ExportTraceServiceRequest: field 1 wants 255 bytes');
    expect(errors.join('\n')).toContain('resourceSpans[0].scopeSpans[0].spans[0].traceId');
    expect(otlp.spans()).toEqual([]);

    const gzipped = gzipSync(JSON.stringify({ resourceSpans: [] }));
    expect((await post(otlp.tracesUrl, gzipped, { ...json, 'content-encoding': 'gzip' })).status).toBe(200);
    const exporter = new ProtoExporter({ url: otlp.tracesUrl });
    expect((await exportOnce(exporter, await finishedSpans('still alive'))).code).toBe(0);
    await exporter.shutdown();
  });

  it('stop() ends hung requests and pending waits, frees the port, and can be called twice', async () => {
    const own = await startOtlpReceiver({ mode: 'hang' });
    const hung = post(own.tracesUrl, '{}', { 'content-type': 'application/json' }).catch((e: Error) => e);
    const waiting = own.waitForSpans(() => false, 10_000).catch((e) => e);
    await vi.waitFor(() => expect(own.requests).toBe(1), { timeout: 10_000, interval: 20 });
    await Promise.all([own.stop(), own.stop()]);
    expect(await hung).toBeInstanceOf(Error);
    expect((await waiting).code).toBe('RECEIVER_STOPPED');
    expect(await portIsFree(own.port)).toBe(true);
  });
});

describe('startSentryReceiver', () => {
  let sentry: SentryReceiver;
  beforeAll(async () => {
    sentry = await startSentryReceiver();
    Sentry.init({
      dsn: sentry.dsn(),
      defaultIntegrations: false,
      integrations: [],
      tracePropagationTargets: [],
      sendClientReports: false,
    });
  });
  afterEach(() => {
    sentry.setMode('ok');
    sentry.reset();
  });
  afterAll(async () => {
    await Sentry.close();
    await sentry?.stop();
  });

  it('receives an exception from @sentry/node', async () => {
    expect(sentry.dsn()).toBe(`http://public@127.0.0.1:${sentry.port}/1`);
    expect(sentry.dsn('42', 'abc')).toBe(`http://abc@127.0.0.1:${sentry.port}/42`);
    Sentry.captureException(new Error('boom'));
    expect(await Sentry.flush(2_000)).toBe(true);
    const events = await sentry.waitForEvents(1);
    expect(events).toHaveLength(1);
    expect(events[0]?.exception?.values?.[0]).toMatchObject({ type: 'Error', value: 'boom' });
    const [envelope] = sentry.envelopes();
    expect(envelope).toMatchObject({ projectId: '1', sentryKey: 'public', gzipped: false });
    expect(envelope?.header.event_id).toBe(events[0]?.event_id);
    expect(envelope?.items[0]?.header.type).toBe('event');
    expect(sentry.rawBodies()[0]).toContain('"value":"boom"');
    expect(sentry.errors).toEqual([]);
  });

  it('parses a gzipped envelope (an event over 32 KiB)', async () => {
    const blob = 'x'.repeat(40_000);
    Sentry.captureException(new Error('big'), { extra: { blob } });
    expect(await Sentry.flush(2_000)).toBe(true);
    const [event] = await sentry.waitForEvents(1);
    expect(sentry.envelopes()[0]?.gzipped).toBe(true);
    expect(event?.exception?.values?.[0]?.value).toBe('big');
    expect(event?.extra?.blob).toBe(blob);
    expect(sentry.rawBodies()[0]).toContain(blob);
  });

  it('honours item lengths in bytes: payloads with newlines and multi-byte characters', async () => {
    const event = JSON.stringify({ event_id: 'abc123', message: 'héllo — wörld ✓' }, null, 2);
    const attachment = 'line 1\nline ✓ 2\n';
    const body = [
      JSON.stringify({ event_id: 'abc123', sent_at: '2024-01-01T00:00:00Z' }),
      JSON.stringify({ type: 'event', length: Buffer.byteLength(event) }),
      event,
      JSON.stringify({ type: 'attachment', length: Buffer.byteLength(attachment), filename: 'a.txt' }),
      attachment,
      JSON.stringify({ type: 'client_report' }),
      JSON.stringify({ discarded_events: [] }),
      '',
    ].join('\n');
    expect(event).toContain('\n');
    expect(Buffer.byteLength(event)).toBeGreaterThan(event.length);
    const res = await post(`${sentry.url}/api/7/envelope/?sentry_version=7&sentry_key=k`, Buffer.from(body));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'abc123' });
    expect(sentry.envelopes()).toEqual([
      {
        header: { event_id: 'abc123', sent_at: '2024-01-01T00:00:00Z' },
        items: [
          { header: { type: 'event', length: Buffer.byteLength(event) }, payload: JSON.parse(event) },
          {
            header: { type: 'attachment', length: Buffer.byteLength(attachment), filename: 'a.txt' },
            payload: attachment,
          },
          { header: { type: 'client_report' }, payload: { discarded_events: [] } },
        ],
        projectId: '7',
        sentryKey: 'k',
        gzipped: false,
      },
    ]);
    expect(sentry.events()).toEqual([{ event_id: 'abc123', message: 'héllo — wörld ✓' }]);
    expect(sentry.rawBodies()).toEqual([body]);
  });

  it('answers malformed envelopes with 4xx, records them and keeps working', async () => {
    const url = `${sentry.url}/api/1/envelope/`;
    const cases: [string, string, number][] = [
      ['empty', '', 400],
      ['header not JSON', '{"event_id":\n{"type":"event"}\n{}', 400],
      ['item header not JSON', '{}\nnope\n{}', 400],
      ['length past the end', '{}\n{"type":"event","length":100}\n{}', 400],
      ['length too short', '{}\n{"type":"event","length":2}\n{"a":1}\n', 400],
      ['length not a number', '{}\n{"type":"event","length":"2"}\n{}', 400],
    ];
    for (const [name, body, status] of cases) {
      const res = await post(url, body);
      expect({ name, status: res.status }).toEqual({ name, status });
      await res.text();
    }
    expect((await post(`${sentry.url}/api/1/store/`, '{}')).status).toBe(404);
    expect(sentry.errors).toHaveLength(cases.length + 1);
    expect(sentry.errors.join('\n')).toContain('declares 100 bytes, only 2 follow');
    expect(sentry.envelopes()).toEqual([]);
    expect(sentry.rawBodies()).toHaveLength(cases.length);

    Sentry.captureException(new Error('still alive'));
    expect(await Sentry.flush(2_000)).toBe(true);
    expect((await sentry.waitForEvents(1))[0]?.exception?.values?.[0]?.value).toBe('still alive');
  });

  it("modes 'fail' and 'hang', and waitForEvents timing out", async () => {
    const url = `${sentry.url}/api/1/envelope/`;
    const envelope = '{"event_id":"e1"}\n{"type":"event"}\n{"event_id":"e1","message":"m1"}\n';
    sentry.setMode('fail');
    expect((await post(url, envelope)).status).toBe(500);
    sentry.setMode('hang');
    const hung = await fetch(url, { method: 'POST', body: envelope, signal: AbortSignal.timeout(300) }).catch(
      (e: Error) => e,
    );
    expect(hung).toBeInstanceOf(Error);
    sentry.setMode('ok');
    expect((await post(url, envelope)).status).toBe(200);
    expect(sentry.requests).toBe(3);
    expect(sentry.events()).toHaveLength(3);

    const error = await sentry.waitForEvents(4, 200).catch((e) => e);
    expect(error).toBeInstanceOf(ReceiverWaitError);
    expect(error.message).toContain(
      'fewer than 4 events within 200 ms (3 envelopes); received 3: "m1", "m1", "m1"',
    );
  });
});
