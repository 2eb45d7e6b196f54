// Instructions per request, counted by valgrind's callgrind (perf's hardware
// counters are not available on this VM). Same server, route, log sink and
// pinning as run.mjs; the server runs under callgrind with instrumentation off
// during start-up and warm-up, switched on (callgrind_control -i on, -z) for
// exactly --requests requests, then dumped (-d). Steadier than CPU time, but it
// counts instructions, not cycles: cache misses and syscall cost are invisible.
// Usage: pnpm --filter @immo/benchmarks instructions [--rounds 3] [--warmup 30000]
//          [--requests 5000] [--connections 10] [--variants ...]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  ALL_VARIANTS,
  BASELINE,
  cannon,
  countLines,
  EXTRA_VARIANTS,
  parseVariantList,
  pinSelf,
  startServer,
  stopServer,
} from './harness.mjs';
import { gitState, machineFacts } from './machine.mjs';
import { startSink } from './sink.mjs';
import { fmt, rotate, summarise } from './stats.mjs';
import { instructionsTable } from './tables.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    rounds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '30000' },
    requests: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '10' },
    variants: { type: 'string', default: ALL_VARIANTS.join(',') },
    out: { type: 'string' },
  },
});
const num = (name) => {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name}: expected a positive integer, received "${args[name]}"`);
    process.exit(2);
  }
  return n;
};
const config = {
  rounds: num('rounds'),
  warmupRequests: num('warmup'),
  requests: num('requests'),
  connections: num('connections'),
  variants: parseVariantList(args.variants),
};
for (const v of config.variants) {
  if (!ALL_VARIANTS.includes(v) && !EXTRA_VARIANTS.includes(v)) {
    console.error(`--variants: unknown variant "${v}" (known: ${ALL_VARIANTS.join(', ')})`);
    process.exit(2);
  }
}

try {
  execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
} catch {
  console.error('valgrind is not installed: apt-get install -y valgrind');
  process.exit(2);
}

const pinned = pinSelf();
const control = (flags, pid) =>
  execFileSync('callgrind_control', [...flags, String(pid)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

async function runOne(variant, round, tmpDir, sink) {
  const logFile = path.join(tmpDir, `${variant}-r${round}.log`);
  const cgDir = path.join(tmpDir, `cg-${variant}-r${round}`);
  mkdirSync(cgDir);
  const wrapper = [
    'valgrind',
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${path.join(cgDir, 'cg.%p')}`,
    '-q',
  ];
  const { child, port } = await startServer(variant, logFile, {
    pinned,
    wrapper,
    readyTimeoutMs: 300_000,
    env: sink.env,
  });
  try {
    const warm = await cannon(port, { connections: config.connections, amount: config.warmupRequests });
    control(['-i', 'on'], child.pid);
    control(['-z'], child.pid);
    const measured = await cannon(port, { connections: config.connections, amount: config.requests });
    control(['-d'], child.pid);
    await stopServer(child, 120_000);
    // The dump requested above is the file with suffix .1; the file without a
    // suffix is written at exit and covers shutdown only.
    const dump = readdirSync(cgDir).find((f) => f.endsWith('.1'));
    const text = readFileSync(path.join(cgDir, dump), 'utf8');
    const ir = Number(/^summary:\s*(\d+)/m.exec(text)?.[1]);
    if (!(ir > 0)) throw new Error(`${variant}: callgrind dump ${dump} holds no instruction count`);
    const { lines } = countLines(logFile);
    const served = warm['2xx'] + warm.non2xx + measured['2xx'] + measured.non2xx;
    return {
      variant,
      round,
      requests2xx: measured['2xx'],
      non2xx: measured.non2xx + measured.errors,
      instructions: ir,
      instructionsPerReq: ir / measured['2xx'],
      linesPerRequest: lines / served,
    };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(logFile, { force: true });
    rmSync(cgDir, { recursive: true, force: true });
  }
}

async function main() {
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), 'immo-instr-bench-'));
  const runs = [];
  const started = Date.now();
  // The tracing variants export to it (as in run.mjs); pinned to the client core.
  const sink = await startSink({ mode: 'ok', pinned });
  try {
    for (let round = 0; round < config.rounds; round++) {
      for (const variant of rotate(config.variants, round)) {
        const r = await runOne(variant, round, tmpDir, sink);
        runs.push(r);
        console.log(
          `round ${round + 1}/${config.rounds} ${variant.padEnd(14)} ${fmt(r.instructionsPerReq / 1000, 1)} k instructions/req  ${fmt(r.linesPerRequest)} lines/req`,
        );
      }
    }
  } finally {
    await sink.stop();
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const baseline = config.variants.includes(BASELINE) ? BASELINE : config.variants[0];
  const summary = {};
  for (const v of config.variants) {
    const mine = runs.filter((r) => r.variant === v);
    const ratios = mine.map((r) => {
      const b = runs.find((x) => x.round === r.round && x.variant === baseline);
      return r.instructionsPerReq / b.instructionsPerReq;
    });
    summary[v] = {
      instructionsPerReq: summarise(mine.map((r) => r.instructionsPerReq)),
      ratioVsBaseline: summarise(ratios),
      linesPerRequest: summarise(mine.map((r) => r.linesPerRequest)),
    };
  }
  const given = argv.join(' ');
  const result = {
    kind: 'http-instructions',
    command: `pnpm --filter @immo/benchmarks instructions${given ? ` -- ${given}` : ''}`,
    machine: machineFacts(),
    git: gitState(path.join(here, '..', '..')),
    valgrind: execFileSync('valgrind', ['--version'], { encoding: 'utf8' }).trim(),
    config: { ...config, pinned },
    elapsedSec: (Date.now() - started) / 1000,
    baseline,
    summary,
    runs,
  };
  const out = args.out
    ? path.resolve(args.out)
    : path.join(here, '..', 'results', `instructions-${result.machine.date.slice(0, 10)}.json`);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `\n${instructionsTable(result)}\n\n${runs.length} runs in ${fmt(result.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`,
  );
}

await main();
