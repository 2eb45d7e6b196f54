import { MixinError } from './errors.js';
import type { GrafanaDashboard } from './types.js';

/**
 * One PromQL target of a dashboard panel.
 *
 * @example
 * ```ts
 * const q: DashboardQuery = { panel: 'Request rate', refId: 'A', expr: 'sum(rate(x_count[$__rate_interval]))' };
 * ```
 */
export interface DashboardQuery {
  /** The panel title. */
  panel: string;
  /** The target's refId (`A`, `B`, ...). */
  refId: string;
  /** The PromQL expression, with Grafana variables left in place. */
  expr: string;
  /** The legend template, when set. */
  legendFormat?: string;
  /** The panel unit (`fieldConfig.defaults.unit`), when set. */
  unit?: string;
}

/** A panel as found in dashboard JSON; only the fields the mixin reads. */
export interface PanelJson {
  type?: string;
  title?: string;
  description?: string;
  datasource?: { type?: string; uid?: string } | string | null;
  fieldConfig?: { defaults?: { unit?: string } };
  targets?: { refId?: string; expr?: string; legendFormat?: string; datasource?: unknown }[];
  panels?: PanelJson[];
}

/** Every non-row panel, including the panels nested in collapsed rows, in dashboard order. */
export function flattenPanels(dashboard: GrafanaDashboard): PanelJson[] {
  const out: PanelJson[] = [];
  for (const p of (dashboard.panels ?? []) as PanelJson[]) {
    if (p.type === 'row') out.push(...(p.panels ?? []));
    else out.push(p);
  }
  return out;
}

/**
 * Every PromQL expression of the dashboard with its panel title and refId, in dashboard order
 * (panels inside collapsed rows included). Pass `expr` through {@link substituteVariables} to run it
 * against Prometheus.
 *
 * @example
 * ```ts
 * for (const q of dashboardQueries(overviewDashboard())) {
 *   const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(substituteVariables(q.expr))}`);
 *   console.log(q.panel, (await res.json()).status);
 * }
 * ```
 */
export function dashboardQueries(dashboard: GrafanaDashboard): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const panel of flattenPanels(dashboard)) {
    for (const [i, t] of (panel.targets ?? []).entries()) {
      if (typeof t.expr !== 'string') continue;
      const q: DashboardQuery = {
        panel: panel.title ?? '',
        refId: t.refId ?? String.fromCharCode(65 + i),
        expr: t.expr,
      };
      if (t.legendFormat !== undefined) q.legendFormat = t.legendFormat;
      const unit = panel.fieldConfig?.defaults?.unit;
      if (unit !== undefined) q.unit = unit;
      out.push(q);
    }
  }
  return out;
}

/**
 * Values for {@link substituteVariables}, by variable name without `$`. A string is inserted as it
 * is (it may be a regex, like Grafana's "All" value `.+`); an array is a multi-value selection and
 * becomes a regex alternation `(a|b)` of the escaped values, as Grafana does for Prometheus.
 *
 * @example
 * ```ts
 * const values: VariableValues = { job: 'sample-app', instance: ['10.0.0.1:3000', '10.0.0.2:3000'] };
 * ```
 */
export type VariableValues = Record<string, string | readonly string[]>;

/**
 * The values {@link substituteVariables} uses for variables not given explicitly: Grafana's
 * built-in interval variables for a 1-hour range with a 15 s scrape interval, and "All" (`.+`) for
 * the overview dashboard's `job`, `instance` and `service`.
 *
 * @example
 * ```ts
 * substituteVariables(expr, { ...defaultVariableValues, __rate_interval: '5m' });
 * ```
 */
export const defaultVariableValues: Readonly<Record<string, string>> = Object.freeze({
  __rate_interval: '1m',
  __rate_interval_ms: '60000',
  __interval: '15s',
  __interval_ms: '15000',
  __range: '1h',
  __range_s: '3600',
  __range_ms: '3600000',
  datasource: 'prometheus',
  job: '.+',
  instance: '.+',
  service: '.+',
});

const VARIABLE = /\$\{(\w+)(?::(\w+))?\}|\[\[(\w+)(?::(\w+))?\]\]|\$(\w+)/g;

function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|{}[\]]/g, '\\$&');
}

function format(value: string | readonly string[], fmt: string | undefined): string {
  if (typeof value === 'string') return value;
  switch (fmt) {
    case 'csv':
    case 'raw':
      return value.join(',');
    case 'pipe':
      return value.join('|');
    default:
      return value.length === 1 ? escapeRegex(value[0]!) : `(${value.map(escapeRegex).join('|')})`;
  }
}

/**
 * Replaces the Grafana variables of a query (`$name`, `${name}`, `${name:format}`, `[[name]]`) so
 * that Prometheus can run it: `$__rate_interval` → `1m`, `$__interval` → `15s`, `$__range` → `1h`,
 * `$job`/`$instance`/`$service` → `.+` unless `values` says otherwise. Throws a {@link MixinError}
 * (`IMMO_METRICS_UNKNOWN_VARIABLE`) listing every variable it has no value for.
 *
 * @example
 * ```ts
 * substituteVariables('sum(rate(x_count{job=~"$job"}[$__rate_interval]))', { job: 'sample-app' });
 * // 'sum(rate(x_count{job=~"sample-app"}[1m]))'
 * ```
 */
export function substituteVariables(expr: string, values: VariableValues = {}): string {
  const all: VariableValues = { ...defaultVariableValues, ...values };
  const unknown = new Set<string>();
  const out = expr.replace(VARIABLE, (match, braced, bracedFmt, legacy, legacyFmt, plain) => {
    const name = (braced ?? legacy ?? plain) as string;
    const value = all[name];
    if (value === undefined) {
      unknown.add(name);
      return match;
    }
    return format(value, (bracedFmt ?? legacyFmt) as string | undefined);
  });
  if (unknown.size > 0) {
    throw new MixinError(
      'IMMO_METRICS_UNKNOWN_VARIABLE',
      `No value for the variables of ${JSON.stringify(expr)}`,
      [...unknown].map((n) => `$${n}: no value — pass substituteVariables(expr, { ${n}: '...' })`),
    );
  }
  return out;
}
