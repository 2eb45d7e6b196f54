import { createRequire } from 'node:module';

/** The part of an OpenTelemetry SpanContext an exemplar needs. */
export interface TraceRef {
  readonly traceId: string;
}

type ActiveSpanContext = () => TraceRef | undefined;

const INVALID_TRACE = '00000000000000000000000000000000';
let loaded: ActiveSpanContext | null | undefined;

/**
 * `@opentelemetry/api` is an optional peer: it is loaded on first use, synchronously, and when it
 * is missing exemplars are simply off. `require` itself is not referenced: the bundler turns it
 * into a shim that throws in the ESM build. The api keeps its state on a global, so the CJS copy
 * loaded here sees the context manager and provider an ESM application registered.
 */
export function activeSpanContextSource(): ActiveSpanContext | null {
  if (loaded !== undefined) return loaded;
  try {
    const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
    const api = req('@opentelemetry/api') as typeof import('@opentelemetry/api');
    const trace = api.trace;
    // The SDK's span returns its stored SpanContext object: keeping it (not the span) holds a few
    // strings instead of a whole span with its attributes until the exemplar is replaced.
    // Only a sampled span's trace is recorded anywhere: an exemplar pointing at an unsampled trace
    // would lead from the dashboard to a trace that does not exist.
    loaded = () => {
      const sc = trace.getActiveSpan()?.spanContext();
      return sc !== undefined && (sc.traceFlags & 1) === 1 ? sc : undefined;
    };
  } catch {
    loaded = null;
  }
  return loaded;
}

/** The trace id an exemplar should carry, or undefined for an invalid (all-zero) context. */
export function exemplarTraceId(ref: TraceRef): string | undefined {
  const id = ref.traceId;
  return typeof id === 'string' && id.length === 32 && id !== INVALID_TRACE ? id : undefined;
}
