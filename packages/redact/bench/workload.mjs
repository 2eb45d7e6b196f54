// One redact workload, run `iterations` times after a fixed warm-up; used by instructions.mjs under
// valgrind. Usage: node bench/workload.mjs <case> <iterations>
// Inputs come from inputs.mjs: the ones run.mjs times, typical short hot strings, and the object shape
// the @immo/logger bench logs (packages/logger/bench/run.mjs).
// REDACT_DIST points at another build (an absolute path to its index.js) for before/after comparisons.
import {
  clean,
  cleanRotating,
  hotStrings,
  loggerObject,
  loggerRotating,
  message,
  messagesRotating,
  withPii,
} from './inputs.mjs';

const { createRedactor } = await import(process.env.REDACT_DIST ?? '../dist/index.js');

const r = createRedactor();
const strings = (list) => {
  let n = 0;
  for (let k = 0; k < list.length; k++) n += r.redactString(list[k]).length;
  return n;
};
let turn = 0;
const cases = {
  clean: () => r.redact(clean),
  message: () => r.redactString(message),
  cleanRotating: () => r.redact(cleanRotating[turn++ & 63]),
  messageRotating: () => r.redactString(messagesRotating[turn++ & 63]),
  strings: () => strings(hotStrings),
  pii: () => r.redact(withPii),
  logger: () => r.redact(loggerObject),
  loggerRotating: () => r.redact(loggerRotating[turn++ & 63]),
};

const [name, n] = process.argv.slice(2);
const fn = cases[name];
if (fn === undefined) throw new Error(`unknown case ${name} (known: ${Object.keys(cases).join(', ')})`);
const iterations = Number(n);
let sink = 0;
// The same warm-up for every run, so the difference between two runs is steady-state work only.
for (let i = 0; i < 50_000; i++) sink ^= fn() === undefined ? 1 : 0;
for (let i = 0; i < iterations; i++) sink ^= fn() === undefined ? 1 : 0;
if (sink === 42) console.log(sink);
