import type { Metrics } from '@immo/metrics';
import Fastify, { type FastifyPluginCallback } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { type ImmoHealthPluginOptions, immoHealth } from '../src/fastify.js';
import {
  createHealth,
  type Health,
  type HealthCheck,
  type HealthMetricsRegistry,
  type HealthOptions,
  type ProbeResponse,
  pgCheck,
  type ShutdownResult,
} from '../src/index.js';
import { createTestHealth, forceCheck, runShutdown, waitForStatus } from '../src/testing.js';

describe('public types', () => {
  it('createHealth takes typed options and returns a Health', () => {
    expectTypeOf(createHealth).parameter(0).toEqualTypeOf<HealthOptions | undefined>();
    expectTypeOf(createHealth()).toEqualTypeOf<Health>();
    // @ts-expect-error pressure is an object or false
    createHealth({ pressure: true });
    expectTypeOf(createHealth().readiness()).toEqualTypeOf<ProbeResponse>();
    expectTypeOf(createHealth().shutdown()).toEqualTypeOf<Promise<ShutdownResult>>();
  });

  it('accepts the @immo/metrics instance as metrics', () => {
    expectTypeOf<Metrics>().toExtend<HealthMetricsRegistry>();
    createHealth({ metrics: {} as Metrics });
    createHealth({ metrics: false });
  });

  it('checks may return nothing, a boolean or an outcome, sync or async', () => {
    const checks: HealthCheck[] = [
      { name: 'a', check: async () => {} },
      { name: 'b', check: () => true },
      { name: 'c', check: async (signal) => ({ status: signal.aborted ? 'fail' : 'pass', output: 'x' }) },
    ];
    expectTypeOf(checks).toExtend<HealthOptions['checks']>();
    // @ts-expect-error an unknown status is a type error
    const bad: HealthCheck = { name: 'd', check: () => ({ status: 'ok' }) };
    expectTypeOf(bad).toExtend<HealthCheck>();
  });

  it('pgCheck takes anything with query(sql)', () => {
    expectTypeOf(pgCheck({ query: async () => ({ rows: [] }) })).toEqualTypeOf<HealthCheck>();
    // @ts-expect-error a pool needs query()
    pgCheck({});
  });

  it('the plugin fits Fastify and decorates app.health', () => {
    expectTypeOf(immoHealth).toExtend<FastifyPluginCallback<ImmoHealthPluginOptions>>();
    const app = Fastify();
    app.register(immoHealth, { health: createHealth(), routes: { readiness: '/readyz' } });
    // @ts-expect-error routes paths are strings or false
    app.register(immoHealth, { routes: { readiness: 1 } });
    expectTypeOf(app.health).toEqualTypeOf<Health>();
  });

  it('testing helpers are typed', () => {
    const h = createTestHealth();
    expectTypeOf(waitForStatus(h, 'pass')).toEqualTypeOf<Promise<ProbeResponse>>();
    expectTypeOf(runShutdown(h)).toEqualTypeOf<Promise<ShutdownResult>>();
    // @ts-expect-error status must be pass, warn or fail
    forceCheck(h, 'db', 'ok');
  });
});
