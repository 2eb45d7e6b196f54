/**
 * A Prometheus rule (recording or alerting) in rule-file shape. Structurally the same as
 * `@immo/metrics/mixin`'s `Rule`, so a mixin from any @immo package fits without a dependency.
 */
export interface MixinRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A rule group: evaluated together at one interval. */
export interface MixinRuleGroup {
  name: string;
  interval?: string;
  limit?: number;
  rules: readonly MixinRule[];
}

/**
 * What a package or app contributes to monitoring: rule groups and Grafana dashboards keyed by file
 * name (`<uid>.json`). `@immo/metrics/mixin`'s `metricsMixin()` returns this shape.
 *
 * @example
 * ```ts
 * import { metricsMixin } from '@immo/metrics/mixin';
 * const mixins: Mixin[] = [metricsMixin({ rules: { selector: 'job="api"' } })];
 * ```
 */
export interface Mixin {
  name: string;
  groups: readonly MixinRuleGroup[];
  dashboards?: Readonly<Record<string, object>>;
  /**
   * promtool unit tests of the groups' alerts (`tests:` entries, e.g. from `@immo/metrics/mixin`'s
   * `alertTests`). Never rendered into the PrometheusRule; run them with `promtool test rules`.
   */
  tests?: readonly object[];
}
