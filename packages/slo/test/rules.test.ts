import { describe, expect, it } from 'vitest';
import { defineSlos, SLO_SERIES, sloRuleGroup } from '../src/index.js';
import { availability, billing, latency } from './fixtures.js';

describe('rule groups', () => {
  const [a, l, b] = defineSlos([availability, latency, billing]);

  it('one group per SLO; every recorded series has exactly the identity labels, metadata only on info', () => {
    for (const slo of [a!, l!, b!]) {
      const g = sloRuleGroup(slo);
      expect(g.name).toBe(`slo-${slo.id}`);
      expect(g.interval).toBe('1m');
      for (const r of g.rules.filter((x) => x.record && x.record !== SLO_SERIES.info)) {
        expect(r.labels, r.record).toEqual({ slo: slo.id, service: slo.service });
      }
      const info = g.rules.find((x) => x.record === SLO_SERIES.info)!;
      expect(info.labels).toMatchObject({
        slo: slo.id,
        service: slo.service,
        window: slo.window,
        sli: slo.sli.kind,
      });
    }
  });

  it('alerts carry priority, severity, tier, a per-alert runbook and $labels templates', () => {
    const alerts = sloRuleGroup(a!).rules.filter((r) => r.alert);
    expect(
      alerts.map((r) => [r.alert, r.labels?.priority, r.labels?.severity, r.labels?.burn_tier, r.for]),
    ).toEqual([
      ['SLOFastBurn', 'P0', 'critical', 'fast', '2m'],
      ['SLOSlowBurn', 'P2', 'warning', 'slow', '15m'],
      ['SLOSLIAbsent', 'P2', 'warning', undefined, '15m'],
    ]);
    for (const r of alerts) {
      expect(r.annotations!.runbook_url).toBe(`https://runbooks.example/${r.alert}.md`);
      expect(r.annotations!.summary).toMatch(/^The api-availability SLO of api [^{]+\.$/);
      expect(r.annotations!.description).toContain('{{ $labels.slo }}');
    }
    expect(alerts[0]!.expr).toBe(
      '(slo:burn_rate:1h{slo="api-availability", service="api"} > 14.4 and slo:burn_rate:5m{slo="api-availability", service="api"} > 14.4)\nor\n(slo:burn_rate:6h{slo="api-availability", service="api"} > 6 and slo:burn_rate:30m{slo="api-availability", service="api"} > 6)',
    );
  });

  it('guards every division and falls back to a full budget, so zero traffic gives no NaN', () => {
    const rules = sloRuleGroup(a!).rules;
    for (const r of rules.filter(
      (x) => x.record?.startsWith('slo:burn_rate:') || x.record === SLO_SERIES.errorRatio,
    )) {
      expect(r.expr, r.record).toMatch(
        /\/ \((sum_over_time\()?slo:events:increase5m\{[^}]+\}(\[\w+\]\))? > 0\)/,
      );
    }
    expect(rules.find((x) => x.record === SLO_SERIES.budgetRemaining)!.expr).toMatch(
      /or on\(\) vector\(1\)$/,
    );
    expect(rules.find((x) => x.record === SLO_SERIES.badEvents)!.expr).toMatch(
      / or on\(\) 0 \* \(sum\(increase\(/,
    );
  });

  it('reads latency from the bucket at the threshold (le 2 and 2.0) and batch runs by outcome and deadline', () => {
    expect(sloRuleGroup(l!).rules[1]!.expr).toContain(
      'http_server_request_duration_seconds_bucket{service="api", le=~"2(\\\\.0)?"}',
    );
    const batch = sloRuleGroup(b!);
    expect(batch.rules[1]!.expr).toContain(
      'immo_job_duration_seconds_bucket{job_name="billing_run", outcome="success", le=~"1800(\\\\.0)?"}',
    );
    expect(batch.rules.filter((r) => r.record?.startsWith('slo:burn_rate'))).toEqual([]);
    expect(batch.rules.filter((r) => r.alert).map((r) => r.alert)).toEqual([
      'SLOBatchRunLateOrFailed',
      'SLOBatchNoRecentSuccess',
    ]);
  });
});
