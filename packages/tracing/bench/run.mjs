// Micro-benchmark of a business-flow span: `withSpan(name, attributes, fn)` of @immo/tracing next to
// what a team writes with the OpenTelemetry SDK alone (`tracer.startActiveSpan` on a
// BasicTracerProvider with the AsyncLocalStorage context manager, ParentBased ratio sampler and a
// BatchSpanProcessor), at 100 %, 10 % and 0 % sampling. Both export to an exporter that only counts
// spans, so the figure is the cost in the process: span creation, context, attributes, end, queueing,
// and for @immo/tracing the PII scrubbing of each exported span (the SDK's path has none).
// The per-request HTTP cost of the whole stack is measured in the benchmarks workspace (docs/benchmarks.md).
//
// initTracing() is once per process, so every (variant, ratio) runs in a child process of its own;
// rounds alternate the children's order and the median of per-round ratios is reported.
// Run: pnpm --filter @immo/tracing bench   (after `pnpm --filter @immo/tracing build`)
//   BENCH_ROUNDS=7 (default), BENCH_OPS=200000 spans timed per child.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const OPS = Number(process.env.BENCH_OPS ?? 200_000);
const WARMUP = 20_000;
const RATIOS = [1, 0.1, 0];
const VARIANTS = ['immo', 'otel-sdk'];
// A billing run's attributes; one of them holds an IBAN, which @immo/tracing scrubs at export.
const ATTRIBUTES = {
  'billing.org_id': 'org_8f3a2c',
  'billing.period': '2026-11',
  'billing.units': 412,
  'billing.dry_run': false,
  'payment.reference': 'Miete 2026-11 Whg 12 DE89 3704 0044 0532 0130 00',
};

async function child(variant, ratio) {
  let exported = 0;
  const exporter = {
    export(spans, done) {
      exported += spans.length;
      done({ code: 0 });
    },
    shutdown: async () => {},
    forceFlush: async () => {},
  };
  let run;
  let flush;
  if (variant === 'immo') {
    const { initTracing, withSpan } = await import('../dist/index.js');
    const tracing = initTracing({
      serviceName: 'bench',
      serviceVersion: '1.0.0',
      environment: 'bench',
      sampleRatio: ratio,
      exporter,
      instrumentPg: false,
      instrumentUndici: false,
    });
    run = () => withSpan('billing.run', ATTRIBUTES, () => 1);
    flush = () => tracing.flush(10_000);
  } else {
    const { context, trace } = await import('@opentelemetry/api');
    const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
    const sdk = await import('@opentelemetry/sdk-trace-base');
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const provider = new sdk.BasicTracerProvider({
      sampler: new sdk.ParentBasedSampler({ root: new sdk.TraceIdRatioBasedSampler(ratio) }),
      spanProcessors: [new sdk.BatchSpanProcessor(exporter, { maxQueueSize: 2048, maxExportBatchSize: 512 })],
    });
    trace.setGlobalTracerProvider(provider);
    const tracer = trace.getTracer('bench');
    run = () =>
      tracer.startActiveSpan('billing.run', { attributes: ATTRIBUTES }, (span) => {
        span.end();
        return 1;
      });
    flush = () => provider.forceFlush();
  }
  // Warm-up, then timed chunks; the queue is flushed between chunks (untimed) so that no span is
  // dropped for a full queue, which would make the timed path cheaper than a real one.
  const CHUNK = 1000;
  for (let i = 0; i < WARMUP; i++) {
    run();
    if (i % CHUNK === CHUNK - 1) await flush();
  }
  let ns = 0n;
  for (let done = 0; done < OPS; done += CHUNK) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < CHUNK; i++) run();
    ns += process.hrtime.bigint() - t0;
    const t1 = process.hrtime.bigint();
    await flush();
    // The export (with @immo/tracing: the scrubbing) is part of a span's cost.
    ns += process.hrtime.bigint() - t1;
  }
  return { nsPerSpan: Number(ns) / OPS, exportedPerSpan: exported / (OPS + WARMUP) };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

if (process.argv[2] === '--child') {
  const r = await child(process.argv[3], Number(process.argv[4]));
  process.stdout.write(JSON.stringify(r));
  process.exit(0);
}

const cases = RATIOS.flatMap((ratio) => VARIANTS.map((variant) => ({ variant, ratio })));
const samples = new Map(cases.map((c) => [`${c.variant}@${c.ratio}`, []]));
const exportedPerSpan = new Map();
for (let round = 0; round < ROUNDS; round++) {
  const order = cases.map((_, i) => cases[(i + round) % cases.length]);
  for (const { variant, ratio } of order) {
    const out = execFileSync(
      process.execPath,
      [fileURLToPath(import.meta.url), '--child', variant, String(ratio)],
      { cwd: here },
    );
    const r = JSON.parse(String(out));
    samples.get(`${variant}@${ratio}`).push(r.nsPerSpan);
    exportedPerSpan.set(`${variant}@${ratio}`, r.exportedPerSpan);
  }
  process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
}

const results = RATIOS.map((ratio) => {
  const immo = samples.get(`immo@${ratio}`);
  const otel = samples.get(`otel-sdk@${ratio}`);
  const ratios = immo.map((v, i) => v / otel[i]);
  return {
    sampleRatio: ratio,
    immoNsPerSpan: median(immo),
    immoMinMax: [Math.min(...immo), Math.max(...immo)],
    otelSdkNsPerSpan: median(otel),
    otelSdkMinMax: [Math.min(...otel), Math.max(...otel)],
    ratio: median(ratios),
    ratioMinMax: [Math.min(...ratios), Math.max(...ratios)],
    exportedPerSpan: {
      immo: exportedPerSpan.get(`immo@${ratio}`),
      otelSdk: exportedPerSpan.get(`otel-sdk@${ratio}`),
    },
  };
});

const data = {
  kind: 'tracing-flow-span',
  command: 'pnpm --filter @immo/tracing bench',
  machine: {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    node: process.version,
  },
  date: new Date().toISOString(),
  rounds: ROUNDS,
  spansPerChild: OPS,
  attributes: ATTRIBUTES,
  results,
};
writeFileSync(join(here, 'results.json'), `${JSON.stringify(data, null, 2)}\n`);
console.log(
  '| sampling | @immo/tracing withSpan, ns/span [min–max] | OTel SDK startActiveSpan, ns/span [min–max] | ratio (median of rounds) |',
);
console.log('| ---: | --- | --- | --- |');
for (const r of results) {
  console.log(
    `| ${r.sampleRatio * 100} % | ${r.immoNsPerSpan.toFixed(0)} [${r.immoMinMax.map((x) => x.toFixed(0)).join('–')}] | ${r.otelSdkNsPerSpan.toFixed(0)} [${r.otelSdkMinMax.map((x) => x.toFixed(0)).join('–')}] | ${r.ratio.toFixed(2)}x [${r.ratioMinMax.map((x) => x.toFixed(2)).join('–')}] |`,
  );
}
