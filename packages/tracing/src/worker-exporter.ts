import { Worker } from 'node:worker_threads';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ownRequire } from './own-require.js';

/** Where and how {@link WorkerOtlpExporter} sends. */
export interface WorkerExporterConfig {
  /** The full traces URL (`.../v1/traces`). */
  url: string;
  headers: Record<string, string>;
  protocol: 'http/protobuf' | 'http/json';
  /** Per request, retries included. */
  timeoutMs: number;
}

interface Job {
  id: number;
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  timeoutMs: number;
}

interface Reply {
  id: number;
  ok: boolean;
  error?: string;
}

// The sending side, run in a worker thread. A CommonJS script given as source (`eval: true`), so it
// needs no file next to the build and works the same from the ESM and the CJS build. It POSTs each
// body it is given, retries what OTLP calls retryable (429, 502, 503, 504; Retry-After honoured)
// with backoff inside the job's time, and answers { id, ok, error }.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const http = require('node:http');
const https = require('node:https');
const agents = {
  'http:': new http.Agent({ keepAlive: true, maxSockets: 2 }),
  'https:': new https.Agent({ keepAlive: true, maxSockets: 2 }),
};
const RETRYABLE = new Set([429, 502, 503, 504]);
parentPort.on('message', (job) => {
  const deadline = Date.now() + job.timeoutMs;
  const body = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
  let attempt = 0;
  let answered = false;
  const answer = (ok, error) => {
    if (answered) return;
    answered = true;
    parentPort.postMessage({ id: job.id, ok, error });
  };
  const once = () => {
    const left = deadline - Date.now();
    if (left <= 0) return answer(false, 'export timed out after ' + job.timeoutMs + ' ms');
    let url;
    try {
      url = new URL(job.url);
    } catch {
      return answer(false, 'invalid URL');
    }
    const mod = url.protocol === 'https:' ? https : http;
    let req;
    try {
      req = mod.request(url, {
        method: 'POST',
        agent: agents[url.protocol],
        timeout: left,
        headers: { ...job.headers, 'content-length': String(body.byteLength) },
      }, (res) => {
        res.resume();
        res.on('error', (e) => answer(false, e.message));
        res.on('end', () => {
          const status = res.statusCode || 0;
          if (status >= 200 && status < 300) return answer(true);
          if (RETRYABLE.has(status) && ++attempt < 5) {
            const after = Number(res.headers['retry-after']);
            const wait = Number.isFinite(after) && after >= 0 ? after * 1000 : Math.min(5000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2);
            if (Date.now() + wait < deadline) return void setTimeout(once, wait);
          }
          answer(false, 'HTTP ' + status);
        });
      });
    } catch (e) {
      return answer(false, e && e.message ? e.message : String(e));
    }
    req.on('timeout', () => req.destroy(new Error('export timed out after ' + job.timeoutMs + ' ms')));
    req.on('error', (e) => answer(false, e.message));
    req.end(body);
  };
  once();
});
`;

type Serializer = { serializeRequest(spans: ReadableSpan[]): Uint8Array | undefined };

/**
 * The OTLP/HTTP exporter @immo/tracing uses: spans are serialised on the calling thread with
 * OpenTelemetry's own OTLP serialiser, and the bytes are sent from a worker thread.
 *
 * Why not OTLPTraceExporter on the main thread: its HTTP client runs the same Node stream and socket
 * functions as the server's responses. Every few seconds an export hands those hot functions other
 * object shapes, V8 deoptimises them (the benchmark's deoptimisation trace shows `_write`, `onwrite`,
 * `writeOrBuffer`, `end`, ... with "wrong map") and they stay slower for every request: at 10 %
 * sampling that cost the request path about 5 µs per request, a tenth of the server's CPU (see
 * docs/benchmarks.md). A worker has its own isolate, so the server's code keeps its shapes.
 * @internal
 */
export class WorkerOtlpExporter implements SpanExporter {
  private readonly config: WorkerExporterConfig;
  private readonly serializer: Serializer;
  private readonly contentType: string;
  private worker: Worker | undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (r: ExportResult) => void>();
  private readonly idle: (() => void)[] = [];
  private isShutdown = false;

  constructor(config: WorkerExporterConfig) {
    this.config = config;
    const transformer = ownRequire(
      '@opentelemetry/otlp-transformer',
    ) as typeof import('@opentelemetry/otlp-transformer');
    this.serializer =
      config.protocol === 'http/json' ? transformer.JsonTraceSerializer : transformer.ProtobufTraceSerializer;
    this.contentType = config.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf';
  }

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    if (this.isShutdown) {
      done({ code: ExportResultCode.FAILED, error: new Error('exporter is shut down') });
      return;
    }
    let body: Uint8Array | undefined;
    try {
      body = this.serializer.serializeRequest(spans);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error as Error });
      return;
    }
    if (body === undefined) {
      done({ code: ExportResultCode.FAILED, error: new Error('spans could not be serialised') });
      return;
    }
    // A copy of our own to transfer: the serialiser's bytes may sit in a shared buffer.
    const own = new Uint8Array(body);
    const id = ++this.nextId;
    this.pending.set(id, done);
    try {
      const worker = this.ensureWorker();
      // An export in flight keeps the process alive, as the socket of an in-process exporter would.
      if (this.pending.size === 1) worker.ref();
      const job: Job = {
        id,
        url: this.config.url,
        headers: { ...this.config.headers, 'content-type': this.contentType },
        body: own,
        timeoutMs: this.config.timeoutMs,
      };
      worker.postMessage(job, [own.buffer]);
    } catch (error) {
      this.settle(id, { code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  async forceFlush(): Promise<void> {
    if (this.pending.size === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  async shutdown(): Promise<void> {
    this.isShutdown = true;
    await this.forceFlush();
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private ensureWorker(): Worker {
    if (this.worker !== undefined) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, stdout: false, stderr: false });
    worker.unref();
    worker.on('message', (reply: Reply) => {
      this.settle(
        reply.id,
        reply.ok
          ? { code: ExportResultCode.SUCCESS }
          : { code: ExportResultCode.FAILED, error: new Error(reply.error ?? 'export failed') },
      );
    });
    const lost = (reason: string) => {
      if (this.worker === worker) this.worker = undefined;
      for (const id of [...this.pending.keys()])
        this.settle(id, { code: ExportResultCode.FAILED, error: new Error(reason) });
    };
    worker.on('error', (error) => lost(`export worker failed: ${error.message}`));
    worker.on('exit', (code) => lost(`export worker exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private settle(id: number, result: ExportResult): void {
    const done = this.pending.get(id);
    if (done === undefined) return;
    this.pending.delete(id);
    if (this.pending.size === 0) {
      this.worker?.unref();
      for (const resolve of this.idle.splice(0)) resolve();
    }
    try {
      done(result);
    } catch {
      // The pipeline's callback does not throw; nothing of an exporter may reach a request.
    }
  }
}
