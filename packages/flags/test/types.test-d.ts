import type { Metrics } from '@immo/metrics';
import { OpenFeature, type Provider } from '@openfeature/server-sdk';
import Fastify, { type FastifyPluginCallback } from 'fastify';
import { describe, expectTypeOf, it } from 'vitest';
import { type ImmoFlagsPluginOptions, immoFlags } from '../src/fastify.js';
import {
  createFlags,
  defineFlags,
  type FlagEvaluation,
  type Flags,
  type FlagsMetricsRegistry,
  type KillSwitchKey,
} from '../src/index.js';
import { createTestFlags, setFlag, withFlagOverrides } from '../src/testing.js';
import { flags, type TestRegistry } from './fixtures/registry.js';

describe('public types', () => {
  const ff = createFlags(flags);

  it('evaluates declared keys with their value types only', () => {
    expectTypeOf(ff.boolean('payments-new-allocation')).toEqualTypeOf<boolean>();
    expectTypeOf(ff.string('checkout-button-experiment')).toEqualTypeOf<string>();
    expectTypeOf(ff.number('billing-batch-size')).toEqualTypeOf<number>();
    expectTypeOf(ff.object('reports-export-permission')).toEqualTypeOf<{
      readonly formats: readonly string[];
      readonly maxRows: number;
    }>();
    expectTypeOf(ff.details('billing-batch-size')).toEqualTypeOf<FlagEvaluation<number>>();
    // @ts-expect-error an undeclared flag does not compile
    ff.boolean('payments-old-allocation');
    // @ts-expect-error a string flag is not a boolean
    ff.boolean('checkout-button-experiment');
    // @ts-expect-error a boolean flag is not a number
    ff.number('payments-new-allocation');
    // @ts-expect-error an undeclared flag has no details
    ff.details('nope-flag');
  });

  it('flips kill switches only', () => {
    expectTypeOf<KillSwitchKey<TestRegistry>>().toEqualTypeOf<'billing-run-kill-switch'>();
    expectTypeOf(ff.isKilled('billing-run-kill-switch')).toEqualTypeOf<boolean>();
    // @ts-expect-error a release flag is not a kill switch
    ff.isKilled('payments-new-allocation');
    // @ts-expect-error a release flag cannot be flipped
    ff.setKillSwitch('payments-new-allocation', true, { by: 'alice' });
  });

  it('declarations: kill switches and permissions take no expiry, other types need one, defaults match valueType', () => {
    defineFlags({
      // @ts-expect-error a release flag needs expires
      'a-b': {
        type: 'release',
        owner: 'x',
        description: '',
        created: '2026-01-01',
        valueType: 'boolean',
        default: false,
      },
    });
    defineFlags({
      // @ts-expect-error kill switches are permanent
      'a-kill-switch': {
        type: 'kill-switch',
        owner: 'x',
        description: '',
        created: '2026-01-01',
        expires: '2027-01-01',
        valueType: 'boolean',
        default: false,
      },
    });
    defineFlags({
      // @ts-expect-error the default is a boolean
      'a-c': {
        type: 'ops',
        owner: 'x',
        description: '',
        created: '2026-01-01',
        expires: '2027-01-01',
        valueType: 'boolean',
        default: 1,
      },
    });
  });

  it('the provider is an OpenFeature provider', async () => {
    expectTypeOf(ff.provider()).toEqualTypeOf<Provider>();
    await OpenFeature.setProviderAndWait(ff.provider());
  });

  it('accepts the @immo/metrics instance as metrics', () => {
    expectTypeOf<Metrics>().toExtend<FlagsMetricsRegistry>();
    createFlags(flags, { metrics: {} as Metrics });
    // @ts-expect-error file is a path or false
    createFlags(flags, { file: true });
  });

  it('the plugin fits Fastify and decorates app.flags', () => {
    expectTypeOf(immoFlags).toExtend<FastifyPluginCallback<ImmoFlagsPluginOptions>>();
    const app = Fastify();
    app.register(immoFlags, {
      flags: ff,
      context: () => ({ targetingKey: 'org-1' }),
      admin: { tokens: { alice: 'a'.repeat(64) } },
    });
    // @ts-expect-error tokens are a map of name to hash
    app.register(immoFlags, { flags: ff, admin: { tokens: ['x'] } });
    expectTypeOf(app.flags).toEqualTypeOf<Flags>();
  });

  it('testing helpers are typed by the registry', () => {
    const t = createTestFlags(flags, { 'payments-new-allocation': true });
    // @ts-expect-error wrong value type for the flag
    createTestFlags(flags, { 'billing-batch-size': 'ten' });
    setFlag(t, 'billing-batch-size', 5);
    // @ts-expect-error wrong value type for the flag
    setFlag(t, 'billing-batch-size', '5');
    expectTypeOf(withFlagOverrides(t, { 'billing-run-kill-switch': true }, () => 1)).toEqualTypeOf<number>();
  });
});
