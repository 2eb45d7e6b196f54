// Instructions per log line for each variant of bench/run.mjs (no-op sink), counted by valgrind: the
// steady figure next to the timed one, which moves by 15% and more on a shared machine.
// Usage (after `pnpm --filter @immo/logger build`): node bench/instructions.mjs [variant ...]
// (`pnpm --filter @immo/logger bench:instructions`); writes bench/instructions.json when all variants ran.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The valgrind counting is shared with @immo/redact's bench (private benchmarks workspace).
import { instructionsPerOp } from '../../../benchmarks/src/cachegrind.mjs';

const LOW = Number(process.env.INSTR_LOW ?? 50_000);
const HIGH = Number(process.env.INSTR_HIGH ?? 150_000);
const ALL = ['pino', 'pino-redact', 'immo-noredact', 'immo'];
const workload = join(dirname(fileURLToPath(import.meta.url)), 'workload.mjs');

const names = process.argv.length > 2 ? process.argv.slice(2) : ALL;
const per = new Map();
for (const name of names) per.set(name, instructionsPerOp({ workload, args: [name], low: LOW, high: HIGH }));
const base = per.get('pino');
console.log(`| variant | instructions/line (${HIGH} - ${LOW} lines) | vs pino |`);
console.log('| --- | ---: | ---: |');
for (const [name, n] of per) {
  console.log(`| ${name} | ${Math.round(n)} | ${base ? `${(n / base).toFixed(2)}x` : '—'} |`);
}
if (names.length === ALL.length) {
  const out = join(dirname(fileURLToPath(import.meta.url)), 'instructions.json');
  const result = {
    kind: 'logger-instructions',
    command: 'pnpm --filter @immo/logger bench:instructions',
    measuredAt: new Date().toISOString(),
    node: process.version,
    lines: { low: LOW, high: HIGH },
    instructionsPerLine: Object.fromEntries([...per].map(([k, v]) => [k, Math.round(v)])),
  };
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log('wrote bench/instructions.json');
}
