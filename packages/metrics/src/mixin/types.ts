import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import type { PromtoolTest } from './tests.js';

/**
 * A Grafana dashboard as JSON (the `.build()` output of `@grafana/grafana-foundation-sdk`): plain
 * data, ready for `JSON.stringify` and a dashboard ConfigMap.
 *
 * @example
 * ```ts
 * const dashboard: GrafanaDashboard = overviewDashboard();
 * writeFileSync('immo-http-overview.json', JSON.stringify(dashboard, null, 2));
 * ```
 */
export type GrafanaDashboard = Dashboard;

/**
 * A Prometheus recording rule, with the field names of the Prometheus rule file.
 *
 * @example
 * ```ts
 * const rule: RecordingRule = {
 *   record: 'service:http_server_requests:rate5m',
 *   expr: 'sum by (service) (rate(http_server_request_duration_seconds_count[5m]))',
 * };
 * ```
 */
export interface RecordingRule {
  /** The recorded series name; must match `^[a-zA-Z_:][a-zA-Z0-9_:]*$` (`level:metric:operations`). */
  record: string;
  /** The PromQL expression evaluated at every group interval. */
  expr: string;
  /** Labels added to (or overwritten on) every recorded sample. */
  labels?: Record<string, string>;
}

/**
 * Alert severity, routed by Alertmanager (`critical` pages, `warning` goes to a ticket/chat, `info`
 * is context only).
 *
 * @example
 * ```ts
 * const severity: AlertSeverity = 'critical';
 * ```
 */
export type AlertSeverity = 'critical' | 'warning' | 'info';

/**
 * Alert priority: `P0` wakes someone up, `P1` is handled in working hours, `P2` is best effort.
 *
 * @example
 * ```ts
 * const priority: AlertPriority = 'P1';
 * ```
 */
export type AlertPriority = 'P0' | 'P1' | 'P2';

/**
 * The labels every alert of the mixin carries; more labels may be added.
 *
 * @example
 * ```ts
 * const labels: AlertLabels = { severity: 'critical', priority: 'P0', team: 'billing' };
 * ```
 */
export interface AlertLabels {
  severity: AlertSeverity;
  priority: AlertPriority;
  [label: string]: string;
}

/**
 * The annotations every alert of the mixin carries; `description` may use Prometheus' alert
 * templating (`{{ $labels.service }}`, `{{ $value | humanizePercentage }}`).
 *
 * @example
 * ```ts
 * const annotations: AlertAnnotations = {
 *   summary: 'High 5xx ratio',
 *   description: '{{ $labels.service }} answers {{ $value | humanizePercentage }} of requests with 5xx.',
 *   runbook_url: 'https://runbooks.example.com/http-errors',
 * };
 * ```
 */
export interface AlertAnnotations {
  summary: string;
  description: string;
  runbook_url: string;
  [annotation: string]: string;
}

/**
 * A Prometheus alerting rule, with the field names of the Prometheus rule file.
 *
 * @example
 * ```ts
 * const alert: AlertingRule = {
 *   alert: 'HttpServerHighErrorRatio',
 *   expr: 'service:http_server_request_errors:ratio_rate5m > 0.05',
 *   for: '10m',
 *   labels: { severity: 'critical', priority: 'P0' },
 *   annotations: {
 *     summary: 'High 5xx ratio',
 *     description: '{{ $labels.service }}: {{ $value | humanizePercentage }} of requests fail.',
 *     runbook_url: 'https://runbooks.example.com/http-errors',
 *   },
 * };
 * ```
 */
export interface AlertingRule {
  /** The alert name (a Prometheus label value, conventionally UpperCamelCase). */
  alert: string;
  expr: string;
  /** How long the condition must hold before the alert fires, e.g. `10m`. */
  for?: string;
  /** How long the alert keeps firing after the condition stopped holding. */
  keep_firing_for?: string;
  labels: AlertLabels;
  annotations: AlertAnnotations;
}

/**
 * One rule of a {@link RuleGroup}.
 *
 * @example
 * ```ts
 * const names = group.rules.map((r: Rule) => (isAlertingRule(r) ? r.alert : r.record));
 * ```
 */
export type Rule = RecordingRule | AlertingRule;

/**
 * A Prometheus rule group: its rules are evaluated in order, at one timestamp, so a rule may use
 * the series recorded by an earlier rule of the same group.
 *
 * @example
 * ```ts
 * const group: RuleGroup = { name: 'my-service', interval: '30s', rules: [rule] };
 * ```
 */
export interface RuleGroup {
  name: string;
  /** Evaluation interval; Prometheus' `global.evaluation_interval` when absent. */
  interval?: string;
  /** Maximum number of alerts/series a rule of the group may produce (0 = no limit). */
  limit?: number;
  rules: Rule[];
}

/**
 * The content of a Prometheus rule file (`rule_files:`) and of a PrometheusRule's `spec`.
 *
 * @example
 * ```ts
 * writeFileSync('rules.yml', YAML.stringify(toPrometheusRuleFile(recordingRules())));
 * ```
 */
export interface PrometheusRuleFile {
  groups: RuleGroup[];
}

/**
 * Everything a monitoring mixin ships: the rule groups (recording rules now, alerts later) and the
 * dashboards keyed by file name. Plain data: `JSON.stringify`/YAML-dump it as it is.
 *
 * @example
 * ```ts
 * const mixin: Mixin = metricsMixin();
 * for (const [file, dashboard] of Object.entries(mixin.dashboards)) writeFileSync(file, JSON.stringify(dashboard));
 * ```
 */
export interface Mixin {
  /** The mixin's name, used to name rendered objects (PrometheusRule, ConfigMap). */
  name: string;
  groups: RuleGroup[];
  /** Dashboards by file name, e.g. `immo-http-overview.json`. */
  dashboards: Record<string, GrafanaDashboard>;
  /** promtool unit tests of the alerts in `groups` (`promtool test rules`); never rendered. */
  tests?: PromtoolTest[];
}

/**
 * True when the rule is an alerting rule.
 *
 * @example
 * ```ts
 * const alerts = groups.flatMap((g) => g.rules).filter(isAlertingRule);
 * ```
 */
export function isAlertingRule(rule: Rule): rule is AlertingRule {
  return 'alert' in rule;
}

/**
 * True when the rule is a recording rule.
 *
 * @example
 * ```ts
 * const recorded = groups.flatMap((g) => g.rules).filter(isRecordingRule).map((r) => r.record);
 * ```
 */
export function isRecordingRule(rule: Rule): rule is RecordingRule {
  return 'record' in rule;
}
