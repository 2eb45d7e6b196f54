// Preload (`node --import`) for the `otel`, `otel10` and `assembly` variants: the OpenTelemetry
// NodeSDK set up the way its docs show, before Fastify and node:http are loaded (server.mjs imports
// Fastify at its top, so this cannot happen inside server.mjs). HTTP server spans from
// @opentelemetry/instrumentation-http, Fastify request/hook/handler spans from @fastify/otel
// (registered on every Fastify instance through its diagnostics channel), OTLP/HTTP protobuf export
// to OTEL_EXPORTER_OTLP_ENDPOINT (the benchmark's sink) through the SDK's BatchSpanProcessor with its
// defaults. BENCH_OTEL_RATIO: share of new traces sampled (ParentBased(TraceIdRatioBased)); 1 by default.
import FastifyOtelInstrumentation from '@fastify/otel';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NodeSDK, tracing } from '@opentelemetry/sdk-node';

// Traces only, as in the measurement: no metrics or logs pipelines from the environment.
process.env.OTEL_METRICS_EXPORTER ??= 'none';
process.env.OTEL_LOGS_EXPORTER ??= 'none';
process.env.OTEL_SERVICE_NAME ??= 'bench';

const ratio = Number(process.env.BENCH_OTEL_RATIO ?? '1');
if (!(ratio >= 0 && ratio <= 1))
  throw new Error(`BENCH_OTEL_RATIO: expected a number in [0, 1], got ${ratio}`);

const sdk = new NodeSDK({
  traceExporter: new OTLPTraceExporter(),
  sampler: new tracing.ParentBasedSampler({
    root: ratio >= 1 ? new tracing.AlwaysOnSampler() : new tracing.TraceIdRatioBasedSampler(ratio),
  }),
  instrumentations: [
    new HttpInstrumentation(),
    new FastifyOtelInstrumentation({ registerOnInitialization: true }),
  ],
});
sdk.start();

// server.mjs calls these on 'stop' so the spans of a run reach the sink before the process exits.
globalThis[Symbol.for('immo.bench.flushers')] ??= [];
const flushers = globalThis[Symbol.for('immo.bench.flushers')];
flushers.push(() => sdk.shutdown());
