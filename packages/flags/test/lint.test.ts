import { describe, expect, it } from 'vitest';
import { lintFlags } from '../src/index.js';
import { flags } from './fixtures/registry.js';

const base = { description: 'x', created: '2026-01-01', valueType: 'boolean', default: false };

describe('lintFlags', () => {
  it('passes the fixture registry before any expiry and warns about flags expiring soon', () => {
    const report = lintFlags(flags, { now: new Date('2027-02-20T10:00:00Z') });
    expect(report.ok).toBe(true);
    expect(report.findings).toEqual([
      expect.objectContaining({
        code: 'IMMO_FLAGS_LINT_EXPIRING',
        severity: 'warning',
        flag: 'payments-new-allocation',
      }),
    ]);
    expect(report.expired).toEqual([]);
  });

  it('fails on expired non-permanent flags and lists every one, most overdue first; kill switches and permissions never go stale', () => {
    const report = lintFlags(flags, { now: new Date('2030-01-01T00:00:00Z') });
    expect(report.ok).toBe(false);
    expect(report.expired.map((e) => [e.flag, e.daysOverdue])).toEqual([
      ['payments-new-allocation', 1037],
      ['checkout-button-experiment', 945],
      ['billing-batch-size', 732],
    ]);
    expect(
      report.findings.filter((f) => f.code === 'IMMO_FLAGS_LINT_STALE').map((f) => f.flag),
    ).not.toContain('billing-run-kill-switch');
  });

  it('is stale on the expiry date itself (UTC)', () => {
    expect(lintFlags(flags, { now: new Date('2027-03-01T00:00:00Z') }).expired.map((e) => e.flag)).toEqual([
      'payments-new-allocation',
    ]);
    expect(lintFlags(flags, { now: new Date('2027-02-28T23:59:59Z') }).expired).toEqual([]);
  });

  it('fails on bad names, type suffix rules, missing owners and missing expiry (plain declarations)', () => {
    const report = lintFlags(
      {
        PaymentsNew: { ...base, type: 'permission', owner: 'team-a' },
        'billing-stop': { ...base, type: 'kill-switch', owner: 'team-a' },
        'checkout-kill-switch': { ...base, type: 'release', owner: 'team-a', expires: '2031-01-01' },
        'search-ranking-experiment': { ...base, type: 'experiment', expires: '2031-01-01' },
        'search-new-index': { ...base, type: 'release', owner: ' ' },
      },
      { now: new Date('2030-01-01T00:00:00Z') },
    );
    expect(report.ok).toBe(false);
    expect(report.findings.map((f) => [f.code, f.flag])).toEqual([
      ['IMMO_FLAGS_LINT_NAME', 'PaymentsNew'],
      ['IMMO_FLAGS_LINT_DECLARATION', 'PaymentsNew'],
      ['IMMO_FLAGS_LINT_NAME', 'billing-stop'],
      ['IMMO_FLAGS_LINT_NAME', 'checkout-kill-switch'],
      ['IMMO_FLAGS_LINT_OWNER', 'search-ranking-experiment'],
      ['IMMO_FLAGS_LINT_OWNER', 'search-new-index'],
      ['IMMO_FLAGS_LINT_EXPIRY', 'search-new-index'],
    ]);
    expect(report.findings[2]?.message).toBe(
      'key "billing-stop" is a kill-switch flag\'s key ends with "-kill-switch" after an area',
    );
  });
});
