// Telemetry sink for the tracing variants: a tiny node:http server that stands in for an OTLP
// collector (POST /v1/traces -> 200, application/x-protobuf, empty body) and Sentry's ingest
// (POST /api/<project>/envelope/ -> 200 `{}`). It drains every body and counts requests, bytes,
// spans (walking the OTLP protobuf just deep enough) and Sentry events.
//
// Used as a module: `startSink({ mode, delayMs, pinned })` runs it in a child process pinned to the
// client core (like autocannon), so its work never lands on the server's core. Modes:
//   ok    answer 200 at once
//   fail  answer 500 at once
//   slow  answer 200 after `delayMs` (longer than the exporter's timeout: every export times out)
//   down  nothing listens: a port that was free a moment ago (connections are refused)
// Run directly (the child): node sink.mjs <mode> <delayMs>
import { execFileSync, spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';

export const SINK_MODES = ['ok', 'fail', 'slow', 'down'];
const CLIENT_CORE = '1';
const self = fileURLToPath(import.meta.url);

const emptyStats = () => ({
  traces: { requests: 0, bytes: 0, spans: 0 },
  envelopes: { requests: 0, bytes: 0, events: 0 },
  other: { requests: 0, bytes: 0, paths: [] },
  // Requests whose client gave up (closed the connection) before the sink answered (mode slow).
  abortedBeforeAnswer: 0,
});

/** The difference of two stats snapshots (what one run sent). */
export function statsDelta(after, before) {
  const d = emptyStats();
  for (const k of ['traces', 'envelopes', 'other']) {
    for (const f of Object.keys(d[k])) {
      if (f === 'paths') d[k].paths = after[k].paths.filter((p) => !before[k].paths.includes(p));
      else d[k][f] = after[k][f] - before[k][f];
    }
  }
  d.abortedBeforeAnswer = after.abortedBeforeAnswer - before.abortedBeforeAnswer;
  return d;
}

/** A TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export function closedPort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Environment that points a server variant's OTLP exporter and Sentry DSN at the sink. */
export function sinkEnv(port) {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}`,
    SENTRY_DSN: `http://public@127.0.0.1:${port}/1`,
  };
}

/**
 * Starts the sink. Resolves to { mode, port, env, stats(), stop() }; stats() resolves to the
 * counters since start (use statsDelta for one run).
 */
export async function startSink({ mode = 'ok', delayMs = 15_000, pinned = true } = {}) {
  if (!SINK_MODES.includes(mode))
    throw new Error(`sink: unknown mode ${mode} (known: ${SINK_MODES.join(', ')})`);
  if (mode === 'down') {
    const port = await closedPort();
    return { mode, port, env: sinkEnv(port), stats: async () => emptyStats(), stop: async () => {} };
  }
  const canPin = pinned && os.cpus().length >= 2 && hasTaskset();
  const cmd = canPin
    ? ['taskset', '-c', CLIENT_CORE, process.execPath, self, mode, String(delayMs)]
    : [process.execPath, self, mode, String(delayMs)];
  const child = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('sink did not start within 10 s')), 10_000);
    child.once('message', (m) => {
      clearTimeout(timer);
      if (m?.type === 'ready') resolve(m.port);
      else reject(new Error(`sink: unexpected message ${JSON.stringify(m)}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sink exited early (code ${code})`));
    });
  });
  let seq = 0;
  const pending = new Map();
  child.on('message', (m) => {
    if (m?.type === 'stats' && pending.has(m.id)) {
      pending.get(m.id)(m.stats);
      pending.delete(m.id);
    }
  });
  return {
    mode,
    port,
    pid: child.pid,
    env: sinkEnv(port),
    stats: () =>
      new Promise((resolve) => {
        const id = ++seq;
        pending.set(id, resolve);
        child.send({ type: 'stats', id });
      }),
    stop: () =>
      new Promise((resolve) => {
        process.off('exit', killOnExit);
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---- the child: the HTTP server itself ----

/** Length-delimited fields (wire type 2) of one protobuf message, as [fieldNumber, start, end]. */
function* lengthDelimited(buf, start, end) {
  let i = start;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      const b = buf[i++];
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (i < end) {
    const tag = varint();
    const wire = tag & 7;
    const field = Math.floor(tag / 8);
    if (wire === 2) {
      const len = varint();
      yield [field, i, i + len];
      i += len;
    } else if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else return; // groups (3, 4) are not used by OTLP
  }
}

/** Spans in an OTLP ExportTraceServiceRequest: resource_spans(1) > scope_spans(2) > spans(2). */
export function countOtlpSpans(buf, contentType = 'application/x-protobuf') {
  if (contentType.includes('json')) {
    const body = JSON.parse(buf.toString('utf8'));
    let n = 0;
    for (const rs of body.resourceSpans ?? [])
      for (const ss of rs.scopeSpans ?? []) n += ss.spans?.length ?? 0;
    return n;
  }
  let n = 0;
  for (const [f1, s1, e1] of lengthDelimited(buf, 0, buf.length)) {
    if (f1 !== 1) continue;
    for (const [f2, s2, e2] of lengthDelimited(buf, s1, e1)) {
      if (f2 !== 2) continue;
      for (const [f3] of lengthDelimited(buf, s2, e2)) if (f3 === 2) n++;
    }
  }
  return n;
}

function decode(body, encoding) {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'deflate') return zlib.inflateSync(body);
  if (encoding === 'br') return zlib.brotliDecompressSync(body);
  return body;
}

function runChild(mode, delayMs) {
  const stats = emptyStats();
  const server = http.createServer((req, res) => {
    const chunks = [];
    let bytes = 0;
    req.on('data', (c) => {
      chunks.push(c);
      bytes += c.length;
    });
    req.on('end', () => {
      const urlPath = (req.url ?? '').split('?')[0];
      const isTraces = req.method === 'POST' && urlPath === '/v1/traces';
      const isEnvelope = req.method === 'POST' && /^\/api\/[^/]+\/envelope\/?$/.test(urlPath);
      let body = Buffer.concat(chunks, bytes);
      try {
        body = decode(body, req.headers['content-encoding']);
      } catch {
        // count the bytes anyway
      }
      if (isTraces) {
        stats.traces.requests++;
        stats.traces.bytes += bytes;
        try {
          stats.traces.spans += countOtlpSpans(body, String(req.headers['content-type'] ?? ''));
        } catch {
          // not countable: requests and bytes still are
        }
      } else if (isEnvelope) {
        stats.envelopes.requests++;
        stats.envelopes.bytes += bytes;
        // Item headers are JSON lines: {"type":"event",...}
        stats.envelopes.events += (body.toString('utf8').match(/"type":"event"/g) ?? []).length;
      } else {
        stats.other.requests++;
        stats.other.bytes += bytes;
        const key = `${req.method} ${urlPath}`;
        if (stats.other.paths.length < 20 && !stats.other.paths.includes(key)) stats.other.paths.push(key);
      }
      const answer = () => {
        if (res.destroyed || req.socket.destroyed) {
          stats.abortedBeforeAnswer++;
          return;
        }
        if (!isTraces && !isEnvelope) {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        } else if (mode === 'fail') {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('sink: failing on purpose');
        } else if (isTraces) {
          res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }).end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        }
      };
      if (mode === 'slow') setTimeout(answer, delayMs).unref();
      else answer();
    });
    req.on('error', () => {});
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ type: 'ready', port: server.address().port });
  });
  process.on('message', (m) => {
    if (m?.type === 'stats') process.send?.({ type: 'stats', id: m.id, stats });
  });
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
}

if (process.argv[1] && path.resolve(process.argv[1]) === self) {
  const [mode = 'ok', delay = '15000'] = process.argv.slice(2);
  if (!SINK_MODES.includes(mode) || mode === 'down') {
    console.error(`usage: sink.mjs <ok|fail|slow> [delayMs]`);
    process.exit(2);
  }
  runChild(mode, Number(delay));
}
