import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { immoLogger, loggerServerOptions } from '../src/fastify.js';
import { captureLogs } from '../src/testing.js';

describe('captureLogs', () => {
  it('captures parsed lines with production formatting and redaction', () => {
    const { logger, lines, find, raw, clear } = captureLogs({ service: 'svc' });
    logger.debug({ password: 'x' }, 'debug is captured by default');
    logger.info('second');
    expect(lines()).toHaveLength(2);
    expect(find('second')[0]).toMatchObject({ service: 'svc', level: 'info' });
    expect(find(/captured/)[0]).toMatchObject({ password: '[REDACTED]' });
    expect(raw()[0]).toContain('"level":"debug"');
    clear();
    expect(lines()).toHaveLength(0);
  });

  it('works as a Fastify logger in a service test', async () => {
    const { logger, find } = captureLogs();
    const app = Fastify(loggerServerOptions(logger));
    await app.register(immoLogger);
    app.get('/x', async () => 'ok');
    await app.inject({ url: '/x', headers: { 'x-request-id': 't-1' } });
    await app.close();
    expect(find('request completed')[0]).toMatchObject({ request_id: 't-1', route: '/x' });
  });
});
