import type { Redactor } from '@immo/redact';
import { CENSOR } from '@immo/redact';
import type { Attributes, AttributeValue, Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';

// Attributes whose value is a URL or a query string: their query parameters are judged by name
// (`?token=…`, `&password=…`), which the value detectors alone cannot see.
const URL_KEYS = new Set(['url.full', 'url.query', 'http.url', 'http.target', 'url.original']);

function scrubQuery(query: string, r: Redactor): string {
  let changed = false;
  const parts = query.split('&');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    const eq = part.indexOf('=');
    if (eq === -1) {
      const v = r.redactString(part);
      if (v !== part) {
        parts[i] = v;
        changed = true;
      }
      continue;
    }
    let name = part.slice(0, eq);
    try {
      name = decodeURIComponent(name.replace(/\+/g, ' '));
    } catch {
      // keep the raw name
    }
    const raw = part.slice(eq + 1);
    let decoded = raw;
    try {
      decoded = decodeURIComponent(raw.replace(/\+/g, ' '));
    } catch {
      // judged as is
    }
    if (r.isSensitiveKey(name)) {
      parts[i] = `${part.slice(0, eq)}=${CENSOR}`;
      changed = true;
    } else if (r.redactString(decoded) !== decoded) {
      parts[i] = `${part.slice(0, eq)}=${r.redactString(decoded)}`;
      changed = true;
    }
  }
  return changed ? parts.join('&') : query;
}

/** A URL or query string with sensitive query parameters and user-info passwords censored. */
export function scrubUrl(value: string, r: Redactor): string {
  let out = value;
  const q = out.indexOf('?');
  if (q !== -1) {
    const hash = out.indexOf('#', q);
    const query = hash === -1 ? out.slice(q + 1) : out.slice(q + 1, hash);
    const scrubbed = scrubQuery(query, r);
    if (scrubbed !== query) out = `${out.slice(0, q + 1)}${scrubbed}${hash === -1 ? '' : out.slice(hash)}`;
  } else if (!out.includes('/') && out.includes('=')) {
    // url.query holds the query without its '?'
    out = scrubQuery(out, r);
  }
  // https://user:password@host/… — the password never leaves the process.
  out = out.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/i, `$1:${CENSOR}@`);
  return r.redactString(out);
}

function scrubValue(key: string, value: AttributeValue, r: Redactor): AttributeValue {
  if (typeof value === 'string') return URL_KEYS.has(key) ? scrubUrl(value, r) : r.redactString(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i];
      const s = typeof v === 'string' ? r.redactString(v) : v;
      if (s !== v && out === undefined) out = value.slice(0, i);
      if (out !== undefined) out.push(s);
    }
    return (out ?? value) as AttributeValue;
  }
  // Numbers that could be card numbers (16+ digits) are above 2^53 and not exact anyway; booleans hold nothing.
  return value;
}

/** Attributes with sensitive keys censored and PII in values redacted; the same object when clean. */
export function scrubAttributes(attributes: Attributes, r: Redactor): Attributes {
  let out: Attributes | undefined;
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined) continue;
    const s: AttributeValue = r.isSensitiveKey(key) ? CENSOR : scrubValue(key, value, r);
    if (s !== value && out === undefined) out = { ...attributes };
    if (out !== undefined) out[key] = s;
  }
  return out ?? attributes;
}

function scrubEvents(events: readonly TimedEvent[], r: Redactor): TimedEvent[] {
  let out: TimedEvent[] | undefined;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as TimedEvent;
    const name = r.redactString(e.name);
    const attributes = e.attributes === undefined ? undefined : scrubAttributes(e.attributes, r);
    const changed = name !== e.name || attributes !== e.attributes;
    if (changed && out === undefined) out = events.slice(0, i);
    if (out !== undefined) out.push(changed ? { ...e, name, ...(attributes ? { attributes } : {}) } : e);
  }
  return out ?? (events as TimedEvent[]);
}

function scrubLinks(links: readonly Link[], r: Redactor): Link[] {
  let out: Link[] | undefined;
  for (let i = 0; i < links.length; i++) {
    const l = links[i] as Link;
    const attributes = l.attributes === undefined ? undefined : scrubAttributes(l.attributes, r);
    if (attributes !== l.attributes && out === undefined) out = links.slice(0, i);
    if (out !== undefined) out.push(attributes !== l.attributes ? { ...l, attributes } : l);
  }
  return out ?? (links as Link[]);
}

/**
 * The span as it may leave the process: name, attributes, events (exception messages and stacks),
 * links and status message scrubbed with one @immo/redact policy. Returns the span itself when
 * nothing changed, else a read-only copy the exporters accept.
 */
export function scrubSpan(span: ReadableSpan, r: Redactor): ReadableSpan {
  const name = r.redactString(span.name);
  const attributes = scrubAttributes(span.attributes, r);
  const events = scrubEvents(span.events, r);
  const links = scrubLinks(span.links, r);
  const message = span.status.message;
  const statusMessage = message === undefined ? undefined : r.redactString(message);
  if (
    name === span.name &&
    attributes === span.attributes &&
    events === span.events &&
    links === span.links &&
    statusMessage === message
  ) {
    return span;
  }
  return {
    name,
    kind: span.kind,
    spanContext: () => span.spanContext(),
    parentSpanContext: span.parentSpanContext,
    startTime: span.startTime,
    endTime: span.endTime,
    status: statusMessage === message ? span.status : { ...span.status, message: statusMessage },
    attributes,
    links,
    events,
    duration: span.duration,
    ended: span.ended,
    resource: span.resource,
    instrumentationScope: span.instrumentationScope,
    droppedAttributesCount: span.droppedAttributesCount,
    droppedEventsCount: span.droppedEventsCount,
    droppedLinksCount: span.droppedLinksCount,
  };
}
