import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { memory } from './helpers.js';

describe('trace correlation', () => {
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

  it('adds trace_id, span_id and trace_flags of the active span', async () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    const tracer = trace.getTracer('test');
    let ids: { traceId: string; spanId: string } | undefined;
    await tracer.startActiveSpan('billing-run', async (span) => {
      ids = span.spanContext();
      await new Promise((r) => setTimeout(r, 1));
      logger.info('inside');
      span.end();
    });
    logger.info('outside');
    expect(dest.lines[0]).toMatchObject({ trace_id: ids?.traceId, span_id: ids?.spanId, trace_flags: '01' });
    expect(dest.lines[1]).not.toHaveProperty('trace_id');
    expect(dest.lines[1]).not.toHaveProperty('span_id');
  });

  it('adds nothing when trace correlation is off', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest, traceCorrelation: false });
    trace.getTracer('test').startActiveSpan('x', (span) => {
      logger.info('inside');
      span.end();
    });
    expect(dest.lines[0]).not.toHaveProperty('trace_id');
  });
});
