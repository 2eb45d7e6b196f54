// Micro-benchmark for @immo/redact (plain Node, no dependencies). Build first: `pnpm --filter @immo/redact build`.
// Prints a markdown table and writes bench/results.json. Numbers are ns per operation, medians over rounds.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../dist/index.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const TARGET_NS_PER_ROUND = 200_000_000n; // ~0.2 s per round and case

// The baseline a team would write by hand: recursive walk, lower-cased key includes-check, and every
// string run through the detector regexes with no pre-checks and no copy-on-write.
const NAIVE_KEYS = ['password', 'token', 'authorization', 'cookie', 'iban', 'secret', 'apikey'];
const NAIVE_RES = [
  /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b/gi,
  /\b(?:\d[ -]?){12,18}\d\b/g,
  /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g,
  /\bbearer\s+[A-Za-z0-9\-._~+/]+=*/gi,
  /eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g,
];
function naiveString(s) {
  let out = s;
  for (const re of NAIVE_RES) out = out.replace(re, '[REDACTED]');
  return out;
}
function naive(value, seen = new WeakSet()) {
  if (typeof value === 'string') return naiveString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => naive(v, seen));
  const out = {};
  for (const key of Object.keys(value)) {
    const lower = key.toLowerCase();
    out[key] = NAIVE_KEYS.some((k) => lower.includes(k)) ? '[REDACTED]' : naive(value[key], seen);
  }
  return out;
}

const clean = {
  msg: 'request completed',
  level: 30,
  time: 1732712345678,
  service: 'billing',
  request_id: '550e8400-e29b-41d4-a716-446655440000',
  route: '/api/orgs/:id',
  method: 'GET',
  status_code: 200,
  duration_ms: 12.4,
  user: { id: 'u_123', org: 'org_42' },
};
const withPii = {
  msg: 'payment from ann@example.com failed',
  level: 50,
  time: 1732712345678,
  service: 'billing',
  request_id: '550e8400-e29b-41d4-a716-446655440000',
  route: '/api/payments',
  headers: { authorization: 'Bearer abc.def.ghi', 'user-agent': 'curl/8.5' },
  payer_account: 'DE89 3704 0044 0532 0130 00',
  card: '4111 1111 1111 1111',
  duration_ms: 48.1,
};
const message = 'Allocated payment 2024-11-27 of 1234.56 EUR to lease L-2024-0042 for tenant #4411 (3 items)';

function calibrate(fn, input) {
  // Iterations so that one round takes about TARGET_NS_PER_ROUND.
  let iterations = 1000;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(input);
    const dt = process.hrtime.bigint() - t0;
    if (dt > TARGET_NS_PER_ROUND / 4n)
      return Math.max(1000, Number((BigInt(iterations) * TARGET_NS_PER_ROUND) / dt));
    iterations *= 4;
  }
}

function round(fn, input, iterations) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(input);
  return Number(process.hrtime.bigint() - t0) / iterations;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Rounds alternate between the two implementations and each round yields a paired ratio, so a noisy
// neighbour on the machine hits both sides alike; the median of the ratios is the headline figure.
function compare(input) {
  const itOurs = calibrate(redact, input);
  const itNaive = calibrate(naive, input);
  const ours = [];
  const base = [];
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    const a = round(redact, input, itOurs);
    const b = round(naive, input, itNaive);
    ours.push(a);
    base.push(b);
    ratios.push(a / b);
  }
  return { ours, base, ratios };
}

const cases = [
  ['10-field object, no PII', clean],
  ['10-field object with PII', withPii],
  ['message string (95 chars), no PII', message],
];

const results = [];
for (const [name, input] of cases) {
  // Warm-up: let both implementations reach optimized code before measuring.
  for (let i = 0; i < 50_000; i++) {
    redact(input);
    naive(input);
  }
  const { ours, base, ratios } = compare(input);
  const fmt = (x) => Number(x.toFixed(1));
  results.push({
    case: name,
    redactNsPerOp: fmt(median(ours)),
    naiveNsPerOp: fmt(median(base)),
    ratio: Number(median(ratios).toFixed(3)),
    ratioMin: Number(Math.min(...ratios).toFixed(3)),
    ratioMax: Number(Math.max(...ratios).toFixed(3)),
    redactRounds: ours.map(fmt),
    naiveRounds: base.map(fmt),
  });
}

const lines = [
  `| case | @immo/redact ns/op (median) | naive walk + regexes ns/op (median) | ratio (median of paired rounds) | ratio spread |`,
  `| --- | ---: | ---: | ---: | ---: |`,
  ...results.map(
    (r) =>
      `| ${r.case} | ${r.redactNsPerOp} | ${r.naiveNsPerOp} | ${r.ratio}x | ${r.ratioMin}–${r.ratioMax} |`,
  ),
];
console.log(lines.join('\n'));
console.log(
  `\nNode ${process.version}, ${ROUNDS} alternating rounds per case (~0.2 s each), median ns/op; ratio = redact / naive.`,
);

const out = join(dirname(fileURLToPath(import.meta.url)), 'results.json');
writeFileSync(
  out,
  `${JSON.stringify({ node: process.version, date: new Date().toISOString(), rounds: ROUNDS, results }, null, 2)}\n`,
);
console.log(`wrote ${out}`);
