// Instructions per operation of a workload script, counted by valgrind (cachegrind, no cache simulation).
// Wall time on a shared machine moves by 15% or more between runs; instruction counts move by well under
// 1%, so they are the figure to compare before and after a change (the issues' method names them).
// The workload runs twice (`low` and `high` iterations after the same warm-up, which the workload does
// itself); the difference divided by high - low is steady-state instructions per op, free of start-up,
// warm-up and JIT compilation. Used by packages/redact/bench/instructions.mjs and
// packages/logger/bench/instructions.mjs.
import { spawnSync } from 'node:child_process';

function refs(workload, args, iterations) {
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
      ...args,
      String(iterations),
    ],
    { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], env: process.env },
  );
  if (res.error?.code === 'ENOENT') {
    console.error('valgrind not found: install it (apt-get install valgrind) to count instructions');
    process.exit(2);
  }
  const m = /I\s+refs:\s+([\d,]+)/.exec(res.stderr ?? '');
  if (res.status !== 0 || m === null)
    throw new Error(`valgrind failed for ${args.join(' ')}:\n${res.stderr}`);
  return Number((m[1] ?? '').replaceAll(',', ''));
}

/**
 * Steady-state instructions per iteration of `node --predictable <workload> ...args <iterations>`.
 * @param {{ workload: string, args: string[], low?: number, high?: number }} options
 */
export function instructionsPerOp({ workload, args, low = 100_000, high = 300_000 }) {
  return (refs(workload, args, high) - refs(workload, args, low)) / (high - low);
}
