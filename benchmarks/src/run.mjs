// HTTP benchmark: server CPU time per request and requests/s of Fastify 5 with
// different logging set-ups, measured as the issue's method prescribes (see
// docs/benchmarks.md). Usage:
//   pnpm --filter @immo/benchmarks bench [--rounds 9] [--duration 5] [--warmup 2]
//     [--connections 10] [--variants fastify-nolog,F_log,immo,immo-noredact]
//     [--cpu-prof-dir DIR] [--out FILE] [--tag NAME (file becomes http-<date>-NAME.json)]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import hdr from 'hdr-histogram-js';
import {
  ALL_VARIANTS,
  BASELINE,
  CLIENT_CORE,
  CLK_TCK,
  cannon,
  countLines,
  cpuTicksSplit,
  EXTRA_VARIANTS,
  involuntarySwitches,
  pinSelf,
  ROUTE_URL,
  SERVER_CORE,
  startServer,
  stopServer,
} from './harness.mjs';
import { loadavg, machineFacts } from './machine.mjs';
import { generateReport } from './report.mjs';
import { fmt, rotate, summarise } from './stats.mjs';
import { httpTable } from './tables.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// pnpm passes a literal `--` through to the script; parseArgs would stop there.
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '9' },
    duration: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
    variants: { type: 'string', default: ALL_VARIANTS.join(',') },
    'cpu-prof-dir': { type: 'string' },
    out: { type: 'string' },
    tag: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(0, 6)
      .join('\n'),
  );
  process.exit(0);
}

const config = {
  rounds: positiveInt('rounds'),
  durationSec: positiveNumber('duration'),
  warmupSec: Number(args.warmup),
  connections: positiveInt('connections'),
  variants: args.variants
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean),
  cpuProfDir: args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined,
  url: ROUTE_URL,
};
for (const v of config.variants) {
  if (!ALL_VARIANTS.includes(v) && !EXTRA_VARIANTS.includes(v))
    fail(`--variants: unknown variant "${v}" (known: ${ALL_VARIANTS.join(', ')})`);
}
if (!(config.warmupSec >= 0)) fail('--warmup: expected a number of seconds >= 0');

function positiveInt(name) {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) fail(`--${name}: expected a positive integer, received "${args[name]}"`);
  return n;
}
function positiveNumber(name) {
  const n = Number(args[name]);
  if (!(n > 0)) fail(`--${name}: expected a positive number, received "${args[name]}"`);
  return n;
}
function fail(msg) {
  console.error(msg);
  process.exit(2);
}

const pinned = pinSelf();

async function runOne(variant, round, position, tmpDir) {
  const logFile = path.join(tmpDir, `${variant}-r${round}.log`);
  const nodeArgs = [];
  if (config.cpuProfDir) {
    mkdirSync(config.cpuProfDir, { recursive: true });
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${config.cpuProfDir}`,
      `--cpu-prof-name=${variant}-r${round}.cpuprofile`,
    );
  }
  const { child, port } = await startServer(variant, logFile, { pinned, nodeArgs });
  try {
    let warm = { '2xx': 0, non2xx: 0 };
    if (config.warmupSec > 0)
      warm = await cannon(port, { connections: config.connections, duration: config.warmupSec });

    const histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const load = loadavg();
    const t0 = process.hrtime.bigint();
    const ticks0 = cpuTicksSplit(child.pid);
    const switches0 = involuntarySwitches(child.pid);
    const result = await cannon(port, {
      connections: config.connections,
      duration: config.durationSec,
      histogram,
    });
    const ticks1 = cpuTicksSplit(child.pid);
    const switches1 = involuntarySwitches(child.pid);
    const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;

    await stopServer(child);
    const { lines, lastLine } = countLines(logFile);
    const served = warm['2xx'] + warm.non2xx + result['2xx'] + result.non2xx;
    const ok = result['2xx'];
    const userTicks = ticks1.user - ticks0.user;
    const systemTicks = ticks1.system - ticks0.system;
    const ticks = userTicks + systemTicks;
    return {
      variant,
      round,
      position,
      requests2xx: ok,
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      wallSec,
      reqPerSec: ok / wallSec,
      cpuTicks: ticks,
      userTicks,
      systemTicks,
      systemShare: ticks > 0 ? systemTicks / ticks : Number.NaN,
      cpuUsPerReq: ok > 0 ? ((ticks / CLK_TCK) * 1e6) / ok : Number.NaN,
      serverCpuUtil: ticks / CLK_TCK / wallSec,
      latencyMs: {
        p50: histogram.getValueAtPercentile(50) / 1000,
        p95: histogram.getValueAtPercentile(95) / 1000,
        p99: histogram.getValueAtPercentile(99) / 1000,
        max: histogram.maxValue / 1000,
      },
      logLines: lines,
      requestsServed: served,
      linesPerRequest: served > 0 ? lines / served : Number.NaN,
      sampleLine: lastLine ? lastLine.slice(0, 600) : null,
      loadavgBefore: load,
      involuntarySwitches: switches1 - switches0,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(logFile, { force: true });
  }
}

function summariseRuns(runs) {
  const baseline = config.variants.includes(BASELINE) ? BASELINE : config.variants[0];
  const byRound = new Map();
  for (const r of runs) {
    if (!byRound.has(r.round)) byRound.set(r.round, new Map());
    byRound.get(r.round).set(r.variant, r);
  }
  const summary = {};
  for (const v of config.variants) {
    const mine = runs.filter((r) => r.variant === v);
    const cpuRatios = [];
    const rpsRatios = [];
    for (const round of byRound.values()) {
      const a = round.get(v);
      const b = round.get(baseline);
      if (!a || !b) continue;
      cpuRatios.push(a.cpuUsPerReq / b.cpuUsPerReq);
      rpsRatios.push(a.reqPerSec / b.reqPerSec);
    }
    summary[v] = {
      cpuUsPerReq: summarise(mine.map((r) => r.cpuUsPerReq)),
      reqPerSec: summarise(mine.map((r) => r.reqPerSec)),
      serverCpuUtil: summarise(mine.map((r) => r.serverCpuUtil)),
      p50Ms: summarise(mine.map((r) => r.latencyMs.p50)),
      p95Ms: summarise(mine.map((r) => r.latencyMs.p95)),
      p99Ms: summarise(mine.map((r) => r.latencyMs.p99)),
      linesPerRequest: summarise(mine.map((r) => r.linesPerRequest)),
      non2xx: mine.reduce((s, r) => s + r.non2xx + r.errors, 0),
      cpuRatioVsBaseline: summarise(cpuRatios),
      reqPerSecRatioVsBaseline: summarise(rpsRatios),
    };
  }
  return { baseline, summary };
}

function packageVersion(name) {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return null;
  }
}

function commandLine() {
  const given = argv.length ? ` ${argv.join(' ')}` : '';
  // Run with another Node binary (e.g. from the npm package `node`): say so.
  let systemNode = null;
  try {
    systemNode = realpathSync(execFileSync('sh', ['-c', 'command -v node'], { encoding: 'utf8' }).trim());
  } catch {
    // no node on PATH
  }
  if (systemNode && realpathSync(process.execPath) !== systemNode) {
    return `${process.execPath} benchmarks/src/run.mjs${given}`;
  }
  return `pnpm --filter @immo/benchmarks bench${given ? ` --${given}` : ''}`;
}

async function main() {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'immo-http-bench-'));
  const runs = [];
  const started = Date.now();
  try {
    for (let round = 0; round < config.rounds; round++) {
      const order = rotate(config.variants, round);
      for (const [position, variant] of order.entries()) {
        const r = await runOne(variant, round, position, tmpDir);
        runs.push(r);
        console.log(
          `round ${round + 1}/${config.rounds} ${variant.padEnd(14)} ${fmt(r.cpuUsPerReq, 1).padStart(7)} µs CPU/req  ${fmt(r.reqPerSec, 0).padStart(6)} req/s  p99 ${fmt(r.latencyMs.p99)} ms  ${fmt(r.linesPerRequest)} lines/req  load ${r.loadavgBefore[0]}  preempted ${r.involuntarySwitches}`,
        );
      }
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }

  const { baseline, summary } = summariseRuns(runs);
  const quick = config.rounds < 9;
  const result = {
    kind: 'http',
    command: commandLine(),
    quick,
    machine: machineFacts(),
    versions: {
      fastify: packageVersion('fastify'),
      pino: packageVersion('pino'),
      autocannon: packageVersion('autocannon'),
      '@immo/logger': packageVersion('@immo/logger'),
    },
    config: { ...config, clkTck: CLK_TCK, pinned, serverCore: SERVER_CORE, clientCore: CLIENT_CORE },
    elapsedSec: (Date.now() - started) / 1000,
    baseline,
    summary,
    runs,
  };

  const date = result.machine.date.slice(0, 10);
  const out = args.out
    ? path.resolve(args.out)
    : path.join(
        here,
        '..',
        'results',
        quick ? 'quick' : '',
        `http-${date}${args.tag ? `-${args.tag}` : ''}.json`,
      );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  console.log(`\n${httpTable(result)}\n`);
  console.log(
    `${runs.length} runs in ${fmt(result.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`,
  );
  if (quick) {
    console.log('fewer than 9 rounds: a quick run, marked "quick" and not used by report.mjs');
  } else if (!args.out) {
    console.log(`regenerated ${path.relative(process.cwd(), generateReport())}`);
  }
}

await main();
