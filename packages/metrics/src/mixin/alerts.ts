import { z } from 'zod';
import { formatIssues, MixinError } from './errors.js';
import { recordedSeries } from './rules.js';
import { forBoundaryTest, type PromtoolTest } from './tests.js';
import type { AlertingRule, AlertPriority, AlertSeverity, RuleGroup } from './types.js';

/** The alerts {@link alertRules} writes, by name. */
export const ALERT_NAMES = [
  'CriticalErrorRate',
  'HighErrorRate',
  'ServiceDegraded',
  'DbConnectionsCritical',
  'TargetDown',
  'TargetMissing',
  'Watchdog',
] as const;

/** One of {@link ALERT_NAMES}. */
export type AlertName = (typeof ALERT_NAMES)[number];

/**
 * Options of {@link alertRules}.
 *
 * @example
 * ```ts
 * const options: AlertRulesOptions = {
 *   runbookBaseUrl: 'https://github.com/acme/billing/blob/main/docs/runbooks',
 *   job: 'billing-api',
 * };
 * ```
 */
export interface AlertRulesOptions {
  /** Each alert's `runbook_url` is `<runbookBaseUrl>/<AlertName>.md`. */
  runbookBaseUrl: string;
  /**
   * The scrape job of the service: `TargetDown` watches `up{job=…}` and `TargetMissing` fires when
   * no such target exists at all (service discovery or the ServiceMonitor broke).
   */
  job: string;
  /**
   * Extra label matchers on the raw series (pool, health, `up`), without braces. A `service="…"`
   * matcher also limits the error-ratio alerts (which read the recorded `service:…` series) to that
   * service, so each service's thresholds apply to it alone; without one they cover every service.
   * @default ''
   */
  selector?: string;
  /** 5xx ratio above which `CriticalErrorRate` (P0) fires. @default 0.05 */
  criticalErrorRatio?: number;
  /** 5xx ratio above which `HighErrorRate` (P1) fires. @default 0.01 */
  highErrorRatio?: number;
  /** Requests/s below which error ratios do not alert (two failures of three requests at night). @default 0.05 */
  minRequestRate?: number;
  /** Share of a pool's connections in use above which `DbConnectionsCritical` fires. @default 0.9 */
  dbPoolUsage?: number;
  /**
   * `for:` per alert. The defaults suit production; an end-to-end test may shorten them (the
   * promtool unit tests of {@link alertTests} follow whatever is set).
   */
  for?: Partial<Record<Exclude<AlertName, 'Watchdog'>, string>>;
}

const DEFAULT_FOR: Record<Exclude<AlertName, 'Watchdog'>, string> = {
  CriticalErrorRate: '5m',
  HighErrorRate: '15m',
  ServiceDegraded: '5m',
  DbConnectionsCritical: '5m',
  TargetDown: '5m',
  TargetMissing: '10m',
};

const duration = z.string().regex(/^([0-9]+(ms|s|m|h|d|w|y))+$/, 'a Prometheus duration like "5m"');
const ratio = z.number().gt(0).lt(1);
const schema = z.strictObject({
  runbookBaseUrl: z.url({ protocol: /^https?$/ }),
  job: z.string().min(1),
  selector: z
    .string()
    .regex(
      /^\s*([a-zA-Z_][a-zA-Z0-9_]*\s*(=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"\s*,?\s*)*$/,
      'label matchers like namespace="billing"',
    )
    .optional(),
  criticalErrorRatio: ratio.optional(),
  highErrorRatio: ratio.optional(),
  minRequestRate: z.number().min(0).optional(),
  dbPoolUsage: ratio.optional(),
  for: z
    .strictObject(
      Object.fromEntries(Object.keys(DEFAULT_FOR).map((k) => [k, duration.optional()])) as Record<
        string,
        z.ZodOptional<typeof duration>
      >,
    )
    .optional(),
});

interface Resolved {
  runbookBaseUrl: string;
  job: string;
  selector: string;
  criticalErrorRatio: number;
  highErrorRatio: number;
  minRequestRate: number;
  dbPoolUsage: number;
  for: Record<Exclude<AlertName, 'Watchdog'>, string>;
}

function resolve(options: AlertRulesOptions): Resolved {
  const parsed = schema.safeParse(options ?? {});
  if (!parsed.success) {
    throw new MixinError(
      'IMMO_METRICS_INVALID_MIXIN_OPTIONS',
      'Invalid alertRules() options',
      formatIssues(parsed.error, options),
    );
  }
  const o = parsed.data;
  const critical = o.criticalErrorRatio ?? 0.05;
  const high = o.highErrorRatio ?? 0.01;
  if (high >= critical) {
    throw new MixinError('IMMO_METRICS_INVALID_MIXIN_OPTIONS', 'Invalid alertRules() options', [
      `highErrorRatio: expected less than criticalErrorRatio (${critical}), received number ${high}`,
    ]);
  }
  return {
    runbookBaseUrl: o.runbookBaseUrl.replace(/\/+$/, ''),
    job: o.job,
    selector: o.selector?.replace(/\s*,?\s*$/, '').trim() ?? '',
    criticalErrorRatio: critical,
    highErrorRatio: high,
    minRequestRate: o.minRequestRate ?? 0.05,
    dbPoolUsage: o.dbPoolUsage ?? 0.9,
    for: { ...DEFAULT_FOR, ...(o.for as Partial<Record<Exclude<AlertName, 'Watchdog'>, string>>) },
  };
}

const sel = (selector: string, ...m: string[]) => {
  const all = [...m, selector].filter(Boolean).join(', ');
  return all ? `{${all}}` : '';
};

function alert(
  o: Resolved,
  name: AlertName,
  priority: AlertPriority,
  severity: AlertSeverity,
  expr: string,
  summary: string,
  description: string,
): AlertingRule {
  return {
    alert: name,
    expr,
    ...(name === 'Watchdog' ? {} : { for: o.for[name as Exclude<AlertName, 'Watchdog'>] }),
    labels: { severity, priority },
    annotations: { summary, description, runbook_url: `${o.runbookBaseUrl}/${name}.md` },
  };
}

function rules(o: Resolved): AlertingRule[] {
  const s = recordedSeries;
  const pct = (r: number) => `${+(r * 100).toFixed(2)} %`;
  // The recorded series carry `service` (and the recording rules' groupBy labels) only. With a
  // service named (by the selector's service="…" matcher), its thresholds apply to it alone; without
  // one the alerts cover every service the Prometheus records, which suits one mixin per cluster.
  const only = labelsOf(o.selector).service;
  const rec = (name: string) => (only === undefined ? name : `${name}{service="${only}"}`);
  const traffic = `${rec(s.requestRate)} > ${o.minRequestRate}`;
  const pool = (metric: string, ...m: string[]) =>
    `sum by (service, db_client_connection_pool_name) (${metric}${sel(o.selector, ...m)})`;
  return [
    alert(
      o,
      'CriticalErrorRate',
      'P0',
      'critical',
      `${rec(s.errorRatio)} > ${o.criticalErrorRatio} and ${traffic}`,
      'Many requests fail with a server error.',
      `{{ $labels.service }} answers {{ $value | humanizePercentage }} of its requests with 5xx (over 5 minutes; P0 above ${pct(o.criticalErrorRatio)}).`,
    ),
    alert(
      o,
      'HighErrorRate',
      'P1',
      'warning',
      `${rec(s.errorRatio)} > ${o.highErrorRatio} and ${traffic}`,
      'More requests than usual fail with a server error.',
      `{{ $labels.service }} answers {{ $value | humanizePercentage }} of its requests with 5xx (over 5 minutes; P1 above ${pct(o.highErrorRatio)}).`,
    ),
    alert(
      o,
      'ServiceDegraded',
      'P0',
      'critical',
      // Per instance the worst check counts; a service is degraded when fewer than half of its
      // instances pass readiness, i.e. it cannot serve its normal load any more.
      `avg by (service) (min by (service, instance) (immo_health_check_status${sel(o.selector)})) < 0.5`,
      'Most instances of the service fail their readiness checks.',
      '{{ $labels.service }}: only {{ $value | humanizePercentage }} of its instances pass their readiness checks.',
    ),
    alert(
      o,
      'DbConnectionsCritical',
      'P0',
      'critical',
      `${pool('db_client_connections_usage', 'db_client_connection_state="used"')} / ${pool('db_client_connection_max')} >= ${o.dbPoolUsage}`,
      'A database connection pool is nearly exhausted.',
      '{{ $labels.service }} uses {{ $value | humanizePercentage }} of the connections of its pool {{ $labels.db_client_connection_pool_name }}; new queries queue.',
    ),
    alert(
      o,
      'TargetDown',
      'P1',
      'warning',
      `up${sel(o.selector, `job="${o.job}"`)} == 0`,
      'Prometheus cannot scrape an instance of the service.',
      '{{ $labels.job }} instance {{ $labels.instance }} has not answered scrapes for {{ $labels.job }}: its metrics and alerts are blind.',
    ),
    alert(
      o,
      'TargetMissing',
      'P1',
      'warning',
      `absent(up${sel('', `job="${o.job}"`)})`,
      'Prometheus has no target for the service.',
      `No scrape target of job {{ $labels.job }} exists: the ServiceMonitor or service discovery is broken, and no alert of the service can fire.`,
    ),
    alert(
      o,
      'Watchdog',
      'P2',
      'info',
      'vector(1)',
      'The alerting pipeline works.',
      'Always firing, by design (value {{ $value }}): it proves that Prometheus evaluates rules and Alertmanager delivers. The heartbeat receiver pages when it stops.',
    ),
  ];
}

/**
 * The alerts on the metrics of the `@immo/metrics` contract, with the rollout plan's names and
 * priorities: `CriticalErrorRate` and `HighErrorRate` (5xx ratio, P0/P1), `ServiceDegraded`
 * (readiness of `@immo/health` failing on most instances, P0), `DbConnectionsCritical` (pool
 * nearly exhausted, P0), `TargetDown` and `TargetMissing` (scrapes, P1), and the always-firing
 * `Watchdog`. Error ratios read the recording rules of {@link recordingRules} (5m window), so
 * render both. Every alert carries `severity`, `priority`, a summary, a templated description and
 * `runbook_url`.
 *
 * @throws {MixinError} `IMMO_METRICS_INVALID_MIXIN_OPTIONS` listing every problem.
 * @example
 * ```ts
 * const groups = [...recordingRules(), ...alertRules({ runbookBaseUrl: 'https://runbooks.example.com', job: 'billing-api' })];
 * ```
 */
export function alertRules(options: AlertRulesOptions): RuleGroup[] {
  return [{ name: 'immo-metrics-alerts', rules: rules(resolve(options)) }];
}

/**
 * promtool unit tests for every alert of {@link alertRules} with the same options: each checks the
 * alert is quiet one evaluation before its `for:` ends and fires at it with the expected labels and
 * annotations. Run them with `promtool test rules` over the recording rules and the alerts.
 *
 * @example
 * ```ts
 * writeFileSync('alerts.test.yml', YAML.stringify(promtoolTestFile(['rules.yml'], alertTests(options))));
 * ```
 */
export function alertTests(options: AlertRulesOptions): PromtoolTest[] {
  const o = resolve(options);
  const byName = new Map(rules(o).map((r) => [r.alert, r]));
  const rule = (n: AlertName) => byName.get(n)!;
  // The selector's equality matchers become labels of every input series (so the rules, recording
  // rules with the same selector included, select them); `service` defaults to "billing".
  const fixed = labelsOf(o.selector);
  const service = fixed.service ?? 'billing';
  const series = (metric: string, labels: Record<string, string>, values: string) => {
    const all = { service, ...labels, ...fixed };
    const text = Object.entries(all)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    return { series: `${metric}{${text}}`, values };
  };
  const http = (code: string) =>
    series(
      'http_server_request_duration_seconds_count',
      { http_route: '/api/invoices', http_request_method: 'GET', http_response_status_code: code },
      '0+30x60',
    );
  // 1 request/s; half of them 5xx: both error alerts are true from the first minute (two samples).
  const halfErrors = [http('200'), http('500')];
  const health = (instance: string, value: number) =>
    series('immo_health_check_status', { instance, check: 'postgres:responseTime' }, `${value}x60`);
  const pool = { db_client_connection_pool_name: 'main' };
  // With the Prometheus operator, `up` carries the Kubernetes Service's name as `service` (the
  // ServiceMonitor's target labels), which is the service name when the manifests come from
  // @immo/k8s-manifests.
  const up = (job: string, instance: string, value: number) => series('up', { job, instance }, `${value}x60`);
  const pct = (r: number) => `${+(r * 100).toFixed(2)} %`;
  return [
    forBoundaryTest({
      rule: rule('CriticalErrorRate'),
      inputSeries: halfErrors,
      trueFrom: '1m',
      settleWithin: '1m', // reads the recording rules' ratio
      expLabels: { service },
      expDescription: `${service} answers 50% of its requests with 5xx (over 5 minutes; P0 above ${pct(o.criticalErrorRatio)}).`,
    }),
    forBoundaryTest({
      rule: rule('HighErrorRate'),
      inputSeries: halfErrors,
      trueFrom: '1m',
      settleWithin: '1m',
      expLabels: { service },
      expDescription: `${service} answers 50% of its requests with 5xx (over 5 minutes; P1 above ${pct(o.highErrorRatio)}).`,
    }),
    forBoundaryTest({
      rule: rule('ServiceDegraded'),
      inputSeries: [health('a:3000', 0), health('b:3000', 0), health('c:3000', 1)],
      trueFrom: '0m',
      expLabels: { service },
      expDescription: `${service}: only 33.33% of its instances pass their readiness checks.`,
    }),
    forBoundaryTest({
      rule: rule('DbConnectionsCritical'),
      inputSeries: [
        series('db_client_connections_usage', { ...pool, db_client_connection_state: 'used' }, '10x60'),
        series('db_client_connections_usage', { ...pool, db_client_connection_state: 'idle' }, '0x60'),
        series('db_client_connection_max', pool, '10x60'),
      ],
      trueFrom: '0m',
      expLabels: { service, ...pool },
      expDescription: `${service} uses 100% of the connections of its pool main; new queries queue.`,
    }),
    forBoundaryTest({
      rule: rule('TargetDown'),
      inputSeries: [up(o.job, '10.0.0.7:3000', 0)],
      trueFrom: '0m',
      expLabels: { service, ...fixed, job: o.job, instance: '10.0.0.7:3000' },
      expDescription: `${o.job} instance 10.0.0.7:3000 has not answered scrapes for ${o.job}: its metrics and alerts are blind.`,
    }),
    forBoundaryTest({
      rule: rule('TargetMissing'),
      inputSeries: [{ series: 'up{job="some-other-service",instance="10.0.0.9:3000"}', values: '1x60' }],
      trueFrom: '0m',
      expLabels: { job: o.job },
      expDescription: `No scrape target of job ${o.job} exists: the ServiceMonitor or service discovery is broken, and no alert of the service can fire.`,
    }),
    forBoundaryTest({
      rule: rule('Watchdog'),
      inputSeries: [],
      trueFrom: '0m',
      expLabels: {},
      expDescription:
        'Always firing, by design (value 1): it proves that Prometheus evaluates rules and Alertmanager delivers. The heartbeat receiver pages when it stops.',
    }),
  ];
}

/** The equality matchers of a selector as labels (`namespace="x"` → `{ namespace: 'x' }`). */
function labelsOf(selector: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [, k, v] of selector.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"/g))
    out[k!] = v!;
  return out;
}
