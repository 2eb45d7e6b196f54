// Instructions per operation for the workloads in workload.mjs, counted by valgrind (cachegrind, no cache
// simulation). Wall time on a shared machine moves by 15% or more between runs; instruction counts move
// by well under 1%, so this is the figure to compare before and after a change.
// Each case runs twice (LOW and HIGH iterations after the same warm-up); the difference divided by
// HIGH - LOW is steady-state instructions per op, free of start-up, warm-up and JIT compilation.
// Usage (after `pnpm --filter @immo/redact build`): node bench/instructions.mjs [case ...]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

function refs(name, iterations) {
  const res = spawnSync(
    'valgrind',
    [
      '--tool=cachegrind',
      '--cache-sim=no',
      '--cachegrind-out-file=/dev/null',
      // V8 writes and patches machine code at run time; valgrind must notice.
      '--smc-check=all-non-file',
      process.execPath,
      // Optimizing compiles and GC on background threads finish at times that depend on valgrind's
      // thread scheduling (two runs of one build differed by thousands per op); --predictable runs
      // them on the main thread with fixed seeds, and repeated runs then agree to the instruction.
      '--predictable',
      workload,
      name,
      String(iterations),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] },
  );
  if (res.error?.code === 'ENOENT') {
    console.error('valgrind not found: install it (apt-get install valgrind) to count instructions');
    process.exit(2);
  }
  const m = /I\s+refs:\s+([\d,]+)/.exec(res.stderr ?? '');
  if (res.status !== 0 || m === null) throw new Error(`valgrind failed for ${name}:\n${res.stderr}`);
  return Number((m[1] ?? '').replaceAll(',', ''));
}

const names = process.argv.length > 2 ? process.argv.slice(2) : ALL;
console.log(`| case | instructions/op (${HIGH} - ${LOW} iterations) |`);
console.log('| --- | ---: |');
for (const name of names) {
  const per = (refs(name, HIGH) - refs(name, LOW)) / (HIGH - LOW);
  console.log(`| ${name} | ${Math.round(per)} |`);
}
