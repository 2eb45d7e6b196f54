import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { ReceiverWaitError, ServerStartError } from './errors.ts';

// ---------------------------------------------------------------------------------------------------
// Shared plumbing: an in-process node:http server on 127.0.0.1:0, answer modes, waiters.
// ---------------------------------------------------------------------------------------------------

/**
 * How a receiver answers: `ok` (200), `fail` (500), `hang` (reads the request, records it, never
 * answers until the mode changes or the receiver stops), `slow` (200 after `slowMs`; OTLP only).
 */
export type ReceiverMode = 'ok' | 'fail' | 'hang' | 'slow';

const MAX_BODY_BYTES = 64 * 1024 * 1024;
const gunzipAsync = promisify(gunzip);

/** A request the receiver refuses: answered with `status` and recorded in `errors`. */
class BadRequest extends Error {
  constructor(
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const failAnswer: Answer = {
  status: 500,
  headers: { 'content-type': 'text/plain' },
  body: 'test receiver is in fail mode\n',
};

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(answer.status, answer.headers);
  res.end(answer.body);
}

/** Answers requests according to the current mode; keeps hung and slow ones so stop() can end them. */
class Responder {
  private readonly held = new Set<{ res: ServerResponse; ok: Answer }>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    public mode: ReceiverMode,
    private readonly slowMs: number,
  ) {}

  answer(res: ServerResponse, ok: Answer): void {
    if (this.mode === 'ok') send(res, ok);
    else if (this.mode === 'fail') send(res, failAnswer);
    else if (this.mode === 'slow') {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        send(res, ok);
      }, this.slowMs);
      this.timers.add(timer);
    } else {
      const entry = { res, ok };
      this.held.add(entry);
      // the client gave up (its timeout): nothing left to answer
      res.once('close', () => this.held.delete(entry));
    }
  }

  /** Switches the mode; requests held by `hang` are answered the new mode's way. */
  setMode(mode: ReceiverMode): void {
    this.mode = mode;
    if (mode === 'hang') return;
    const held = [...this.held];
    this.held.clear();
    for (const { res, ok } of held) this.answer(res, ok);
  }

  stop(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.held.clear();
  }
}

interface Waiter {
  settle(): boolean;
  fail(error: Error): void;
}

/** Pending `waitFor*` calls, re-checked whenever something arrives. */
class Waiters {
  private readonly pending = new Set<Waiter>();

  wait<T>(probe: () => T | undefined, timeoutMs: number, timeoutError: () => Error): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        settle: () => {
          let value: T | undefined;
          try {
            value = probe();
          } catch (err) {
            waiter.fail(err as Error);
            return true;
          }
          if (value === undefined) return false;
          this.pending.delete(waiter);
          clearTimeout(timer);
          resolve(value);
          return true;
        },
        fail: (error) => {
          this.pending.delete(waiter);
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => waiter.fail(timeoutError()), timeoutMs);
      if (!waiter.settle()) this.pending.add(waiter);
    });
  }

  notify(): void {
    for (const waiter of [...this.pending]) waiter.settle();
  }

  failAll(error: () => Error): void {
    for (const waiter of [...this.pending]) waiter.fail(error());
  }
}

interface ReadBody {
  body: Buffer;
  gzipped: boolean;
}

async function readBody(req: IncomingMessage): Promise<ReadBody> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`body larger than ${MAX_BODY_BYTES} bytes`, 413);
    chunks.push(chunk);
  }
  const raw = Buffer.concat(chunks);
  const encoding = (req.headers['content-encoding'] ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return { body: raw, gzipped: false };
  if (encoding === 'gzip' || encoding === 'x-gzip') {
    try {
      return { body: await gunzipAsync(raw), gzipped: true };
    } catch (err) {
      throw new BadRequest(`content-encoding gzip, but the body does not gunzip: ${(err as Error).message}`);
    }
  }
  throw new BadRequest(`unsupported content-encoding ${JSON.stringify(encoding)} (gzip or none)`, 415);
}

interface Listening {
  url: string;
  port: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/**
 * Listens on 127.0.0.1 port 0 (the OS picks a free port while binding, so no port race). `onError`
 * records a request the handler refused (a {@link BadRequest}) or failed on; the server never crashes.
 */
async function listen(
  name: string,
  handler: Handler,
  onError: (message: string) => void,
): Promise<Listening> {
  const server = createServer((req, res) => {
    handler(req, res).catch((err: unknown) => {
      // the client went away while we read its body: nothing to answer, nothing wrong with the receiver
      if (req.socket.destroyed && !(err instanceof BadRequest)) return;
      const status = err instanceof BadRequest ? err.status : 500;
      const message = err instanceof Error ? err.message : String(err);
      onError(`${req.method} ${req.url} (${req.headers['content-type'] ?? 'no content-type'}): ${message}`);
      send(res, { status, headers: { 'content-type': 'text/plain' }, body: `${message}\n` });
    });
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    throw new ServerStartError(name, 'SERVER_SETUP_FAILED', (err as Error).message, '', { cause: err });
  }
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // keep-alive sockets (both clients use them) and hung requests would keep close() waiting
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function requestPath(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] ?? '/';
}

// ---------------------------------------------------------------------------------------------------
// OTLP/HTTP traces receiver
// ---------------------------------------------------------------------------------------------------

/** A span as the OTLP receiver decoded it; protobuf and JSON requests give the same shape. */
export interface ReceivedSpan {
  /** 32 lowercase hex digits. */
  traceId: string;
  /** 16 lowercase hex digits. */
  spanId: string;
  /** 16 lowercase hex digits; undefined for a root span. */
  parentSpanId: string | undefined;
  name: string;
  /** OTLP `SpanKind`: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  startTimeUnixNano: bigint;
  endTimeUnixNano: bigint;
  /**
   * Strings, booleans, numbers (an int64 outside ±2^53 is a decimal string), arrays, objects (OTLP
   * kvlists), `Uint8Array` (bytes) and `null` (an empty AnyValue).
   */
  attributes: Record<string, unknown>;
  events: { name: string; timeUnixNano: bigint; attributes: Record<string, unknown> }[];
  links: { traceId: string; spanId: string; attributes: Record<string, unknown> }[];
  /** `code`: 0 unset, 1 ok, 2 error; `message` is undefined when empty. */
  status: { code: number; message?: string };
  /** The resource's attributes, e.g. `{ 'service.name': 'orders' }`. */
  resource: Record<string, unknown>;
  /** The instrumentation scope (`tracer` name and version); `version` is undefined when empty. */
  scope: { name: string; version?: string };
}

/** Options of {@link startOtlpReceiver}. */
export interface OtlpReceiverOptions {
  /** @default 'ok' */
  mode?: ReceiverMode;
  /** How long mode `slow` waits before answering 200. @default 2000 */
  slowMs?: number;
}

/** An OTLP/HTTP traces endpoint in the test process, recording what exporters send. */
export interface OtlpReceiver {
  /** `http://127.0.0.1:<port>` (no trailing slash): the exporter base URL, e.g. `OTEL_EXPORTER_OTLP_ENDPOINT`. */
  readonly url: string;
  readonly port: number;
  /** `url + '/v1/traces'`: the `url` option of `OTLPTraceExporter`. */
  readonly tracesUrl: string;
  /** POST /v1/traces requests received so far, in any mode, decodable or not. */
  readonly requests: number;
  /** One line per refused request (undecodable body, unknown path, ...), oldest first. */
  readonly errors: readonly string[];
  /** Every span decoded so far (in every mode: what arrived, whatever the answer), oldest first. */
  spans(): ReceivedSpan[];
  /**
   * Resolves with all spans once `predicate(spans)` is true (checked now and on every request);
   * rejects with a {@link ReceiverWaitError} listing the span names received when `timeoutMs` passes.
   */
  waitForSpans(predicate: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  /** Changes how later requests are answered; requests held by `hang` are answered the new way. */
  setMode(mode: ReceiverMode): void;
  /** Forgets the spans, errors and request count; the mode stays. */
  reset(): void;
  /** Closes the server and all connections (hung requests included). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts an OTLP/HTTP traces receiver on a free 127.0.0.1 port, in this process. It takes
 * `POST /v1/traces` as `application/x-protobuf` (exporter-trace-otlp-proto) or `application/json`
 * (exporter-trace-otlp-http), gzipped or not, and decodes both into {@link ReceivedSpan}s. In mode
 * `ok` it answers 200 with an empty `ExportTraceServiceResponse`; an undecodable body gets a 400 and
 * a line in `errors`.
 *
 * @example
 * ```ts
 * const otlp = await startOtlpReceiver();
 * const exporter = new OTLPTraceExporter({ url: otlp.tracesUrl });
 * // ... run the code under test, flush the provider
 * const spans = await otlp.waitForSpans((s) => s.some((x) => x.name === 'GET /orders'));
 * await otlp.stop();
 * ```
 */
export async function startOtlpReceiver(options: OtlpReceiverOptions = {}): Promise<OtlpReceiver> {
  const responder = new Responder(options.mode ?? 'ok', options.slowMs ?? 2_000);
  const waiters = new Waiters();
  let received: ReceivedSpan[] = [];
  let errors: string[] = [];
  let requests = 0;

  const protobufOk: Answer = { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: '' };
  const jsonOk: Answer = { status: 200, headers: { 'content-type': 'application/json' }, body: '{}' };

  const handler: Handler = async (req, res) => {
    const path = requestPath(req);
    if (path !== '/v1/traces') {
      throw new BadRequest(`unknown path ${path}: OTLP/HTTP traces go to POST /v1/traces`, 404);
    }
    if (req.method !== 'POST') throw new BadRequest(`method ${req.method} not allowed: POST only`, 405);
    requests++;
    const { body } = await readBody(req);
    const type = mediaType(req);
    let spans: ReceivedSpan[];
    if (type === 'application/x-protobuf' || type === 'application/protobuf') {
      spans = decodeProtobufRequest(body);
    } else if (type === 'application/json') {
      spans = decodeJsonRequest(body);
    } else {
      throw new BadRequest(
        `unsupported content-type ${JSON.stringify(type)}: send application/x-protobuf or application/json`,
        415,
      );
    }
    received.push(...spans);
    waiters.notify();
    responder.answer(res, type === 'application/json' ? jsonOk : protobufOk);
  };

  const server = await listen('otlp-receiver', handler, (message) => errors.push(message));
  return {
    url: server.url,
    port: server.port,
    tracesUrl: `${server.url}/v1/traces`,
    get requests() {
      return requests;
    },
    get errors() {
      return [...errors];
    },
    spans: () => [...received],
    waitForSpans(predicate, timeoutMs = 10_000) {
      return waiters.wait(
        () => (predicate([...received]) ? [...received] : undefined),
        timeoutMs,
        () =>
          new ReceiverWaitError(
            'otlp-receiver',
            'RECEIVER_TIMEOUT',
            `no matching spans within ${timeoutMs} ms`,
            received.map((s) => s.name),
            errors,
          ),
      );
    },
    setMode: (mode) => responder.setMode(mode),
    reset() {
      received = [];
      errors = [];
      requests = 0;
    },
    async stop() {
      responder.stop();
      waiters.failAll(
        () =>
          new ReceiverWaitError(
            'otlp-receiver',
            'RECEIVER_STOPPED',
            'stopped while waiting for spans',
            received.map((s) => s.name),
            errors,
          ),
      );
      await server.close();
    },
  };
}

function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** An int64 as a number when it is exact, else as its decimal string. */
function int64(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

// --- protobuf: a minimal wire-format reader (https://protobuf.dev/programming-guides/encoding/) -----

/** One field as it is on the wire: varint (0), 64-bit (1), length-delimited (2), 32-bit (5). */
type WireField = { no: number; wire: 0; value: bigint } | { no: number; wire: 1 | 2 | 5; bytes: Uint8Array };

function* wireFields(buf: Uint8Array, message: string): Generator<WireField> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new BadRequest(`protobuf ${message}: truncated varint`);
      const byte = buf[pos++]!;
      result |= BigInt(byte & 0x7f) << BigInt(7 * i);
      if (byte < 0x80) return BigInt.asUintN(64, result);
    }
    throw new BadRequest(`protobuf ${message}: varint longer than 10 bytes`);
  };
  const take = (n: bigint, no: number): Uint8Array => {
    if (n > BigInt(buf.length - pos)) {
      throw new BadRequest(
        `protobuf ${message}: field ${no} wants ${n} bytes, only ${buf.length - pos} left (truncated or not protobuf)`,
      );
    }
    pos += Number(n);
    return buf.subarray(pos - Number(n), pos);
  };
  while (pos < buf.length) {
    const key = varint();
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (no === 0) throw new BadRequest(`protobuf ${message}: field number 0 (not protobuf)`);
    if (wire === 0) yield { no, wire: 0, value: varint() };
    else if (wire === 1) yield { no, wire: 1, bytes: take(8n, no) };
    else if (wire === 2) yield { no, wire: 2, bytes: take(varint(), no) };
    else if (wire === 5) yield { no, wire: 5, bytes: take(4n, no) };
    else throw new BadRequest(`protobuf ${message}: field ${no} has wire type ${wire} (groups are not OTLP)`);
  }
}

function wrongWire(field: WireField, name: string, expected: string): BadRequest {
  return new BadRequest(
    `protobuf ${name} (field ${field.no}): wire type ${field.wire}, expected ${expected}`,
  );
}

function pbBytes(field: WireField, name: string): Uint8Array {
  if (field.wire !== 2) throw wrongWire(field, name, 'length-delimited (2)');
  return field.bytes;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function pbString(field: WireField, name: string): string {
  try {
    return utf8.decode(pbBytes(field, name));
  } catch (err) {
    if (err instanceof BadRequest) throw err;
    throw new BadRequest(`protobuf ${name}: not UTF-8`);
  }
}

function pbVarint(field: WireField, name: string): bigint {
  if (field.wire !== 0) throw wrongWire(field, name, 'varint (0)');
  return field.value;
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function pbFixed64(field: WireField, name: string): bigint {
  if (field.wire !== 1) throw wrongWire(field, name, '64-bit (1)');
  return view(field.bytes).getBigUint64(0, true);
}

function pbDouble(field: WireField, name: string): number {
  if (field.wire !== 1) throw wrongWire(field, name, '64-bit (1)');
  return view(field.bytes).getFloat64(0, true);
}

function pbId(bytes: Uint8Array, size: 8 | 16, name: string, optional = false): string | undefined {
  if (bytes.length === 0 && optional) return undefined;
  if (bytes.length !== size)
    throw new BadRequest(`protobuf ${name}: ${bytes.length} bytes, expected ${size}`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1 } */
function decodeProtobufRequest(buf: Uint8Array): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const f of wireFields(buf, 'ExportTraceServiceRequest')) {
    if (f.no === 1) decodeProtobufResourceSpans(pbBytes(f, 'ExportTraceServiceRequest.resource_spans'), out);
  }
  return out;
}

/** ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2 } */
function decodeProtobufResourceSpans(buf: Uint8Array, out: ReceivedSpan[]): void {
  let resource: Record<string, unknown> = {};
  const scopeSpans: Uint8Array[] = [];
  for (const f of wireFields(buf, 'ResourceSpans')) {
    if (f.no === 1) {
      // Resource { repeated KeyValue attributes = 1 }
      const attributes: [string, unknown][] = [];
      for (const g of wireFields(pbBytes(f, 'ResourceSpans.resource'), 'Resource')) {
        if (g.no === 1) attributes.push(decodeProtobufKeyValue(pbBytes(g, 'Resource.attributes')));
      }
      resource = Object.fromEntries(attributes);
    } else if (f.no === 2) scopeSpans.push(pbBytes(f, 'ResourceSpans.scope_spans'));
  }
  for (const s of scopeSpans) decodeProtobufScopeSpans(s, resource, out);
}

/** ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2 } */
function decodeProtobufScopeSpans(
  buf: Uint8Array,
  resource: Record<string, unknown>,
  out: ReceivedSpan[],
): void {
  const scope: ReceivedSpan['scope'] = { name: '' };
  const spans: Uint8Array[] = [];
  for (const f of wireFields(buf, 'ScopeSpans')) {
    if (f.no === 1) {
      // InstrumentationScope { string name = 1; string version = 2 }
      for (const g of wireFields(pbBytes(f, 'ScopeSpans.scope'), 'InstrumentationScope')) {
        if (g.no === 1) scope.name = pbString(g, 'InstrumentationScope.name');
        else if (g.no === 2) scope.version = pbString(g, 'InstrumentationScope.version') || undefined;
      }
    } else if (f.no === 2) spans.push(pbBytes(f, 'ScopeSpans.spans'));
  }
  if (scope.version === undefined) delete scope.version;
  for (const s of spans) out.push(decodeProtobufSpan(s, resource, scope));
}

function decodeProtobufSpan(
  buf: Uint8Array,
  resource: Record<string, unknown>,
  scope: ReceivedSpan['scope'],
): ReceivedSpan {
  const empty = new Uint8Array(0);
  let traceId: Uint8Array = empty;
  let spanId: Uint8Array = empty;
  let parentSpanId: Uint8Array = empty;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: [string, unknown][] = [];
  const events: ReceivedSpan['events'] = [];
  const links: ReceivedSpan['links'] = [];
  let status: ReceivedSpan['status'] = { code: 0 };
  for (const f of wireFields(buf, 'Span')) {
    switch (f.no) {
      case 1:
        traceId = pbBytes(f, 'Span.trace_id');
        break;
      case 2:
        spanId = pbBytes(f, 'Span.span_id');
        break;
      case 4:
        parentSpanId = pbBytes(f, 'Span.parent_span_id');
        break;
      case 5:
        name = pbString(f, 'Span.name');
        break;
      case 6:
        kind = Number(pbVarint(f, 'Span.kind'));
        break;
      case 7:
        startTimeUnixNano = pbFixed64(f, 'Span.start_time_unix_nano');
        break;
      case 8:
        endTimeUnixNano = pbFixed64(f, 'Span.end_time_unix_nano');
        break;
      case 9:
        attributes.push(decodeProtobufKeyValue(pbBytes(f, 'Span.attributes')));
        break;
      case 11:
        events.push(decodeProtobufEvent(pbBytes(f, 'Span.events')));
        break;
      case 13:
        links.push(decodeProtobufLink(pbBytes(f, 'Span.links')));
        break;
      case 15:
        status = decodeProtobufStatus(pbBytes(f, 'Span.status'));
        break;
      // trace_state (3), dropped_*_count (10, 12, 14) and flags (16) are not part of ReceivedSpan
    }
  }
  return {
    traceId: pbId(traceId, 16, 'Span.trace_id')!,
    spanId: pbId(spanId, 8, 'Span.span_id')!,
    parentSpanId: pbId(parentSpanId, 8, 'Span.parent_span_id', true),
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes: Object.fromEntries(attributes),
    events,
    links,
    status,
    resource,
    scope,
  };
}

/** Span.Event { fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3 } */
function decodeProtobufEvent(buf: Uint8Array): ReceivedSpan['events'][number] {
  let name = '';
  let timeUnixNano = 0n;
  const attributes: [string, unknown][] = [];
  for (const f of wireFields(buf, 'Span.Event')) {
    if (f.no === 1) timeUnixNano = pbFixed64(f, 'Span.Event.time_unix_nano');
    else if (f.no === 2) name = pbString(f, 'Span.Event.name');
    else if (f.no === 3) attributes.push(decodeProtobufKeyValue(pbBytes(f, 'Span.Event.attributes')));
  }
  return { name, timeUnixNano, attributes: Object.fromEntries(attributes) };
}

/** Span.Link { bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; repeated KeyValue attributes = 4 } */
function decodeProtobufLink(buf: Uint8Array): ReceivedSpan['links'][number] {
  let traceId: Uint8Array = new Uint8Array(0);
  let spanId: Uint8Array = new Uint8Array(0);
  const attributes: [string, unknown][] = [];
  for (const f of wireFields(buf, 'Span.Link')) {
    if (f.no === 1) traceId = pbBytes(f, 'Span.Link.trace_id');
    else if (f.no === 2) spanId = pbBytes(f, 'Span.Link.span_id');
    else if (f.no === 4) attributes.push(decodeProtobufKeyValue(pbBytes(f, 'Span.Link.attributes')));
  }
  return {
    traceId: pbId(traceId, 16, 'Span.Link.trace_id')!,
    spanId: pbId(spanId, 8, 'Span.Link.span_id')!,
    attributes: Object.fromEntries(attributes),
  };
}

/** Status { string message = 2; StatusCode code = 3 } */
function decodeProtobufStatus(buf: Uint8Array): ReceivedSpan['status'] {
  const status: ReceivedSpan['status'] = { code: 0 };
  for (const f of wireFields(buf, 'Status')) {
    if (f.no === 2) status.message = pbString(f, 'Status.message') || undefined;
    else if (f.no === 3) status.code = Number(pbVarint(f, 'Status.code'));
  }
  if (status.message === undefined) delete status.message;
  return status;
}

/** KeyValue { string key = 1; AnyValue value = 2 } */
function decodeProtobufKeyValue(buf: Uint8Array): [string, unknown] {
  let key = '';
  let value: unknown = null;
  for (const f of wireFields(buf, 'KeyValue')) {
    if (f.no === 1) key = pbString(f, 'KeyValue.key');
    else if (f.no === 2) value = decodeProtobufAnyValue(pbBytes(f, 'KeyValue.value'));
  }
  return [key, value];
}

/**
 * AnyValue { oneof value { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
 * double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7 } }
 * ArrayValue { repeated AnyValue values = 1 }, KeyValueList { repeated KeyValue values = 1 }
 */
function decodeProtobufAnyValue(buf: Uint8Array): unknown {
  let value: unknown = null;
  for (const f of wireFields(buf, 'AnyValue')) {
    switch (f.no) {
      case 1:
        value = pbString(f, 'AnyValue.string_value');
        break;
      case 2:
        value = pbVarint(f, 'AnyValue.bool_value') !== 0n;
        break;
      case 3:
        value = int64(BigInt.asIntN(64, pbVarint(f, 'AnyValue.int_value')));
        break;
      case 4:
        value = pbDouble(f, 'AnyValue.double_value');
        break;
      case 5: {
        const values: unknown[] = [];
        for (const g of wireFields(pbBytes(f, 'AnyValue.array_value'), 'ArrayValue')) {
          if (g.no === 1) values.push(decodeProtobufAnyValue(pbBytes(g, 'ArrayValue.values')));
        }
        value = values;
        break;
      }
      case 6: {
        const entries: [string, unknown][] = [];
        for (const g of wireFields(pbBytes(f, 'AnyValue.kvlist_value'), 'KeyValueList')) {
          if (g.no === 1) entries.push(decodeProtobufKeyValue(pbBytes(g, 'KeyValueList.values')));
        }
        value = Object.fromEntries(entries);
        break;
      }
      case 7:
        value = new Uint8Array(pbBytes(f, 'AnyValue.bytes_value'));
        break;
    }
  }
  return value;
}

// --- OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding) -------------------

type JsonObject = Record<string, unknown>;

function jsonObject(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new BadRequest(`JSON ${path}: expected an object`);
  return value as JsonObject;
}

function jsonArray(value: unknown, path: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new BadRequest(`JSON ${path}: expected an array`);
  return value;
}

function jsonString(value: unknown, path: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new BadRequest(`JSON ${path}: expected a string`);
  return value;
}

/** proto3 JSON writes (u)int64 as a decimal string; the JS exporter writes a number. Both are read. */
function jsonInt(value: unknown, path: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  throw new BadRequest(
    `JSON ${path}: expected an integer (number or decimal string), got ${JSON.stringify(value)}`,
  );
}

function jsonDouble(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (value === 'NaN') return Number.NaN;
  throw new BadRequest(`JSON ${path}: expected a number, got ${JSON.stringify(value)}`);
}

/** Enums are integers in OTLP/JSON; the enum value names are read too. */
function jsonEnum(value: unknown, names: readonly string[], path: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string') {
    const index = names.indexOf(value);
    if (index >= 0) return index;
    if (/^\d+$/.test(value)) return Number(value);
  }
  throw new BadRequest(`JSON ${path}: expected an enum value, got ${JSON.stringify(value)}`);
}

const spanKinds = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const statusCodes = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

/**
 * OTLP/JSON says ids are hex strings (what exporter-trace-otlp-http sends); some encoders send
 * protobuf's base64 instead. Told apart by length: 32 vs 24 characters for a trace id, 16 vs 12 for a span id.
 */
function jsonId(value: unknown, size: 8 | 16, path: string, optional = false): string | undefined {
  if ((value === undefined || value === null || value === '') && optional) return undefined;
  if (typeof value === 'string') {
    if (value.length === size * 2 && /^[0-9a-f]+$/i.test(value)) return value.toLowerCase();
    if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
      const bytes = Buffer.from(value, 'base64');
      if (bytes.length === size) return bytes.toString('hex');
    }
  }
  throw new BadRequest(
    `JSON ${path}: ${JSON.stringify(value)} is neither ${size * 2} hex digits nor base64 of ${size} bytes`,
  );
}

function decodeJsonRequest(body: Buffer): ReceivedSpan[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body));
  } catch (err) {
    throw new BadRequest(`body is not JSON: ${(err as Error).message}`);
  }
  const request = jsonObject(parsed, 'ExportTraceServiceRequest');
  if (!request) throw new BadRequest('JSON body is null, expected an ExportTraceServiceRequest object');
  const out: ReceivedSpan[] = [];
  jsonArray(request.resourceSpans, 'resourceSpans').forEach((rs, i) => {
    const rsPath = `resourceSpans[${i}]`;
    const resourceSpans = jsonObject(rs, rsPath) ?? {};
    const resourceJson = jsonObject(resourceSpans.resource, `${rsPath}.resource`) ?? {};
    const resource = jsonAttributes(resourceJson.attributes, `${rsPath}.resource.attributes`);
    jsonArray(resourceSpans.scopeSpans, `${rsPath}.scopeSpans`).forEach((ss, j) => {
      const ssPath = `${rsPath}.scopeSpans[${j}]`;
      const scopeSpans = jsonObject(ss, ssPath) ?? {};
      const scopeJson = jsonObject(scopeSpans.scope, `${ssPath}.scope`) ?? {};
      const scope: ReceivedSpan['scope'] = { name: jsonString(scopeJson.name, `${ssPath}.scope.name`) };
      const version = jsonString(scopeJson.version, `${ssPath}.scope.version`);
      if (version) scope.version = version;
      jsonArray(scopeSpans.spans, `${ssPath}.spans`).forEach((s, k) => {
        out.push(decodeJsonSpan(s, `${ssPath}.spans[${k}]`, resource, scope));
      });
    });
  });
  return out;
}

function decodeJsonSpan(
  value: unknown,
  path: string,
  resource: Record<string, unknown>,
  scope: ReceivedSpan['scope'],
): ReceivedSpan {
  const span = jsonObject(value, path) ?? {};
  const statusJson = jsonObject(span.status, `${path}.status`) ?? {};
  const status: ReceivedSpan['status'] = {
    code: jsonEnum(statusJson.code, statusCodes, `${path}.status.code`),
  };
  const message = jsonString(statusJson.message, `${path}.status.message`);
  if (message) status.message = message;
  return {
    traceId: jsonId(span.traceId, 16, `${path}.traceId`)!,
    spanId: jsonId(span.spanId, 8, `${path}.spanId`)!,
    parentSpanId: jsonId(span.parentSpanId, 8, `${path}.parentSpanId`, true),
    name: jsonString(span.name, `${path}.name`),
    kind: jsonEnum(span.kind, spanKinds, `${path}.kind`),
    startTimeUnixNano: jsonInt(span.startTimeUnixNano, `${path}.startTimeUnixNano`),
    endTimeUnixNano: jsonInt(span.endTimeUnixNano, `${path}.endTimeUnixNano`),
    attributes: jsonAttributes(span.attributes, `${path}.attributes`),
    events: jsonArray(span.events, `${path}.events`).map((e, i) => {
      const event = jsonObject(e, `${path}.events[${i}]`) ?? {};
      return {
        name: jsonString(event.name, `${path}.events[${i}].name`),
        timeUnixNano: jsonInt(event.timeUnixNano, `${path}.events[${i}].timeUnixNano`),
        attributes: jsonAttributes(event.attributes, `${path}.events[${i}].attributes`),
      };
    }),
    links: jsonArray(span.links, `${path}.links`).map((l, i) => {
      const link = jsonObject(l, `${path}.links[${i}]`) ?? {};
      return {
        traceId: jsonId(link.traceId, 16, `${path}.links[${i}].traceId`)!,
        spanId: jsonId(link.spanId, 8, `${path}.links[${i}].spanId`)!,
        attributes: jsonAttributes(link.attributes, `${path}.links[${i}].attributes`),
      };
    }),
    status,
    resource,
    scope,
  };
}

function jsonAttributes(value: unknown, path: string): Record<string, unknown> {
  return Object.fromEntries(
    jsonArray(value, path).map((kv, i) => {
      const entry = jsonObject(kv, `${path}[${i}]`) ?? {};
      return [jsonString(entry.key, `${path}[${i}].key`), jsonAnyValue(entry.value, `${path}[${i}].value`)];
    }),
  );
}

function jsonAnyValue(value: unknown, path: string): unknown {
  const any = jsonObject(value, path);
  if (!any) return null;
  if ('stringValue' in any) return jsonString(any.stringValue, `${path}.stringValue`);
  if ('boolValue' in any) {
    if (typeof any.boolValue !== 'boolean')
      throw new BadRequest(`JSON ${path}.boolValue: expected a boolean`);
    return any.boolValue;
  }
  if ('intValue' in any) return int64(jsonInt(any.intValue, `${path}.intValue`));
  if ('doubleValue' in any) return jsonDouble(any.doubleValue, `${path}.doubleValue`);
  if ('arrayValue' in any) {
    const array = jsonObject(any.arrayValue, `${path}.arrayValue`) ?? {};
    return jsonArray(array.values, `${path}.arrayValue.values`).map((v, i) =>
      jsonAnyValue(v, `${path}.arrayValue.values[${i}]`),
    );
  }
  if ('kvlistValue' in any) {
    const list = jsonObject(any.kvlistValue, `${path}.kvlistValue`) ?? {};
    return jsonAttributes(list.values, `${path}.kvlistValue.values`);
  }
  if ('bytesValue' in any) {
    return new Uint8Array(Buffer.from(jsonString(any.bytesValue, `${path}.bytesValue`), 'base64'));
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Sentry envelope receiver
// ---------------------------------------------------------------------------------------------------

/** One item of an envelope: its header line and its payload (parsed JSON when it parses, else the text). */
export interface ReceivedEnvelopeItem {
  header: Record<string, unknown>;
  payload: unknown;
}

/** An envelope as the Sentry receiver parsed it. */
export interface ReceivedEnvelope {
  /** The envelope header, e.g. `{ event_id, sent_at, sdk: { name, version } }`. */
  header: Record<string, unknown>;
  items: ReceivedEnvelopeItem[];
  /** The project id from the URL (`/api/<project>/envelope/`). */
  projectId: string;
  /** `sentry_key` from the query string (the DSN's public key), or undefined. */
  sentryKey: string | undefined;
  /** True when the body came with `content-encoding: gzip` (@sentry/node does that above 32 KiB). */
  gzipped: boolean;
}

/** The payload of an `event` item; only the fields tests usually look at are typed. */
export interface ReceivedSentryEvent {
  event_id?: string;
  level?: string;
  message?: string | { message?: string; formatted?: string };
  exception?: {
    values?: { type?: string; value?: string; stacktrace?: { frames?: unknown[] }; mechanism?: unknown }[];
  };
  extra?: Record<string, unknown>;
  tags?: Record<string, unknown>;
  contexts?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Modes of the Sentry receiver (see {@link ReceiverMode}). */
export type SentryReceiverMode = Exclude<ReceiverMode, 'slow'>;

/** Options of {@link startSentryReceiver}. */
export interface SentryReceiverOptions {
  /** @default 'ok' */
  mode?: SentryReceiverMode;
}

/** A Sentry envelope endpoint in the test process, recording what the SDK sends. */
export interface SentryReceiver {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  readonly port: number;
  /** POST requests to `/api/<project>/envelope/` received so far, in any mode, parseable or not. */
  readonly requests: number;
  /** One line per refused request (unparseable envelope, unknown path, ...), oldest first. */
  readonly errors: readonly string[];
  /** A DSN pointing at this receiver: `http://<publicKey>@127.0.0.1:<port>/<projectId>`. */
  dsn(projectId?: string, publicKey?: string): string;
  /** Every envelope parsed so far (in every mode), oldest first. */
  envelopes(): ReceivedEnvelope[];
  /** The payloads of all `event` items (errors and messages; not transactions), oldest first. */
  events(): ReceivedSentryEvent[];
  /** The decompressed text of every envelope body received, parseable or not: for leak checks. */
  rawBodies(): string[];
  /**
   * Resolves with `events()` once there are at least `n`; rejects with a {@link ReceiverWaitError}
   * listing the events received when `timeoutMs` passes.
   */
  waitForEvents(n?: number, timeoutMs?: number): Promise<ReceivedSentryEvent[]>;
  /** Changes how later requests are answered; requests held by `hang` are answered the new way. */
  setMode(mode: SentryReceiverMode): void;
  /** Forgets envelopes, bodies, errors and the request count; the mode stays. */
  reset(): void;
  /** Closes the server and all connections (hung requests included). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts a Sentry ingestion endpoint on a free 127.0.0.1 port, in this process: it takes
 * `POST /api/<project>/envelope/` (gzipped or not, with or without a content-type), parses the
 * envelope by byte lengths and answers 200 `{"id": event_id}` in mode `ok`. An unparseable envelope
 * gets a 400 and a line in `errors`.
 *
 * @example
 * ```ts
 * const sentry = await startSentryReceiver();
 * Sentry.init({ dsn: sentry.dsn(), defaultIntegrations: false });
 * Sentry.captureException(new Error('boom'));
 * await Sentry.flush(2_000);
 * const [event] = await sentry.waitForEvents(1);
 * await sentry.stop();
 * ```
 */
export async function startSentryReceiver(options: SentryReceiverOptions = {}): Promise<SentryReceiver> {
  const responder = new Responder(options.mode ?? 'ok', 0);
  const waiters = new Waiters();
  let envelopes: ReceivedEnvelope[] = [];
  let bodies: string[] = [];
  let errors: string[] = [];
  let requests = 0;

  const events = (): ReceivedSentryEvent[] =>
    envelopes.flatMap((e) =>
      e.items
        .filter((i) => i.header.type === 'event' && typeof i.payload === 'object' && i.payload !== null)
        .map((i) => i.payload as ReceivedSentryEvent),
    );

  const handler: Handler = async (req, res) => {
    const path = requestPath(req);
    const match = /^\/api\/([^/]+)\/envelope\/?$/.exec(path);
    if (!match)
      throw new BadRequest(`unknown path ${path}: Sentry envelopes go to POST /api/<project>/envelope/`, 404);
    if (req.method !== 'POST') throw new BadRequest(`method ${req.method} not allowed: POST only`, 405);
    requests++;
    const { body, gzipped } = await readBody(req);
    bodies.push(body.toString('utf8'));
    const parsed = parseEnvelope(body);
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    envelopes.push({
      ...parsed,
      projectId: decodeURIComponent(match[1]!),
      sentryKey: query.get('sentry_key') ?? undefined,
      gzipped,
    });
    waiters.notify();
    const id = typeof parsed.header.event_id === 'string' ? parsed.header.event_id : undefined;
    responder.answer(res, {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(id ? { id } : {}),
    });
  };

  const server = await listen('sentry-receiver', handler, (message) => errors.push(message));
  const summaries = () => events().map(summarizeEvent);
  return {
    url: server.url,
    port: server.port,
    get requests() {
      return requests;
    },
    get errors() {
      return [...errors];
    },
    dsn: (projectId = '1', publicKey = 'public') =>
      `http://${publicKey}@127.0.0.1:${server.port}/${projectId}`,
    envelopes: () => [...envelopes],
    events,
    rawBodies: () => [...bodies],
    waitForEvents(n = 1, timeoutMs = 10_000) {
      return waiters.wait(
        () => {
          const all = events();
          return all.length >= n ? all : undefined;
        },
        timeoutMs,
        () =>
          new ReceiverWaitError(
            'sentry-receiver',
            'RECEIVER_TIMEOUT',
            `fewer than ${n} events within ${timeoutMs} ms (${envelopes.length} envelopes)`,
            summaries(),
            errors,
          ),
      );
    },
    setMode: (mode) => responder.setMode(mode),
    reset() {
      envelopes = [];
      bodies = [];
      errors = [];
      requests = 0;
    },
    async stop() {
      responder.stop();
      waiters.failAll(
        () =>
          new ReceiverWaitError(
            'sentry-receiver',
            'RECEIVER_STOPPED',
            'stopped while waiting for events',
            summaries(),
            errors,
          ),
      );
      await server.close();
    },
  };
}

function summarizeEvent(event: ReceivedSentryEvent): string {
  const exception = event.exception?.values?.at(-1);
  if (exception) return `${exception.type ?? 'Error'}: ${exception.value ?? ''}`;
  const message = typeof event.message === 'string' ? event.message : event.message?.formatted;
  return message ?? `event ${event.event_id ?? '(no id)'}`;
}

/**
 * Parses an envelope (https://develop.sentry.dev/sdk/data-model/envelopes/): a header line, then per
 * item a header line and a payload. With `length` in the item header the payload is exactly that many
 * bytes (it may contain newlines) followed by a newline or the end; without, it runs to the next
 * newline. Works on bytes, since `length` counts UTF-8 bytes.
 */
function parseEnvelope(body: Buffer): { header: Record<string, unknown>; items: ReceivedEnvelopeItem[] } {
  let pos = 0;
  const line = (): Buffer => {
    let end = body.indexOf(0x0a, pos);
    if (end < 0) end = body.length;
    const out = body.subarray(pos, end);
    pos = end + 1;
    return out;
  };
  const headerJson = (bytes: Buffer, what: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8'));
    } catch (err) {
      throw new BadRequest(`envelope: ${what} is not JSON (${(err as Error).message})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new BadRequest(`envelope: ${what} is not a JSON object`);
    }
    return value as Record<string, unknown>;
  };

  const header = headerJson(line(), 'the envelope header');
  const items: ReceivedEnvelopeItem[] = [];
  while (pos < body.length) {
    const raw = line();
    if (raw.toString('utf8').trim() === '') continue; // the optional newline at the end
    const what = `item ${items.length}`;
    const itemHeader = headerJson(raw, `the header of ${what}`);
    const length = itemHeader.length;
    let payload: Buffer;
    if (length === undefined || length === null) {
      payload = line();
    } else {
      if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
        throw new BadRequest(`envelope: ${what} has length ${JSON.stringify(length)}, not a byte count`);
      }
      if (length > body.length - pos) {
        throw new BadRequest(
          `envelope: ${what} (${String(itemHeader.type)}) declares ${length} bytes, only ${Math.max(0, body.length - pos)} follow`,
        );
      }
      payload = body.subarray(pos, pos + length);
      pos += length;
      if (pos < body.length) {
        if (body[pos] !== 0x0a) {
          throw new BadRequest(
            `envelope: ${what} (${String(itemHeader.type)}) is not followed by a newline after ${length} bytes`,
          );
        }
        pos++;
      }
    }
    const text = payload.toString('utf8');
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON (an attachment, a replay recording): keep the text
    }
    items.push({ header: itemHeader, payload: parsed });
  }
  return { header, items };
}

// ---------------------------------------------------------------------------------------------------
// Notification receiver: PagerDuty Events API v2, Slack incoming webhooks, plain webhooks
// ---------------------------------------------------------------------------------------------------

/** One notification as Alertmanager delivered it. */
export interface ReceivedNotification {
  /** `pagerduty` (POST /v2/enqueue), `slack` (POST /slack/<channel>) or `webhook` (any other POST). */
  kind: 'pagerduty' | 'slack' | 'webhook';
  /** The request path, e.g. `/slack/p1`. */
  path: string;
  /** The JSON body. */
  body: Record<string, unknown>;
  /** `Date.now()` when it arrived. */
  at: number;
}

/** A local stand-in for PagerDuty, Slack and heartbeat endpoints. */
export interface NotificationReceiver {
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly url: string;
  /** PagerDuty Events API v2 URL for Alertmanager's `pagerduty_configs[].url`. */
  readonly pagerdutyUrl: string;
  /** A Slack incoming-webhook URL for one channel, e.g. `slackUrl('p1')`. */
  slackUrl(channel: string): string;
  /** A plain webhook URL, e.g. `webhookUrl('heartbeat')`. */
  webhookUrl(name: string): string;
  /** Everything received so far, oldest first. */
  notifications(): ReceivedNotification[];
  /** Requests the receiver refused (bad JSON, a PagerDuty event without routing key...). */
  readonly errors: string[];
  /** Resolves with the first notification (received after `since`, default 0) that `match` accepts. */
  waitFor(
    match: (n: ReceivedNotification) => boolean,
    timeoutMs?: number,
    since?: number,
  ): Promise<ReceivedNotification>;
  /** Forgets what was received. */
  clear(): void;
  stop(): Promise<void>;
}

/**
 * Receives what Alertmanager sends, checking the shape each integration's real endpoint requires:
 * PagerDuty Events API v2 (`routing_key`, `event_action`, and for trigger a `payload` with
 * `summary`, `source`, `severity`), Slack webhooks (`attachments` or `text`), and plain webhooks
 * (Alertmanager's `version: "4"` payload). Answers 202/200 like the real services.
 *
 * @example
 * ```ts
 * const rx = await startNotificationReceiver();
 * // alertmanager.yml: pagerduty_configs: [{ url: rx.pagerdutyUrl, routing_key_file: ... }]
 * const page = await rx.waitFor((n) => n.kind === 'pagerduty', 60_000);
 * ```
 */
export async function startNotificationReceiver(): Promise<NotificationReceiver> {
  const waiters = new Waiters();
  let received: ReceivedNotification[] = [];
  const errors: string[] = [];
  const handler: Handler = async (req, res) => {
    const path = requestPath(req);
    if (req.method !== 'POST') throw new BadRequest(`method ${req.method} not allowed: POST only`, 405);
    const { body } = await readBody(req);
    let json: Record<string, unknown>;
    try {
      json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new BadRequest('body is not JSON');
    }
    let kind: ReceivedNotification['kind'];
    if (path === '/v2/enqueue') {
      kind = 'pagerduty';
      const p = json.payload as Record<string, unknown> | undefined;
      if (typeof json.routing_key !== 'string' || json.routing_key.length === 0)
        throw new BadRequest('PagerDuty: no routing_key');
      if (!['trigger', 'acknowledge', 'resolve'].includes(String(json.event_action)))
        throw new BadRequest('PagerDuty: bad event_action');
      if (
        json.event_action === 'trigger' &&
        (!p ||
          !p.summary ||
          !p.source ||
          !['critical', 'error', 'warning', 'info'].includes(String(p.severity)))
      ) {
        throw new BadRequest(
          'PagerDuty: trigger without payload.summary, payload.source and a valid payload.severity',
        );
      }
    } else if (path.startsWith('/slack/')) {
      kind = 'slack';
      if (!Array.isArray(json.attachments) && typeof json.text !== 'string')
        throw new BadRequest('Slack: neither attachments nor text');
    } else {
      kind = 'webhook';
    }
    received.push({ kind, path, body: json, at: Date.now() });
    waiters.notify();
    send(res, {
      status: kind === 'pagerduty' ? 202 : 200,
      headers: { 'content-type': kind === 'slack' ? 'text/plain' : 'application/json' },
      body: kind === 'slack' ? 'ok' : JSON.stringify({ status: 'success', message: 'Event processed' }),
    });
  };
  const server = await listen('notification-receiver', handler, (m) => errors.push(m));
  return {
    url: server.url,
    pagerdutyUrl: `${server.url}/v2/enqueue`,
    slackUrl: (channel) => `${server.url}/slack/${encodeURIComponent(channel)}`,
    webhookUrl: (name) => `${server.url}/webhook/${encodeURIComponent(name)}`,
    notifications: () => [...received],
    errors,
    waitFor(match, timeoutMs = 60_000, since = 0) {
      return waiters.wait(
        () => received.find((n) => n.at >= since && match(n)),
        timeoutMs,
        () =>
          new ReceiverWaitError(
            'notification-receiver',
            'RECEIVER_TIMEOUT',
            `no matching notification within ${timeoutMs} ms`,
            received.map((n) => `${n.kind} ${n.path}`),
            errors,
          ),
      );
    },
    clear() {
      received = [];
    },
    async stop() {
      waiters.failAll(
        () => new ReceiverWaitError('notification-receiver', 'RECEIVER_STOPPED', 'stopped', [], errors),
      );
      await server.close();
    },
  };
}
