import type { RedactOptions } from '@immo/redact';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import { z } from 'zod';
import { formatIssues, TracingOptionsError } from './errors.js';

/**
 * Any pino-compatible logger (pino, Fastify's `app.log`, `@immo/logger`). Tracing logs rarely: one
 * warning when span export starts failing, one line when it recovers.
 */
export interface TracingLogger {
  warn(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
}

/**
 * Options of {@link initTracing}. Each is read in one order: the explicit option, then its
 * `IMMO_TRACING_*` variable, then the standard `OTEL_*` variable, then the default. The whole set is
 * validated at once.
 */
export interface TracingOptions {
  /**
   * `service.name`. Env: `IMMO_TRACING_SERVICE_NAME`, `OTEL_SERVICE_NAME`, `service.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`, `npm_package_name`.
   * @default 'unknown_service:node'
   */
  serviceName?: string;
  /**
   * `service.version`. Env: `IMMO_TRACING_SERVICE_VERSION`, `service.version` in
   * `OTEL_RESOURCE_ATTRIBUTES`, `npm_package_version`.
   * @default '0.0.0'
   */
  serviceVersion?: string;
  /**
   * `deployment.environment.name`. Env: `IMMO_TRACING_ENVIRONMENT`, `deployment.environment.name` in
   * `OTEL_RESOURCE_ATTRIBUTES`, `NODE_ENV`.
   * @default 'development'
   */
  environment?: string;
  /**
   * Where spans go, OTLP over HTTP. A URL without a path gets `/v1/traces` appended. Without an
   * endpoint spans are still created (trace ids for logs, exemplars and Sentry) but not exported.
   * Env: `IMMO_TRACING_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (used as is),
   * `OTEL_EXPORTER_OTLP_ENDPOINT` (+ `/v1/traces`).
   * @example 'http://otel-collector.monitoring:4318'
   */
  otlpEndpoint?: string;
  /**
   * OTLP encoding. Env: `OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, `OTEL_EXPORTER_OTLP_PROTOCOL`.
   * @default 'http/protobuf'
   */
  otlpProtocol?: 'http/protobuf' | 'http/json';
  /**
   * Headers on every export request (an API key for a hosted backend). Env:
   * `OTEL_EXPORTER_OTLP_TRACES_HEADERS`, `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k2=v2`).
   */
  otlpHeaders?: Record<string, string>;
  /**
   * Share of new traces recorded, in [0, 1]; a request with a `traceparent` follows its caller's
   * decision (parent-based sampling). Env: `IMMO_TRACING_SAMPLE_RATIO`, then `OTEL_TRACES_SAMPLER`
   * (`always_on`, `always_off`, `traceidratio`, `parentbased_*`) with `OTEL_TRACES_SAMPLER_ARG`.
   * @default 1
   */
  sampleRatio?: number;
  /**
   * `false` turns the package into a no-op: no SDK, no spans, no instrumentation. Env:
   * `IMMO_TRACING_ENABLED`, `OTEL_SDK_DISABLED=true`.
   * @default true
   */
  enabled?: boolean;
  /** More resource attributes; env `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`) is read as well. */
  resourceAttributes?: Record<string, string>;
  /**
   * Client spans for fetch/undici calls, with `traceparent` and `x-request-id` on the outgoing
   * request. Env: `IMMO_TRACING_INSTRUMENT_UNDICI`.
   * @default true
   */
  instrumentUndici?: boolean;
  /**
   * `pg` query spans (operation and table, never parameter values). ESM applications need the
   * register entry (`node --import @immo/tracing/register`) for this. Env: `IMMO_TRACING_INSTRUMENT_PG`.
   * @default true
   */
  instrumentPg?: boolean;
  /**
   * The PII policy applied to span names, attributes, events, links and status messages before
   * export: @immo/redact options, or `false` to export unscrubbed.
   * @default {} (the @immo/redact default policy)
   */
  redact?: RedactOptions | false;
  /**
   * Most finished spans held for export; later ones are dropped and counted. Env:
   * `OTEL_BSP_MAX_QUEUE_SIZE`.
   * @default 2048
   */
  maxQueueSize?: number;
  /** Most spans per export request. Env: `OTEL_BSP_MAX_EXPORT_BATCH_SIZE`. @default 512 */
  maxExportBatchSize?: number;
  /** Longest wait before queued spans are exported. Env: `OTEL_BSP_SCHEDULE_DELAY`. @default 5000 */
  scheduledDelayMs?: number;
  /**
   * Longest one export request may take. Env: `OTEL_EXPORTER_OTLP_TRACES_TIMEOUT`,
   * `OTEL_EXPORTER_OTLP_TIMEOUT`.
   * @default 10000
   */
  exportTimeoutMs?: number;
  /**
   * The header that carries the correlation id on outgoing fetch/undici calls; `false` sends none.
   * Env: `IMMO_TRACING_REQUEST_ID_HEADER`.
   * @default 'x-request-id'
   */
  requestIdHeader?: string | false;
  /**
   * Where the correlation id of the current unit of work comes from, for `requestIdHeader`. Without
   * it: @immo/logger's correlation id when the logger is loaded (requests and `withCorrelation` jobs),
   * else the id of the Fastify request the code runs in.
   */
  correlationId?: () => string | undefined;
  /** Logger for export warnings. Default: one line on stderr. */
  logger?: TracingLogger;
  /** A span exporter of your own instead of OTLP (the testing subpath uses an in-memory one). */
  exporter?: SpanExporter;
}

/** @internal */
export interface ResolvedTracingOptions {
  serviceName: string;
  serviceVersion: string;
  environment: string;
  otlpEndpoint: string | undefined;
  otlpProtocol: 'http/protobuf' | 'http/json';
  otlpHeaders: Record<string, string>;
  sampleRatio: number;
  enabled: boolean;
  resourceAttributes: Record<string, string>;
  instrumentUndici: boolean;
  instrumentPg: boolean;
  redact: RedactOptions | false;
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMs: number;
  exportTimeoutMs: number;
  requestIdHeader: string | false;
  correlationId: (() => string | undefined) | undefined;
  logger: TracingLogger | undefined;
  exporter: SpanExporter | undefined;
}

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const schema = z
  .object({
    serviceName: z.string().trim().min(1),
    serviceVersion: z.string().trim().min(1),
    environment: z.string().trim().min(1),
    otlpEndpoint: z
      .string()
      .refine((s) => /^https?:\/\/[^\s]+$/.test(s) && URL.canParse(s), 'an http(s) URL')
      .optional(),
    otlpProtocol: z.enum(['http/protobuf', 'http/json']),
    otlpHeaders: z.record(z.string().regex(HEADER_NAME, 'an HTTP header name'), z.string()),
    sampleRatio: z.number().min(0).max(1),
    enabled: z.boolean(),
    resourceAttributes: z.record(z.string().min(1), z.string()),
    instrumentUndici: z.boolean(),
    instrumentPg: z.boolean(),
    redact: z.union([z.literal(false), z.object({}).passthrough()]),
    maxQueueSize: z.number().int().min(1).max(1_000_000),
    maxExportBatchSize: z.number().int().min(1).max(100_000),
    scheduledDelayMs: z.number().int().min(0).max(3_600_000),
    exportTimeoutMs: z.number().int().min(1).max(600_000),
    requestIdHeader: z.union([z.literal(false), z.string().regex(HEADER_NAME, 'an HTTP header name')]),
    correlationId: z
      .custom<() => string | undefined>((v) => typeof v === 'function', 'a function')
      .optional(),
    logger: z
      .custom<TracingLogger>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          typeof (v as TracingLogger).warn === 'function' &&
          typeof (v as TracingLogger).info === 'function',
        'a logger with warn() and info()',
      )
      .optional(),
    exporter: z
      .custom<SpanExporter>(
        (v) => typeof v === 'object' && v !== null && typeof (v as SpanExporter).export === 'function',
        'a SpanExporter (an object with export())',
      )
      .optional(),
  })
  .strict();

/** Parses the `k=v,k2=v2` lists of OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS (values URL-encoded). */
export function parseKeyValueList(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined) return out;
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const key = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // The spec says to drop a malformed list entry; keeping the raw text would be a guess.
      continue;
    }
    if (key !== '') out[key] = value;
  }
  return out;
}

/** @internal `true`/`1` and `false`/`0` (any case, trimmed); anything else is returned as given. */
export function envBoolean(raw: string): unknown {
  const v = raw.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return raw; // left as a string so validation reports it with its source
}

function envNumber(raw: string): unknown {
  const n = Number(raw);
  return raw.trim() !== '' && Number.isFinite(n) ? n : raw;
}

/** The traces URL: a base URL (no path) gets `/v1/traces`, a URL with a path is used as is. */
export function tracesUrl(endpoint: string): string {
  if (!URL.canParse(endpoint)) return endpoint;
  const u = new URL(endpoint);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return endpoint;
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/v1/traces';
  return u.toString();
}

function samplerRatio(env: NodeJS.ProcessEnv): unknown {
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase();
  if (sampler === undefined || sampler === '') return undefined;
  switch (sampler) {
    case 'always_on':
    case 'parentbased_always_on':
      return 1;
    case 'always_off':
    case 'parentbased_always_off':
      return 0;
    case 'traceidratio':
    case 'parentbased_traceidratio': {
      const arg = env.OTEL_TRACES_SAMPLER_ARG;
      return arg === undefined || arg.trim() === '' ? 1 : envNumber(arg);
    }
    default:
      return `sampler ${sampler}`; // reported by validation as an invalid ratio, with its source
  }
}

type Sources = Record<string, string>;

/**
 * Merges explicit options, `IMMO_TRACING_*` and `OTEL_*` variables and defaults, then validates the
 * result whole. Throws {@link TracingOptionsError} listing every problem.
 */
export function resolveTracingOptions(
  options: TracingOptions = {},
  env: NodeJS.ProcessEnv = process.env,
): ResolvedTracingOptions {
  if (options === null || typeof options !== 'object') {
    throw new TracingOptionsError('IMMO_TRACING_INVALID_OPTIONS', 'Invalid @immo/tracing options', [
      `(options): expected object, received ${options === null ? 'null' : typeof options}`,
    ]);
  }
  const resourceEnv = parseKeyValueList(env.OTEL_RESOURCE_ATTRIBUTES);
  const sources: Sources = {};
  const merged: Record<string, unknown> = {
    serviceName: 'unknown_service:node',
    serviceVersion: '0.0.0',
    environment: 'development',
    otlpEndpoint: undefined,
    otlpProtocol: 'http/protobuf',
    otlpHeaders: {},
    sampleRatio: 1,
    enabled: true,
    resourceAttributes: {},
    instrumentUndici: true,
    instrumentPg: true,
    redact: {},
    maxQueueSize: 2048,
    maxExportBatchSize: 512,
    scheduledDelayMs: 5000,
    exportTimeoutMs: 10_000,
    requestIdHeader: 'x-request-id',
  };
  // Lowest precedence first: each later source overwrites.
  const take = (key: string, value: unknown, source: string) => {
    if (value === undefined || value === '') return;
    merged[key] = value;
    sources[key] = source;
  };
  take('serviceName', env.npm_package_name, 'npm_package_name');
  take('serviceName', resourceEnv['service.name'], 'OTEL_RESOURCE_ATTRIBUTES');
  take('serviceName', env.OTEL_SERVICE_NAME, 'OTEL_SERVICE_NAME');
  take('serviceName', env.IMMO_TRACING_SERVICE_NAME, 'IMMO_TRACING_SERVICE_NAME');
  take('serviceVersion', env.npm_package_version, 'npm_package_version');
  take('serviceVersion', resourceEnv['service.version'], 'OTEL_RESOURCE_ATTRIBUTES');
  take('serviceVersion', env.IMMO_TRACING_SERVICE_VERSION, 'IMMO_TRACING_SERVICE_VERSION');
  take('environment', env.NODE_ENV, 'NODE_ENV');
  take('environment', resourceEnv['deployment.environment'], 'OTEL_RESOURCE_ATTRIBUTES');
  take('environment', resourceEnv['deployment.environment.name'], 'OTEL_RESOURCE_ATTRIBUTES');
  take('environment', env.IMMO_TRACING_ENVIRONMENT, 'IMMO_TRACING_ENVIRONMENT');
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (base !== undefined && base.trim() !== '') {
    take(
      'otlpEndpoint',
      URL.canParse(base) ? new URL('v1/traces', base.endsWith('/') ? base : `${base}/`).toString() : base,
      'OTEL_EXPORTER_OTLP_ENDPOINT',
    );
  }
  take('otlpEndpoint', env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const immoEndpoint = env.IMMO_TRACING_OTLP_ENDPOINT;
  if (immoEndpoint !== undefined && immoEndpoint !== '')
    take('otlpEndpoint', tracesUrl(immoEndpoint), 'IMMO_TRACING_OTLP_ENDPOINT');
  take('otlpProtocol', env.OTEL_EXPORTER_OTLP_PROTOCOL, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  take('otlpProtocol', env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL');
  const headers = {
    ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_HEADERS),
    ...parseKeyValueList(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS),
  };
  if (Object.keys(headers).length > 0) take('otlpHeaders', headers, 'OTEL_EXPORTER_OTLP_HEADERS');
  take('sampleRatio', samplerRatio(env), 'OTEL_TRACES_SAMPLER');
  if (env.IMMO_TRACING_SAMPLE_RATIO !== undefined && env.IMMO_TRACING_SAMPLE_RATIO !== '') {
    take('sampleRatio', envNumber(env.IMMO_TRACING_SAMPLE_RATIO), 'IMMO_TRACING_SAMPLE_RATIO');
  }
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') take('enabled', false, 'OTEL_SDK_DISABLED');
  if (env.IMMO_TRACING_ENABLED) take('enabled', envBoolean(env.IMMO_TRACING_ENABLED), 'IMMO_TRACING_ENABLED');
  if (env.IMMO_TRACING_INSTRUMENT_UNDICI) {
    take(
      'instrumentUndici',
      envBoolean(env.IMMO_TRACING_INSTRUMENT_UNDICI),
      'IMMO_TRACING_INSTRUMENT_UNDICI',
    );
  }
  if (env.IMMO_TRACING_INSTRUMENT_PG) {
    take('instrumentPg', envBoolean(env.IMMO_TRACING_INSTRUMENT_PG), 'IMMO_TRACING_INSTRUMENT_PG');
  }
  const numbers: Array<[string, string]> = [
    ['maxQueueSize', 'OTEL_BSP_MAX_QUEUE_SIZE'],
    ['maxExportBatchSize', 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE'],
    ['scheduledDelayMs', 'OTEL_BSP_SCHEDULE_DELAY'],
    ['exportTimeoutMs', 'OTEL_EXPORTER_OTLP_TIMEOUT'],
    ['exportTimeoutMs', 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT'],
  ];
  for (const [key, variable] of numbers) {
    const raw = env[variable];
    if (raw !== undefined && raw !== '') take(key, envNumber(raw), variable);
  }
  const idHeader = env.IMMO_TRACING_REQUEST_ID_HEADER;
  if (idHeader !== undefined && idHeader !== '') {
    take(
      'requestIdHeader',
      idHeader === 'false' ? false : idHeader.toLowerCase(),
      'IMMO_TRACING_REQUEST_ID_HEADER',
    );
  }
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined) {
      merged[key] = value;
      delete sources[key];
    }
  }
  if (typeof merged.otlpEndpoint === 'string' && sources.otlpEndpoint === undefined) {
    merged.otlpEndpoint = tracesUrl(merged.otlpEndpoint);
  }
  const result = schema.safeParse(merged);
  const issues = result.success ? [] : formatIssues(result.error, merged, sources);
  const { maxExportBatchSize: batch, maxQueueSize: queue } = merged;
  if (typeof batch === 'number' && typeof queue === 'number' && batch > queue) {
    issues.push(`maxExportBatchSize: expected at most maxQueueSize (${queue}), received number ${batch}`);
  }
  if (!result.success || issues.length > 0) {
    throw new TracingOptionsError('IMMO_TRACING_INVALID_OPTIONS', 'Invalid @immo/tracing options', issues);
  }
  const d = result.data;
  return {
    serviceName: d.serviceName,
    serviceVersion: d.serviceVersion,
    environment: d.environment,
    otlpEndpoint: d.otlpEndpoint,
    otlpProtocol: d.otlpProtocol,
    otlpHeaders: { ...d.otlpHeaders },
    sampleRatio: d.sampleRatio,
    enabled: d.enabled,
    resourceAttributes: { ...resourceEnv, ...d.resourceAttributes },
    instrumentUndici: d.instrumentUndici,
    instrumentPg: d.instrumentPg,
    redact: d.redact === false ? false : (d.redact as RedactOptions),
    maxQueueSize: d.maxQueueSize,
    maxExportBatchSize: d.maxExportBatchSize,
    scheduledDelayMs: d.scheduledDelayMs,
    exportTimeoutMs: d.exportTimeoutMs,
    requestIdHeader: typeof d.requestIdHeader === 'string' ? d.requestIdHeader.toLowerCase() : false,
    correlationId: d.correlationId,
    logger: d.logger,
    exporter: d.exporter,
  };
}

/** Every environment variable @immo/tracing reads (options, register entry and `./sentry`). */
export const ENV_VARIABLES: readonly string[] = [
  'IMMO_TRACING_SERVICE_NAME',
  'IMMO_TRACING_SERVICE_VERSION',
  'IMMO_TRACING_ENVIRONMENT',
  'IMMO_TRACING_OTLP_ENDPOINT',
  'IMMO_TRACING_SAMPLE_RATIO',
  'IMMO_TRACING_ENABLED',
  'IMMO_TRACING_INSTRUMENT_UNDICI',
  'IMMO_TRACING_INSTRUMENT_PG',
  'IMMO_TRACING_REQUEST_ID_HEADER',
  'IMMO_SENTRY_ENABLED',
  'IMMO_SENTRY_LOAD',
  'OTEL_SERVICE_NAME',
  'OTEL_RESOURCE_ATTRIBUTES',
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT',
  'OTEL_EXPORTER_OTLP_PROTOCOL',
  'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
  'OTEL_EXPORTER_OTLP_TIMEOUT',
  'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
  'OTEL_TRACES_SAMPLER',
  'OTEL_TRACES_SAMPLER_ARG',
  'OTEL_SDK_DISABLED',
  'OTEL_BSP_MAX_QUEUE_SIZE',
  'OTEL_BSP_MAX_EXPORT_BATCH_SIZE',
  'OTEL_BSP_SCHEDULE_DELAY',
  'SENTRY_DSN',
  'SENTRY_ENVIRONMENT',
  'SENTRY_RELEASE',
  'SENTRY_SAMPLE_RATE',
  'SENTRY_DEBUG',
  'K8S_POD_NAME',
  'K8S_POD_UID',
  'K8S_NAMESPACE_NAME',
  'K8S_NODE_NAME',
  'K8S_CONTAINER_NAME',
];
