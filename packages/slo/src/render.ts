import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { type SloDashboardOptions, sloDashboard } from './dashboard.js';
import { toOpenSlo } from './openslo.js';
import { type SloRuleGroup, sloRuleGroup } from './rules.js';
import type { Slo } from './spec.js';
import { sloTestFile } from './tests.js';

/**
 * YAML as the generators write it: no line folding, no anchors (promtool and reviewers read it).
 * js-yaml's writer, because it is several times faster than `yaml`'s on rule files (the parser
 * side keeps `yaml` for its error positions and alias limits).
 */
export function toYaml(value: unknown): string {
  return yaml.dump(value, { lineWidth: -1, noRefs: true });
}

/** Pretty JSON: also valid YAML, which is how promtool reads the generated test files. */
function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Options of {@link renderSlos}. */
export interface RenderSlosOptions {
  dashboard?: SloDashboardOptions;
  /** Also write `openslo.yaml` (boolean SLIs have no OpenSLO form and are left out). */
  openslo?: boolean;
  /** Write the per-SLO promtool tests. @default true */
  tests?: boolean;
}

/** Every SLO's promtool test with the rule group it runs against, by SLO id (`slo-tests.json`). */
export type SloTestBundle = Record<
  string,
  { rules: { groups: SloRuleGroup[] }; tests: ReturnType<typeof sloTestFile> }
>;

/**
 * Lays a test bundle out for promtool: `<dir>/<id>.rules.json` and `<dir>/<id>.test.json` per SLO
 * (JSON is YAML to promtool). Returns the test files to pass to `promtool test rules`.
 *
 * @example
 * ```ts
 * for (const file of splitSloTests(bundle, dir)) execFileSync('promtool', ['test', 'rules', file]);
 * ```
 */
export function splitSloTests(bundle: SloTestBundle, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  return Object.entries(bundle).map(([id, { rules, tests }]) => {
    writeFileSync(path.join(dir, `${id}.rules.json`), toJson(rules));
    const file = path.join(dir, `${id}.test.json`);
    writeFileSync(file, toJson(tests));
    return file;
  });
}

/** What {@link renderSlos} returns: file contents by relative path, and what each SLO costs. */
export interface RenderedSlos {
  files: Record<string, string>;
  series: Array<{ slo: string; recordedSeries: number; alerts: number; tests: number }>;
}

/**
 * Renders everything `immo-slo render` writes: `slo-rules.yml` (one group per SLO),
 * `slo-tests.json` (every SLO's promtool tests with its own rule group; `immo-slo test` runs them), the
 * dashboard `dashboards/<uid>.json`, and optionally `openslo.yaml`.
 *
 * @example
 * ```ts
 * const { files } = renderSlos(defineSlos(specs));
 * for (const [name, text] of Object.entries(files)) writeFileSync(join(out, name), text);
 * ```
 */
export function renderSlos(slos: readonly Slo[], options: RenderSlosOptions = {}): RenderedSlos {
  const groups = slos.map(sloRuleGroup);
  const files: Record<string, string> = { 'slo-rules.yml': toYaml({ groups }) };
  const series: RenderedSlos['series'] = [];
  const bundle: SloTestBundle = {};
  for (const [i, slo] of slos.entries()) {
    const group = groups[i]!;
    const tests = options.tests === false ? undefined : sloTestFile(`${slo.id}.rules.json`, slo);
    if (tests) bundle[slo.id] = { rules: { groups: [group] }, tests };
    series.push({
      slo: slo.id,
      recordedSeries: group.rules.filter((r) => r.record).length,
      alerts: group.rules.filter((r) => r.alert).length,
      tests: tests?.tests.length ?? 0,
    });
  }
  // One file for every SLO's tests: each must run against its own group, so a per-SLO layout would
  // be two files per SLO, and creating a thousand files is most of a render's time on slow disks.
  // `immo-slo test` (or splitSloTests) lays them out for promtool.
  if (options.tests !== false) files['slo-tests.json'] = toJson(bundle);
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
