import { TraceFlags } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

// Spans as the SDK hands them over: only what the pipeline and scrubbing read.
export function span(name: string, sampled = true, attributes: Record<string, string> = {}): ReadableSpan {
  return {
    name,
    kind: 0,
    spanContext: () => ({
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: sampled ? TraceFlags.SAMPLED : 0,
    }),
    parentSpanContext: undefined,
    startTime: [0, 0],
    endTime: [0, 1],
    status: { code: 0 },
    attributes,
    links: [],
    events: [],
    duration: [0, 1],
    ended: true,
    resource: {} as never,
    instrumentationScope: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
