import { lintDashboard } from '@immo/metrics/mixin';
import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { defineSlos, SLO_SERIES, sloDashboard, sloDashboardQueries, sloMixin } from '../src/index.js';
import { availability, billing } from './fixtures.js';

// SLO series are sums over every target of a service: they carry no job or instance label, so the
// linter's job/instance rules do not apply to them (the README says so).
const NOT_APPLICABLE = /^(template|target)-(job|instance)-rule:/;

describe('SLO dashboard', () => {
  const dashboard = sloDashboard();

  it('follows the dashboard-linter conventions (datasource variable, units, descriptions, read-only)', () => {
    const problems = lintDashboard(dashboard as never);
    expect(problems.filter((p) => !NOT_APPLICABLE.test(p))).toEqual([]);
    expect(problems.length).toBeGreaterThan(0); // the job/instance findings exist and are filtered on purpose
  });

  it('shows budget remaining, burn rate per window, the SLI and alerts firing, filtered by service and SLO', () => {
    const panels = (
      dashboard.panels as Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>
    ).filter((p) => p.type !== 'row');
    expect(panels.map((p) => p.title)).toEqual([
      'Error budget remaining',
      'Compliance over the period',
      'SLO alerts firing',
      'Burn rate per window',
      'Error budget remaining over time',
      'SLI (5m)',
    ]);
    const burn = panels.find((p) => p.title === 'Burn rate per window')!;
    expect(burn.targets!.map((t) => t.expr.match(/slo:burn_rate:(\w+)/)?.[1])).toEqual([
      '5m',
      '30m',
      '1h',
      '2h',
      '6h',
      '1d',
      '3d',
    ]);
    for (const p of panels) for (const t of p.targets ?? []) expect(t.expr).toContain('slo=~"$slo"');
    const vars = (dashboard.templating as { list: Array<{ name: string; query?: unknown }> }).list;
    expect(vars.map((v) => v.name)).toEqual(['datasource', 'service', 'slo']);
  });

  it('has queries that parse once the variables are filled in', () => {
    const queries = sloDashboardQueries();
    expect(queries.length).toBe(13);
    for (const q of queries) {
      let error = false;
      parser.parse(q.expr).iterate({
        enter: (n) => {
          if (n.type.isError) error = true;
        },
      });
      expect(error, q.expr).toBe(false);
      expect(q.expr).not.toContain('$');
    }
  });

  it('comes with the rule groups as a mixin for @immo/k8s-manifests', () => {
    const slos = defineSlos([availability, billing]);
    const mixin = sloMixin(slos, { dashboard: { uid: 'api-slos', title: 'API SLOs' } });
    expect(mixin.name).toBe('immo-slo');
    expect(mixin.groups.map((g) => g.name)).toEqual(['slo-api-availability', 'slo-billing-run']);
    expect(Object.keys(mixin.dashboards)).toEqual(['api-slos.json']);
    expect(mixin.groups[0]!.rules.some((r) => r.record === SLO_SERIES.budgetRemaining)).toBe(true);
  });
});
