import { type Context, context } from '@opentelemetry/api';

/** What a server-error capture (Sentry) gets about the request: never the body, cookies or headers. */
export interface CapturedRequest {
  method: string;
  route: string | undefined;
  requestId: string;
  status: number;
}

type Capture = (error: Error, request: CapturedRequest) => void;

// Set by `initSentry()`; read by the Fastify plugin. Global (Symbol.for) so that two copies of the
// package agree, and so the plugin never imports @sentry/node itself.
const kCapture = Symbol.for('@immo/tracing.capture');
const g = globalThis as unknown as Record<symbol, Capture | undefined>;

/** @internal */
export function setServerErrorCapture(fn: Capture | undefined): void {
  g[kCapture] = fn;
}

/** @internal Sends a 5xx's thrown error to the capture (Sentry) inside the request's span context. */
export function captureServerError(
  error: Error | undefined,
  request: { method: string; routeOptions: { url?: string | undefined }; id: string },
  status: number,
  ctx: Context | undefined,
): void {
  const fn = g[kCapture];
  if (fn === undefined || error === undefined) return;
  const info: CapturedRequest = {
    method: request.method,
    route: request.routeOptions.url,
    requestId: request.id,
    status,
  };
  try {
    if (ctx === undefined) fn(error, info);
    else context.with(ctx, fn, undefined, error, info);
  } catch {
    // Telemetry never fails a request.
  }
}
