import Fastify, { type FastifyPluginCallback } from 'fastify';
import type { Logger } from 'pino';
import { describe, expectTypeOf, it } from 'vitest';
import { type ImmoLoggerPluginOptions, immoLogger, loggerServerOptions } from '../src/fastify.js';
import { createLogger, type Level, type LoggerOptions, setLevel, withCorrelation } from '../src/index.js';
import { type CapturedLogger, captureLogs } from '../src/testing.js';

describe('public types', () => {
  it('createLogger returns a pino Logger and takes typed options', () => {
    expectTypeOf(createLogger).parameter(0).toEqualTypeOf<LoggerOptions | undefined>();
    expectTypeOf(createLogger({ service: 's' })).toExtend<Logger>();
    // @ts-expect-error an unknown level is a type error
    createLogger({ service: 's', level: 'loud' });
    expectTypeOf(setLevel).parameter(1).toEqualTypeOf<Level>();
  });

  it('withCorrelation returns what its function returns', () => {
    expectTypeOf(withCorrelation('id', () => 42)).toEqualTypeOf<number>();
    expectTypeOf(withCorrelation('id', async () => 'x')).toEqualTypeOf<Promise<string>>();
  });

  it('the plugin and server options fit Fastify', () => {
    expectTypeOf(immoLogger).toExtend<FastifyPluginCallback<ImmoLoggerPluginOptions>>();
    const app = Fastify(loggerServerOptions(createLogger({ service: 's' })));
    app.register(immoLogger, { buffer: { slowThresholdMs: 500 } });
    // @ts-expect-error buffer level must be trace or debug
    app.register(immoLogger, { buffer: { level: 'info' } });
  });

  it('captureLogs exposes the logger and lines', () => {
    expectTypeOf(captureLogs()).toEqualTypeOf<CapturedLogger>();
  });
});
