import { randomFillSync } from 'node:crypto';
import type { Context, Link, SpanKind } from '@opentelemetry/api';
import {
  type IdGenerator,
  type Sampler,
  SamplingDecision,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';

const INVALID_TRACE_ID = '00000000000000000000000000000000';
const INVALID_SPAN_ID = '0000000000000000';
// 512 random bytes, hex-encoded at once: 21 requests' trace and span ids per refill. Kept small
// because an id is a slice of this string and keeps it alive (an exemplar holds a trace id for long).
const POOL_BYTES = 512;

/**
 * Trace and span ids cut from a pool of cryptographically random bytes that is hex-encoded in one
 * call, instead of the SDK's two Buffer writes and a hex encoding per id: every request needs a trace
 * id (it is the request id and travels in traceparent), sampled or not, so this is on the hot path.
 * All-zero ids (invalid in W3C trace context) are never returned.
 * @internal
 */
export class PooledIdGenerator implements IdGenerator {
  private readonly bytes = Buffer.allocUnsafe(POOL_BYTES);
  private hex = '';
  private pos = 0;

  private take(chars: number): string {
    if (this.pos + chars > this.hex.length) {
      randomFillSync(this.bytes);
      this.hex = this.bytes.toString('hex');
      this.pos = 0;
    }
    const id = this.hex.slice(this.pos, this.pos + chars);
    this.pos += chars;
    return id;
  }

  generateTraceId(): string {
    let id = this.take(32);
    while (id === INVALID_TRACE_ID) id = this.take(32);
    return id;
  }

  generateSpanId(): string {
    let id = this.take(16);
    while (id === INVALID_SPAN_ID) id = this.take(16);
    return id;
  }
}

const SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const NOT_SAMPLED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * The SDK's `TraceIdRatioBasedSampler`, decision for decision (the same accumulation of the trace
 * id's four 32-bit words against the same bound), without its regular-expression validity check and
 * the result object per call: the root sampler runs for every request that arrives without a
 * parent. An id that is not 32 hex digits (or all zeros) is not sampled, as in the SDK.
 * @internal
 */
export class RatioSampler implements Sampler {
  private readonly ratio: number;
  private readonly bound: number;

  constructor(ratio: number) {
    const r = typeof ratio !== 'number' || Number.isNaN(ratio) ? 0 : Math.min(1, Math.max(0, ratio));
    this.ratio = r;
    this.bound = r === 1 ? 0x100000000 : Math.floor(r * 0xffffffff);
  }

  shouldSample(
    _context: Context,
    traceId: string,
    _name?: string,
    _kind?: SpanKind,
    _attributes?: unknown,
    _links?: Link[],
  ): SamplingResult {
    const acc = accumulate(traceId);
    return acc !== -1 && acc < this.bound ? SAMPLED : NOT_SAMPLED;
  }

  toString(): string {
    return `TraceIdRatioBased{${this.ratio}}`;
  }
}

/** XOR of the trace id's four 32-bit words, or -1 when it is not 32 hex digits or is all zeros. */
export function accumulate(traceId: string): number {
  if (typeof traceId !== 'string' || traceId.length !== 32) return -1;
  let acc = 0;
  let any = 0;
  for (let i = 0; i < 32; i += 8) {
    let part = 0;
    for (let j = 0; j < 8; j++) {
      const c = traceId.charCodeAt(i + j);
      let v: number;
      if (c >= 48 && c <= 57) v = c - 48;
      else if (c >= 97 && c <= 102) v = c - 87;
      else if (c >= 65 && c <= 70) v = c - 55;
      else return -1;
      part = (part << 4) | v;
    }
    any |= part;
    acc = (acc ^ part) >>> 0;
  }
  return any === 0 ? -1 : acc;
}
