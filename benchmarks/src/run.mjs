// HTTP benchmark: server CPU time per request and requests/s of Fastify 5 with
// different logging set-ups, measured as the issue's method prescribes (see
// docs/benchmarks.md). Usage:
//   pnpm --filter @immo/benchmarks bench [--rounds 9] [--duration 5] [--warmup 2]
//     [--connections 10] [--variants fastify-nolog,F_log,immo,immo-noredact]
//     [--cpu-prof-dir DIR] [--out FILE] [--tag NAME (file becomes http-<date>-NAME.json)]
//     [--quiet-cores 0.3] [--quiet-wait 180] [--min-util 0.85] [--retries 3] [--rate REQ_PER_S]
//     [--slow-factor 1.25 (0: no speed check)]
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
  checkSpeed,
  countLines,
  cpuTicksSplit,
  involuntarySwitches,
  knownVariant,
  parseVariantList,
  pinSelf,
  ROUTE_URL,
  SERVER_CORE,
  startServer,
  startSpeedCheck,
  stopServer,
  trackTmpDir,
  waitForQuiet,
} from './harness.mjs';
import { gitState, loadavg, machineFacts } from './machine.mjs';
import { generateReport } from './report.mjs';
import { startSink, statsDelta } from './sink.mjs';
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
    'quiet-cores': { type: 'string', default: '0.3' },
    'quiet-wait': { type: 'string', default: '180' },
    'min-util': { type: 'string', default: '0.85' },
    retries: { type: 'string', default: '3' },
    'slow-factor': { type: 'string', default: '1.25' },
    rate: { type: 'string' },
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
  variants: parseVariantList(args.variants),
  cpuProfDir: args['cpu-prof-dir'] ? path.resolve(args['cpu-prof-dir']) : undefined,
  url: ROUTE_URL,
  // Quiet gate: before each run, wait up to quietWaitSec for the machine to use
  // at most quietCores cores (someone else's work would share ours).
  quietCores: Number(args['quiet-cores']),
  quietWaitSec: Number(args['quiet-wait']),
  // A round counts only if every run in it kept the server at least minUtil busy;
  // otherwise the client was starved, CPU/request is inflated, and the round is
  // run again (at most `retries` times; a round that never passes is kept and flagged).
  minUtil: Number(args['min-util']),
  retries: Number(args.retries),
  // Speed check: a fixed chunk of work is timed on the server core before and after each run; a run
  // whose core was more than slowFactor times slower than the fastest probe of the session ran while
  // the VM had slowed the core down, and is made again (at most `retries` times; 0: no check).
  slowFactor: Number(args['slow-factor']),
  // Fixed-rate mode: offered load in requests/s. The server then runs below
  // saturation in every variant, so CPU/request does not depend on whether a
  // starved client kept it busy; req/s only confirms the rate was delivered.
  rate: args.rate === undefined ? undefined : Number(args.rate),
};
for (const v of config.variants) {
  if (!knownVariant(v)) fail(`--variants: unknown variant "${v}" (known: ${ALL_VARIANTS.join(', ')})`);
}
if (!(config.warmupSec >= 0)) fail('--warmup: expected a number of seconds >= 0');
if (config.rate !== undefined && !(config.rate > 0)) fail('--rate: expected requests/s > 0');
if (!(config.quietCores >= 0)) fail('--quiet-cores: expected a number of cores >= 0');
if (!(config.quietWaitSec >= 0)) fail('--quiet-wait: expected a number of seconds >= 0');
if (!(config.minUtil >= 0 && config.minUtil <= 1)) fail('--min-util: expected a fraction between 0 and 1');
if (!(Number.isInteger(config.retries) && config.retries >= 0)) fail('--retries: expected an integer >= 0');
if (!(config.slowFactor === 0 || config.slowFactor >= 1))
  fail('--slow-factor: expected 0 (no speed check) or a factor >= 1');

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
/** Packages whose uncommitted source changes are flagged next to the results. */
const MEASURED_PACKAGES = [
  'packages/logger',
  'packages/redact',
  'packages/metrics',
  'packages/health',
  'packages/tracing',
];

async function runOne(variant, round, position, tmpDir, sink) {
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
  const sinkBefore = await sink.stats();
  const { child, port } = await startServer(variant, logFile, { pinned, nodeArgs, env: sink.env });
  try {
    let warm = { '2xx': 0, non2xx: 0 };
    if (config.warmupSec > 0)
      warm = await cannon(port, {
        connections: config.connections,
        duration: config.warmupSec,
        rate: config.rate,
      });

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
      rate: config.rate,
    });
    const ticks1 = cpuTicksSplit(child.pid);
    const switches1 = involuntarySwitches(child.pid);
    const wallSec = Number(process.hrtime.bigint() - t0) / 1e9;

    // The server flushes its telemetry on stop: the sink's counts then cover the whole run.
    await stopServer(child);
    const telemetry = statsDelta(await sink.stats(), sinkBefore);
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
      // What reached the telemetry sink over the whole run (warm-up included), per request served.
      telemetry,
      spansPerRequest: served > 0 ? telemetry.traces.spans / served : Number.NaN,
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
      spansPerRequest: summarise(mine.map((r) => r.spansPerRequest)),
      sinkRequestsPerRun: summarise(
        mine.map((r) =>
          r.telemetry ? r.telemetry.traces.requests + r.telemetry.envelopes.requests : Number.NaN,
        ),
      ),
      non2xx: mine.reduce((s, r) => s + r.non2xx + r.errors, 0),
      cpuRatioVsBaseline: summarise(cpuRatios),
      reqPerSecRatioVsBaseline: summarise(rpsRatios),
    };
  }
  return { baseline, summary };
}

function packageVersion(name) {
  try {
    // Not every package exports ./package.json: read it from the workspace's node_modules first.
    return JSON.parse(readFileSync(path.join(here, '..', 'node_modules', name, 'package.json'), 'utf8'))
      .version;
  } catch {
    try {
      return require(`${name}/package.json`).version;
    } catch {
      return null;
    }
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

/**
 * Whether the core ran slowed down before or after this run (see config.slowFactor). A probe that
 * failed (NaN) says nothing, so it does not count as slow.
 */
function slowedDown(r, speed) {
  const limit = speed.best * speed.slowFactor;
  return r.quietGate.probeMs > limit || r.speedAfter.ms > limit;
}

async function main() {
  const tmpDir = trackTmpDir(mkdtempSync(path.join(os.tmpdir(), 'immo-http-bench-')));
  const runs = [];
  const discarded = [];
  const started = Date.now();
  // Stands in for the OTLP collector and Sentry; pinned to the client core, like autocannon.
  const sink = await startSink({ mode: 'ok', pinned });
  const speed = await startSpeedCheck(config.slowFactor, pinned);
  try {
    for (let round = 0; round < config.rounds; round++) {
      const order = rotate(config.variants, round);
      for (let attempt = 0; ; attempt++) {
        const roundRuns = [];
        for (const [position, variant] of order.entries()) {
          // A run around which the core slowed down is made again at once (the others of the round
          // ran at full speed, so the new run pairs with them), at most `retries` times.
          for (let rerun = 0; ; rerun++) {
            const gate = await waitForQuiet({
              maxBusyCores: config.quietCores,
              maxWaitMs: config.quietWaitSec * 1000,
              speed,
            });
            const r = await runOne(variant, round, position, tmpDir, sink);
            Object.assign(r, { attempt, quietGate: gate });
            if (speed) r.speedAfter = await checkSpeed(speed);
            const slowed = speed !== undefined && slowedDown(r, speed);
            console.log(
              `round ${round + 1}/${config.rounds}${attempt ? ` (retry ${attempt})` : ''} ${variant.padEnd(14)} ${fmt(r.cpuUsPerReq, 1).padStart(7)} µs CPU/req  ${fmt(r.reqPerSec, 0).padStart(6)} req/s  server ${fmt(r.serverCpuUtil * 100, 0)} %  p99 ${fmt(r.latencyMs.p99)} ms  ${fmt(r.linesPerRequest)} lines/req  ${fmt(r.spansPerRequest)} spans/req  others ${fmt(gate.busyCores)} cores${gate.waitedMs > 1500 ? ` (waited ${fmt(gate.waitedMs / 1000, 0)} s)` : ''}${speed ? `  core speed ${fmt(speed.best / gate.probeMs)} / ${fmt(speed.best / r.speedAfter.ms)}` : ''}${slowed && rerun < config.retries ? '  core slowed down: again' : ''}`,
            );
            if (!slowed || rerun >= config.retries) {
              roundRuns.push(r);
              break;
            }
            r.slowed = true;
            discarded.push(r);
          }
        }
        // Saturated mode: a run counts if the server was kept busy. Fixed-rate mode:
        // if the offered rate was delivered (a starved client falls short of it).
        const starved = roundRuns.filter((r) =>
          config.rate ? !(r.reqPerSec >= 0.95 * config.rate) : !(r.serverCpuUtil >= config.minUtil),
        );
        for (const r of roundRuns) {
          r.starved = starved.includes(r);
          // Judged against the fastest probe of the round's end, which may have come after the run.
          if (speed) r.slowed = slowedDown(r, speed);
        }
        if (starved.length === 0 || attempt >= config.retries) {
          const valid = starved.length === 0 && !roundRuns.some((r) => r.slowed);
          for (const r of roundRuns) r.roundValid = valid;
          runs.push(...roundRuns);
          break;
        }
        console.log(
          `round ${round + 1}: ${config.rate ? 'offered rate not delivered' : `server below ${config.minUtil * 100} % busy`} in ${starved.map((r) => r.variant).join(', ')} (client starved): running the round again`,
        );
        discarded.push(...roundRuns);
      }
    }
  } finally {
    await sink.stop();
    rmSync(tmpDir, { recursive: true, force: true });
  }

  const { baseline, summary } = summariseRuns(runs);
  const quick = config.rounds < 9;
  const result = {
    kind: 'http',
    command: commandLine(),
    quick,
    machine: machineFacts(),
    git: gitState(path.join(here, '..', '..'), MEASURED_PACKAGES),
    versions: {
      fastify: packageVersion('fastify'),
      pino: packageVersion('pino'),
      autocannon: packageVersion('autocannon'),
      '@immo/logger': packageVersion('@immo/logger'),
      '@opentelemetry/sdk-node': packageVersion('@opentelemetry/sdk-node'),
      '@opentelemetry/instrumentation-http': packageVersion('@opentelemetry/instrumentation-http'),
      '@opentelemetry/exporter-trace-otlp-proto': packageVersion('@opentelemetry/exporter-trace-otlp-proto'),
      '@fastify/otel': packageVersion('@fastify/otel'),
      '@sentry/node': packageVersion('@sentry/node'),
      'fastify-metrics': packageVersion('fastify-metrics'),
    },
    config: { ...config, clkTck: CLK_TCK, pinned, serverCore: SERVER_CORE, clientCore: CLIENT_CORE },
    elapsedSec: (Date.now() - started) / 1000,
    baseline,
    summary,
    roundsRepeated: new Set(discarded.filter((r) => !r.slowed).map((r) => r.round)).size,
    runsRepeatedSlowed: discarded.filter((r) => r.slowed).length,
    runsDiscarded: discarded.length,
    // Rounds kept (retries used up) with a starved client, and with a run on a slowed-down core.
    roundsNotSaturated: new Set(runs.filter((r) => r.starved).map((r) => r.round)).size,
    roundsSlowed: new Set(runs.filter((r) => r.slowed).map((r) => r.round)).size,
    speedBestMs: speed?.best,
    runs,
    discarded,
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
  } else if (args.out || args.tag) {
    // A side run (another Node binary, a diagnostic): the report is judged on the machine's own Node,
    // and a report generated by this process would take its Node for the machine's.
    console.log(
      'a tagged or --out run: regenerate docs/benchmarks.md with `pnpm --filter @immo/benchmarks report`',
    );
  } else {
    console.log(`regenerated ${path.relative(process.cwd(), generateReport())}`);
  }
}

await main();
