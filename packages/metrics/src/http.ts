import type { Gauge, Histogram } from './metric.js';
import { DEFAULT_BUCKETS, type Metrics } from './metrics.js';

/** Methods the OpenTelemetry HTTP semantic conventions know; any other is recorded as `_OTHER`. */
export const HTTP_METHODS: readonly string[] = Object.freeze([
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'QUERY',
]);
const KNOWN = new Set(HTTP_METHODS);

/** The `http_route` value of requests no route matched (Fastify's 404 handler). */
export const UNMATCHED_ROUTE = '_UNMATCHED';

/**
 * The `http_request_method` label value: a known method as is, anything else `_OTHER`.
 *
 * @example
 * ```ts
 * normalizeMethod('get'); // '_OTHER' (methods are case-sensitive)
 * normalizeMethod('PROPFIND'); // '_OTHER'
 * ```
 */
export function normalizeMethod(method: string | undefined): string {
  return method !== undefined && KNOWN.has(method) ? method : '_OTHER';
}

/** The semantic conventions' bucket advice for `http.server.request.duration` (seconds). */
export const HTTP_SERVER_DURATION_BUCKETS: readonly number[] = DEFAULT_BUCKETS;

/** Buckets of the request and response body size histograms (bytes). */
export const HTTP_BODY_SIZE_BUCKETS: readonly number[] = Object.freeze([
  100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
]);

export type HttpServerLabel =
  | 'http_request_method'
  | 'http_route'
  | 'http_response_status_code'
  | 'error_type';
type SizeLabel = 'http_request_method' | 'http_route' | 'http_response_status_code';

/** The HTTP server metrics, named after the OpenTelemetry semantic conventions. */
export interface HttpServerMetrics {
  duration: Histogram<HttpServerLabel>;
  active: Gauge<'http_request_method'>;
  requestSize: Histogram<SizeLabel>;
  responseSize: Histogram<SizeLabel>;
}

/**
 * Gets (or creates) the HTTP server metrics. Use it to record requests of a server that is not
 * Fastify; the Fastify plugin uses the same metrics.
 *
 * @example
 * ```ts
 * const http = httpServerMetrics(getMetrics());
 * http.duration.observe({ http_request_method: 'GET', http_route: '/orgs/:id', http_response_status_code: 200 }, 0.012);
 * ```
 */
export function httpServerMetrics(
  metrics: Metrics,
  options: { buckets?: readonly number[] } = {},
): HttpServerMetrics {
  return {
    duration: metrics.histogram({
      name: 'http_server_request_duration_seconds',
      help: 'Duration of HTTP server requests, in seconds.',
      unit: 'seconds',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code', 'error_type'],
      buckets: options.buckets ?? HTTP_SERVER_DURATION_BUCKETS,
    }),
    active: metrics.gauge({
      name: 'http_server_active_requests',
      help: 'HTTP server requests in flight.',
      labelNames: ['http_request_method'],
    }),
    requestSize: metrics.histogram({
      name: 'http_server_request_body_size_bytes',
      help: 'Size of HTTP server request bodies (from Content-Length), in bytes.',
      unit: 'bytes',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: HTTP_BODY_SIZE_BUCKETS,
    }),
    responseSize: metrics.histogram({
      name: 'http_server_response_body_size_bytes',
      help: 'Size of HTTP server response bodies (from Content-Length), in bytes.',
      unit: 'bytes',
      labelNames: ['http_request_method', 'http_route', 'http_response_status_code'],
      buckets: HTTP_BODY_SIZE_BUCKETS,
    }),
  };
}
