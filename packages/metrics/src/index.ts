export { MetricDefinitionError, type MetricsErrorCode, MetricsOptionsError } from './errors.js';
export { OPENMETRICS_CONTENT_TYPE, PROMETHEUS_CONTENT_TYPE } from './format.js';
export {
  declareJobs,
  declareSecurityEventTypes,
  type HelperOptions,
  JOB_DURATION_BUCKETS,
  type PoolUsage,
  recordBackupSuccess,
  recordJobRun,
  recordSecurityEvent,
  registerPoolUsage,
  SECURITY_EVENT_TYPES,
  type SecurityEventType,
  timeJob,
} from './helpers.js';
export {
  HTTP_BODY_SIZE_BUCKETS,
  HTTP_METHODS,
  HTTP_SERVER_DURATION_BUCKETS,
  type HttpServerLabel,
  type HttpServerMetrics,
  httpServerMetrics,
  normalizeMethod,
  UNMATCHED_ROUTE,
} from './http.js';
export type {
  BoundCounter,
  BoundGauge,
  BoundHistogram,
  Counter,
  Gauge,
  Histogram,
  Labels,
} from './metric.js';
export { OVERFLOW } from './metric.js';
export {
  type CounterDefinition,
  DEFAULT_BUCKETS,
  type GaugeDefinition,
  getMetrics,
  type HistogramDefinition,
  initMetrics,
  type Metrics,
} from './metrics.js';
export type { MetricsOptions, ResolvedMetricsOptions } from './options.js';
export {
  HTTP_CLIENT_DURATION_BUCKETS,
  instrumentUndici,
  type UndiciInstrumentationOptions,
} from './outbound.js';
export {
  DB_OPERATION_DURATION_BUCKETS,
  instrumentPg,
  type PgInstrumentationOptions,
  SQL_OPERATIONS,
  sqlOperationName,
} from './pg.js';
export { GC_BUCKETS } from './runtime.js';
export { addBuckets } from './validate.js';
