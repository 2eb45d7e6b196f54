import { describe, expect, it } from 'vitest';
import {
  defineService,
  type K8sManifestsError,
  lintRules,
  type MixinRule,
  parseDuration,
  renderService,
} from '../src/index.js';

const highErrorRate: MixinRule = {
  alert: 'HighErrorRate',
  expr: 'sum by (service) (rate(http_requests_total{code=~"5.."}[5m])) / sum by (service) (rate(http_requests_total[5m])) > 0.05',
  for: '10m',
  labels: { severity: 'warning', priority: 'P1' },
  annotations: {
    summary: 'Many requests fail.',
    description: '{{ $labels.service }} answers {{ $value | humanizePercentage }} of requests with 5xx.',
    runbook_url: 'https://runbooks.example.com/high-error-rate',
  },
};

describe('lintRules', () => {
  it('accepts a rule that follows the conventions', () => {
    expect(
      lintRules([
        {
          name: 'g',
          rules: [highErrorRate, { record: 'service:http_requests:rate5m', expr: 'sum(rate(x[5m]))' }],
        },
      ]),
    ).toEqual([]);
  });

  it('lets only the Watchdog go without for:', () => {
    const watchdog = {
      ...highErrorRate,
      alert: 'Watchdog',
      for: undefined,
      labels: { severity: 'info', priority: 'P2' },
    };
    expect(lintRules([{ name: 'g', rules: [watchdog] }])).toEqual([]);
    expect(lintRules([{ name: 'g', rules: [{ ...watchdog, alert: 'Heartbeat' }] }])).toEqual([
      'g/Heartbeat: "for" must be a duration (pending before firing avoids pages on blips), not null',
    ]);
  });

  it('is applied to every mixin alert at render time', () => {
    const image = `api@sha256:${'a'.repeat(64)}`;
    const def = defineService({
      name: 'api',
      namespace: 'shop',
      image,
      mixins: [
        {
          name: 'm',
          groups: [
            {
              name: 'g',
              rules: [
                {
                  ...highErrorRate,
                  annotations: { ...highErrorRate.annotations, summary: 'many requests fail' },
                },
              ],
            },
          ],
        },
      ],
    });
    const err = (() => {
      try {
        renderService(def);
      } catch (e) {
        return e as K8sManifestsError;
      }
    })();
    expect(err?.code).toBe('IMMO_K8S_INVALID_MIXIN');
    expect(err?.issues).toEqual([
      'mixins: g/HighErrorRate: the summary starts with a capital letter',
      'mixins: g/HighErrorRate: the summary ends with a period',
    ]);
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['1h30m', 5_400_000],
    ['10m', 600_000],
    ['1d', 86_400_000],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
  it('refuses what is not a duration', () => {
    expect(parseDuration('10 minutes')).toBeUndefined();
  });
});
