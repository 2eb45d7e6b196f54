// Micro-benchmark: a child logger's `info` with a realistic 10-field object.
// Compares raw pino, pino with its own `redact` paths, and @immo/logger with
// redaction off and with the default redaction. Usage (after `pnpm --filter @immo/logger build`):
//   pnpm --filter @immo/logger bench [--rounds 11] [--batch 20000] [--chunk 1000] [--batches 5]
//     [--sink noop,file] [--variants pino,pino-redact,immo-noredact,immo] [--quiet-cores 0.3] [--quiet-wait 60]
//
// Sinks: `noop` is a plain stream whose write() only counts the string pino
// hands it, so every line is fully serialised but no I/O happens (the logger's
// own cost, undiluted). `file` is pino.destination({ sync: false }) on a temp
// file, the set-up the HTTP benchmark and production use; the buffer is flushed
// outside the timed batch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pino from 'pino';
// The quiet-machine measurement is shared with the HTTP harness (private benchmarks workspace).
import { machineBusyCores as busyCores } from '../../../benchmarks/src/harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ALL_VARIANTS = ['pino', 'pino-redact', 'immo-noredact', 'immo'];
const BASELINE = 'pino';

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '11' },
    batch: { type: 'string', default: '20000' },
    batches: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '8' },
    chunk: { type: 'string', default: '1000' },
    sink: { type: 'string', default: 'noop,file' },
    variants: { type: 'string', default: ALL_VARIANTS.join(',') },
    out: { type: 'string' },
    'quiet-cores': { type: 'string', default: '0.3' },
    'quiet-wait': { type: 'string', default: '60' },
  },
});
const config = {
  rounds: int('rounds'),
  batch: int('batch'),
  batchesPerRound: int('batches'),
  warmupBatches: int('warmup'),
  chunk: int('chunk'),
  // Busy cores (others' work) tolerated before a round starts, and how long to wait for that.
  quietCores: Number(args['quiet-cores']),
  quietWaitSec: Number(args['quiet-wait']),
  sinks: list('sink', ['noop', 'file']),
  variants: list('variants', ALL_VARIANTS),
};
function int(name) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) die(`--${name}: expected a positive integer, received "${args[name]}"`);
  return n;
}
function list(name, known) {
  const xs = args[name]
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const x of xs) if (!known.includes(x)) die(`--${name}: unknown "${x}" (known: ${known.join(', ')})`);
  return xs;
}
function die(msg) {
  console.error(msg);
  process.exit(2);
}

let immo;
if (config.variants.some((v) => v.startsWith('immo'))) {
  try {
    immo = await import('../dist/index.js');
  } catch (err) {
    die(
      `cannot load ../dist/index.js (${err.code ?? err.message}): run \`pnpm --filter @immo/logger build\` first`,
    );
  }
}

// Pin to one core so the scheduler does not migrate the timed loop; the
// threads this process starts later (GC helpers, libuv pool) inherit it.
try {
  if (os.cpus().length > 1)
    execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
} catch {
  // taskset missing: run unpinned
}

// Realistic request-scoped objects, 10 top-level fields each, holding every
// path pino's redact list names. 64 distinct objects so no variant benefits
// from seeing one object over and over. They are shared with @immo/redact's
// instruction counts (its bench/inputs.mjs), so both benches measure one workload.
const {
  loggerPii: PII,
  loggerRotating: objects,
  pinoRedactPaths: PINO_REDACT_PATHS,
} = await import('../../redact/bench/inputs.mjs');
const MSG = 'payment allocated';
const BINDINGS = { request_id: '7d3f0c9e-2b1a-4c5d-9e8f-0a1b2c3d4e5f', module: 'billing' };

class NoopSink {
  lines = 0;
  bytes = 0;
  last = '';
  write(s) {
    this.lines++;
    this.bytes += s.length;
    this.last = s;
  }
}

const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'immo-logger-bench-'));
process.on('exit', () => rmSync(tmpDir, { recursive: true, force: true }));

function makeSink(kind, name) {
  if (kind === 'noop') return { stream: new NoopSink(), file: null };
  const file = path.join(tmpDir, `${name}.log`);
  return { stream: pino.destination({ dest: file, sync: false }), file };
}

function makeLogger(variant, stream) {
  switch (variant) {
    case 'pino':
      return pino({ level: 'info' }, stream);
    case 'pino-redact':
      return pino({ level: 'info', redact: { paths: PINO_REDACT_PATHS } }, stream);
    case 'immo-noredact':
    case 'immo':
      return immo.createLogger({
        service: 'bench',
        version: '1.0.0',
        env: 'bench',
        level: 'info',
        destination: stream,
        ...(variant === 'immo-noredact' ? { redact: false } : {}),
      });
    default:
      throw new Error(variant);
  }
}

// sonic-boom's flush(cb) calls back at once when minLength is 0 (pino's
// default), so wait for the 'drain' it emits when its last async write lands.
// `_writing` is private, but it is the only way to know whether one is pending.
async function idle(stream) {
  if (stream.fd < 0) await new Promise((resolve) => stream.once('ready', resolve));
  while (stream._writing) await new Promise((resolve) => stream.once('drain', resolve));
}

async function drain(sink, truncate = true) {
  if (!sink.file) return;
  await idle(sink.stream);
  if (!truncate) return;
  // Keep the temp file small: drop what was written and start a new file.
  unlinkSync(sink.file);
  sink.stream.reopen();
  await idle(sink.stream);
}

// A batch is timed in chunks; between chunks (untimed) the file sink gets to
// write its buffer, as it would between requests. Without that, a blocked
// event loop makes sonic-boom hold megabytes of strings and the measurement
// becomes one of the garbage collector.
async function timedBatch(log, sink, n) {
  let ns = 0n;
  let j = 0;
  for (let done = 0; done < n; done += config.chunk) {
    const m = Math.min(config.chunk, n - done);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < m; i++) log.info(objects[j++ & 63], MSG);
    ns += process.hrtime.bigint() - t0;
    if (sink.file) await idle(sink.stream);
  }
  return Number(ns) / n;
}

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
function summarise(xs) {
  return {
    n: xs.length,
    median: median(xs),
    min: Math.min(...xs),
    max: Math.max(...xs),
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
  };
}
const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const fr = (s) => `${f(s.median)}x [${f(s.min)}–${f(s.max)}], IQR ${f(s.q1)}–${f(s.q3)}`;

/** Which planted PII values survive in a written line (a sanity check, not a metric). */
function leakedPii(line) {
  return Object.entries(PII)
    .filter(([, v]) => line.includes(v))
    .map(([k]) => k);
}

async function lastLineOf(sink) {
  if (!sink.file) return sink.stream.last;
  await drain(sink, false);
  const text = readFileSync(sink.file, 'utf8').trimEnd();
  return text.slice(text.lastIndexOf('\n') + 1);
}

// Quiet gate before each round: on a small shared machine someone else's work
// would share the core and inflate whichever variant happens to be running.
async function waitForQuiet() {
  const t0 = Date.now();
  for (;;) {
    let busy = 0;
    try {
      busy = await busyCores(500);
    } catch {
      return { busyCores: Number.NaN, waitedMs: 0 }; // no /proc: no gate
    }
    if (busy <= config.quietCores || Date.now() - t0 >= config.quietWaitSec * 1000)
      return { busyCores: busy, waitedMs: Date.now() - t0 };
  }
}

async function benchSink(kind) {
  const setups = [];
  for (const variant of config.variants) {
    const sink = makeSink(kind, variant);
    const log = makeLogger(variant, sink.stream).child(BINDINGS);
    setups.push({ variant, sink, log, perRound: [] });
  }

  // Sanity: one line per variant, checked for what it must and must not contain.
  const sanity = {};
  for (const s of setups) {
    s.log.info(objects[0], MSG);
    const line = await lastLineOf(s.sink);
    let parsed = null;
    try {
      parsed = JSON.parse(line);
    } catch {
      // reported below as not JSON
    }
    sanity[s.variant] = {
      json: parsed !== null,
      bytes: Buffer.byteLength(line),
      piiLeft: leakedPii(line),
      hasFields: parsed
        ? ['org_id', 'amount_cents', 'request_id', 'payment'].every((k) => k in parsed)
        : false,
      line: line.slice(0, 800),
    };
    await drain(s.sink);
  }

  const gates = [];
  for (let w = 0; w < config.warmupBatches; w++) {
    for (const s of setups) {
      await timedBatch(s.log, s.sink, config.batch);
      await drain(s.sink);
    }
  }

  for (let round = 0; round < config.rounds; round++) {
    gates.push(await waitForQuiet());
    const k = round % setups.length;
    const order = [...setups.slice(k), ...setups.slice(0, k)];
    // Batches interleaved (A B C D A B C D ...), not one variant's batches in a block: a slow spell
    // of the machine (another tenant, a frequency change) then falls on every variant of the round
    // alike instead of on whichever ran during it, and the paired ratios stay tighter.
    const samples = new Map(order.map((s) => [s, []]));
    for (let b = 0; b < config.batchesPerRound; b++) {
      for (const s of order) {
        samples.get(s).push(await timedBatch(s.log, s.sink, config.batch));
        await drain(s.sink);
      }
    }
    for (const s of order) s.perRound.push(median(samples.get(s)));
    process.stdout.write(
      `${kind} round ${round + 1}/${config.rounds}: ${order.map((s) => `${s.variant} ${f(s.perRound.at(-1), 0)} ns`).join(', ')}\n`,
    );
  }

  const base = setups.find((s) => s.variant === BASELINE) ?? setups[0];
  const summary = {};
  for (const s of setups) {
    summary[s.variant] = {
      nsPerOp: summarise(s.perRound),
      ratioVsBaseline: summarise(s.perRound.map((v, i) => v / base.perRound[i])),
      sanity: sanity[s.variant],
      perRound: s.perRound,
    };
    if (s.sink.file) s.sink.stream.end();
  }
  return { sink: kind, baseline: base.variant, summary, quietGates: gates };
}

export function table(result) {
  const rows = [
    `| variant (sink: ${result.sink}) | ns/op (median) | min–max ns/op | vs ${result.baseline}: median ratio [min–max], IQR | bytes/line | planted PII left in line |`,
    '| --- | ---: | ---: | --- | ---: | --- |',
  ];
  for (const [v, s] of Object.entries(result.summary)) {
    rows.push(
      `| ${v} | ${f(s.nsPerOp.median, 0)} | ${f(s.nsPerOp.min, 0)}–${f(s.nsPerOp.max, 0)} | ${fr(s.ratioVsBaseline)} | ${s.sanity.bytes} | ${s.sanity.piiLeft.length ? s.sanity.piiLeft.join(', ') : 'none'} |`,
    );
  }
  return rows.join('\n');
}

const started = Date.now();
const results = [];
for (const kind of config.sinks) results.push(await benchSink(kind));

const cpuModel = (() => {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'))
      ?.split(':')[1]
      ?.trim();
  } catch {
    return os.cpus()[0]?.model;
  }
})();
const quick = config.rounds < 9;
// Quick runs (fewer than 9 rounds) never overwrite the committed full result.
const out = args.out
  ? path.resolve(args.out)
  : path.join(here, quick ? 'results.quick.json' : 'results.json');
const given = argv.join(' ');
const payload = {
  kind: 'logger',
  command: `pnpm --filter @immo/logger bench${given ? ` -- ${given}` : ''}`,
  quick,
  machine: { cpuModel, cores: os.cpus().length, node: process.version, date: new Date().toISOString() },
  git: (() => {
    try {
      const cwd = path.join(here, '..', '..', '..');
      const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
      const dirty = execFileSync(
        'git',
        ['status', '--porcelain', '--', 'packages/logger/src', 'packages/redact/src'],
        {
          cwd,
          encoding: 'utf8',
        },
      ).trim();
      return { commit, uncommittedSrc: dirty ? dirty.split('\n').length : 0 };
    } catch {
      return null;
    }
  })(),
  versions: {
    pino: createRequire(import.meta.url)('pino/package.json').version,
    '@immo/logger': JSON.parse(readFileSync(path.join(here, '..', 'package.json'), 'utf8')).version,
  },
  config: {
    ...config,
    interleaved: true,
    pinoRedactPaths: PINO_REDACT_PATHS,
    object: objects[0],
    message: MSG,
    bindings: BINDINGS,
  },
  elapsedSec: (Date.now() - started) / 1000,
  results,
};
writeFileSync(out, `${JSON.stringify(payload, null, 2)}\n`);
for (const r of results) console.log(`\n${table(r)}`);
console.log(`\n${f(payload.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`);
