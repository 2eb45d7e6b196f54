import { describe, expect, it } from 'vitest';
import {
  BURN_TIERS,
  burnFactor,
  defineSlos,
  parseObjective,
  SloError,
  type SloSpec,
  validateSlos,
} from '../src/index.js';
import { availability, billing, goodRatio, latency, probe } from './fixtures.js';

function issues(specs: unknown[]): string[] {
  const r = validateSlos(specs);
  return r.ok ? [] : r.issues;
}

describe('objectives', () => {
  it('accepts ratios and percents and normalises them without float noise', () => {
    const cases: Array<[number | string, number, number]> = [
      [0.999, 0.999, 0.001],
      ['99.9%', 0.999, 0.001],
      ['99.95%', 0.9995, 0.0005],
      [0.99, 0.99, 0.01],
      ['0.9999', 0.9999, 0.0001],
      ['97%', 0.97, 0.03],
    ];
    for (const [input, objective, budget] of cases) {
      const [slo] = defineSlos([{ ...availability, objective: input, alerting: { fast: false } }]);
      expect(slo!.objective).toBe(objective);
      expect(slo!.budget).toBe(budget);
    }
    // The float arithmetic the normalisation removes:
    expect(1 - 0.999).not.toBe(0.001);
  });

  it('refuses 0, 1, 1.0, 100%, 120 and non-numbers', () => {
    for (const bad of [0, 1, 1.0, '100%', '120%', 120, -0.5, 'high', Number.NaN, '99.9']) {
      expect(parseObjective(bad), String(bad)).toBeUndefined();
      expect(issues([{ ...availability, objective: bad }]).join('\n')).toMatch(
        /^api-availability: objective: expected /,
      );
    }
  });
});

describe('burn factors', () => {
  it('are 14.4/6/3/1 for 30 days and derived exactly for 28 and 7 days', () => {
    const factors = (w: '7d' | '28d' | '30d') =>
      [...BURN_TIERS.fast, ...BURN_TIERS.slow].map((c) => burnFactor(w, c));
    expect(factors('30d')).toEqual([14.4, 6, 3, 1]);
    expect(factors('28d')).toEqual([13.44, 5.6, 2.8, 0.933333333333]);
    expect(factors('7d')).toEqual([3.36, 1.4, 0.7, 0.233333333333]);
  });

  it('rejects a tier that can never fire, with the arithmetic and the way out', () => {
    const lines = issues([{ ...availability, objective: 0.8 }]);
    expect(lines).toEqual([
      'api-availability: alerting.fast: expected a tier that can fire, received objective 0.8 — even its 6h/30m condition needs an error ratio above 6 × 0.2 = 1.2, which can never happen; raise the objective above 0.833333333333 or set alerting.fast: false',
    ]);
    expect(issues([{ ...availability, objective: 0.8, alerting: { fast: false } }])).toEqual([]);
    // At 0.9 the 1h page condition is impossible (14.4 × 0.1) but the 6h one (6 × 0.1) is not.
    expect(issues([{ ...availability, objective: 0.9 }])).toEqual([]);
  });
});

describe('validation', () => {
  it('accepts one SLO of every SLI kind and fills the defaults', () => {
    const slos = defineSlos([availability, latency, goodRatio, probe, billing]);
    expect(slos.map((s) => s.sli.kind)).toEqual(['ratio', 'latency', 'ratio', 'boolean', 'batch']);
    const a = slos[0]!;
    expect(a.alerting.fast).toEqual({ priority: 'P0', severity: 'critical', for: '2m' });
    expect(a.alerting.slow).toEqual({ priority: 'P2', severity: 'warning', for: '15m' });
    expect(a.alerting.absent).toEqual({ priority: 'P2', severity: 'warning', for: '15m' });
    expect(a.interval).toBe('1m');
    expect(a.windowMs).toBe(30 * 864e5);
    expect(slos[4]!.alerting.fast).toBeUndefined();
    expect(slos[4]!.alerting.lateOrFailed).toEqual({ priority: 'P1', severity: 'warning', for: '1m' });
  });

  it('lists every problem of every spec at once, each with its SLO and path', () => {
    const lines = issues([
      {
        ...availability,
        window: '14d',
        objective: 1.0,
        sli: { kind: 'ratio', bad: 'x{a=', total: 'rate(x[5m])' },
      },
      { ...latency, id: 'api-availability', objective: 120 },
      { ...latency, id: 'off-bucket', sli: { ...latency.sli, threshold: 2.5 } },
      { ...billing, id: 'Bad Id', alerting: { fast: { priority: 'P0' } } },
    ]);
    expect(lines).toEqual([
      'api-availability: window: expected one of "7d", "28d", "30d", received "14d"',
      'api-availability: objective: expected a ratio in (0, 1) such as 0.999 or a percent below 100% such as "99.9%", received number 1',
      'api-availability: sli.total: expected a plain vector selector (metric{label="value"}), not an expression, received "rate(x[5m])"',
      'api-availability: sli.bad: expected a PromQL vector selector that parses, received "x{a="',
      'api-availability: id: expected a unique SLO id, received "api-availability" (also slos[0])',
      'api-availability: objective: expected a ratio in (0, 1) such as 0.999 or a percent below 100% such as "99.9%", received number 120',
      'off-bucket: sli.threshold: expected a bucket boundary of http_server_request_duration_seconds (0.1, 0.5, 1, 2, 5), received 2.5 — add the bucket to the histogram or pick one of these',
      'Bad Id: id: expected an id of lowercase letters, digits, - and _ (at most 63), received "Bad Id"',
      'Bad Id: alerting.fast: expected nothing for a batch SLO (burn-rate alerts are meaningless at a few runs a day; it gets lateOrFailed and noSuccess alerts), received object',
    ]);
  });

  it('checks latency thresholds against the @immo/metrics buckets, or the service’s own', () => {
    const { buckets: _, ...sli } = latency.sli as unknown as { buckets: number[] };
    const spec = { ...latency, sli } as SloSpec;
    expect(issues([spec])[0]).toMatch(
      /sli.threshold: expected a bucket boundary of http_server_request_duration_seconds \(0.005, .*10\), received 2/,
    );
    expect(
      validateSlos([spec], { histograms: { http_server_request_duration_seconds: [0.5, 2, 10] } }).ok,
    ).toBe(true);
    // 2.5 s is one of the semconv default buckets.
    expect(validateSlos([{ ...spec, sli: { ...sli, threshold: '2500ms' } } as SloSpec]).ok).toBe(true);
    expect(issues([{ ...billing, sli: { ...billing.sli, deadline: '45m' } }])[0]).toMatch(
      /sli.deadline: expected a bucket boundary of immo_job_duration_seconds .* received 2700/,
    );
  });

  it('refuses selectors the generated tests cannot satisfy unless testLabels are given', () => {
    const odd: SloSpec = {
      ...availability,
      sli: { kind: 'ratio', bad: 'req_total{code=~"[a-z]{7}q"}', total: 'req_total' },
    };
    expect(issues([odd])[0]).toMatch(
      /^api-availability: sli.testLabels: expected labels for the generated tests/,
    );
    expect(
      validateSlos([{ ...odd, sli: { ...odd.sli, testLabels: { code: 'abcdefgq' } } } as SloSpec]).ok,
    ).toBe(true);
  });

  it('refuses what promtool or the alert templates would refuse later: non-RE2 regexes, {{ }}, reserved alert labels', () => {
    const lines = issues([
      {
        ...availability,
        service: 'api {{ $value }}',
        description: 'see {{ .Labels }}',
        sli: { kind: 'ratio', bad: 'req_total{code=~"(?=5)..."}', total: 'req_total' },
        alerting: { labels: { __meta: 'x', severity: 'low', team: 'billing {{ x }}' } },
      },
    ]);
    expect(lines).toEqual([
      'api-availability: service: expected a single-line service name without { or }, received "api {{ $value }}"',
      'api-availability: description: expected a description without {{ or }}, received "see {{ .Labels }}"',
      'api-availability: alerting.labels.team: expected a value without {{ or }} (alert templates would run it), received "billing {{ x }}"',
      'api-availability: alerting.labels.__meta: expected a label name not starting with __ (reserved), received "x"',
      'api-availability: alerting.labels.severity: expected a label the generator does not set itself (slo, service, priority, severity, burn_tier, alertname, job_name), received "low"',
      'api-availability: sli.bad: expected a selector whose regular expressions compile in RE2, Prometheus\' engine, which has no lookaround or backreferences (code=~"(?=5)..."), received "req_total{code=~"(?=5)..."}"',
    ]);
  });

  it('defineSlos throws IMMO_SLO_INVALID_SPEC with the same lines', () => {
    try {
      defineSlos([{ ...availability, objective: '100%' }]);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SloError);
      expect((err as SloError).code).toBe('IMMO_SLO_INVALID_SPEC');
      expect((err as SloError).issues).toHaveLength(1);
      expect((err as SloError).message).toContain('received "100%"');
    }
  });
});
