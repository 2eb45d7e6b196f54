// Micro-benchmark for @immo/redact (plain Node, no dependencies). Build first: `pnpm --filter @immo/redact build`.
// Prints a markdown table and writes bench/results.json. Numbers are ns per operation, medians over rounds.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact } from '../dist/index.js';
import { clean, cleanRotating, message, messagesRotating, withPii } from './inputs.mjs';

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

function calibrate(fn, input) {
  // Iterations so that one round takes about TARGET_NS_PER_ROUND.
  let iterations = 1024;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(input(i));
    const dt = process.hrtime.bigint() - t0;
    if (dt > TARGET_NS_PER_ROUND / 4n)
      return Math.max(1000, Number((BigInt(iterations) * TARGET_NS_PER_ROUND) / dt));
    iterations *= 4;
  }
}

function round(fn, input, iterations) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn(input(i));
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

// Each case maps the iteration number to an input. The rotating cases take 64 objects / messages in
// turn, so values that change from line to line (ids, timestamps) are never the ones @immo/redact saw
// at that position last time: they show the cost without its memo of clean strings.
const same = (value) => () => value;
const rotating = (list) => (i) => list[i & 63];
const cases = [
  ['10-field object, no PII', same(clean)],
  ['10-field object, no PII, 64 objects in turn', rotating(cleanRotating)],
  ['10-field object with PII', same(withPii)],
  ['message string (95 chars), no PII', same(message)],
  ['message strings (91 chars), no PII, 64 in turn', rotating(messagesRotating)],
];

const results = [];
for (const [name, input] of cases) {
  // Warm-up: let both implementations reach optimized code before measuring.
  for (let i = 0; i < 50_000; i++) {
    redact(input(i));
    naive(input(i));
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
