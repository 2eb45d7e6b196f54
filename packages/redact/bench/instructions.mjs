// Instructions per operation for the workloads in workload.mjs, counted by valgrind (cachegrind, no cache
// simulation). Wall time on a shared machine moves by 15% or more between runs; instruction counts move
// by well under 1%, so this is the figure to compare before and after a change.
// Each case runs twice (LOW and HIGH iterations after the same warm-up); the difference divided by
// HIGH - LOW is steady-state instructions per op, free of start-up, warm-up and JIT compilation.
// Usage (after `pnpm --filter @immo/redact build`): node bench/instructions.mjs [case ...]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
// The valgrind counting is shared with @immo/logger's bench (private benchmarks workspace).
import { instructionsPerOp } from '../../../benchmarks/src/cachegrind.mjs';

const LOW = Number(process.env.INSTR_LOW ?? 100_000);
const HIGH = Number(process.env.INSTR_HIGH ?? 300_000);
const ALL = [
  'clean',
  'cleanRotating',
  'message',
  'messageRotating',
  'strings',
  'pii',
  'logger',
  'loggerRotating',
];
const workload = join(dirname(fileURLToPath(import.meta.url)), 'workload.mjs');

const names = process.argv.length > 2 ? process.argv.slice(2) : ALL;
console.log(`| case | instructions/op (${HIGH} - ${LOW} iterations) |`);
console.log('| --- | ---: |');
for (const name of names) {
  const per = instructionsPerOp({ workload, args: [name], low: LOW, high: HIGH });
  console.log(`| ${name} | ${Math.round(per)} |`);
}
