// HTTP benchmark: server CPU time per request and requests/s of Fastify 5 with
// different logging set-ups, measured as the issue's method prescribes (see
// docs/benchmarks.md). Usage:
//   pnpm --filter @immo/benchmarks bench [--rounds 9] [--duration 5] [--warmup 2]
//     [--connections 10] [--variants fastify-nolog,F_log,immo,immo-noredact]
//     [--cpu-prof-dir DIR] [--out FILE]
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import hdr from 'hdr-histogram-js';
import { loadavg, machineFacts } from './machine.mjs';
import { fmt, rotate, summarise } from './stats.mjs';
import { httpTable } from './tables.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const ALL_VARIANTS = ['fastify-nolog', 'F_log', 'immo', 'immo-noredact'];
const BASELINE = 'F_log';
const SERVER_CORE = '0';
const CLIENT_CORE = '1';

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
  url: '/api/orgs/org_8f3a2c',
};
for (const v of config.variants) {
  if (!ALL_VARIANTS.includes(v))
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

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

// The client (autocannon, in this process) and the server must not share a core;
// -a pins every thread of this process, including ones libuv starts later.
const pinned = pinSelf();
function pinSelf() {
  if (os.cpus().length < 2) {
    console.warn('fewer than 2 cores: client and server are not pinned apart');
    return false;
  }
  try {
    execFileSync('taskset', ['-a', '-p', '-c', CLIENT_CORE, String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    console.warn('taskset not available: client and server are not pinned (install util-linux)');
    return false;
  }
}

/** utime + stime of every thread of a process, in clock ticks (/proc/<pid>/stat fields 14, 15). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

let current = null;
function killCurrent() {
  if (current && current.exitCode === null && current.signalCode === null) current.kill('SIGKILL');
}
process.on('exit', killCurrent);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killCurrent();
    process.exit(130);
  });
}

function startServer(variant, logFile) {
  const nodeArgs = [];
  if (config.cpuProfDir) {
    mkdirSync(config.cpuProfDir, { recursive: true });
    nodeArgs.push(
      '--cpu-prof',
      `--cpu-prof-dir=${config.cpuProfDir}`,
      `--cpu-prof-name=${variant}-${Date.now()}.cpuprofile`,
    );
  }
  const cmd = pinned ? 'taskset' : process.execPath;
  const cmdArgs = [...nodeArgs, path.join(here, 'server.mjs'), variant, logFile];
  // taskset execs node in place, so the child's pid is the server's pid.
  const child = spawn(cmd, pinned ? ['-c', SERVER_CORE, process.execPath, ...cmdArgs] : cmdArgs, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  current = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${variant}: server did not report ready within 20 s`));
    }, 20_000);
    child.once('message', (msg) => {
      clearTimeout(timer);
      if (msg?.type === 'ready') resolve({ child, port: msg.port });
      else reject(new Error(`${variant}: unexpected message ${JSON.stringify(msg)}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${variant}: server exited early (code ${code}, signal ${signal})`));
    });
  });
}

function stopServer(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' });
  });
}

function cannon(port, durationSec, histogram) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${config.url}`,
        connections: config.connections,
        duration: durationSec,
        pipelining: 1,
      },
      (err, result) => (err ? reject(err) : resolve(result)),
    );
    if (histogram) {
      instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
        if (statusCode >= 200 && statusCode < 300)
          histogram.recordValue(Math.max(1, Math.round(responseTimeMs * 1000)));
      });
    }
  });
}

function countLines(file) {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    return { lines: 0, firstLine: null };
  }
  if (size === 0) return { lines: 0, firstLine: null };
  const text = readFileSync(file, 'utf8');
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines++;
  return {
    lines,
    firstLine: text.slice(0, text.indexOf('\n')),
    lastLine: text.slice(text.lastIndexOf('\n', text.length - 2) + 1).trim(),
  };
}

async function runOne(variant, round, position, tmpDir) {
  const logFile = path.join(tmpDir, `${variant}-r${round}.log`);
  const { child, port } = await startServer(variant, logFile);
  try {
    let warm = { '2xx': 0, non2xx: 0 };
    if (config.warmupSec > 0) warm = await cannon(port, config.warmupSec, null);

    const histogram = hdr.build({
      lowestDiscernibleValue: 1,
      highestTrackableValue: 60_000_000,
      numberOfSignificantValueDigits: 3,
    });
    const load = loadavg();
    const t0 = process.hrtime.bigint();
    const ticks0 = cpuTicks(child.pid);
    const result = await cannon(port, config.durationSec, histogram);
    const ticks1 = cpuTicks(child.pid);
    const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;

    await stopServer(child);
    const { lines, lastLine } = countLines(logFile);
    const served = warm['2xx'] + warm.non2xx + result['2xx'] + result.non2xx;
    const ok = result['2xx'];
    const ticks = ticks1 - ticks0;
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
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    current = null;
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
  const given = argv;
  return `pnpm --filter @immo/benchmarks bench${given.length ? ` -- ${given.join(' ')}` : ''}`;
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
          `round ${round + 1}/${config.rounds} ${variant.padEnd(14)} ${fmt(r.cpuUsPerReq, 1).padStart(7)} µs CPU/req  ${fmt(r.reqPerSec, 0).padStart(6)} req/s  p99 ${fmt(r.latencyMs.p99)} ms  ${fmt(r.linesPerRequest)} lines/req  load ${r.loadavgBefore[0]}`,
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
    : path.join(here, '..', 'results', quick ? 'quick' : '', `http-${date}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

  console.log(`\n${httpTable(result)}\n`);
  console.log(
    `${runs.length} runs in ${fmt(result.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`,
  );
  if (quick)
    console.log('fewer than 9 rounds: a quick run, written under results/quick/ and not used by report.mjs');
}

await main();
