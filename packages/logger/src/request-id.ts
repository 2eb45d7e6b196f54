import { randomUUID } from 'node:crypto';
import { activeTraceId } from './trace.js';

/** The longest incoming `x-request-id` kept. Longer ones are replaced, not truncated. */
export const MAX_REQUEST_ID_LENGTH = 128;

// Safe charset: letters, digits and - _ . : / + =  — what ingress controllers, load balancers and
// UUID/ULID/trace-id generators produce. Anything else (CRLF, quotes, spaces, control or
// non-ASCII characters) could forge log fields or headers, so the id is replaced, never echoed.
const SAFE = new Uint8Array(128);
for (const c of 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/+=')
  SAFE[c.charCodeAt(0)] = 1;

/**
 * Returns the id when it is a usable incoming `x-request-id`: a single string of 1–128
 * characters from `[A-Za-z0-9-_.:/+=]` (UUIDs, ULIDs, trace ids, AWS `Root=1-…` ids, base64). Returns `undefined` otherwise.
 *
 * @example
 * ```ts
 * sanitizeRequestId('7f2c1e0a-4b1d-4c38-9a51-0c3b8e0d1f2a'); // kept
 * sanitizeRequestId('abc\r\nSet-Cookie: x=1');                // undefined
 * ```
 */
export function sanitizeRequestId(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const n = value.length;
  if (n === 0 || n > MAX_REQUEST_ID_LENGTH) return undefined;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || SAFE[c] === 0) return undefined;
  }
  return value;
}

const HEX = new Uint8Array(128);
for (const c of '0123456789abcdef') HEX[c.charCodeAt(0)] = 1;

function isLowerHex(s: string, from: number, to: number): boolean {
  let allZero = true;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || HEX[c] === 0) return false;
    if (c !== 48) allZero = false;
  }
  return !allZero;
}

/**
 * The trace id of a valid W3C `traceparent` header (version 00 layout, lowercase hex, non-zero
 * trace and parent ids, version not `ff`), or `undefined`.
 *
 * @example
 * ```ts
 * traceIdFromTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'); // '4bf92f35…'
 * ```
 */
export function traceIdFromTraceparent(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // version(2) - trace-id(32) - parent-id(16) - flags(2); later versions may append fields.
  if (value.length < 55 || (value.length > 55 && value.charCodeAt(55) !== 45)) return undefined;
  if (value.charCodeAt(2) !== 45 || value.charCodeAt(35) !== 45 || value.charCodeAt(52) !== 45)
    return undefined;
  const version = value.slice(0, 2);
  if (version === 'ff' || !/^[0-9a-f]{2}$/.test(version)) return undefined;
  if (version === '00' && value.length !== 55) return undefined;
  if (!isLowerHex(value, 3, 35) || !isLowerHex(value, 36, 52)) return undefined;
  if (!/^[0-9a-f]{2}$/.test(value.slice(53, 55))) return undefined;
  return value.slice(3, 35);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** What {@link resolveRequestId} reads from an incoming request. */
export interface RequestIdSource {
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Picks the correlation id of a request, in this order: a valid incoming `x-request-id` (so an
 * ingress's id survives), the trace id of a valid `traceparent`, the trace id of the active
 * server span (when tracing is on), else a new random UUID.
 *
 * @example
 * ```ts
 * const app = Fastify({ genReqId: (req) => resolveRequestId(req) });
 * ```
 */
export function resolveRequestId(req: RequestIdSource, header = 'x-request-id'): string {
  const incoming = sanitizeRequestId(headerValue(req.headers[header]));
  if (incoming !== undefined) return incoming;
  const id = traceIdFromTraceparent(headerValue(req.headers.traceparent)) ?? activeTraceId() ?? randomUUID();
  lastGeneratedId = id;
  return id;
}

// The last id resolveRequestId() made itself (hex trace id or UUID, never a client's text). Fastify
// creates the request's logger synchronously right after asking for the id, so the plugin can tell
// an id that needs no PII scan from an incoming one by identity.
let lastGeneratedId: string | undefined;

/** @internal True when `id` is the id resolveRequestId() has just generated (not taken from a client header). */
export function isGeneratedRequestId(id: string): boolean {
  return id === lastGeneratedId;
}
