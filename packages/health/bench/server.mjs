// Bench server: @immo/health from dist/ with one readiness check that never settles, next to a
// plain route. Reports its port over IPC; exits on the `stop` message.
import Fastify from 'fastify';
import { immoHealth } from '../dist/fastify.js';
import { createHealth } from '../dist/index.js';

const health = createHealth({
  service: 'bench',
  handleSignals: false,
  checkIntervalMs: 1000,
  checks: [{ name: 'hangs', timeoutMs: 1000, check: () => new Promise(() => {}) }],
  logger: { info() {}, warn() {}, error() {} },
});
const app = Fastify();
await app.register(immoHealth, { health, routes: true });
app.get('/plain', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
process.send({ type: 'ready', port: app.server.address().port });
process.on('message', async (msg) => {
  if (msg?.type !== 'stop') return;
  await app.close();
  process.exit(0);
});
