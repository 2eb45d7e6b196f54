import { describe, expect, it } from 'vitest';
import { type GrafanaDashboard, lintDashboard, overviewDashboard } from '../src/mixin/index.js';

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  type: string;
  title?: string;
  description?: string;
  collapsed?: boolean;
  datasource?: { type?: string; uid?: string };
  fieldConfig: { defaults: { unit?: string } };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  label?: string;
  multi?: boolean;
  allValue?: string;
  refresh?: number;
  query?: string;
  datasource?: { uid?: string };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DS = '${datasource}';

/** A fresh copy of the (clean) overview dashboard, with typed access to the parts tests break. */
function fixture() {
  const d = structuredClone(overviewDashboard()) as GrafanaDashboard;
  const panels = d.panels as Panel[];
  const vars = d.templating.list as Variable[];
  const panel = (title: string) => panels.find((p) => p.title === title)!;
  const variable = (name: string) => vars.find((v) => v.name === name)!;
  return { d, panels, vars, panel, variable };
}

describe('lintDashboard', () => {
  it('returns no problem when given the overview dashboard', () => {
    expect(lintDashboard(fixture().d)).toEqual([]);
  });

  it('reports a fixed range when a panel query uses rate(...[5m])', () => {
    const { d, panel } = fixture();
    const t = panel('Request rate').targets![0]!;
    t.expr = t.expr!.replace('[$__rate_interval]', '[5m]');
    expect(lintDashboard(d)).toEqual([
      'target-rate-interval-rule: panel "Request rate" target A: rate() must use [$__rate_interval], not [5m]',
    ]);
  });

  it('reports $__interval inside rate and a fixed range inside *_over_time when given those queries', () => {
    const { d, panel } = fixture();
    const m = 'job=~"$job", instance=~"$instance"';
    panel('Request rate').targets![0]!.expr =
      `sum(irate(http_server_request_duration_seconds_count{${m}}[$__interval]))`;
    panel('In-flight requests').targets![0]!.expr = `max_over_time(http_server_active_requests{${m}}[1h])`;
    panel('p95 latency').targets![0]!.expr = `max_over_time(http_server_active_requests{${m}}[$__range])`;
    expect(lintDashboard(d)).toEqual([
      'target-rate-interval-rule: panel "Request rate" target A: irate() must use [$__rate_interval], not [$__interval]',
      'target-rate-interval-rule: panel "In-flight requests" target A: fixed range [1h]; use $__rate_interval',
    ]);
  });

  it('reports the missing datasource variable when the dashboard has none', () => {
    const { d, vars } = fixture();
    vars.splice(
      vars.findIndex((v) => v.type === 'datasource'),
      1,
    );
    expect(lintDashboard(d)).toEqual([
      'template-datasource-rule: dashboard has no datasource variable; add one named "datasource"',
    ]);
  });

  it('reports a panel and a target that do not use the datasource variable', () => {
    const { d, panel } = fixture();
    const p = panel('p99 latency');
    p.datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    p.targets![0]!.datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
    expect(lintDashboard(d)).toEqual([
      `panel-datasource-rule: panel "p99 latency" uses datasource "P1809F7CD0C75ACF3"; use "${DS}"`,
      `panel-datasource-rule: panel "p99 latency" target A uses datasource "P1809F7CD0C75ACF3"; use "${DS}"`,
    ]);
  });

  it('reports a panel without job filter, and an instance filter that is not a regex match', () => {
    const { d, panel } = fixture();
    const t = panel('Request rate by route').targets![0]!;
    t.expr = t.expr!.replace('job=~"$job", ', '');
    const u = panel('Error rate (5xx ratio)').targets![0]!;
    u.expr = u.expr!.replaceAll('instance=~"$instance"', 'instance="$instance"');
    expect(lintDashboard(d)).toEqual([
      'target-instance-rule: panel "Error rate (5xx ratio)" target A: selector http_server_request_duration_seconds_count lacks instance=~"$instance"',
      'target-job-rule: panel "Request rate by route" target A: selector http_server_request_duration_seconds_count lacks job=~"$job"',
    ]);
  });

  it('reports missing and misconfigured job and instance variables', () => {
    const { d, vars, variable } = fixture();
    vars.splice(
      vars.findIndex((v) => v.name === 'instance'),
      1,
    );
    Object.assign(variable('job'), { multi: false, allValue: undefined, refresh: 1, label: 'job' });
    variable('job').datasource = { uid: 'prom' };
    expect(lintDashboard(d)).toEqual([
      `template-job-rule: "job" variable uses datasource "prom"; use "${DS}"`,
      'template-job-rule: "job" variable is labeled "job"; use "Job"',
      'template-job-rule: "job" variable must be multi-select',
      'template-job-rule: "job" variable must have allValue ".+"',
      'template-instance-rule: dashboard has no "instance" variable',
      'template-on-time-change-reload-rule: "job" variable must refresh on time range change (refresh: 2)',
    ]);
  });

  it('reports an invalid variable query when label_values holds broken PromQL', () => {
    const { d, variable } = fixture();
    variable('service').query =
      'label_values(http_server_request_duration_seconds_count{job=~"$job", service)';
    expect(lintDashboard(d)).toEqual([
      expect.stringMatching(/^template-label-promql-rule: "service" variable has invalid PromQL/),
    ]);
  });

  it('reports an editable dashboard, a panel without unit or description and one without query', () => {
    const { d, panel } = fixture();
    d.editable = true;
    delete panel('In-flight requests').fieldConfig.defaults.unit;
    delete panel('p95 latency').description;
    panel('p99 latency').targets = [];
    expect(lintDashboard(d)).toEqual([
      'uneditable-dashboard: dashboard must not be editable (editable: false); provisioned copies are overwritten',
      'panel-units-rule: panel "In-flight requests" has no or an unknown unit ""',
      'panel-title-description-rule: panel "p95 latency" needs a title and a description',
      'panel-no-targets-rule: panel "p99 latency" has no query',
    ]);
  });

  it('reports invalid PromQL and a counter read without rate() when given such queries', () => {
    const { d, panel } = fixture();
    const m = 'job=~"$job", instance=~"$instance"';
    panel('Request rate').targets![0]!.expr =
      `sum(rate(http_server_request_duration_seconds_count{${m}}[$__rate_interval])`;
    panel('In-flight requests').targets![0]!.expr = `sum(http_server_request_duration_seconds_count{${m}})`;
    expect(lintDashboard(d)).toEqual([
      expect.stringMatching(/^target-promql-rule: panel "Request rate" target A: invalid PromQL "sum\(rate/),
      'target-counter-agg-rule: panel "In-flight requests" target A: counter http_server_request_duration_seconds_count must be read with rate(), irate() or increase()',
    ]);
  });

  it('lints the panels inside a collapsed row when the dashboard has one', () => {
    const { d, panels } = fixture();
    const rowIndex = panels.findIndex((p) => p.type === 'row' && p.title === 'Per route');
    const nested = panels.splice(rowIndex + 1);
    panels[rowIndex]!.collapsed = true;
    panels[rowIndex]!.panels = nested;
    expect(lintDashboard(d)).toEqual([]);
    nested[0]!.targets![0]!.expr = nested[0]!.targets![0]!.expr!.replaceAll('$__rate_interval', '1m');
    expect(lintDashboard(d)).toEqual([
      'target-rate-interval-rule: panel "Request rate by route" target A: rate() must use [$__rate_interval], not [1m]',
    ]);
  });
});
