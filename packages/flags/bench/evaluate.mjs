// Micro-benchmark of flag evaluation: the synchronous API (telemetry on), the OpenFeature client
// with this provider vs the SDK's own in-memory provider, and unleash-client's isEnabled (offline).
// Run: pnpm --filter @immo/flags bench   (builds nothing: run `pnpm --filter @immo/flags build` first)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestMetrics } from '@immo/metrics/testing';
import { OpenFeature, TypedInMemoryProvider } from '@openfeature/server-sdk';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { createFlags, defineFlags } from '../dist/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const KEY = 'payments-new-allocation';

context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider());
const tracer = trace.getTracer('bench');

const registry = defineFlags({
  [KEY]: {
    type: 'release',
    owner: 'team-payments',
    description: 'bench',
    created: '2026-01-01',
    expires: '2099-01-01',
    valueType: 'boolean',
    default: true,
  },
});
const silent = { info() {}, warn() {}, error() {} };
const ff = createFlags(registry, { metrics: createTestMetrics(), env: {}, logger: silent, tracing: true });

/** ns per call of a synchronous loop body. */
function timeSync(n, fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

function syncNoSpan() {
  return timeSync(1_000_000, () => ff.boolean(KEY));
}

function syncWithSpan() {
  // 100 evaluations per recording span (a request evaluates a few flags); only the evaluations are timed.
  let total = 0n;
  const batches = 5000;
  for (let b = 0; b < batches; b++) {
    const span = tracer.startSpan('request');
    const ctx = trace.setSpan(context.active(), span);
    context.with(ctx, () => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < 100; i++) ff.boolean(KEY);
      total += process.hrtime.bigint() - t0;
    });
    span.end();
  }
  return Number(total) / (batches * 100);
}

async function timeAsync(n, fn) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t0) / n;
}

const immoProvider = ff.provider();
const inMemory = new TypedInMemoryProvider({
  [KEY]: { variants: { on: true, off: false }, defaultVariant: 'on', disabled: false },
});
await OpenFeature.setProviderAndWait('immo', immoProvider);
await OpenFeature.setProviderAndWait('memory', inMemory);
const immoClient = OpenFeature.getClient('immo');
const memoryClient = OpenFeature.getClient('memory');

// Offline: bootstrapped, in-memory storage, no metrics; the url is an unused loopback port and
// polling is off, so nothing leaves the machine and destroy() lets the process end.
const unleash = new Unleash({
  appName: 'bench',
  url: 'http://127.0.0.1:9/api/',
  refreshInterval: 0,
  disableMetrics: true,
  disableAutoStart: true,
  skipInstanceCountWarning: true,
  storageProvider: new InMemStorageProvider(),
  bootstrap: { data: [{ name: KEY, enabled: true, strategies: [{ name: 'default' }] }] },
});
unleash.on('error', () => {});
unleash.on('warn', () => {});
const ready = new Promise((resolve) => unleash.once('ready', resolve));
await unleash.start();
await ready;
if (unleash.isEnabled(KEY) !== true) throw new Error('unleash bootstrap did not load');
if (ff.boolean(KEY) !== true || (await immoClient.getBooleanValue(KEY, false)) !== true)
  throw new Error('flags wrong');
if ((await memoryClient.getBooleanValue(KEY, false)) !== true) throw new Error('in-memory provider wrong');

const cases = {
  'sync ff.boolean() (counter + span event path), no active span': () => syncNoSpan(),
  'sync ff.boolean(), inside a recording span': () => syncWithSpan(),
  'OpenFeature client, @immo/flags provider': () =>
    timeAsync(50_000, () => immoClient.getBooleanValue(KEY, false)),
  'OpenFeature client, TypedInMemoryProvider': () =>
    timeAsync(50_000, () => memoryClient.getBooleanValue(KEY, false)),
  'unleash-client isEnabled (bootstrap, offline)': () => timeSync(1_000_000, () => unleash.isEnabled(KEY)),
};

// warm-up
for (const fn of Object.values(cases)) await fn();
const samples = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const ratios = [];
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, fn] of Object.entries(cases)) samples[name].push(await fn());
  const names = Object.keys(cases);
  ratios.push(samples[names[2]].at(-1) / samples[names[3]].at(-1));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const results = Object.entries(samples).map(([name, xs]) => ({
  case: name,
  medianNs: Math.round(median(xs)),
  minNs: Math.round(Math.min(...xs)),
  maxNs: Math.round(Math.max(...xs)),
}));
const report = {
  command: 'pnpm --filter @immo/flags bench',
  node: process.version,
  rounds: ROUNDS,
  date: new Date().toISOString(),
  results,
  providerVsInMemoryMedianRatio: Number(median(ratios).toFixed(3)),
};
writeFileSync(join(import.meta.dirname, 'results.json'), `${JSON.stringify(report, null, 2)}\n`);

const us = (ns) => (ns / 1000).toFixed(3);
console.log(
  `\n@immo/flags evaluation, ${process.version}, median of ${ROUNDS} rounds (\`${report.command}\`)\n`,
);
console.log('| case | median µs/call | min | max |');
console.log('| --- | ---: | ---: | ---: |');
for (const r of results) console.log(`| ${r.case} | ${us(r.medianNs)} | ${us(r.minNs)} | ${us(r.maxNs)} |`);
console.log(
  `\nOpenFeature client, our provider / TypedInMemoryProvider (median of per-round ratios): ${report.providerVsInMemoryMedianRatio}x`,
);

unleash.destroy();
ff.close();
await OpenFeature.close();
