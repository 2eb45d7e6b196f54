import { describe, expectTypeOf, it } from 'vitest';
import { defineSlos, type Slo, type SloSpec } from '../src/index.js';

describe('SloSpec types', () => {
  it('takes each SLI kind and returns resolved SLOs', () => {
    expectTypeOf(
      defineSlos([
        {
          id: 'a',
          service: 's',
          objective: '99.9%',
          window: '30d',
          sli: { kind: 'ratio', bad: 'x', total: 'y' },
        },
        {
          id: 'b',
          service: 's',
          objective: 0.99,
          window: '7d',
          sli: { kind: 'batch', job: 'j', deadline: '30m', every: '1d' },
        },
      ]),
    ).toEqualTypeOf<Slo[]>();
  });

  it('refuses a ratio SLI with both bad and good, an unknown window and an unknown kind', () => {
    const base = { id: 'a', service: 's', objective: 0.9 } as const;
    // @ts-expect-error bad and good together
    const both: SloSpec = { ...base, window: '30d', sli: { kind: 'ratio', bad: 'x', good: 'y', total: 'z' } };
    const window: SloSpec = {
      ...base,
      // @ts-expect-error 14d is not a window
      window: '14d',
      sli: { kind: 'boolean', selector: 'up' },
    };
    const kind: SloSpec = {
      ...base,
      window: '30d',
      // @ts-expect-error no such SLI kind
      sli: { kind: 'apdex', selector: 'up' },
    };
    void both;
    void window;
    void kind;
  });
});
