import {
  LegendDisplayMode,
  LegendPlacement,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { type OverviewDashboardOptions, resolveDashboardOptions } from './options.js';
import { ACTIVE_REQUESTS, REQUEST_DURATION, SERVER_ERROR, sumBy, vector } from './promql.js';
import type { GrafanaDashboard } from './types.js';

/** The datasource every panel, target and query variable points at: the `datasource` variable. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** A Grafana unit id used by the overview dashboard. */
type Unit = 'reqps' | 'percentunit' | 's' | 'short';

interface PanelSpec {
  title: string;
  description: string;
  unit: Unit;
  expr: string;
  legend: string;
  /** Ratio panels are pinned to 0..1 so that a small error ratio does not look like an outage. */
  max?: number;
  /** Grid columns out of 24. */
  width?: number;
}

function panelSpecs(selector: string): { row: string; panels: PanelSpec[] }[] {
  const filter = ['job=~"$job"', 'instance=~"$instance"', 'service=~"$service"', selector];
  const rate = (metric: string, ...m: string[]) =>
    `rate(${vector(`${REQUEST_DURATION}_${metric}`, ...filter, ...m)}[$__rate_interval])`;
  const requests = (by: string[]) => sumBy(by, rate('count'));
  const errorRatio = (by: string[]) => {
    const all = requests(by);
    // Same shape as the recording rule: 0 while a service has traffic but no 5xx series, no point
    // (rather than NaN) while it has no traffic.
    return `(${sumBy(by, rate('count', SERVER_ERROR))} or 0 * ${all}) / (${all} > 0)`;
  };
  const quantile = (q: number, by: string[]) =>
    `histogram_quantile(${q}, ${sumBy(['le', ...by], rate('bucket'))})`;
  const service = ['service'];
  const route = ['service', 'http_route'];
  return [
    {
      row: 'Overview',
      panels: [
        {
          title: 'Request rate',
          description: 'Requests per second answered by each service (all routes, methods and status codes).',
          unit: 'reqps',
          expr: requests(service),
          legend: '{{service}}',
        },
        {
          title: 'Error rate (5xx ratio)',
          description: 'Share of requests answered with a 5xx status code, per service (0 to 1).',
          unit: 'percentunit',
          expr: errorRatio(service),
          legend: '{{service}}',
          max: 1,
        },
        {
          title: 'In-flight requests',
          description: 'Requests being processed right now, per service (sum over instances and methods).',
          unit: 'short',
          expr: sumBy(service, vector(ACTIVE_REQUESTS, ...filter)),
          legend: '{{service}}',
        },
        {
          title: 'p95 latency',
          description:
            '95th percentile of the request duration per service, estimated from the histogram buckets.',
          unit: 's',
          expr: quantile(0.95, service),
          legend: '{{service}}',
          width: 12,
        },
        {
          title: 'p99 latency',
          description:
            '99th percentile of the request duration per service, estimated from the histogram buckets.',
          unit: 's',
          expr: quantile(0.99, service),
          legend: '{{service}}',
          width: 12,
        },
      ],
    },
    {
      row: 'Per route',
      panels: [
        {
          title: 'Request rate by route',
          description:
            'Requests per second per route template (`_UNMATCHED` collects requests no route matched).',
          unit: 'reqps',
          expr: requests(route),
          legend: '{{service}} {{http_route}}',
        },
        {
          title: 'Error ratio by route',
          description: 'Share of requests answered with a 5xx status code, per route template (0 to 1).',
          unit: 'percentunit',
          expr: errorRatio(route),
          legend: '{{service}} {{http_route}}',
          max: 1,
        },
        {
          title: 'p95 latency by route',
          description: '95th percentile of the request duration per route template.',
          unit: 's',
          expr: quantile(0.95, route),
          legend: '{{service}} {{http_route}}',
        },
      ],
    },
  ];
}

function queryVariable(name: string, label: string, query: string): QueryVariableBuilder {
  // dashboard-linter conventions: multi-select with `.+` as "All" (a regex matcher, so `=~` works
  // with several values), refreshed when the time range changes so new jobs show up.
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(DATASOURCE)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.+');
}

/**
 * The HTTP server overview dashboard, built with `@grafana/grafana-foundation-sdk`: request rate,
 * 5xx ratio, in-flight requests, p95 and p99 latency per service, then request rate, 5xx ratio and
 * p95 latency per route. Variables `datasource` (Prometheus), `job`, `instance` (depends on job)
 * and `service`; every query reads `${datasource}`, filters `job=~"$job", instance=~"$instance"`
 * and uses `rate(...[$__rate_interval])`, so it passes {@link lintDashboard} and the Grafana
 * dashboard-linter. Returns the dashboard JSON (plain data).
 *
 * @example
 * ```ts
 * const dashboard = overviewDashboard({ title: 'Billing API', uid: 'billing-http' });
 * writeFileSync('billing-http.json', JSON.stringify(dashboard, null, 2));
 * ```
 */
export function overviewDashboard(options?: OverviewDashboardOptions): GrafanaDashboard {
  const o = resolveDashboardOptions(options);
  const metric = `${REQUEST_DURATION}_count`;
  const builder = new DashboardBuilder(o.title)
    .uid(o.uid)
    .description(
      'Request rate, errors, latency and in-flight requests of services instrumented by @immo/metrics.',
    )
    .tags(o.tags)
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: o.from, to: 'now' })
    .refresh(o.refresh)
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(queryVariable('job', 'Job', `label_values(${vector(metric, o.selector)}, job)`))
    .withVariable(
      queryVariable(
        'instance',
        'Instance',
        `label_values(${vector(metric, 'job=~"$job"', o.selector)}, instance)`,
      ),
    )
    .withVariable(
      queryVariable(
        'service',
        'Service',
        `label_values(${vector(metric, 'job=~"$job"', 'instance=~"$instance"', o.selector)}, service)`,
      ),
    );

  let id = 0;
  for (const row of panelSpecs(o.selector)) {
    builder.withRow(new RowBuilder(row.row).id(++id));
    for (const p of row.panels) {
      const panel = new PanelBuilder()
        .id(++id)
        .title(p.title)
        .description(p.description)
        .datasource(DATASOURCE)
        .unit(p.unit)
        .min(0)
        .span(p.width ?? 8)
        .height(8)
        .fillOpacity(10)
        .legend(
          new VizLegendOptionsBuilder()
            .showLegend(true)
            .displayMode(LegendDisplayMode.List)
            .placement(LegendPlacement.Bottom)
            .calcs([]),
        )
        .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
        .withTarget(
          new DataqueryBuilder()
            .datasource(DATASOURCE)
            .expr(p.expr)
            .legendFormat(p.legend)
            .range()
            .refId('A'),
        );
      if (p.max !== undefined) panel.max(p.max);
      builder.withPanel(panel);
    }
  }
  // The SDK marks each query object with an `_implementsDataqueryVariant()` method; a JSON round
  // trip leaves the dashboard model Grafana reads and nothing a serialiser would trip over.
  return JSON.parse(JSON.stringify(builder.build())) as GrafanaDashboard;
}
