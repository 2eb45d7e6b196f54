import { describe, expect, it } from 'vitest';
import { clearFlag, createTestFlags, setFlag, withFlagOverrides } from '../src/testing.js';
import { flags } from './fixtures/registry.js';

describe('./testing', () => {
  it('createTestFlags forces values above every source, with reason STATIC and source test', () => {
    const ff = createTestFlags(flags, { 'payments-new-allocation': true, 'billing-batch-size': 3 });
    expect(ff.details('payments-new-allocation')).toMatchObject({
      value: true,
      reason: 'STATIC',
      source: 'test',
    });
    expect(ff.number('billing-batch-size')).toBe(3);
    expect(ff.string('checkout-button-experiment')).toBe('blue');
  });

  it('setFlag and clearFlag change one flag', () => {
    const ff = createTestFlags(flags);
    setFlag(ff, 'checkout-button-experiment', 'red');
    expect(ff.string('checkout-button-experiment')).toBe('red');
    clearFlag(ff, 'checkout-button-experiment');
    expect(ff.string('checkout-button-experiment')).toBe('blue');
  });

  it('withFlagOverrides restores the flags after fn, also when it rejects', async () => {
    const ff = createTestFlags(flags);
    expect(
      withFlagOverrides(ff, { 'billing-run-kill-switch': true }, () =>
        ff.isKilled('billing-run-kill-switch'),
      ),
    ).toBe(true);
    expect(ff.isKilled('billing-run-kill-switch')).toBe(false);
    await expect(
      withFlagOverrides(ff, { 'billing-batch-size': 1 }, async () => {
        expect(ff.number('billing-batch-size')).toBe(1);
        throw new Error('test failure');
      }),
    ).rejects.toThrow('test failure');
    expect(ff.number('billing-batch-size')).toBe(100);
  });
});
