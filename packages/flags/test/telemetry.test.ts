import { createTestMetrics, metricValue } from '@immo/metrics/testing';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFlags } from '../src/index.js';
import { recordingLogger } from '../src/testing.js';
import { flags } from './fixtures/registry.js';

const exporter = new InMemorySpanExporter();
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
});
afterAll(() => {
  trace.disable();
  context.disable();
});

describe('metrics', () => {
  it('counts evaluations by flag, variant and reason; unknown keys share one _unknown label', () => {
    const metrics = createTestMetrics();
    const ff = createFlags(flags, { metrics, env: {}, tracing: false, logger: recordingLogger().logger });
    ff.boolean('payments-new-allocation');
    ff.boolean('payments-new-allocation');
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice' });
    ff.boolean('payments-new-allocation');
    ff.details('a-made-up-flag' as never);
    ff.details('another-made-up-flag' as never);
    const v = (labels: Record<string, string>) =>
      metricValue('immo_flags_evaluations_total', labels, { metrics });
    expect(v({ flag: 'payments-new-allocation', variant: 'off', reason: 'DEFAULT' })).toBe(2);
    expect(v({ flag: 'payments-new-allocation', variant: 'off', reason: 'DISABLED' })).toBe(1);
    expect(v({ flag: '_unknown', reason: 'ERROR' })).toBe(2);
  });

  it('exports kill-switch state and the number of stale flags at scrape time', async () => {
    const metrics = createTestMetrics();
    const ff = createFlags(flags, {
      metrics,
      env: {},
      tracing: false,
      logger: recordingLogger().logger,
      now: () => new Date('2027-04-01T00:00:00Z'),
    });
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice' });
    const { body } = await metrics.render();
    expect(body).toMatch(/immo_flags_kill_switch_active\{[^}]*flag="billing-run-kill-switch"[^}]*\} 1/);
    expect(body).toMatch(/immo_flags_stale_flags\{[^}]*\} 1/);
  });
});

describe('OpenTelemetry span events', () => {
  it('adds a feature_flag.evaluation event with the semantic-convention attributes to the active span', () => {
    const ff = createFlags(flags, { metrics: false, env: {}, logger: recordingLogger().logger });
    const tracer = trace.getTracer('test');
    tracer.startActiveSpan('request', (span) => {
      ff.number('billing-batch-size');
      ff.details('missing-flag' as never);
      span.end();
    });
    const span = exporter.getFinishedSpans().at(-1);
    expect(span?.events.map((e) => e.name)).toEqual(['feature_flag.evaluation', 'feature_flag.evaluation']);
    expect(span?.events[0]?.attributes).toEqual({
      'feature_flag.key': 'billing-batch-size',
      'feature_flag.provider.name': 'immo-flags',
      'feature_flag.result.variant': '100',
      'feature_flag.result.reason': 'default',
      'feature_flag.version': '1',
    });
    expect(span?.events[1]?.attributes).toMatchObject({
      'feature_flag.key': 'missing-flag',
      'feature_flag.result.reason': 'error',
      'error.type': 'flag_not_found',
    });
  });

  it('records nothing without an active span, or with tracing off', () => {
    exporter.reset();
    const ff = createFlags(flags, { metrics: false, env: {}, logger: recordingLogger().logger });
    expect(ff.number('billing-batch-size')).toBe(100);
    const off = createFlags(flags, {
      metrics: false,
      env: {},
      tracing: false,
      logger: recordingLogger().logger,
    });
    trace.getTracer('test').startActiveSpan('request', (span) => {
      off.number('billing-batch-size');
      span.end();
    });
    expect(exporter.getFinishedSpans()[0]?.events).toEqual([]);
  });
});
