import { context, TraceFlags, trace } from '@opentelemetry/api';

export interface TraceFields {
  trace_id: string;
  span_id: string;
  trace_flags: string;
}

const INVALID_TRACE = '00000000000000000000000000000000';

/**
 * The active span's ids, or undefined when no valid span is active. Uses only the OpenTelemetry
 * API: with no SDK registered this is a cheap no-op, and no ESM loader hook is needed.
 */
export function activeTraceFields(): TraceFields | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  if (sc.traceId === INVALID_TRACE) return undefined;
  return {
    trace_id: sc.traceId,
    span_id: sc.spanId,
    trace_flags: (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00',
  };
}

/** The active span's trace id, used as the request id when no usable id came with the request. */
export function activeTraceId(): string | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const id = span.spanContext().traceId;
  return id === INVALID_TRACE ? undefined : id;
}
