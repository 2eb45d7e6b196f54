// Resilience of the tracing pipeline: the `immo-trace` variant (100 % sampling, Sentry errors-only)
// under a fixed offered load while the telemetry sink is healthy (ok), not listening (down),
// answering 500 (fail) or answering only after 15 s, longer than the exporter's 10 s timeout (slow).
// Per mode, a fresh server and sink: autocannon at a fixed rate for --duration seconds; failed
// requests (non-2xx + errors + timeouts), p50/p99 latency of the 2xx (HDR histogram) and the p99
// ratio to mode ok; the server's VmRSS every 5 s (first, last, max, and the least-squares slope in
// MB/min over the second half of the window); warning lines and 'span export' lines in the server's
// log and stderr; the export pipeline's counters (getTracing().stats(), from GET /__stats). Usage:
//   pnpm --filter @immo/benchmarks resilience [--duration 120] [--modes ok,down,fail,slow]
//     [--rate 2000] [--connections 10] [--slow-ms 15000] [--variant immo-trace] [--out FILE]
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import hdr from 'hdr-histogram-js';
import {
  ALL_VARIANTS,
  CLIENT_CORE,
  cannon,
  EXTRA_VARIANTS,
  pinSelf,
  SERVER_CORE,
  startServer,
  stopServer,
  trackTmpDir,
} from './harness.mjs';
import { gitState, machineFacts } from './machine.mjs';
import { SINK_MODES, startSink } from './sink.mjs';
import { fmt } from './stats.mjs';
import { resilienceTable } from './tables.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values: args } = parseArgs({
  args: argv,
  options: {
    duration: { type: 'string', default: '120' },
    modes: { type: 'string', default: 'ok,down,fail,slow' },
    rate: { type: 'string', default: '2000' },
    connections: { type: 'string', default: '10' },
    'slow-ms': { type: 'string', default: '15000' },
    'sample-ms': { type: 'string', default: '5000' },
    variant: { type: 'string', default: 'immo-trace' },
    out: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(
    readFileSync(fileURLToPath(import.meta.url), 'utf8')
      .split('\n')
      .slice(0, 10)
      .join('\n'),
  );
  process.exit(0);
}
const fail = (msg) => {
  console.error(msg);
  process.exit(2);
};
const config = {
  durationSec: Number(args.duration),
  modes: args.modes
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean),
  rate: Number(args.rate),
  connections: Number(args.connections),
  slowMs: Number(args['slow-ms']),
  sampleMs: Number(args['sample-ms']),
  variant: args.variant,
};
if (!(config.durationSec > 0)) fail('--duration: expected seconds > 0');
if (!(config.rate > 0)) fail('--rate: expected requests/s > 0');
if (!(Number.isInteger(config.connections) && config.connections >= 1))
  fail('--connections: expected an integer >= 1');
if (!(config.slowMs > 0 && config.sampleMs > 0)) fail('--slow-ms/--sample-ms: expected milliseconds > 0');
for (const m of config.modes)
  if (!SINK_MODES.includes(m)) fail(`--modes: unknown mode "${m}" (known: ${SINK_MODES.join(', ')})`);
if (!ALL_VARIANTS.includes(config.variant) && !EXTRA_VARIANTS.includes(config.variant))
  fail(`--variant: unknown variant "${config.variant}"`);

const pinned = pinSelf();

function rssMB(pid) {
  try {
    const m = /^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Least-squares slope of (tSec, mb) points, in MB per minute. */
function slopePerMin(points) {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, p) => s + p.tSec, 0) / n;
  const my = points.reduce((s, p) => s + p.mb, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.tSec - mx) * (p.mb - my);
    den += (p.tSec - mx) ** 2;
  }
  return den > 0 ? (num / den) * 60 : Number.NaN;
}

function getJson(port, urlPath) {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: urlPath, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(body));
        } catch {
          resolve(null);
        }
      });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/**
 * Warning lines (pino level >= 40 in the JSON log; '@immo/tracing' or 'warn' lines on stderr) and
 * lines that mention 'span export', with a few samples.
 */
function countLogLines(logFile, stderrFile) {
  const read = (f) => {
    try {
      return readFileSync(f, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  const log = read(logFile);
  const err = read(stderrFile);
  const isWarnJson = (line) => {
    try {
      const o = JSON.parse(line);
      return typeof o.level === 'number' ? o.level >= 40 : /^(warn|error|fatal)$/i.test(String(o.level));
    } catch {
      return false;
    }
  };
  const warnings = [...log.filter(isWarnJson), ...err.filter((l) => /@immo\/tracing|warn/i.test(l))];
  const spanExport = [...log, ...err].filter((l) => /span export/i.test(l));
  return {
    warningLines: warnings.length,
    spanExportLines: spanExport.length,
    immoTracingStderrLines: err.filter((l) => l.includes('@immo/tracing')).length,
    stderrLines: err.length,
    logLines: log.length,
    samples: [...new Set([...warnings, ...spanExport])].slice(0, 5).map((l) => l.slice(0, 500)),
  };
}

async function runMode(mode, tmpDir) {
  const logFile = path.join(tmpDir, `${mode}.log`);
  const stderrFile = path.join(tmpDir, `${mode}.stderr`);
  const sink = await startSink({ mode, delayMs: config.slowMs, pinned });
  const stderrFd = openSync(stderrFile, 'w');
  let child;
  try {
    const started = await startServer(config.variant, logFile, {
      pinned,
      env: { ...sink.env, BENCH_STATS: '1' },
      stderrFd,
    });
    child = started.child;
    return await measure(mode, sink, child, started.port, logFile, stderrFile);
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    closeSync(stderrFd);
    await sink.stop();
    rmSync(logFile, { force: true });
    rmSync(stderrFile, { force: true });
  }
}

async function measure(mode, sink, child, port, logFile, stderrFile) {
  const histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 60_000_000,
    numberOfSignificantValueDigits: 3,
  });
  const t0 = performance.now();
  const samples = [{ tSec: 0, mb: rssMB(child.pid) }];
  const timer = setInterval(() => {
    samples.push({ tSec: (performance.now() - t0) / 1000, mb: rssMB(child.pid) });
  }, config.sampleMs);
  let result;
  try {
    result = await cannon(port, {
      connections: config.connections,
      duration: config.durationSec,
      rate: config.rate,
      histogram,
    });
  } finally {
    clearInterval(timer);
  }
  const wallSec = (performance.now() - t0) / 1000;
  samples.push({ tSec: wallSec, mb: rssMB(child.pid) });
  const stats = await getJson(port, '/__stats');
  const sinkStats = await sink.stats();
  await stopServer(child);
  const secondHalf = samples.filter((s) => s.tSec >= wallSec / 2 && Number.isFinite(s.mb));
  const mbs = samples.map((s) => s.mb).filter(Number.isFinite);
  return {
    mode,
    sinkPort: sink.port,
    wallSec,
    requests2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    failedRequests: result.non2xx + result.errors + result.timeouts,
    reqPerSec: result['2xx'] / wallSec,
    latencyMs: {
      p50: histogram.getValueAtPercentile(50) / 1000,
      p99: histogram.getValueAtPercentile(99) / 1000,
      max: histogram.maxValue / 1000,
    },
    rss: {
      firstMB: mbs[0],
      lastMB: mbs.at(-1),
      maxMB: Math.max(...mbs),
      slopeSecondHalfMBPerMin: slopePerMin(secondHalf),
      samples: samples.map((s) => ({ tSec: Math.round(s.tSec * 10) / 10, mb: Math.round(s.mb * 10) / 10 })),
    },
    // Read just before stop (the stop flush adds to the sink's counts, not to these).
    tracingStats: stats?.tracing ?? null,
    heapUsedMB: stats?.memory ? stats.memory.heapUsed / 2 ** 20 : null,
    // Read after the load, before stop; the server's stop flush is not included.
    sink: sinkStats,
    ...countLogLines(logFile, stderrFile),
  };
}

async function main() {
  const tmpDir = trackTmpDir(mkdtempSync(path.join(os.tmpdir(), 'immo-resilience-bench-')));
  const modes = [];
  const started = Date.now();
  try {
    for (const mode of config.modes) {
      const r = await runMode(mode, tmpDir);
      modes.push(r);
      console.log(
        `${mode.padEnd(5)} ${fmt(r.reqPerSec, 0)} req/s  failed ${r.failedRequests}  p50 ${fmt(r.latencyMs.p50)} ms  p99 ${fmt(r.latencyMs.p99)} ms  RSS ${fmt(r.rss.firstMB, 1)}→${fmt(r.rss.lastMB, 1)} MB (max ${fmt(r.rss.maxMB, 1)}, ${fmt(r.rss.slopeSecondHalfMBPerMin)} MB/min 2nd half)  warnings ${r.warningLines}  'span export' ${r.spanExportLines}  stats ${JSON.stringify(r.tracingStats)}`,
      );
    }
  } finally {
    rmSync(tmpDir, { recursive: true, force: true });
  }
  const ok = modes.find((m) => m.mode === 'ok');
  for (const m of modes) m.p99RatioVsOk = ok ? m.latencyMs.p99 / ok.latencyMs.p99 : Number.NaN;
  const given = argv.join(' ');
  const result = {
    kind: 'resilience',
    command: `pnpm --filter @immo/benchmarks resilience${given ? ` -- ${given}` : ''}`,
    quick: config.durationSec < 120,
    machine: machineFacts(),
    git: gitState(path.join(here, '..', '..'), ['packages/tracing', 'packages/logger', 'packages/health']),
    config: { ...config, pinned, serverCore: SERVER_CORE, clientCore: CLIENT_CORE },
    elapsedSec: (Date.now() - started) / 1000,
    modes,
  };
  const out = args.out
    ? path.resolve(args.out)
    : path.join(
        here,
        '..',
        'results',
        result.quick ? 'quick' : '',
        `resilience-${result.machine.date.slice(0, 10)}.json`,
      );
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\n${resilienceTable(result)}\n`);
  console.log(
    `${modes.length} modes in ${fmt(result.elapsedSec, 0)} s; results in ${path.relative(process.cwd(), out)}`,
  );
  if (result.quick)
    console.log('shorter than 120 s per mode: a quick run, marked "quick" and not used by report.mjs');
}

await main();
