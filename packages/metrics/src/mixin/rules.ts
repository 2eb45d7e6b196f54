import { type RecordingRulesOptions, resolveRulesOptions } from './options.js';
import { ACTIVE_REQUESTS, REQUEST_DURATION, SERVER_ERROR, sumBy, vector } from './promql.js';
import type { PrometheusRuleFile, RecordingRule, Rule, RuleGroup } from './types.js';

/**
 * The names of the series the recording rules write for one rate window, by meaning. Names follow
 * Prometheus' `level:metric:operations` convention: `service` rules aggregate by `service`,
 * `service_route` rules by `service` and `http_route`.
 *
 * @example
 * ```ts
 * const names: RecordedSeriesNames = recordedSeriesNames('30m');
 * const alertExpr = `${names.errorRatio} > 0.05`;
 * ```
 */
export interface RecordedSeriesNames {
  /** Requests per second, by service. */
  readonly requestRate: string;
  /** Requests per second, by service and route. */
  readonly routeRequestRate: string;
  /** 5xx responses per second, by service (absent while a service has had no 5xx). */
  readonly errorRate: string;
  /** 5xx responses per second, by service and route. */
  readonly routeErrorRate: string;
  /** 5xx responses / all responses (0..1), by service; no sample while there is no traffic. */
  readonly errorRatio: string;
  /** 5xx responses / all responses (0..1), by service and route; no sample while there is no traffic. */
  readonly routeErrorRatio: string;
  /** Mean request duration in seconds, by service. */
  readonly latencyMean: string;
  /** Median request duration in seconds, by service. */
  readonly latencyP50: string;
  /** 95th percentile request duration in seconds, by service. */
  readonly latencyP95: string;
  /** 99th percentile request duration in seconds, by service. */
  readonly latencyP99: string;
  /** 95th percentile request duration in seconds, by service and route. */
  readonly routeLatencyP95: string;
  /** 99th percentile request duration in seconds, by service and route. */
  readonly routeLatencyP99: string;
}

/**
 * The recorded series names for a rate window (the window is part of each name).
 *
 * @example
 * ```ts
 * recordedSeriesNames('1h').errorRatio; // 'service:http_server_request_errors:ratio_rate1h'
 * ```
 */
export function recordedSeriesNames<W extends string>(window: W) {
  return {
    requestRate: `service:http_server_requests:rate${window}`,
    routeRequestRate: `service_route:http_server_requests:rate${window}`,
    errorRate: `service:http_server_request_errors:rate${window}`,
    routeErrorRate: `service_route:http_server_request_errors:rate${window}`,
    errorRatio: `service:http_server_request_errors:ratio_rate${window}`,
    routeErrorRatio: `service_route:http_server_request_errors:ratio_rate${window}`,
    latencyMean: `service:http_server_request_duration_seconds:mean${window}`,
    latencyP50: `service:http_server_request_duration_seconds:p50_${window}`,
    latencyP95: `service:http_server_request_duration_seconds:p95_${window}`,
    latencyP99: `service:http_server_request_duration_seconds:p99_${window}`,
    routeLatencyP95: `service_route:http_server_request_duration_seconds:p95_${window}`,
    routeLatencyP99: `service_route:http_server_request_duration_seconds:p99_${window}`,
  } as const satisfies RecordedSeriesNames;
}

/**
 * The series recorded by {@link recordingRules} with the default 5-minute window, as typed
 * constants. Use them in alerts and queries instead of spelling the names out.
 *
 * @example
 * ```ts
 * const expr = `${recordedSeries.errorRatio} > 0.05`; // service:http_server_request_errors:ratio_rate5m > 0.05
 * ```
 */
export const recordedSeries = {
  ...recordedSeriesNames('5m'),
  /** Requests in flight, by service (no window: a gauge sum). */
  inFlight: 'service:http_server_active_requests:sum',
} as const;

/**
 * A recorded series name of the default window.
 *
 * @example
 * ```ts
 * const name: RecordedSeriesName = 'service:http_server_request_errors:ratio_rate5m';
 * ```
 */
export type RecordedSeriesName = (typeof recordedSeries)[keyof typeof recordedSeries];

/** The name prefix of the groups {@link recordingRules} returns. */
const GROUP_PREFIX = 'immo-metrics-http-server';

function windowGroup(window: string, selector: string, groupBy: string[]): RuleGroup {
  const names = recordedSeriesNames(window);
  const byService = ['service', ...groupBy];
  const byRoute = ['service', 'http_route', ...groupBy];
  const count = (...m: string[]) => `rate(${vector(`${REQUEST_DURATION}_count`, ...m, selector)}[${window}])`;
  const sumRate = `rate(${vector(`${REQUEST_DURATION}_sum`, selector)}[${window}])`;
  const buckets = `rate(${vector(`${REQUEST_DURATION}_bucket`, selector)}[${window}])`;
  // `or 0 * requests` makes the ratio 0 (not absent) for a service that has traffic but has never
  // answered 5xx, so its error series does not exist; `requests > 0` drops the sample instead of
  // producing NaN (0/0) while there is no traffic.
  const ratio = (errors: string, requests: string) => `(${errors} or 0 * ${requests}) / (${requests} > 0)`;
  // histogram_quantile over all-zero buckets is NaN; NaN >= 0 is false, so no traffic means no sample.
  const quantile = (q: number, by: string[]) =>
    `histogram_quantile(${q}, ${sumBy(['le', ...by], buckets)}) >= 0`;
  const rules: RecordingRule[] = [
    { record: names.requestRate, expr: sumBy(byService, count()) },
    { record: names.routeRequestRate, expr: sumBy(byRoute, count()) },
    { record: names.errorRate, expr: sumBy(byService, count(SERVER_ERROR)) },
    { record: names.routeErrorRate, expr: sumBy(byRoute, count(SERVER_ERROR)) },
    { record: names.errorRatio, expr: ratio(names.errorRate, names.requestRate) },
    { record: names.routeErrorRatio, expr: ratio(names.routeErrorRate, names.routeRequestRate) },
    { record: names.latencyMean, expr: `${sumBy(byService, sumRate)} / (${names.requestRate} > 0)` },
    { record: names.latencyP50, expr: quantile(0.5, byService) },
    { record: names.latencyP95, expr: quantile(0.95, byService) },
    { record: names.latencyP99, expr: quantile(0.99, byService) },
    { record: names.routeLatencyP95, expr: quantile(0.95, byRoute) },
    { record: names.routeLatencyP99, expr: quantile(0.99, byRoute) },
  ];
  return { name: `${GROUP_PREFIX}-rate${window}`, rules };
}

/**
 * The recording rules of the HTTP server metrics (`http_server_request_duration_seconds`,
 * `http_server_active_requests`): request rate, 5xx rate and ratio, mean/p50/p95/p99 latency by
 * service, and rate, 5xx ratio and p95/p99 latency by service and route. One group per rate window,
 * plus one for the in-flight gauge. Plain data: YAML-dump {@link toPrometheusRuleFile}'s result.
 *
 * @example
 * ```ts
 * const groups = recordingRules({ selector: 'job="sample-app"', windows: ['5m', '1h'] });
 * writeFileSync('immo-metrics.rules.yml', YAML.stringify(toPrometheusRuleFile(groups)));
 * ```
 */
export function recordingRules(options?: RecordingRulesOptions): RuleGroup[] {
  const o = resolveRulesOptions(options);
  const groups = o.windows.map((w) => windowGroup(w, o.selector, o.groupBy));
  groups.push({
    name: `${GROUP_PREFIX}-gauges`,
    rules: [
      {
        record: recordedSeries.inFlight,
        expr: sumBy(['service', ...o.groupBy], vector(ACTIVE_REQUESTS, o.selector)),
      },
    ],
  });
  if (o.interval !== undefined) for (const g of groups) g.interval = o.interval;
  return groups;
}

function copyRule(rule: Rule): Rule {
  if ('alert' in rule) {
    return {
      alert: rule.alert,
      expr: rule.expr,
      ...(rule.for !== undefined && { for: rule.for }),
      ...(rule.keep_firing_for !== undefined && { keep_firing_for: rule.keep_firing_for }),
      labels: { ...rule.labels },
      annotations: { ...rule.annotations },
    };
  }
  return {
    record: rule.record,
    expr: rule.expr,
    ...(rule.labels !== undefined && { labels: { ...rule.labels } }),
  };
}

/**
 * A Prometheus rule file (`{ groups }`) of the groups: a deep copy with fields in the order
 * Prometheus documents them and no `undefined` values, so a YAML dump is accepted by
 * `promtool check rules` and fits a PrometheusRule's `spec` as it is.
 *
 * @example
 * ```ts
 * import YAML from 'yaml';
 * const file = toPrometheusRuleFile(recordingRules());
 * writeFileSync('rules.yml', YAML.stringify(file)); // promtool check rules rules.yml
 * ```
 */
export function toPrometheusRuleFile(groups: readonly RuleGroup[]): PrometheusRuleFile {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      ...(g.interval !== undefined && { interval: g.interval }),
      ...(g.limit !== undefined && { limit: g.limit }),
      rules: g.rules.map(copyRule),
    })),
  };
}
