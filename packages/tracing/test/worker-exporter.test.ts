import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { type OtlpReceiver, startOtlpReceiver } from '@immo/test-servers';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type WorkerExporterConfig, WorkerOtlpExporter } from '../src/worker-exporter.js';

let otlp: OtlpReceiver;
const exporters: WorkerOtlpExporter[] = [];

beforeAll(async () => {
  otlp = await startOtlpReceiver();
});
afterAll(async () => {
  await Promise.all(exporters.map((e) => e.shutdown()));
  await otlp?.stop();
});
beforeEach(() => {
  otlp.setMode('ok');
  otlp.reset();
});

/** Real SDK spans, ended. */
function spans(...names: string[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(memory)] });
  const tracer = provider.getTracer('worker-exporter-test');
  for (const name of names) tracer.startSpan(name, { attributes: { 'app.n': name.length } }).end();
  return memory.getFinishedSpans();
}

function exporter(config: Partial<WorkerExporterConfig> = {}): WorkerOtlpExporter {
  const e = new WorkerOtlpExporter({
    url: otlp.tracesUrl,
    headers: {},
    protocol: 'http/protobuf',
    timeoutMs: 5000,
    ...config,
  });
  exporters.push(e);
  return e;
}

function send(e: WorkerOtlpExporter, batch: ReadableSpan[]): Promise<ExportResult> {
  return new Promise((resolve) => e.export(batch, resolve));
}

describe('WorkerOtlpExporter (OTLP/HTTP from a worker thread, real OTLP receiver)', () => {
  it.each(['http/protobuf', 'http/json'] as const)(
    'delivers spans as %s, with the configured headers',
    async (protocol) => {
      const e = exporter({ protocol, headers: { 'x-tenant': 'immo' } });
      const r = await send(e, spans('billing.run', 'payment.allocate'));
      expect(r.code).toBe(ExportResultCode.SUCCESS);
      const got = await otlp.waitForSpans((s) => s.length >= 2);
      expect(got.map((s) => s.name).sort()).toEqual(['billing.run', 'payment.allocate']);
      expect(otlp.errors).toEqual([]);
      await e.forceFlush();
    },
  );

  it('fails an export the collector refuses, and one to a port nobody listens on', async () => {
    otlp.setMode('fail');
    const refused = await send(exporter(), spans('a'));
    expect(refused.code).toBe(ExportResultCode.FAILED);
    expect(refused.error?.message).toMatch(/^HTTP 5\d\d$/);

    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await send(exporter({ url: `http://127.0.0.1:${port}/v1/traces` }), spans('b'));
    expect(down.code).toBe(ExportResultCode.FAILED);
    expect(down.error?.message).toMatch(/ECONNREFUSED/);
  });

  it('gives up on a collector that does not answer within its timeout', async () => {
    otlp.setMode('hang');
    const t0 = Date.now();
    const r = await send(exporter({ timeoutMs: 300 }), spans('c'));
    expect(r.code).toBe(ExportResultCode.FAILED);
    expect(r.error?.message).toMatch(/timed out/);
    expect(Date.now() - t0).toBeLessThan(3000);
  });

  it('retries a 503 (Retry-After honoured) and succeeds when the collector comes back', async () => {
    let calls = 0;
    const flaky: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        if (calls === 1) res.writeHead(503, { 'retry-after': '0' }).end();
        else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/v1/traces`;
      const r = await send(exporter({ url }), spans('d'));
      expect(r.code).toBe(ExportResultCode.SUCCESS);
      expect(calls).toBe(2);
    } finally {
      await new Promise<void>((r) => flaky.close(() => r()));
    }
  });

  it('keeps a process alive while an export is in flight and lets it exit once idle', async () => {
    // A child that ends one span (a batch of one: its export starts at once) and returns from its main
    // code without flushing or shutting down: the span must still arrive, and the idle export worker
    // must not keep the process running afterwards.
    const pkg = join(import.meta.dirname, '..');
    const script = `
      const { initTracing, withSpan } = require('./dist/index.cjs');
      initTracing({ serviceName: 'worker-exit-test', otlpEndpoint: ${JSON.stringify(otlp.url)},
        maxExportBatchSize: 1, instrumentPg: false, instrumentUndici: false });
      withSpan('exit.flow', {}, () => undefined);
    `;
    const t0 = Date.now();
    const code = await new Promise<number | null>((resolve) => {
      const child = execFile(
        process.execPath,
        ['-e', script],
        { cwd: pkg, timeout: 20_000 },
        () => undefined,
      );
      child.on('exit', (c) => resolve(c));
    });
    expect(code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(otlp.spans().map((s) => s.name)).toContain('exit.flow');
  });
});
