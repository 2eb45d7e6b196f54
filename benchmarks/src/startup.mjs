// Start-up time and memory of the tracing issue's variants. Each run spawns a fresh server (pinned
// to core 0, as in run.mjs) on a port chosen beforehand and polls its ready probe every 5 ms from
// the moment of the spawn (@immo variants: GET /health/ready; the others: GET /api/orgs/:id): the
// time to the first 200 is the start-up time. Then a fixed warm-up load (autocannon, 5 s at 10
// connections, saturated) and the server's VmRSS from /proc/<pid>/status. Runs alternate between
// the variants (order rotated per run); medians, and per-run paired ratios (time) and differences
// (RSS) to F_log. Usage:
//   pnpm --filter @immo/benchmarks startup [--runs 7] [--variants F_log,immo-full,...]
//     [--load-duration 5] [--connections 10] [--poll-ms 5] [--quiet-cores 0.3] [--quiet-wait 60] [--out FILE]
//     [--slow-factor 1.25 (wait for the server core's full speed before each run; 0: no check)]

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ALL_VARIANTS,
  BASELINE,
  CLIENT_CORE,
  cannon,
  knownVariant,
  parseVariantList,
  pinSelf,
  readyPath,
  SERVER_CORE,
  spawnServer,
  startSpeedCheck,
  stopServer,
  trackTmpDir,
  waitForQuiet,
} from './harness.mjs';
import { gitState, machineFacts } from './machine.mjs';
import { closedPort, startSink } from './sink.mjs';
import { fmt, rotate, summarise } from './stats.mjs';
import { startupTable } from './tables.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STARTUP_VARIANTS = [
  'F_log',
  'immo-full',
  'immo-trace',
  'immo-trace-eager',
  'otel',
  'sentry',
  'assembly',
];

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    runs: { type: 'string', default: '7' },
    variants: { type: 'string', default: STARTUP_VARIANTS.join(',') },
    'load-duration': { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    'poll-ms': { type: 'string', default: '5' },
    'quiet-cores': { type: 'string', default: '0.3' },
    'quiet-wait': { type: 'string', default: '60' },
    'slow-factor': { type: 'string', default: '1.25' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(0, 9)
      .join('\n'),
  );
  process.exit(0);
}
const fail = (msg) => {
  console.error(msg);
  process.exit(2);
};
const config = {
  runs: Number(args.runs),
  variants: parseVariantList(args.variants),
  loadDurationSec: Number(args['load-duration']),
  connections: Number(args.connections),
  pollMs: Number(args['poll-ms']),
  quietCores: Number(args['quiet-cores']),
  quietWaitSec: Number(args['quiet-wait']),
  // Before each run, also wait until the server core runs at full speed (see run.mjs; 0: no check).
  slowFactor: Number(args['slow-factor']),
};
if (!(Number.isInteger(config.runs) && config.runs >= 1)) fail('--runs: expected a positive integer');
if (!(config.loadDurationSec > 0)) fail('--load-duration: expected seconds > 0');
if (!(Number.isInteger(config.connections) && config.connections >= 1))
  fail('--connections: expected an integer >= 1');
if (!(config.pollMs > 0)) fail('--poll-ms: expected milliseconds > 0');
if (!(config.quietCores >= 0 && config.quietWaitSec >= 0))
  fail('--quiet-cores/--quiet-wait: expected numbers >= 0');
if (!(config.slowFactor === 0 || config.slowFactor >= 1))
  fail('--slow-factor: expected 0 (no speed check) or a factor >= 1');
for (const v of config.variants) {
  if (!knownVariant(v)) fail(`--variants: unknown variant "${v}" (known: ${ALL_VARIANTS.join(', ')})`);
}

const pinned = pinSelf();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Status of one GET, or 0 when the connection failed (not listening yet). */
function probe(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

/** VmRSS and VmHWM of a process, in MB (MiB). */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s*(\\d+)`, 'm').exec(status)?.[1]);
  return { rssMB: kb('VmRSS') / 1024, hwmMB: kb('VmHWM') / 1024 };
}

async function runOne(variant, run, tmpDir, sink) {
  const logFile = path.join(tmpDir, `${variant}-r${run}.log`);
  const port = await closedPort();
  const urlPath = readyPath(variant);
  const t0 = performance.now();
  const child = spawnServer(variant, logFile, { pinned, env: { ...sink.env, BENCH_PORT: String(port) } });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  let ipcReadyMs = Number.NaN;
  child.once('message', (m) => {
    if (m?.type === 'ready') ipcReadyMs = performance.now() - t0;
  });
  try {
    let polls = 0;
    let status = 0;
    let readyMs = Number.NaN;
    const deadline = t0 + 30_000;
    for (;;) {
      polls++;
      status = await probe(port, urlPath);
      if (status === 200) {
        readyMs = performance.now() - t0;
        break;
      }
      if (exited) throw new Error(`${variant}: server exited before it was ready (code ${child.exitCode})`);
      if (performance.now() > deadline)
        throw new Error(`${variant}: not ready within 30 s (last status ${status})`);
      await sleep(config.pollMs);
    }
    const atReady = memory(child.pid);
    const load = await cannon(port, { connections: config.connections, duration: config.loadDurationSec });
    const afterLoad = memory(child.pid);
    if (exited) throw new Error(`${variant}: server exited during the warm-up load`);
    return {
      variant,
      run,
      readyMs,
      ipcReadyMs,
      polls,
      probe: urlPath,
      rssAtReadyMB: atReady.rssMB,
      rssMB: afterLoad.rssMB,
      hwmMB: afterLoad.hwmMB,
      loadRequests2xx: load['2xx'],
      loadNon2xx: load.non2xx + load.errors + load.timeouts,
    };
  } finally {
    await stopServer(child);
    rmSync(logFile, { force: true });
  }
}

function summariseRuns(runs) {
  const baseline = config.variants.includes(BASELINE) ? BASELINE : config.variants[0];
  const summary = {};
  for (const v of config.variants) {
    const mine = runs.filter((r) => r.variant === v);
    const timeRatios = [];
    const rssDiffs = [];
    for (const r of mine) {
      const b = runs.find((x) => x.run === r.run && x.variant === baseline);
      if (!b) continue;
      timeRatios.push(r.readyMs / b.readyMs);
      rssDiffs.push(r.rssMB - b.rssMB);
    }
    summary[v] = {
      readyMs: summarise(mine.map((r) => r.readyMs)),
      ipcReadyMs: summarise(mine.map((r) => r.ipcReadyMs)),
      rssAtReadyMB: summarise(mine.map((r) => r.rssAtReadyMB)),
      rssMB: summarise(mine.map((r) => r.rssMB)),
      hwmMB: summarise(mine.map((r) => r.hwmMB)),
      readyRatioVsBaseline: summarise(timeRatios),
      rssDiffVsBaselineMB: summarise(rssDiffs),
    };
  }
  return { baseline, summary };
}

async function main() {
  const tmpDir = trackTmpDir(mkdtempSync(path.join(os.tmpdir(), 'immo-startup-bench-')));
  const sink = await startSink({ mode: 'ok', pinned });
  const runs = [];
  const started = Date.now();
  const speed = await startSpeedCheck(config.slowFactor, pinned);
  try {
    for (let run = 0; run < config.runs; run++) {
      for (const variant of rotate(config.variants, run)) {
        const gate = await waitForQuiet({
          maxBusyCores: config.quietCores,
          maxWaitMs: config.quietWaitSec * 1000,
          speed,
        });
        const r = await runOne(variant, run, tmpDir, sink);
        r.quietGate = gate;
        runs.push(r);
        console.log(
          `run ${run + 1}/${config.runs} ${variant.padEnd(12)} ready ${fmt(r.readyMs, 0).padStart(5)} ms (${r.polls} polls)  RSS ${fmt(r.rssMB, 1)} MB after load (${fmt(r.rssAtReadyMB, 1)} at ready)  others ${fmt(gate.busyCores)} cores`,
        );
      }
    }
  } finally {
    await sink.stop();
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const { baseline, summary } = summariseRuns(runs);
  const given = argv.join(' ');
  const result = {
    kind: 'startup',
    command: `pnpm --filter @immo/benchmarks startup${given ? ` -- ${given}` : ''}`,
    quick: config.runs < 7,
    machine: machineFacts(),
    git: gitState(path.join(here, '..', '..'), [
      'packages/logger',
      'packages/metrics',
      'packages/health',
      'packages/tracing',
    ]),
    config: { ...config, pinned, serverCore: SERVER_CORE, clientCore: CLIENT_CORE },
    elapsedSec: (Date.now() - started) / 1000,
    baseline,
    summary,
    runs,
  };
  const out = args.out
    ? path.resolve(args.out)
    : path.join(
        here,
        '..',
        'results',
        result.quick ? 'quick' : '',
        `startup-${result.machine.date.slice(0, 10)}.json`,
      );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${startupTable(result)}\n`);
  console.log(
    `${runs.length} runs in ${fmt(result.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`,
  );
  if (result.quick) console.log('fewer than 7 runs: a quick run, marked "quick" and not used by report.mjs');
}

await main();
