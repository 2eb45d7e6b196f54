export type { CapturedRequest } from './capture.js';
export { type TracingErrorCode, TracingOptionsError } from './errors.js';
export { type MetricsLike, registerTracingMetrics } from './metrics.js';
export { parseKeyValueList, type TracingLogger, type TracingOptions } from './options.js';
export type { TracingStats } from './processor.js';
export { K8S_DOWNWARD_ENV, kubernetesAttributes } from './resource.js';
export { scrubAttributes, scrubSpan, scrubUrl } from './scrub.js';
export {
  currentTraceId,
  errorTypeName,
  flushTelemetry,
  getTracing,
  initTracing,
  TRACER_NAME,
  type Tracing,
  withSpan,
} from './tracing.js';
