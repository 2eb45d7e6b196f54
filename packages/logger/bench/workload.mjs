// One logger variant writing `iterations` lines to a no-op sink after a fixed warm-up; counted by
// instructions.mjs under valgrind. Usage: node bench/workload.mjs <variant> <iterations>
// The lines are the ones bench/run.mjs times: a child logger's info() with the 64 objects of
// @immo/redact's bench inputs in turn.
import pino from 'pino';

const { loggerRotating: objects, pinoRedactPaths } = await import('../../redact/bench/inputs.mjs');
const [variant, n] = process.argv.slice(2);

const sink = {
  bytes: 0,
  write(s) {
    this.bytes += s.length;
  },
};
let root;
if (variant === 'pino') root = pino({ level: 'info' }, sink);
else if (variant === 'pino-redact') root = pino({ level: 'info', redact: { paths: pinoRedactPaths } }, sink);
else if (variant === 'immo' || variant === 'immo-noredact') {
  const { createLogger } = await import('../dist/index.js');
  root = createLogger({
    service: 'bench',
    version: '1.0.0',
    env: 'bench',
    level: 'info',
    destination: sink,
    ...(variant === 'immo-noredact' ? { redact: false } : {}),
  });
} else throw new Error(`unknown variant ${variant} (known: pino, pino-redact, immo-noredact, immo)`);

const log = root.child({ request_id: '7d3f0c9e-2b1a-4c5d-9e8f-0a1b2c3d4e5f', module: 'billing' });
// The same warm-up for every run, so the difference between two runs is steady-state work only.
for (let i = 0; i < 50_000; i++) log.info(objects[i & 63], 'payment allocated');
const iterations = Number(n);
for (let i = 0; i < iterations; i++) log.info(objects[i & 63], 'payment allocated');
if (sink.bytes === 42) console.log(sink.bytes);
