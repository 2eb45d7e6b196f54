/** Prometheus text and OpenMetrics helpers shared by our writer and the foreign-metric formatter. */

const NEEDS_LABEL_ESCAPE = /[\\"\n]/;
const NEEDS_HELP_ESCAPE = /[\\\n]/;

export function escapeLabelValue(value: string): string {
  if (!NEEDS_LABEL_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function escapeHelp(help: string): string {
  if (!NEEDS_HELP_ESCAPE.test(help)) return help;
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatNumber(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return 'NaN';
}

/** `a="x",b="y"` for the given pairs, skipping empty values (Prometheus treats them as absent). */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    const v = values[i];
    if (v === undefined || v === '') continue;
    if (out !== '') out += ',';
    out += `${names[i]}="${escapeLabelValue(v)}"`;
  }
  return out;
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/**
 * Content negotiation on `Accept`: OpenMetrics when it is accepted with a quality at least as
 * high as plain text (Prometheus sends `application/openmetrics-text;version=1.0.0,...,
 * text/plain;version=0.0.4;q=0.5,*\/*;q=0.1`), else the Prometheus text format 0.0.4.
 */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined || accept.indexOf('openmetrics') === -1) return false;
  let om = 0;
  let text = 0;
  for (const range of accept.split(',')) {
    const parts = range.split(';');
    const type = parts[0]!.trim().toLowerCase();
    let q = 1;
    for (let i = 1; i < parts.length; i++) {
      const p = parts[i]!.trim();
      if (p.startsWith('q=')) q = Number(p.slice(2));
    }
    if (!Number.isFinite(q)) continue;
    if (type === 'application/openmetrics-text') om = Math.max(om, q);
    else if (type === 'text/plain' || type === '*/*' || type === 'text/*') text = Math.max(text, q);
  }
  return om > 0 && om >= text;
}
