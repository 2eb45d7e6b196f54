import {
  forBoundaryTest,
  type Mixin,
  type PromtoolTest,
  parseDuration,
  type RuleGroup,
} from '@immo/metrics/mixin';

/** Options of {@link sampleAppMixin}. */
export interface SampleAppAlertOptions {
  /** Each alert's runbook is `<runbookBaseUrl>/<AlertName>.md`. */
  runbookBaseUrl: string;
  /** Hours since the last successful backup before `BackupMissing` (daily backups + 2 h). @default 26 */
  backupMaxAgeHours?: number;
  /** 401/403 answers per second before `AuthFailuresHigh` (credential stuffing, token scanning). @default 1 */
  authFailuresPerSecond?: number;
  /** `for:` per alert; shortened only by the end-to-end test. */
  for?: { BackupMissing?: string; AuthFailuresHigh?: string };
}

/**
 * The sample service's own alerts, on its own metrics: `BackupMissing` (P1: the last successful
 * database backup is too old) and the security alert `AuthFailuresHigh` (P1: many 401/403 answers),
 * with their promtool unit tests. Rendered next to `@immo/metrics`' mixin by `src/k8s.ts`.
 */
export function sampleAppMixin(o: SampleAppAlertOptions): Mixin {
  const maxAge = (o.backupMaxAgeHours ?? 26) * 3600;
  const authRate = o.authFailuresPerSecond ?? 1;
  const base = o.runbookBaseUrl.replace(/\/+$/, '');
  const backupMissing = {
    alert: 'BackupMissing',
    expr: `time() - max by (service) (immo_backup_last_success_timestamp_seconds{service="sample-app"}) > ${maxAge}`,
    for: o.for?.BackupMissing ?? '15m',
    labels: { severity: 'warning' as const, priority: 'P1' as const },
    annotations: {
      summary: 'The last successful database backup is too old.',
      description: `{{ $labels.service }}: the last successful backup finished {{ $value | humanizeDuration }} ago (limit ${maxAge / 3600} h).`,
      runbook_url: `${base}/BackupMissing.md`,
    },
  };
  const authFailures = {
    alert: 'AuthFailuresHigh',
    expr: `sum by (service) (rate(http_server_request_duration_seconds_count{service="sample-app", http_response_status_code=~"401|403"}[5m])) > ${authRate}`,
    for: o.for?.AuthFailuresHigh ?? '10m',
    labels: { severity: 'warning' as const, priority: 'P1' as const },
    annotations: {
      summary: 'Many requests are refused as unauthenticated or forbidden.',
      description: `{{ $labels.service }} refuses {{ $value | humanize }} requests/s with 401 or 403 (limit ${authRate}/s): credential stuffing, token scanning or a broken client.`,
      runbook_url: `${base}/AuthFailuresHigh.md`,
    },
  };
  const stale = maxAge + 3600;
  const groups: RuleGroup[] = [{ name: 'sample-app-alerts', rules: [backupMissing, authFailures] }];
  const tests: PromtoolTest[] = [
    forBoundaryTest({
      rule: backupMissing,
      // promtool's clock starts at 0: a backup that finished `stale` seconds before it is too old
      // from the first evaluation on; at the firing check it is `stale + for` seconds old.
      inputSeries: [
        {
          series: 'immo_backup_last_success_timestamp_seconds{service="sample-app",instance="a:3000"}',
          values: `-${stale}x180`,
        },
      ],
      trueFrom: '0m',
      expLabels: { service: 'sample-app' },
      expDescription: `sample-app: the last successful backup finished ${humanizeDuration(stale + parseDuration(backupMissing.for)! / 1000)} ago (limit ${maxAge / 3600} h).`,
    }),
    forBoundaryTest({
      rule: authFailures,
      inputSeries: [
        {
          series: `http_server_request_duration_seconds_count{service="sample-app",http_route="/api/payments",http_request_method="POST",http_response_status_code="401"}`,
          values: `0+${(authRate + 1) * 60}x60`,
        },
      ],
      trueFrom: '1m',
      // rate(...[5m]) of a series that starts at 0 ramps up over its window (Prometheus
      // extrapolates over the whole 5m): the rate passes the limit two evaluations later.
      settleWithin: '2m',
      expLabels: { service: 'sample-app' },
      expDescription: `sample-app refuses ${authRate + 1} requests/s with 401 or 403 (limit ${authRate}/s): credential stuffing, token scanning or a broken client.`,
    }),
  ];
  return { name: 'sample-app', groups, dashboards: {}, tests };
}

/** Prometheus' `humanizeDuration` for whole seconds of a minute or more (`1d 3h 15m 0s`). */
function humanizeDuration(total: number): string {
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (d > 0) return `${d}d ${h}h ${m}m ${s}s`;
  if (h > 0) return `${h}h ${m}m ${s}s`;
  return `${m}m ${s}s`;
}
