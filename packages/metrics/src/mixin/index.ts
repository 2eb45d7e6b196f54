import { type AlertRulesOptions, alertRules, alertTests } from './alerts.js';
import { overviewDashboard } from './dashboard.js';
import type { OverviewDashboardOptions, RecordingRulesOptions } from './options.js';
import { recordingRules } from './rules.js';
import type { Mixin } from './types.js';

export type { AlertName, AlertRulesOptions } from './alerts.js';
export { ALERT_NAMES, alertRules, alertTests } from './alerts.js';
export { overviewDashboard } from './dashboard.js';
export type { MixinErrorCode } from './errors.js';
export { MixinError } from './errors.js';
export { lintDashboard } from './lint.js';
export type { OverviewDashboardOptions, RecordingRulesOptions } from './options.js';
export type { DashboardQuery, VariableValues } from './queries.js';
export { dashboardQueries, defaultVariableValues, substituteVariables } from './queries.js';
export type { RecordedSeriesName, RecordedSeriesNames } from './rules.js';
export { recordedSeries, recordedSeriesNames, recordingRules, toPrometheusRuleFile } from './rules.js';
export type { ForBoundaryTestOptions, PromtoolTest, TestSeries } from './tests.js';
export { forBoundaryTest, formatDuration, parseDuration, promtoolTestFile } from './tests.js';
export type {
  AlertAnnotations,
  AlertingRule,
  AlertLabels,
  AlertPriority,
  AlertSeverity,
  GrafanaDashboard,
  Mixin,
  PrometheusRuleFile,
  RecordingRule,
  Rule,
  RuleGroup,
} from './types.js';
export { isAlertingRule, isRecordingRule } from './types.js';

/**
 * Options of {@link metricsMixin}.
 *
 * @example
 * ```ts
 * const options: MetricsMixinOptions = { rules: { windows: ['5m', '1h'] }, dashboard: { uid: 'billing-http' } };
 * ```
 */
export interface MetricsMixinOptions {
  /** Options of the recording rules (selector, windows, interval, groupBy). */
  rules?: RecordingRulesOptions;
  /** Options of the overview dashboard (title, uid, tags, selector, refresh, from). */
  dashboard?: OverviewDashboardOptions;
  /** With options: the alerts of {@link alertRules} and their promtool tests join the mixin. */
  alerts?: AlertRulesOptions;
}

/**
 * The whole `@immo/metrics` mixin: the recording rule groups and the overview dashboard keyed by
 * its file name (`<uid>.json`). This is the shape a manifests renderer turns into a PrometheusRule
 * and Grafana dashboard ConfigMaps; alerting rules join `groups` in the same shape.
 *
 * @example
 * ```ts
 * const mixin = metricsMixin({ rules: { selector: 'job="sample-app"' } });
 * writeFileSync('rules.yml', YAML.stringify(toPrometheusRuleFile(mixin.groups)));
 * for (const [file, dashboard] of Object.entries(mixin.dashboards)) writeFileSync(file, JSON.stringify(dashboard));
 * ```
 */
export function metricsMixin(options: MetricsMixinOptions = {}): Mixin {
  const dashboard = overviewDashboard(options.dashboard);
  return {
    name: 'immo-metrics',
    groups: [...recordingRules(options.rules), ...(options.alerts ? alertRules(options.alerts) : [])],
    dashboards: { [`${dashboard.uid}.json`]: dashboard },
    ...(options.alerts ? { tests: alertTests(options.alerts) } : {}),
  };
}
