import YAML from 'yaml';
import { type SloDashboardOptions, sloDashboard } from './dashboard.js';
import { toOpenSlo } from './openslo.js';
import { recordedSeriesCount, type SloRuleGroup, sloRuleFile, sloRuleGroup } from './rules.js';
import type { Slo } from './spec.js';
import { sloTestFile } from './tests.js';

/** YAML as the generators write it: no line folding, no anchors (promtool and reviewers read it). */
export function toYaml(value: unknown): string {
  return YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Options of {@link renderSlos}. */
export interface RenderSlosOptions {
  dashboard?: SloDashboardOptions;
  /** Also write `openslo.yaml` (boolean SLIs have no OpenSLO form and are left out). */
  openslo?: boolean;
}

/** What {@link renderSlos} returns: file contents by relative path, and what each SLO costs. */
export interface RenderedSlos {
  files: Record<string, string>;
  series: Array<{ slo: string; recordedSeries: number; alerts: number; tests: number }>;
}

/**
 * Renders everything `immo-slo render` writes: `slo-rules.yml` (one group per SLO), for every SLO
 * `tests/<id>.rules.yml` + `tests/<id>.test.yml` (run `promtool test rules tests/*.test.yml`), the
 * dashboard `dashboards/<uid>.json`, and optionally `openslo.yaml`.
 *
 * @example
 * ```ts
 * const { files } = renderSlos(defineSlos(specs));
 * for (const [name, text] of Object.entries(files)) writeFileSync(join(out, name), text);
 * ```
 */
export function renderSlos(slos: readonly Slo[], options: RenderSlosOptions = {}): RenderedSlos {
  const files: Record<string, string> = { 'slo-rules.yml': toYaml(sloRuleFile(slos)) };
  const series: RenderedSlos['series'] = [];
  for (const slo of slos) {
    const group = sloRuleGroup(slo);
    const tests = sloTestFile(`${slo.id}.rules.yml`, slo);
    files[`tests/${slo.id}.rules.yml`] = toYaml({ groups: [group] });
    files[`tests/${slo.id}.test.yml`] = toYaml(tests);
    series.push({
      slo: slo.id,
      recordedSeries: recordedSeriesCount(slo),
      alerts: group.rules.filter((r) => r.alert).length,
      tests: tests.tests.length,
    });
  }
  const dashboard = sloDashboard(options.dashboard);
  files[`dashboards/${dashboard.uid}.json`] = `${JSON.stringify(dashboard, null, 2)}\n`;
  if (options.openslo) {
    const docs = slos.map(toOpenSlo).filter((d) => typeof d !== 'string');
    files['openslo.yaml'] = docs.map((d) => toYaml(d)).join('---\n');
  }
  return { files, series };
}

/** A mixin in the shape @immo/k8s-manifests renders (PrometheusRule groups and dashboard ConfigMaps). */
export interface SloMixin {
  name: string;
  groups: SloRuleGroup[];
  dashboards: Record<string, object>;
}

/**
 * The SLOs as a mixin for `@immo/k8s-manifests`' `defineService({ mixins })`: one rule group per
 * SLO in the PrometheusRule and the SLO dashboard as a ConfigMap. The promtool tests are not in
 * it: each SLO's tests run against its own group ({@link renderSlos} writes them).
 *
 * @example
 * ```ts
 * defineService({ name: 'api', image, port: 3000, mixins: [metricsMixin(), sloMixin(slos)] });
 * ```
 */
export function sloMixin(slos: readonly Slo[], options: { dashboard?: SloDashboardOptions } = {}): SloMixin {
  const dashboard = sloDashboard(options.dashboard);
  return {
    name: 'immo-slo',
    groups: slos.map(sloRuleGroup),
    dashboards: { [`${dashboard.uid}.json`]: dashboard },
  };
}
