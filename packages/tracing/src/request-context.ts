import { type Context, ROOT_CONTEXT, type Span, trace } from '@opentelemetry/api';
import { kRequestIdHolder, type RequestIdHolder } from './tracing.js';

// @opentelemetry/api's key for the active span: created with createContextKey, i.e. Symbol.for of
// this description (so that two copies of the api agree). Checked below before it is relied on.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');

/**
 * A request's context: its parent (what propagation extracted), its server span and its request id
 * holder in one object. The api's `context.setValue` copies the parent's Map and makes three
 * closures for each value, twice per request; this is one small object, and a context derived from it
 * (a pg or fetch span, `withSpan`) is built the api's way on first use.
 */
class RequestContext implements Context {
  constructor(
    private readonly parent: Context,
    private readonly span: Span,
    private readonly holder: RequestIdHolder,
  ) {}

  getValue(key: symbol): unknown {
    if (key === SPAN_KEY) return this.span;
    if (key === kRequestIdHolder) return this.holder;
    return this.parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    return this.expanded().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.expanded().deleteValue(key);
  }

  private expanded(): Context {
    return trace.setSpan(this.parent, this.span).setValue(kRequestIdHolder, this.holder);
  }
}

function viaApi(parent: Context, span: Span, holder: RequestIdHolder): Context {
  return trace.setSpan(parent, span).setValue(kRequestIdHolder, holder);
}

function keyMatchesApi(): boolean {
  const probe = trace.wrapSpanContext({ traceId: '1'.repeat(32), spanId: '1'.repeat(16), traceFlags: 0 });
  const holder: RequestIdHolder = { requestId: undefined };
  const ctx = new RequestContext(ROOT_CONTEXT, probe, holder);
  return (
    trace.getSpan(ctx) === probe &&
    ctx.getValue(kRequestIdHolder) === holder &&
    trace.getSpan(ctx.setValue(Symbol('probe'), 1)) === probe
  );
}

/**
 * @internal The context a request runs in: `parent` with `span` as the active span and `holder` under
 * {@link kRequestIdHolder}. Falls back to the api's own contexts if its span key ever changes.
 */
export const requestContext: (parent: Context, span: Span, holder: RequestIdHolder) => Context =
  keyMatchesApi() ? (parent, span, holder) => new RequestContext(parent, span, holder) : viaApi;
