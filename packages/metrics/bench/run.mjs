// Micro-benchmarks of @immo/metrics against prom-client 15, in one process, paired per round:
//   render   — the exposition of ~10,000 lines (counters and histograms mixed, same series and
//              default labels): our render() vs prom-client's Registry.metrics().
//   observe  — a histogram observation with 3 labels: prom-client observe(labels, v) (baseline),
//              prom-client labels(...).observe(v), ours observe(labels, v), ours bound.observe(v).
//   exemplar — ours observe(labels, v) inside an active OpenTelemetry span, exemplars off
//              (baseline) vs on.
// Usage (after `pnpm --filter @immo/metrics build`):
//   pnpm --filter @immo/metrics bench [--rounds 11] [--quick] [--only render,observe,exemplar]
// --quick (3 rounds, small batches) is a smoke run: it writes bench/results.quick.json and never
// overwrites bench/results.json.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import client from 'prom-client';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: 'render,observe,exemplar' },
    out: { type: 'string' },
  },
});
const quick = args.quick;
const config = {
  rounds: args.rounds ? Number(args.rounds) : quick ? 3 : 11,
  renderBatch: quick ? 3 : 20,
  observeBatch: quick ? 50_000 : 1_000_000,
  warmupRounds: quick ? 1 : 3,
  only: args.only.split(',').map((s) => s.trim()),
};
if (!Number.isInteger(config.rounds) || config.rounds < 1) die(`--rounds: expected a positive integer`);
function die(msg) {
  console.error(msg);
  process.exit(2);
}

let testing;
try {
  testing = await import('../dist/testing.js');
} catch (err) {
  die(`cannot load ../dist (${err.code ?? err.message}): run \`pnpm --filter @immo/metrics build\` first`);
}

// Pinned to one core so the scheduler does not move the timed loop.
try {
  if (os.cpus().length > 1)
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
} catch {
  // taskset missing: unpinned
}

const DEFAULTS = { service: 'bench-api', version: '1.0.0' };
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  const p = (s.length - 1) * q;
  const lo = Math.floor(p);
  return s[lo] + (s[Math.ceil(p)] - s[lo]) * (p - lo);
}
const summarise = (xs) => ({
  n: xs.length,
  median: median(xs),
  min: Math.min(...xs),
  max: Math.max(...xs),
  q1: quantile(xs, 0.25),
  q3: quantile(xs, 0.75),
});
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');

/** Runs variants round-robin (rotating the order each round) and pairs each with the baseline. */
async function compare(name, variants, unit) {
  for (let w = 0; w < config.warmupRounds; w++) for (const v of variants) await v.run();
  const per = Object.fromEntries(variants.map((v) => [v.name, []]));
  for (let round = 0; round < config.rounds; round++) {
    const k = round % variants.length;
    const order = [...variants.slice(k), ...variants.slice(0, k)];
    for (const v of order) per[v.name].push(await v.run());
    process.stdout.write(
      `${name} round ${round + 1}/${config.rounds}: ${variants.map((v) => `${v.name} ${f(per[v.name].at(-1), unit === 'ms' ? 2 : 1)} ${unit}`).join(', ')}\n`,
    );
  }
  const base = per[variants[0].name];
  const summary = {};
  for (const v of variants) {
    summary[v.name] = {
      [unit === 'ms' ? 'msPerOp' : 'nsPerOp']: summarise(per[v.name]),
      ratioVsBaseline: summarise(per[v.name].map((x, i) => x / base[i])),
      perRound: per[v.name],
    };
  }
  return { name, baseline: variants[0].name, unit, summary };
}

// ------------------------------------------------------------------------------------- render
function buildRenderSet() {
  const ours = testing.createTestMetrics({ ...DEFAULTS });
  const reg = new client.Registry();
  reg.setDefaultLabels(DEFAULTS);
  const COUNTERS = 4;
  const COUNTER_SERIES = 500; // 2,000 sample lines
  const HISTOGRAMS = 4;
  const HISTOGRAM_SERIES = 118; // x (14 buckets + Inf + sum + count) = 8,024 sample lines
  for (let c = 0; c < COUNTERS; c++) {
    const def = { name: `bench_requests_${c}_total`, help: `Counter ${c}.`, labelNames: ['method', 'route'] };
    const a = ours.counter(def);
    const b = new client.Counter({ ...def, registers: [reg] });
    for (let s = 0; s < COUNTER_SERIES; s++) {
      const labels = { method: METHODS[s % 4], route: `/api/r${s}/:id` };
      a.inc(labels, s + 1);
      b.inc(labels, s + 1);
    }
  }
  for (let h = 0; h < HISTOGRAMS; h++) {
    const def = {
      name: `bench_duration_${h}_seconds`,
      help: `Histogram ${h}.`,
      labelNames: ['method', 'route', 'status'],
      buckets: BUCKETS,
    };
    const a = ours.histogram({ ...def, unit: 'seconds' });
    const b = new client.Histogram({ ...def, registers: [reg] });
    for (let s = 0; s < HISTOGRAM_SERIES; s++) {
      const labels = { method: METHODS[s % 4], route: `/api/r${s}/:id`, status: String(200 + (s % 3)) };
      for (let i = 0; i < 5; i++) {
        const v = ((s * 7 + i * 13) % 1000) / 100;
        a.observe(labels, v);
        b.observe(labels, v);
      }
    }
  }
  return { ours, reg };
}

function sampleLines(text) {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}
// Label order differs (ours: defaults first); compare samples with labels sorted.
function canonical(line) {
  const m = /^([^{ ]+)(?:\{(.*)\})? (.*)$/.exec(line);
  if (!m) return line;
  const labels = (m[2] ?? '').match(/[a-zA-Z_]+="(?:[^"\\]|\\.)*"/g) ?? [];
  return `${m[1]}{${labels.sort().join(',')}} ${m[3]}`;
}

async function benchRender() {
  const { ours, reg } = buildRenderSet();
  const a = (await ours.render()).body;
  const b = await reg.metrics();
  const la = sampleLines(a).map(canonical).sort();
  const lb = sampleLines(b).map(canonical).sort();
  const same = la.length === lb.length && la.every((l, i) => l === lb[i]);
  const sanity = {
    ourLines: a.split('\n').length - 1,
    promClientLines: b.split('\n').length - 1,
    samples: la.length,
    sameSamples: same,
  };
  if (!same) console.warn('render: the two expositions differ in their samples', la.length, lb.length);
  const timed = (fn) => async () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < config.renderBatch; i++) await fn();
    return Number(process.hrtime.bigint() - t0) / 1e6 / config.renderBatch;
  };
  const result = await compare(
    'render',
    [
      // Buffer.byteLength (the Content-Length a route sends) flattens the string, so both are
      // measured to the point where the body could be written.
      {
        name: 'prom-client Registry.metrics()',
        run: timed(async () => Buffer.byteLength(await reg.metrics())),
      },
      {
        name: '@immo/metrics render()',
        run: timed(async () => Buffer.byteLength((await ours.render()).body)),
      },
    ],
    'ms',
  );
  return { ...result, sanity };
}

// ------------------------------------------------------------------------------------ observe
const LABEL_SETS = Array.from({ length: 8 }, (_, i) => ({
  method: METHODS[i % 4],
  route: `/api/orgs/:id/r${i}`,
  status: i % 3 === 0 ? '201' : '200',
}));
const LABEL_ARRAYS = LABEL_SETS.map((l) => [l.method, l.route, l.status]);
const VALUES = Float64Array.from({ length: 1024 }, (_, i) => ((i * 7919) % 10_000) / 1000);

function loop(fn) {
  return async () => {
    const n = config.observeBatch;
    const t0 = process.hrtime.bigint();
    fn(n);
    return Number(process.hrtime.bigint() - t0) / n;
  };
}

async function benchObserve() {
  const ours = testing.createTestMetrics({ ...DEFAULTS });
  const reg = new client.Registry();
  const def = {
    name: 'obs_seconds',
    help: 'Observe.',
    labelNames: ['method', 'route', 'status'],
    buckets: BUCKETS,
  };
  const p = new client.Histogram({ ...def, registers: [reg] });
  const o = ours.histogram({ ...def, unit: 'seconds' });
  const bound = LABEL_SETS.map((l) => o.bind(l));
  return compare(
    'observe',
    [
      {
        name: 'prom-client observe(labels, v)',
        run: loop((n) => {
          for (let i = 0; i < n; i++) p.observe(LABEL_SETS[i & 7], VALUES[i & 1023]);
        }),
      },
      {
        name: 'prom-client labels(...).observe(v)',
        run: loop((n) => {
          for (let i = 0; i < n; i++) p.labels(...LABEL_ARRAYS[i & 7]).observe(VALUES[i & 1023]);
        }),
      },
      {
        name: '@immo/metrics observe(labels, v)',
        run: loop((n) => {
          for (let i = 0; i < n; i++) o.observe(LABEL_SETS[i & 7], VALUES[i & 1023]);
        }),
      },
      {
        name: '@immo/metrics bound.observe(v)',
        run: loop((n) => {
          for (let i = 0; i < n; i++) bound[i & 7].observe(VALUES[i & 1023]);
        }),
      },
    ],
    'ns',
  );
}

// ----------------------------------------------------------------------------------- exemplar
async function benchExemplar() {
  const cm = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(cm);
  const provider = new BasicTracerProvider();
  trace.setGlobalTracerProvider(provider);
  const span = provider.getTracer('bench').startSpan('request');
  const def = {
    name: 'ex_seconds',
    help: 'Exemplars.',
    unit: 'seconds',
    labelNames: ['method', 'route', 'status'],
  };
  const off = testing.createTestMetrics({ ...DEFAULTS, exemplars: false }).histogram(def);
  const on = testing.createTestMetrics({ ...DEFAULTS, exemplars: true }).histogram(def);
  const sanityMetrics = testing.createTestMetrics({ ...DEFAULTS, exemplars: true });
  const probe = sanityMetrics.histogram({ ...def, name: 'probe_seconds' });
  context.with(trace.setSpan(context.active(), span), () => probe.observe(LABEL_SETS[0], 0.2));
  const om = (await sanityMetrics.render('application/openmetrics-text')).body;
  const sanity = { exemplarInOpenMetrics: om.includes(`trace_id="${span.spanContext().traceId}"`) };
  if (!sanity.exemplarInOpenMetrics)
    console.warn('exemplar: no exemplar recorded — is @opentelemetry/api loadable?');
  const offBound = LABEL_SETS.map((l) => off.bind(l));
  const onBound = LABEL_SETS.map((l) => on.bind(l));
  const inSpan = (fn) => () => context.with(trace.setSpan(context.active(), span), fn);
  const res = await compare(
    'exemplar',
    [
      {
        name: 'observe(labels, v), exemplars off',
        run: inSpan(
          loop((n) => {
            for (let i = 0; i < n; i++) off.observe(LABEL_SETS[i & 7], VALUES[i & 1023]);
          }),
        ),
      },
      {
        name: 'observe(labels, v), exemplars on',
        run: inSpan(
          loop((n) => {
            for (let i = 0; i < n; i++) on.observe(LABEL_SETS[i & 7], VALUES[i & 1023]);
          }),
        ),
      },
      {
        name: 'bound.observe(v), exemplars off',
        run: inSpan(
          loop((n) => {
            for (let i = 0; i < n; i++) offBound[i & 7].observe(VALUES[i & 1023]);
          }),
        ),
      },
      {
        name: 'bound.observe(v), exemplars on',
        run: inSpan(
          loop((n) => {
            for (let i = 0; i < n; i++) onBound[i & 7].observe(VALUES[i & 1023]);
          }),
        ),
      },
    ],
    'ns',
  );
  span.end();
  cm.disable();
  return { ...res, sanity };
}

function table(r) {
  const key = r.unit === 'ms' ? 'msPerOp' : 'nsPerOp';
  const rows = [
    `| ${r.name} | ${r.unit}/op (median) | min–max | vs ${r.baseline}: median ratio [min–max], IQR |`,
    '| --- | ---: | ---: | --- |',
  ];
  for (const [v, s] of Object.entries(r.summary)) {
    const d = r.unit === 'ms' ? 2 : 1;
    const q = s.ratioVsBaseline;
    rows.push(
      `| ${v} | ${f(s[key].median, d)} | ${f(s[key].min, d)}–${f(s[key].max, d)} | ${f(q.median)}x [${f(q.min)}–${f(q.max)}], IQR ${f(q.q1)}–${f(q.q3)} |`,
    );
  }
  return rows.join('\n');
}

const started = Date.now();
const results = [];
if (config.only.includes('render')) results.push(await benchRender());
if (config.only.includes('observe')) results.push(await benchObserve());
if (config.only.includes('exemplar')) results.push(await benchExemplar());

const out = args.out
  ? path.resolve(args.out)
  : path.join(here, quick ? 'results.quick.json' : 'results.json');
const payload = {
  kind: 'metrics',
  command: `pnpm --filter @immo/metrics bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
  quick,
  machine: {
    cpuModel: os.cpus()[0]?.model,
    cores: os.cpus().length,
    node: process.version,
    date: new Date().toISOString(),
  },
  git: (() => {
    try {
      const cwd = path.join(here, '..', '..', '..');
      const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
      const dirty = execFileSync('git', ['status', '--porcelain', '--', 'packages/metrics/src'], {
        cwd,
        encoding: 'utf8',
      }).trim();
      return { commit, uncommittedSrc: dirty ? dirty.split('\n').length : 0 };
    } catch {
      return null;
    }
  })(),
  versions: {
    'prom-client': createRequire(import.meta.url)('prom-client/package.json').version,
    '@immo/metrics': JSON.parse(readFileSync(path.join(here, '..', 'package.json'), 'utf8')).version,
  },
  config,
  elapsedSec: (Date.now() - started) / 1000,
  results,
};
writeFileSync(out, `${JSON.stringify(payload, null, 2)}\n`);
for (const r of results) {
  console.log(`\n${table(r)}`);
  if (r.sanity) console.log(`\n${r.name} sanity: ${JSON.stringify(r.sanity)}`);
}
console.log(`\n${f(payload.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`);
