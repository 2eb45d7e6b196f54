// Process plumbing shared by run.mjs (CPU time) and instructions.mjs (callgrind):
// pinning, fresh server children, load generation, log-file checks.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ALL_VARIANTS = [
  'fastify-nolog',
  'F_log',
  'immo',
  'immo-noredact',
  'immo-full',
  'F_log-fm',
  'F_log-fm-up',
  // The tracing issue: our full stack with tracing + Sentry errors, and what teams assemble today.
  'immo-trace',
  'immo-trace10',
  'otel',
  'otel10',
  'sentry',
  'assembly',
];
/**
 * Variants for diagnosis only: accepted by --variants, not run by default. `assembly-naive` is the
 * assembly with Sentry's Fastify integration left in: it is expected to crash at start-up with
 * FST_ERR_DEC_ALREADY_PRESENT (Sentry and @fastify/otel both decorate request.opentelemetry).
 */
export const EXTRA_VARIANTS = [
  'F_log-als',
  'F_log-als-emit',
  'assembly-naive',
  'immo-trace-ns',
  'immo-trace10-ns',
  'immo-trace0',
  'immo-trace0-ns',
  // immo-full split into its parts: logger + metrics (runtime metrics on), logger + health (load
  // shedding on), and immo-full without runtime metrics or without pressure sampling.
  'immo-metrics',
  'immo-health',
  'immo-full-nort',
  'immo-full-nopress',
  // immo-trace with @sentry/node loaded in initSentry() instead of at the first event (IMMO_SENTRY_LOAD=eager).
  'immo-trace-eager',
];
/**
 * Diagnosis variants: `<variant>~KEY=VALUE[,KEY=VALUE]` runs `<variant>` with those environment
 * variables (e.g. `immo-trace10~OTEL_BSP_MAX_EXPORT_BATCH_SIZE=64`), so that settings can be paired
 * within one run. Returns the base variant and the environment; `env` is empty for plain names.
 */
export function splitVariant(name) {
  const i = name.indexOf('~');
  if (i === -1) return { base: name, env: {} };
  const env = {};
  for (const kv of name.slice(i + 1).split(',')) {
    const eq = kv.indexOf('=');
    if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return { base: name.slice(0, i), env };
}
/**
 * Splits a `--variants` list. A diagnosis variant's settings are comma-separated too, so a piece
 * with `=` and no `~` continues the variant before it:
 * `F_log,immo~A=1,B=2` -> `F_log`, `immo~A=1,B=2`.
 */
export function parseVariantList(list) {
  const out = [];
  for (const raw of list.split(',')) {
    const piece = raw.trim();
    if (!piece) continue;
    if (piece.includes('=') && !piece.includes('~') && out.length > 0 && out.at(-1).includes('~')) {
      out[out.length - 1] += `,${piece}`;
    } else {
      out.push(piece);
    }
  }
  return out;
}
/** Whether `name` (a variant, or a diagnosis variant with ~settings) is one run.mjs knows. */
export const knownVariant = (name) => {
  const { base } = splitVariant(name);
  return ALL_VARIANTS.includes(base) || EXTRA_VARIANTS.includes(base);
};
export const BASELINE = 'F_log';
/** The assembly the tracing issue compares our stack with (run side by side). */
export const ASSEMBLY = 'assembly';

const preload = (file) => ['--import', pathToFileURL(path.join(here, file)).href];
/**
 * What a variant needs outside server.mjs: node flags (preloads that must run before Fastify and
 * node:http are imported) and environment. Every variant also gets the telemetry sink's
 * OTEL_EXPORTER_OTLP_ENDPOINT and SENTRY_DSN from the caller (variants without telemetry ignore them).
 */
export const VARIANT_SETUP = {
  otel: { nodeArgs: preload('preload-otel.mjs'), env: { BENCH_OTEL_RATIO: '1' } },
  otel10: { nodeArgs: preload('preload-otel.mjs'), env: { BENCH_OTEL_RATIO: '0.1' } },
  sentry: { nodeArgs: preload('preload-sentry.mjs'), env: {} },
  assembly: {
    nodeArgs: [...preload('preload-sentry.mjs'), ...preload('preload-otel.mjs')],
    env: { BENCH_OTEL_RATIO: '1', BENCH_SENTRY_FASTIFY: 'off' },
  },
  'immo-trace-eager': { nodeArgs: [], env: { IMMO_SENTRY_LOAD: 'eager' } },
  'assembly-naive': {
    nodeArgs: [...preload('preload-sentry.mjs'), ...preload('preload-otel.mjs')],
    env: { BENCH_OTEL_RATIO: '1' },
  },
};
export const SERVER_CORE = '0';
export const CLIENT_CORE = '1';
export const ROUTE_URL = '/api/orgs/org_8f3a2c';
/** Variants with @immo/health's probe routes are ready when it says so; the others when the route answers. */
const WITH_HEALTH = new Set([
  'immo-full',
  'immo-trace-eager',
  'immo-health',
  'immo-full-nort',
  'immo-full-nopress',
  'immo-trace',
  'immo-trace10',
  'immo-trace-ns',
  'immo-trace10-ns',
  'immo-trace0',
  'immo-trace0-ns',
]);
export const readyPath = (variant) =>
  WITH_HEALTH.has(splitVariant(variant).base) ? '/health/ready' : ROUTE_URL;

/**
 * Pins every thread of this process (including ones libuv starts later) to the
 * client core, so autocannon and the server never share a core.
 */
export function pinSelf() {
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

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** utime + stime of every thread of a process, in clock ticks (/proc/<pid>/stat fields 14, 15). */
export function cpuTicks(pid) {
  const { user, system } = cpuTicksSplit(pid);
  return user + system;
}

/** utime and stime of a process (all threads), in clock ticks. */
export function cpuTicksSplit(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/**
 * Involuntary context switches of a process's main thread: how often something
 * else took its core. A contention indicator, stored next to each run.
 */
export function involuntarySwitches(pid) {
  try {
    const m = /nonvoluntary_ctxt_switches:\s*(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** How many cores' worth of CPU the whole machine used over `ms` (from /proc/stat). */
export async function machineBusyCores(ms = 1000) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return { idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const b = read();
  const total = b.total - a.total;
  return total > 0 ? (1 - (b.idle - a.idle) / total) * os.cpus().length : 0;
}

const SPEED_PROBE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'speed-probe.mjs');

/**
 * CPU milliseconds of speed-probe.mjs's fixed chunk of work on the server core: how fast that core is
 * right now. On this VM it sometimes runs at about half speed for seconds to minutes (the hypervisor's
 * doing: no process of ours or anyone's is busy and /proc/stat shows no steal), and a run made then,
 * paired with one made at full speed, gives a ratio that says nothing about the variants.
 */
export function speedProbe(pinned) {
  const cmd = pinned
    ? ['taskset', '-c', SERVER_CORE, process.execPath, SPEED_PROBE]
    : [process.execPath, SPEED_PROBE];
  return new Promise((resolve) => {
    execFile(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 30_000 }, (err, stdout) => {
      const ms = Number(String(stdout).trim());
      resolve(err || !(ms > 0) ? Number.NaN : ms);
    });
  });
}

/**
 * The speed check's state: the fastest probe seen so far (the machine's full speed, seeded with three
 * probes) and how much slower a probe may be before the core counts as slowed down. `undefined` when
 * `slowFactor` is 0 (no speed check).
 */
export async function startSpeedCheck(slowFactor, pinned) {
  if (!(slowFactor > 0)) return undefined;
  const speed = { best: Number.POSITIVE_INFINITY, slowFactor, pinned };
  for (let i = 0; i < 3; i++) await checkSpeed(speed);
  return speed;
}

/** Probes once, updates the tracker, and tells whether the core runs at full speed. */
export async function checkSpeed(speed) {
  const ms = await speedProbe(speed.pinned);
  if (ms < speed.best) speed.best = ms;
  return { ms, fast: !(ms > speed.best * speed.slowFactor) };
}

/**
 * Waits (at most `maxWaitMs`) until the machine is quiet: between runs none of
 * our processes work, so what is busy is someone else, who would share the cores;
 * and, with a `speed` tracker, until the server core runs at full speed again.
 */
export async function waitForQuiet({ maxBusyCores, maxWaitMs, speed }) {
  const t0 = Date.now();
  for (;;) {
    const busy = await machineBusyCores(1000);
    const probe = speed ? await checkSpeed(speed) : undefined;
    const waitedMs = Date.now() - t0;
    const quiet = busy <= maxBusyCores;
    const fast = probe === undefined || probe.fast;
    if ((quiet && fast) || waitedMs >= maxWaitMs) {
      return {
        busyCores: busy,
        waitedMs,
        quiet,
        ...(probe ? { probeMs: probe.ms, fast, probeBestMs: speed.best } : {}),
      };
    }
  }
}

const live = new Set();
const tmpDirs = new Set();
/** Temp folders removed on exit, including exit by signal. */
export function trackTmpDir(dir) {
  tmpDirs.add(dir);
  return dir;
}
function killAll() {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const dir of tmpDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Spawns server.mjs for one variant in a fresh child process, pinned to the server core, and
 * returns the child at once (startup.mjs times from here). `wrapper` (e.g. valgrind and its flags)
 * goes between taskset and node; the variant's own node flags (VARIANT_SETUP) after `nodeArgs`.
 * `env` is added to the child's environment; `stderrFd` (an open file descriptor) takes its stderr.
 */
export function spawnServer(
  variant,
  logFile,
  { pinned, nodeArgs = [], wrapper = [], env = {}, stderrFd } = {},
) {
  const { base, env: diagEnv } = splitVariant(variant);
  const setup = VARIANT_SETUP[base] ?? { nodeArgs: [], env: {} };
  const nodeCmd = [
    ...wrapper,
    process.execPath,
    ...nodeArgs,
    ...setup.nodeArgs,
    path.join(here, 'server.mjs'),
    variant,
    logFile,
  ];
  // taskset and valgrind both run the program in place: the child's pid is the server's pid.
  const [cmd, ...args] = pinned ? ['taskset', '-c', SERVER_CORE, ...nodeCmd] : nodeCmd;
  const child = spawn(cmd, args, {
    stdio: ['ignore', 'inherit', stderrFd ?? 'inherit', 'ipc'],
    env: { ...process.env, NODE_ENV: 'production', ...env, ...setup.env, ...diagEnv },
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * Starts server.mjs for one variant (see spawnServer) and resolves once it reported its port.
 */
export function startServer(variant, logFile, { readyTimeoutMs = 20_000, ...options } = {}) {
  const child = spawnServer(variant, logFile, options);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${variant}: server did not report ready within ${readyTimeoutMs / 1000} s`));
    }, readyTimeoutMs);
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

/** Asks the server to close and flush its log; SIGKILL if it has not exited in time. */
export function stopServer(child, timeoutMs = 15_000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' });
  });
}

/**
 * One autocannon run: for `duration` seconds or exactly `amount` requests, as fast as
 * possible or at `rate` requests/s; 2xx latencies go to `histogram`.
 */
export function cannon(port, { connections, duration, amount, histogram, rate }) {
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${ROUTE_URL}`,
        connections,
        pipelining: 1,
        ...(amount ? { amount } : { duration }),
        // Fixed offered load (requests/s over all connections) instead of as fast as possible.
        ...(rate ? { overallRate: rate } : {}),
        timeout: amount ? 120 : 10,
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

/** Number of lines in a log file and its last line (for the sanity column). */
export function countLines(file) {
  let size = 0;
  try {
    size = statSync(file).size;
  } catch {
    return { lines: 0, lastLine: null };
  }
  if (size === 0) return { lines: 0, lastLine: null };
  // Bytes, not a string: a slice of a decoded string keeps the whole string alive, and the last line
  // is kept in the results of every run (an 11-round run once held every log file, 4 GB, and died).
  const bytes = readFileSync(file);
  let lines = 0;
  for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++;
  const start = bytes.lastIndexOf(10, bytes.length - 2) + 1;
  return { lines, lastLine: bytes.toString('utf8', start).trim() };
}
