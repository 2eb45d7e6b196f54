import diagnosticsChannel from 'node:diagnostics_channel';
import { MetricsOptionsError } from './errors.js';
import { normalizeMethod } from './http.js';
import type { Histogram } from './metric.js';
import { getMetrics, internals, type Metrics } from './metrics.js';

/** The semantic conventions' bucket advice for `http.client.request.duration` (seconds). */
export const HTTP_CLIENT_DURATION_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

type ClientLabel =
  | 'http_request_method'
  | 'server_address'
  | 'server_port'
  | 'http_response_status_code'
  | 'error_type';

/** Options of {@link instrumentUndici}. */
export interface UndiciInstrumentationOptions {
  /** @default getMetrics() */
  metrics?: Metrics;
  /** @default HTTP_CLIENT_DURATION_BUCKETS */
  buckets?: readonly number[];
}

const kStart = Symbol('immo.metrics.start');

interface UndiciRequest {
  origin?: string | { origin?: string; toString(): string };
  method?: string;
  [kStart]?: number;
}

const CHANNELS = ['undici:request:create', 'undici:request:headers', 'undici:request:error'] as const;

/** `server.address`/`server.port` of an origin, cached: a service talks to few origins. */
const origins = new Map<string, { address: string; port: string }>();
function parseOrigin(origin: UndiciRequest['origin']): { address: string; port: string } {
  const key = typeof origin === 'string' ? origin : (origin?.origin ?? String(origin));
  let hit = origins.get(key);
  if (hit !== undefined) return hit;
  try {
    const u = new URL(key);
    hit = {
      address: u.hostname.replace(/^\[|\]$/g, ''),
      port: u.port || (u.protocol === 'https:' ? '443' : '80'),
    };
  } catch {
    hit = { address: '_OTHER', port: '' };
  }
  if (origins.size < 1000) origins.set(key, hit);
  return hit;
}

function errorType(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
  const name = (err as { name?: unknown })?.name;
  return typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,60}$/.test(name) ? name : '_OTHER';
}

/**
 * Records `http_client_request_duration_seconds` for every request made with undici, including
 * Node's global `fetch` (through the `undici:request:*` diagnostics channels, so no patching).
 * The duration runs until the response headers arrive, or until the request fails. Idempotent
 * per metrics instance; returns a function that stops recording.
 *
 * @example
 * ```ts
 * import { instrumentUndici } from '@immo/metrics';
 *
 * const stop = instrumentUndici();
 * await fetch('https://api.example.com/rates'); // recorded with server_address="api.example.com"
 * stop();
 * ```
 */
export function instrumentUndici(options: UndiciInstrumentationOptions = {}): () => void {
  if (options === null || typeof options !== 'object')
    throw new MetricsOptionsError('IMMO_METRICS_INVALID_OPTIONS', 'Invalid instrumentUndici options', [
      `(options): expected object, received ${options === null ? 'null' : typeof options}`,
    ]);
  const metrics = options.metrics ?? getMetrics();
  const memo = internals(metrics).memo;
  const existing = memo.get('undici') as (() => void) | undefined;
  if (existing !== undefined) return existing;

  const duration: Histogram<ClientLabel> = metrics.histogram({
    name: 'http_client_request_duration_seconds',
    help: 'Duration of HTTP client requests until the response headers arrive, in seconds.',
    unit: 'seconds',
    labelNames: [
      'http_request_method',
      'server_address',
      'server_port',
      'http_response_status_code',
      'error_type',
    ],
    buckets: options.buckets ?? HTTP_CLIENT_DURATION_BUCKETS,
  });

  const record = (request: UndiciRequest, status: number | undefined, error: string | undefined) => {
    const start = request[kStart];
    if (start === undefined) return;
    request[kStart] = undefined;
    const { address, port } = parseOrigin(request.origin);
    duration.observe(
      {
        http_request_method: normalizeMethod(request.method),
        server_address: address,
        server_port: port,
        http_response_status_code: status === undefined ? '' : status,
        error_type: error ?? (status !== undefined && status >= 400 ? String(status) : ''),
      },
      (performance.now() - start) / 1000,
    );
  };
  const handlers = {
    'undici:request:create': (message: unknown) => {
      const { request } = message as { request: UndiciRequest };
      request[kStart] = performance.now();
    },
    'undici:request:headers': (message: unknown) => {
      const { request, response } = message as { request: UndiciRequest; response: { statusCode: number } };
      record(request, response.statusCode, undefined);
    },
    'undici:request:error': (message: unknown) => {
      const { request, error } = message as { request: UndiciRequest; error: unknown };
      record(request, undefined, errorType(error));
    },
  };
  for (const name of CHANNELS) diagnosticsChannel.subscribe(name, handlers[name]);
  const stop = () => {
    if (memo.get('undici') !== stop) return;
    memo.delete('undici');
    for (const name of CHANNELS) diagnosticsChannel.unsubscribe(name, handlers[name]);
  };
  memo.set('undici', stop);
  return stop;
}
