import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promtoolPath, requireTools } from '@immo/test-servers';
import { parser } from '@prometheus-io/lezer-promql';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  isRecordingRule,
  MixinError,
  metricsMixin,
  type RecordingRule,
  type RuleGroup,
  recordedSeries,
  recordedSeriesNames,
  recordingRules,
  toPrometheusRuleFile,
} from '../src/mixin/index.js';

/** Offsets of lezer error nodes (`⚠`); empty when the expression parses. */
function promqlErrors(expr: string): number[] {
  const errors: number[] = [];
  parser.parse(expr).iterate({
    enter: (n) => {
      if (n.type.isError) errors.push(n.from);
    },
  });
  return errors;
}

function allRules(groups: RuleGroup[]): RecordingRule[] {
  return groups.flatMap((g) => g.rules).filter(isRecordingRule);
}

const tmp = mkdtempSync(join(tmpdir(), 'immo-mixin-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let fileNo = 0;
function writeYaml(name: string, data: unknown): string {
  const file = join(tmp, `${++fileNo}-${name}`);
  writeFileSync(file, YAML.stringify(data));
  return file;
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const r = spawnSync(promtoolPath(), args, { encoding: 'utf8', cwd: tmp });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe('recording rules', () => {
  it('records every series of recordedSeries, with valid names, when called without options', () => {
    const rules = allRules(recordingRules());
    const names = rules.map((r) => r.record);
    expect(new Set(names)).toEqual(new Set(Object.values(recordedSeries)));
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    expect(recordedSeries.errorRatio).toBe('service:http_server_request_errors:ratio_rate5m');
    expect(recordedSeries.latencyP95).toBe('service:http_server_request_duration_seconds:p95_5m');
    expect(recordedSeries.routeRequestRate).toBe('service_route:http_server_requests:rate5m');
  });

  it('writes expressions that parse as PromQL when any option is set', () => {
    const groups = recordingRules({
      selector: 'job="sample-app", env=~"prod|staging"',
      windows: ['5m', '1h'],
      groupBy: ['namespace'],
    });
    for (const rule of allRules(groups)) expect(promqlErrors(rule.expr), rule.expr).toEqual([]);
  });

  it('aggregates counts with sum by (...) (rate(..._count[5m])) and quantiles from the buckets', () => {
    const byName = new Map(allRules(recordingRules()).map((r) => [r.record, r.expr]));
    expect(byName.get(recordedSeries.requestRate)).toBe(
      'sum by (service) (rate(http_server_request_duration_seconds_count[5m]))',
    );
    expect(byName.get(recordedSeries.routeErrorRate)).toBe(
      'sum by (service, http_route) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m]))',
    );
    expect(byName.get(recordedSeries.latencyP99)).toBe(
      'histogram_quantile(0.99, sum by (le, service) (rate(http_server_request_duration_seconds_bucket[5m]))) >= 0',
    );
    expect(byName.get(recordedSeries.errorRatio)).toContain('/ (service:http_server_requests:rate5m > 0)');
  });

  it('adds the selector to every raw selector and groupBy labels to every aggregation when given', () => {
    const rules = allRules(recordingRules({ selector: 'job="sample-app",', groupBy: ['namespace'] }));
    for (const r of rules) {
      const raw = /http_server_(request_duration_seconds_(count|sum|bucket)|active_requests)(\{[^}]*\})?/g;
      for (const sel of r.expr.match(raw) ?? []) {
        expect(sel, r.record).toContain('job="sample-app"');
      }
      for (const by of r.expr.match(/by \([^)]*\)/g) ?? []) expect(by, r.record).toContain('namespace');
    }
  });

  it('creates one group per window, ordered so that ratios follow the rates they read', () => {
    const groups = recordingRules({ windows: ['5m', '30m'], interval: '30s' });
    expect(groups.map((g) => g.name)).toEqual([
      'immo-metrics-http-server-rate5m',
      'immo-metrics-http-server-rate30m',
      'immo-metrics-http-server-gauges',
    ]);
    for (const g of groups) expect(g.interval).toBe('30s');
    const rate30 = recordedSeriesNames('30m');
    const order = groups[1]!.rules.map((r) => (r as RecordingRule).record);
    expect(order.indexOf(rate30.errorRatio)).toBeGreaterThan(order.indexOf(rate30.errorRate));
    expect(order.indexOf(rate30.errorRatio)).toBeGreaterThan(order.indexOf(rate30.requestRate));
    expect(groups[1]!.rules.every((r) => !r.expr.includes('[5m]'))).toBe(true);
  });

  it('throws MixinError with every problem when the options are invalid', () => {
    let error: unknown;
    try {
      recordingRules({
        selector: 'job=sample-app',
        windows: ['5 minutes', '5m'],
        groupBy: ['le'],
        extra: true,
      } as never);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MixinError);
    const e = error as MixinError;
    expect(e.code).toBe('IMMO_METRICS_INVALID_MIXIN_OPTIONS');
    expect(e.issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^selector: expected label matchers/),
        expect.stringMatching(
          /^windows\.0: expected a single-unit Prometheus duration.*received "5 minutes"/,
        ),
        expect.stringMatching(/^groupBy\.0: expected a label other than service, http_route and le/),
        expect.stringMatching(/unknown option\(s\) extra/),
      ]),
    );
  });
});

describe('toPrometheusRuleFile', () => {
  it('returns plain data without undefined fields when a group has no interval', () => {
    const groups: RuleGroup[] = [
      { name: 'g', interval: undefined, rules: [{ record: 'a:b:c', expr: 'vector(1)', labels: undefined }] },
    ];
    const file = toPrometheusRuleFile(groups);
    expect(file).toStrictEqual({ groups: [{ name: 'g', rules: [{ record: 'a:b:c', expr: 'vector(1)' }] }] });
    expect(YAML.stringify(file)).not.toContain('null');
  });

  it('keeps alerting rules with their labels and annotations when given some', () => {
    const file = toPrometheusRuleFile([
      {
        name: 'alerts',
        rules: [
          {
            alert: 'HttpServerHighErrorRatio',
            expr: `${recordedSeries.errorRatio} > 0.05`,
            for: '10m',
            labels: { severity: 'critical', priority: 'P0' },
            annotations: {
              summary: 'High 5xx ratio',
              description: '{{ $labels.service }}: {{ $value | humanizePercentage }} of requests fail.',
              runbook_url: 'https://runbooks.example.com/http-errors',
            },
          },
        ],
      },
    ]);
    expect(file.groups[0]!.rules[0]).toEqual({
      alert: 'HttpServerHighErrorRatio',
      expr: 'service:http_server_request_errors:ratio_rate5m > 0.05',
      for: '10m',
      labels: { severity: 'critical', priority: 'P0' },
      annotations: expect.objectContaining({ runbook_url: 'https://runbooks.example.com/http-errors' }),
    });
  });
});

const tools = requireTools('metrics mixin', ['promtool']);

describe.skipIf(!tools.ok)('recording rules with promtool', () => {
  it('passes promtool check rules when rendered as YAML', () => {
    const mixin = metricsMixin({ rules: { windows: ['5m', '1h'], selector: 'job="sample-app"' } });
    const file = writeYaml('rules.yml', toPrometheusRuleFile(mixin.groups));
    const r = promtool('check', 'rules', file);
    expect(r.output).toMatch(/SUCCESS: 25 rules found/);
    expect(r.status, r.output).toBe(0);
  });

  it('fails promtool check rules when a record name is invalid', () => {
    const file = writeYaml(
      'bad.yml',
      toPrometheusRuleFile([
        { name: 'g', rules: [{ record: 'service:requests:rate-5m', expr: 'vector(1)' }] },
      ]),
    );
    const r = promtool('check', 'rules', file);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/invalid recording rule name/);
  });

  const series = (labels: string, values: string) => ({
    series: `http_server_request_duration_seconds_count{${labels}}`,
    values,
  });
  const api =
    'service="api", version="1.0.0", job="sample-app", instance="a:3000", http_request_method="GET"';

  function testRules(groups: RuleGroup[], tests: unknown[]): { status: number | null; output: string } {
    const rules = writeYaml('rules.yml', toPrometheusRuleFile(groups));
    const spec = writeYaml('tests.yml', {
      rule_files: [rules],
      evaluation_interval: '1m',
      tests,
    });
    return promtool('test', 'rules', spec);
  }

  const ratioTests = [
    {
      // 90 successful and 10 failing requests per minute on /orders: ratio 0.1.
      interval: '1m',
      input_series: [
        series(`${api}, http_route="/orders", http_response_status_code="200"`, '0+90x15'),
        series(`${api}, http_route="/orders", http_response_status_code="500", error_type="500"`, '0+10x15'),
        series(`${api}, http_route="/health", http_response_status_code="200"`, '0+60x15'),
      ],
      promql_expr_test: [
        // promtool compares floats exactly and the sum of rates may be one ulp off (summation
        // order varies): the non-zero ratios are checked within 1e-9, as the quantiles below.
        {
          expr: `abs(${recordedSeries.errorRatio} - 0.0625) < bool 1e-9`,
          eval_time: '10m',
          exp_samples: [{ labels: '{service="api"}', value: 1 }],
        },
        {
          expr: `abs(${recordedSeries.routeErrorRatio}{http_route="/orders"} - 0.1) < bool 1e-9`,
          eval_time: '10m',
          exp_samples: [{ labels: '{service="api", http_route="/orders"}', value: 1 }],
        },
        {
          expr: `${recordedSeries.routeErrorRatio}{http_route="/health"}`,
          eval_time: '10m',
          exp_samples: [
            { labels: `${recordedSeries.routeErrorRatio}{service="api", http_route="/health"}`, value: 0 },
          ],
        },
      ],
    },
    {
      // A service with traffic that never answered 5xx has no 5xx series: the ratio is 0, not absent.
      interval: '1m',
      input_series: [series(`${api}, http_route="/orders", http_response_status_code="200"`, '0+90x15')],
      promql_expr_test: [
        {
          expr: recordedSeries.errorRatio,
          eval_time: '10m',
          exp_samples: [{ labels: `${recordedSeries.errorRatio}{service="api"}`, value: 0 }],
        },
      ],
    },
    {
      // No traffic for the last 5 minutes (the counters stand still): no sample rather than NaN.
      interval: '1m',
      input_series: [
        series(`${api}, http_route="/orders", http_response_status_code="200"`, '0+90x5 450+0x10'),
        series(
          `${api}, http_route="/orders", http_response_status_code="500", error_type="500"`,
          '0+10x5 50+0x10',
        ),
      ],
      promql_expr_test: [
        { expr: recordedSeries.errorRatio, eval_time: '14m', exp_samples: [] },
        { expr: recordedSeries.routeErrorRatio, eval_time: '14m', exp_samples: [] },
        { expr: recordedSeries.latencyMean, eval_time: '14m', exp_samples: [] },
        {
          expr: recordedSeries.requestRate,
          eval_time: '14m',
          exp_samples: [{ labels: `${recordedSeries.requestRate}{service="api"}`, value: 0 }],
        },
      ],
    },
  ];

  it('computes the 5xx ratio, 0 without 5xx and no sample without traffic when run by promtool test rules', () => {
    const r = testRules(recordingRules(), ratioTests);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('detects NaN in the zero-traffic case when the ratio has no division guard', () => {
    const naive = recordingRules().map((g) => ({
      ...g,
      rules: g.rules.map((rule) =>
        isRecordingRule(rule) && rule.record === recordedSeries.errorRatio
          ? { ...rule, expr: `${recordedSeries.errorRate} / ${recordedSeries.requestRate}` }
          : rule,
      ),
    }));
    const r = testRules(naive, [ratioTests[2]]);
    expect(r.status).not.toBe(0);
    expect(r.output).toMatch(/NaN/);
  });

  it('estimates latency quantiles from the buckets and records none without traffic', () => {
    const bucket = (le: string, values: string) => ({
      series: `http_server_request_duration_seconds_bucket{${api}, http_route="/orders", http_response_status_code="200", le="${le}"}`,
      values,
    });
    const r = testRules(recordingRules(), [
      {
        // Per minute: 50 requests <= 0.1 s, 40 in (0.1, 0.25], 10 in (0.25, 0.5]; p95 is interpolated
        // half way into the (0.25, 0.5] bucket.
        interval: '1m',
        input_series: [
          bucket('0.1', '0+50x15'),
          bucket('0.25', '0+90x15'),
          bucket('0.5', '0+100x15'),
          bucket('+Inf', '0+100x15'),
          {
            series: `http_server_request_duration_seconds_sum{${api}, http_route="/orders", http_response_status_code="200"}`,
            values: '0+12x15',
          },
          series(`${api}, http_route="/orders", http_response_status_code="200"`, '0+100x15'),
        ],
        promql_expr_test: [
          // rate() extrapolation leaves a few ulps of float error: compare with a tolerance.
          {
            expr: `abs(${recordedSeries.latencyP95} - 0.375) < bool 1e-9`,
            eval_time: '10m',
            exp_samples: [{ labels: '{service="api"}', value: 1 }],
          },
          {
            expr: `abs(${recordedSeries.routeLatencyP95} - 0.375) < bool 1e-9`,
            eval_time: '10m',
            exp_samples: [{ labels: '{service="api", http_route="/orders"}', value: 1 }],
          },
          {
            expr: recordedSeries.latencyP50,
            eval_time: '10m',
            exp_samples: [{ labels: `${recordedSeries.latencyP50}{service="api"}`, value: 0.1 }],
          },
          {
            expr: recordedSeries.latencyMean,
            eval_time: '10m',
            exp_samples: [{ labels: `${recordedSeries.latencyMean}{service="api"}`, value: 0.12 }],
          },
        ],
      },
      {
        interval: '1m',
        input_series: [bucket('0.1', '10+0x15'), bucket('0.5', '10+0x15'), bucket('+Inf', '10+0x15')],
        promql_expr_test: [
          { expr: recordedSeries.latencyP95, eval_time: '10m', exp_samples: [] },
          { expr: recordedSeries.routeLatencyP99, eval_time: '10m', exp_samples: [] },
        ],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('counts only the selected job and sums the in-flight gauge when a selector is given', () => {
    const r = testRules(recordingRules({ selector: 'job="sample-app"' }), [
      {
        interval: '1m',
        input_series: [
          series(`${api}, http_route="/orders", http_response_status_code="200"`, '0+60x15'),
          series(
            'service="api", job="other", instance="b:3000", http_request_method="GET", http_route="/orders", http_response_status_code="200"',
            '0+600x15',
          ),
          {
            series:
              'http_server_active_requests{service="api", job="sample-app", instance="a:3000", http_request_method="GET"}',
            values: '3x15',
          },
          {
            series:
              'http_server_active_requests{service="api", job="sample-app", instance="a:3000", http_request_method="POST"}',
            values: '2x15',
          },
          {
            series:
              'http_server_active_requests{service="api", job="other", instance="b:3000", http_request_method="GET"}',
            values: '100x15',
          },
        ],
        promql_expr_test: [
          {
            expr: recordedSeries.requestRate,
            eval_time: '10m',
            exp_samples: [{ labels: `${recordedSeries.requestRate}{service="api"}`, value: 1 }],
          },
          {
            expr: recordedSeries.inFlight,
            eval_time: '10m',
            exp_samples: [{ labels: `${recordedSeries.inFlight}{service="api"}`, value: 5 }],
          },
        ],
      },
    ]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });
});
