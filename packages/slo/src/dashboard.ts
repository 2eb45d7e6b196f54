import {
  BigValueColorMode,
  BigValueGraphMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
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
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanelBuilder } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { burnRateSeries, SLO_ALERTS, SLO_SERIES } from './rules.js';
import { BURN_WINDOWS } from './spec.js';

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;
const FILTER = '{service=~"$service", slo=~"$slo"}';

/** Options of {@link sloDashboard}. */
export interface SloDashboardOptions {
  /** @default 'SLOs' */
  title?: string;
  /** @default 'immo-slo' */
  uid?: string;
  tags?: string[];
  /** @default 'now-7d' */
  from?: string;
  /** @default '1m' */
  refresh?: string;
}

/** One query of the dashboard, with its panel: what the integration test runs against Prometheus. */
export interface SloDashboardQuery {
  panel: string;
  expr: string;
}

interface Spec {
  title: string;
  description: string;
  kind: 'stat' | 'timeseries' | 'table';
  unit: string;
  targets: Array<{ expr: string; legend: string; instant?: boolean }>;
  width: number;
  min?: number;
  max?: number;
}

function specs(): Array<{ row: string; panels: Spec[] }> {
  const alerts = `ALERTS{alertname=~"${Object.values(SLO_ALERTS).join('|')}", alertstate="firing", service=~"$service", slo=~"$slo"}`;
  return [
    {
      row: 'Budget',
      panels: [
        {
          title: 'Error budget remaining',
          description:
            'Share of the period’s error budget left (1 − error ratio / budget). Below 0: the SLO is missed.',
          kind: 'stat',
          unit: 'percentunit',
          targets: [{ expr: `${SLO_SERIES.budgetRemaining}${FILTER}`, legend: '{{slo}}', instant: true }],
          width: 8,
        },
        {
          title: 'Compliance over the period',
          description:
            'Good events / all events over the SLO period (weighted by traffic), against the objective.',
          kind: 'stat',
          unit: 'percentunit',
          targets: [{ expr: `${SLO_SERIES.compliance}${FILTER}`, legend: '{{slo}}', instant: true }],
          width: 8,
        },
        {
          title: 'SLO alerts firing',
          description: 'Burn-rate, SLI-absent and batch-job alerts of the selected SLOs firing now.',
          kind: 'table',
          unit: 'short',
          targets: [{ expr: alerts, legend: '{{alertname}} {{slo}}', instant: true }],
          width: 8,
        },
      ],
    },
    {
      row: 'Burn',
      panels: [
        {
          title: 'Burn rate per window',
          description:
            'Error ratio over each window divided by the budget: 1 spends the budget exactly over the period; the fast page needs 14.4 over 1h (30d).',
          kind: 'timeseries',
          unit: 'short',
          targets: BURN_WINDOWS.map((w) => ({
            expr: `${burnRateSeries(w)}${FILTER}`,
            legend: `{{slo}} ${w}`,
          })),
          width: 12,
          min: 0,
        },
        {
          title: 'Error budget remaining over time',
          description: 'How the remaining budget moved over the dashboard’s time range.',
          kind: 'timeseries',
          unit: 'percentunit',
          targets: [{ expr: `${SLO_SERIES.budgetRemaining}${FILTER}`, legend: '{{slo}}' }],
          width: 12,
        },
        {
          title: 'SLI (5m)',
          description:
            'Good events / all events in each 5 minutes, against the objective (dashed: objective).',
          kind: 'timeseries',
          unit: 'percentunit',
          targets: [
            {
              expr: `1 - ${SLO_SERIES.badEvents}${FILTER} / (${SLO_SERIES.events}${FILTER} > 0)`,
              legend: '{{slo}}',
            },
            { expr: `${SLO_SERIES.objective}${FILTER}`, legend: '{{slo}} objective' },
          ],
          width: 24,
          max: 1,
        },
      ],
    },
  ];
}

function variable(name: string, label: string, query: string): QueryVariableBuilder {
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

function target(expr: string, legend: string, instant?: boolean) {
  const q = new DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).refId('A');
  return instant ? q.instant() : q.range();
}

/**
 * The SLO dashboard, built with `@grafana/grafana-foundation-sdk` on the series the rules record:
 * budget remaining, compliance, alerts firing, burn rate per window, budget over time and the SLI
 * against its objective. Variables `datasource`, `service` and `slo` (from `slo:info:labels`). It follows
 * the dashboard-linter conventions except `job`/`instance`: SLO series are aggregated over every
 * target, so they carry neither. Returns plain dashboard JSON.
 *
 * @example
 * ```ts
 * writeFileSync('immo-slo.json', JSON.stringify(sloDashboard(), null, 2));
 * ```
 */
export function sloDashboard(options: SloDashboardOptions = {}): Record<string, unknown> & { uid: string } {
  const uid = options.uid ?? 'immo-slo';
  const builder = new DashboardBuilder(options.title ?? 'SLOs')
    .uid(uid)
    .description('Error budgets, burn rates and SLIs of the SLOs rendered by @immo/slo.')
    .tags(options.tags ?? ['slo', 'immo'])
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .time({ from: options.from ?? 'now-7d', to: 'now' })
    .refresh(options.refresh ?? '1m')
    .withVariable(new DatasourceVariableBuilder('datasource').label('Data source').type('prometheus'))
    .withVariable(variable('service', 'Service', `label_values(${SLO_SERIES.info}, service)`))
    .withVariable(variable('slo', 'SLO', `label_values(${SLO_SERIES.info}{service=~"$service"}, slo)`));
  let id = 0;
  for (const row of specs()) {
    builder.withRow(new RowBuilder(row.row).id(++id));
    for (const p of row.panels) {
      let panel: StatPanelBuilder | TablePanelBuilder | PanelBuilder;
      if (p.kind === 'stat') {
        panel = new StatPanelBuilder()
          .graphMode(BigValueGraphMode.None)
          .colorMode(BigValueColorMode.Value)
          .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
          .thresholds(
            new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
              { value: null, color: 'red' },
              { value: 0, color: 'orange' },
              { value: 0.25, color: 'green' },
            ]),
          );
      } else if (p.kind === 'table') {
        panel = new TablePanelBuilder();
      } else {
        panel = new PanelBuilder()
          .fillOpacity(10)
          .legend(
            new VizLegendOptionsBuilder()
              .showLegend(true)
              .displayMode(LegendDisplayMode.List)
              .placement(LegendPlacement.Bottom)
              .calcs([]),
          )
          .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending));
      }
      panel
        .id(++id)
        .title(p.title)
        .description(p.description)
        .datasource(DATASOURCE)
        .unit(p.unit)
        .span(p.width)
        .height(8);
      if (p.min !== undefined) panel.min(p.min);
      if (p.max !== undefined) panel.max(p.max);
      p.targets.forEach((t, i) => {
        const q = target(t.expr, t.legend, t.instant).refId(String.fromCharCode(65 + i));
        panel.withTarget(q);
      });
      builder.withPanel(panel);
    }
  }
  return JSON.parse(JSON.stringify(builder.build()));
}

/**
 * Every query of {@link sloDashboard} with Grafana's variables replaced (`$service`, `$slo` → `.+`),
 * ready for Prometheus' HTTP API.
 *
 * @example
 * ```ts
 * for (const q of sloDashboardQueries()) await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q.expr)}`);
 * ```
 */
export function sloDashboardQueries(): SloDashboardQuery[] {
  return specs().flatMap((row) =>
    row.panels.flatMap((p) =>
      p.targets.map((t) => ({
        panel: p.title,
        expr: t.expr.replaceAll('$service', '.+').replaceAll('$slo', '.+'),
      })),
    ),
  );
}
