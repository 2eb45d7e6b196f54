// Probe latency under a hanging dependency: autocannon against a server (a child process) whose one
// readiness check never settles. Compares /health/ready and /health with a plain Fastify route in
// the same round (paired ratios, rotated order). Usage (after `npx tsup`):
//   pnpm --filter @immo/health bench [--rounds 9] [--duration 5] [--connections 10] [--rate 1000] [--quick]
// --rate is the offered load in requests/s over all connections (0 = as fast as possible). The
// default is a fixed, moderate rate: probe latency is about answering without waiting on the
// dependency, not about queueing in a saturated server (which a saturated run measures instead).
// Writes bench/results.json (bench/results.quick.json with --quick) and prints a markdown table.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fmt, fmtRatio, median, quantile, rotate, summarise } from '../../../benchmarks/src/stats.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const TARGETS = { plain: '/plain', liveness: '/health', readiness: '/health/ready' };
const BASELINE = 'plain';
const TARGET_P99_MS = 5;

const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string' },
    duration: { type: 'string' },
    connections: { type: 'string', default: '10' },
    rate: { type: 'string', default: '1000' },
    quick: { type: 'boolean', default: false },
  },
});
const config = {
  quick: args.quick,
  rounds: positive('rounds', args.rounds ?? (args.quick ? '2' : '9')),
  durationSec: positive('duration', args.duration ?? (args.quick ? '1' : '5')),
  connections: positive('connections', args.connections),
  rate: args.rate === '0' ? 0 : positive('rate', args.rate),
};
function positive(name, raw) {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name}: expected a positive integer, received "${raw}"`);
    process.exit(2);
  }
  return n;
}

function canPin() {
  if (os.cpus().length < 2) return false;
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const pinned = canPin();
// client on core 1, server on core 0: they do not compete for one core
if (pinned) execFileSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

function startServer() {
  const node = [process.execPath, path.join(here, 'server.mjs')];
  const [cmd, ...rest] = pinned ? ['taskset', '-c', '0', ...node] : node;
  const child = spawn(cmd, rest, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.on('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('bench server did not start (run `npx tsup` first?)')),
      15_000,
    );
    child.once('message', (msg) => {
      clearTimeout(timer);
      resolve({ child, port: msg.port });
    });
    child.once('exit', (code) =>
      reject(new Error(`bench server exited with ${code} (run \`npx tsup\` first?)`)),
    );
  });
}

function run(port, urlPath, durationSec) {
  const samples = [];
  const statuses = {};
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${urlPath}`,
        connections: config.connections,
        pipelining: 1,
        duration: durationSec,
        timeout: 10,
        ...(config.rate > 0 ? { overallRate: config.rate } : {}),
      },
      (err, result) => {
        if (err) return reject(err);
        resolve({
          requests: result.requests.total,
          rps: result.requests.average,
          errors: result.errors + result.timeouts,
          statuses,
          p50: quantile(samples, 0.5),
          p99: quantile(samples, 0.99),
          max: samples.length ? Math.max(...samples) : Number.NaN,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      samples.push(responseTimeMs);
      statuses[statusCode] = (statuses[statusCode] ?? 0) + 1;
    });
  });
}

const { child, port } = await startServer();
// let the hanging check time out once, so readiness answers its steady state (503 from cache)
await new Promise((r) => setTimeout(r, 1500));
const names = Object.keys(TARGETS);
for (const name of names) await run(port, TARGETS[name], 1); // warm-up

const rounds = [];
for (let i = 0; i < config.rounds; i++) {
  const round = {};
  for (const name of rotate(names, i)) round[name] = await run(port, TARGETS[name], config.durationSec);
  rounds.push(round);
  const r = round;
  console.error(
    `round ${i + 1}/${config.rounds}: p99 ms plain ${fmt(r.plain.p99)}, liveness ${fmt(r.liveness.p99)}, readiness ${fmt(r.readiness.p99)}`,
  );
}
await new Promise((resolve) => {
  child.once('exit', resolve);
  child.send({ type: 'stop' });
});

const summary = {};
for (const name of names) {
  summary[name] = {
    p50Ms: summarise(rounds.map((r) => r[name].p50)),
    p99Ms: summarise(rounds.map((r) => r[name].p99)),
    rps: summarise(rounds.map((r) => r[name].rps)),
    p99RatioVsPlain: summarise(rounds.map((r) => r[name].p99 / r[BASELINE].p99)),
    p50RatioVsPlain: summarise(rounds.map((r) => r[name].p50 / r[BASELINE].p50)),
    statuses: rounds.map((r) => r[name].statuses),
    errors: rounds.reduce((n, r) => n + r[name].errors, 0),
  };
}
const readinessP99 = median(rounds.map((r) => r.readiness.p99));
const result = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg(), pinned },
  config,
  scenario: 'one readiness check that never settles (timeout 1000 ms, interval 1000 ms)',
  targetP99Ms: TARGET_P99_MS,
  readinessP99Ms: readinessP99,
  meetsTarget: readinessP99 < TARGET_P99_MS,
  summary,
  rounds,
};
const out = path.join(here, config.quick ? 'results.quick.json' : 'results.json');
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);

console.log(
  `\n### @immo/health probe latency (${config.rounds} rounds × ${config.durationSec} s, ${config.connections} connections, ${config.rate > 0 ? `${config.rate} req/s` : 'saturated'})\n`,
);
console.log(
  '| route | p50 ms (median) | p99 ms (median) | req/s (median) | p99 vs plain | statuses (round 1) |',
);
console.log('| --- | --- | --- | --- | --- | --- |');
for (const name of names) {
  const s = summary[name];
  console.log(
    `| ${name} \`${TARGETS[name]}\` | ${fmt(s.p50Ms.median)} | ${fmt(s.p99Ms.median)} | ${fmt(s.rps.median, 0)} | ${name === BASELINE ? '1.00x' : fmtRatio(s.p99RatioVsPlain)} | ${JSON.stringify(s.statuses[0])} |`,
  );
}
console.log(
  `\nreadiness p99 ${fmt(readinessP99)} ms with a hanging check: ${result.meetsTarget ? 'meets' : 'MISSES'} the ${TARGET_P99_MS} ms target. Written to ${path.relative(process.cwd(), out)}`,
);
