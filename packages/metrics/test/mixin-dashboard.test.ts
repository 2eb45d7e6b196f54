import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import {
  dashboardQueries,
  type GrafanaDashboard,
  lintDashboard,
  MixinError,
  metricsMixin,
  overviewDashboard,
  substituteVariables,
} from '../src/mixin/index.js';

function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(n.from);
    },
  });
  return errors;
}

/** Paths of values that are not JSON data (class instances, functions, undefined, NaN). */
function nonPlain(value: unknown, path = '$'): string[] {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return [];
  if (typeof value === 'number') return Number.isFinite(value) ? [] : [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => nonPlain(v, `${path}[${i}]`));
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.entries(value).flatMap(([k, v]) => nonPlain(v, `${path}.${k}`));
  }
  return [path];
}

interface Panel {
  type: string;
  title?: string;
  gridPos?: { x: number; y: number; w: number; h: number };
  fieldConfig?: { defaults?: { unit?: string; min?: number; max?: number } };
  targets?: { expr?: string; datasource?: { uid?: string }; legendFormat?: string }[];
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DS = '${datasource}';

const panelsOf = (d: GrafanaDashboard) => (d.panels ?? []) as Panel[];

describe('overview dashboard', () => {
  const dashboard = overviewDashboard();

  it('passes lintDashboard when built with defaults or options', () => {
    expect(lintDashboard(dashboard)).toEqual([]);
    expect(lintDashboard(overviewDashboard({ selector: 'namespace="prod"', title: 'Billing' }))).toEqual([]);
  });

  it('has the overview and per-route panels with their units', () => {
    const units = Object.fromEntries(
      panelsOf(dashboard)
        .filter((p) => p.type === 'timeseries')
        .map((p) => [p.title, p.fieldConfig?.defaults?.unit]),
    );
    expect(units).toEqual({
      'Request rate': 'reqps',
      'Error rate (5xx ratio)': 'percentunit',
      'In-flight requests': 'short',
      'p95 latency': 's',
      'p99 latency': 's',
      'Request rate by route': 'reqps',
      'Error ratio by route': 'percentunit',
      'p95 latency by route': 's',
    });
    expect(
      panelsOf(dashboard)
        .filter((p) => p.type === 'row')
        .map((p) => p.title),
    ).toEqual(['Overview', 'Per route']);
  });

  it('reads the latency quantiles from the buckets and the error ratio from 5xx counts', () => {
    const byTitle = new Map(dashboardQueries(dashboard).map((q) => [q.panel, q.expr]));
    expect(byTitle.get('p95 latency')).toMatch(/^histogram_quantile\(0\.95, sum by \(le, service\) \(rate\(/);
    expect(byTitle.get('p99 latency')).toMatch(/^histogram_quantile\(0\.99, /);
    expect(byTitle.get('p95 latency by route')).toContain('sum by (le, service, http_route)');
    expect(byTitle.get('Error rate (5xx ratio)')).toContain('http_response_status_code=~"5.."');
    expect(byTitle.get('Error ratio by route')).toMatch(/> 0\)$/);
    expect(byTitle.get('In-flight requests')).toContain('http_server_active_requests{');
  });

  it('points every panel and target at the datasource variable and filters job and instance', () => {
    const queries = dashboardQueries(dashboard);
    expect(queries).toHaveLength(8);
    for (const p of panelsOf(dashboard).filter((x) => x.type === 'timeseries')) {
      for (const t of p.targets ?? []) expect(t.datasource?.uid).toBe(DS);
    }
    for (const q of queries) {
      expect(q.expr).toContain('job=~"$job", instance=~"$instance"');
      expect(q.expr).not.toMatch(/\[\d+[smhd]\]/);
      for (const range of q.expr.match(/\[[^\]]*\]/g) ?? []) expect(range).toBe('[$__rate_interval]');
    }
  });

  it('declares datasource, job, instance and service variables, instance depending on job', () => {
    const vars = dashboard.templating.list ?? [];
    expect(vars.map((v) => [v.name, v.type])).toEqual([
      ['datasource', 'datasource'],
      ['job', 'query'],
      ['instance', 'query'],
      ['service', 'query'],
    ]);
    expect(vars[0]?.query).toBe('prometheus');
    expect(vars[1]?.query).toBe('label_values(http_server_request_duration_seconds_count, job)');
    expect(vars[2]?.query).toBe(
      'label_values(http_server_request_duration_seconds_count{job=~"$job"}, instance)',
    );
    for (const v of vars.slice(1)) {
      expect(v).toMatchObject({ multi: true, includeAll: true, allValue: '.+', refresh: 2 });
      expect(v.datasource?.uid).toBe(DS);
    }
  });

  it('parses as PromQL for every query after substitution, with single and multiple values', () => {
    for (const q of dashboardQueries(dashboard)) {
      const defaults = substituteVariables(q.expr);
      expect(defaults).not.toContain('$');
      expect(promqlErrors(defaults), `${q.panel}: ${defaults}`).toEqual([]);
      const multi = substituteVariables(q.expr, { job: ['sample-app', 'api.v2'], instance: 'a:3000' });
      expect(multi).toContain('job=~"(sample-app|api\\.v2)", instance=~"a:3000"');
      expect(promqlErrors(multi), `${q.panel}: ${multi}`).toEqual([]);
    }
    for (const v of (dashboard.templating.list ?? []).filter((x) => x.type === 'query')) {
      const inner = /^label_values\((.*), \w+\)$/.exec(String(v.query))?.[1] ?? '';
      expect(promqlErrors(substituteVariables(inner)), inner).toEqual([]);
    }
  });

  it('is plain JSON data laid out on the 24-column grid without overlaps', () => {
    expect(nonPlain(dashboard)).toEqual([]);
    expect(JSON.parse(JSON.stringify(dashboard))).toStrictEqual(dashboard);
    const cells = new Set<string>();
    for (const p of panelsOf(dashboard)) {
      const g = p.gridPos!;
      expect(g.x + g.w).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) {
        for (let y = g.y; y < g.y + g.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
    const ids = panelsOf(dashboard).map((p) => (p as { id?: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('applies title, uid, tags, refresh, time range and selector when given', () => {
    const d = overviewDashboard({
      title: 'Billing API',
      uid: 'billing-http',
      tags: ['billing'],
      refresh: '1m',
      from: 'now-6h',
      selector: 'namespace="prod"',
    });
    expect(d).toMatchObject({
      title: 'Billing API',
      uid: 'billing-http',
      tags: ['billing'],
      refresh: '1m',
      time: { from: 'now-6h', to: 'now' },
      editable: false,
    });
    for (const q of dashboardQueries(d)) expect(q.expr).toContain('namespace="prod"');
    for (const v of (d.templating.list ?? []).slice(1)) expect(String(v.query)).toContain('namespace="prod"');
  });

  it('throws MixinError listing each invalid option', () => {
    expect(() => overviewDashboard({ uid: 'a/b', title: ' ' })).toThrowError(MixinError);
    try {
      overviewDashboard({ uid: 'a/b', title: ' ', refresh: 'often' });
    } catch (err) {
      expect((err as MixinError).code).toBe('IMMO_METRICS_INVALID_MIXIN_OPTIONS');
      expect((err as MixinError).issues).toEqual([
        'title: expected a non-empty title, received " "',
        'uid: expected at most 40 letters, digits, "-" or "_", received "a/b"',
        'refresh: expected a refresh interval like "30s", received "often"',
      ]);
    }
  });
});

describe('metricsMixin', () => {
  it('bundles the rule groups and the dashboard keyed by its file name', () => {
    const mixin = metricsMixin({ dashboard: { uid: 'svc-http' }, rules: { windows: ['5m', '1h'] } });
    expect(mixin.name).toBe('immo-metrics');
    expect(Object.keys(mixin.dashboards)).toEqual(['svc-http.json']);
    expect(mixin.groups.map((g) => g.name)).toEqual([
      'immo-metrics-http-server-rate5m',
      'immo-metrics-http-server-rate1h',
      'immo-metrics-http-server-gauges',
    ]);
    expect(nonPlain(mixin)).toEqual([]);
  });
});

describe('substituteVariables', () => {
  it('replaces the interval variables with their defaults when no value is given', () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    expect(substituteVariables('rate(x[$__rate_interval]) + rate(x[${__interval}]) + y[$__range]')).toBe(
      'rate(x[1m]) + rate(x[15s]) + y[1h]',
    );
    expect(substituteVariables('x{job=~"$job"}[$__rate_interval]', { __rate_interval: '5m', job: 'a' })).toBe(
      'x{job=~"a"}[5m]',
    );
  });

  it('formats multi-value selections as Grafana does when given an array', () => {
    expect(substituteVariables('{instance=~"$instance"}', { instance: ['a:1', 'b.c:2'] })).toBe(
      '{instance=~"(a:1|b\\.c:2)"}',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
    expect(substituteVariables('{instance=~"${instance:pipe}"}', { instance: ['a', 'b'] })).toBe(
      '{instance=~"a|b"}',
    );
    expect(substituteVariables('{instance=~"[[instance]]"}', { instance: ['a'] })).toBe('{instance=~"a"}');
  });

  it('throws IMMO_METRICS_UNKNOWN_VARIABLE listing every variable without a value', () => {
    try {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
      substituteVariables('x{a=~"$tenant", b=~"${region}"}');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(MixinError);
      expect((err as MixinError).code).toBe('IMMO_METRICS_UNKNOWN_VARIABLE');
      expect((err as MixinError).issues).toHaveLength(2);
      expect((err as MixinError).issues[0]).toMatch(/^\$tenant: no value/);
    }
  });
});
