import { describe, expect, it } from 'vitest';
import { defineFlags, envNameOf, FlagsError, isFlagRegistry } from '../src/index.js';
import { flags } from './fixtures/registry.js';

describe('defineFlags', () => {
  it('returns a frozen registry with the keys in declaration order', () => {
    expect(isFlagRegistry(flags)).toBe(true);
    expect(flags.keys).toEqual([
      'billing-run-kill-switch',
      'payments-new-allocation',
      'checkout-button-experiment',
      'billing-batch-size',
      'reports-export-permission',
    ]);
    expect(Object.isFrozen(flags.flags)).toBe(true);
    expect(Object.isFrozen(flags.flags['billing-batch-size'])).toBe(true);
  });

  it('throws IMMO_FLAGS_INVALID_REGISTRY listing every problem', () => {
    let err: unknown;
    try {
      defineFlags({
        'a-b': {
          type: 'release',
          owner: 'x',
          description: '',
          created: '2026-02-30',
          expires: '2026-01-01',
          valueType: 'boolean',
          default: 'yes',
        },
        'c-kill-switch': {
          type: 'kill-switch',
          owner: 'x',
          description: '',
          created: '2026-01-01',
          expires: '2027-01-01',
          valueType: 'boolean',
          default: false,
        },
        'd-e': {
          type: 'ops',
          owner: 'x',
          description: '',
          created: '2026-01-01',
          expires: '2027-01-01',
          valueType: 'number',
          default: 1,
          killSwitch: 'a-b',
        },
        'poll-interval-ms': {
          type: 'permission',
          owner: 'x',
          description: '',
          created: '2026-01-01',
          valueType: 'number',
          default: 1,
        },
        Bad_Key: {
          type: 'permission',
          owner: 'x',
          description: '',
          created: '2026-01-01',
          valueType: 'number',
          default: 1,
        },
      } as never);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FlagsError);
    expect((err as FlagsError).code).toBe('IMMO_FLAGS_INVALID_REGISTRY');
    expect((err as FlagsError).issues).toEqual([
      'a-b.created: expected a real calendar date YYYY-MM-DD, received "2026-02-30"',
      'a-b.default: expected boolean (valueType), received "yes"',
      'c-kill-switch.expires: expected no expiry (a kill-switch flag is permanent), received "2027-01-01"',
      'd-e.killSwitch: expected the key of a declared kill switch, received "a-b"',
      'poll-interval-ms: expected a key whose env name is not the setting IMMO_FLAGS_POLL_INTERVAL_MS, received "poll-interval-ms"',
      'Bad_Key: expected a key of lower-case letters, digits, "-" and "." (max 100), received "Bad_Key"',
    ]);
  });

  it('checks that the default has the declared value type', () => {
    expect(() =>
      defineFlags({
        'a-b': {
          type: 'permission',
          owner: 'x',
          description: '',
          created: '2026-01-01',
          valueType: 'object',
          default: [1] as never,
        },
      }),
    ).toThrow('a-b.default: expected a JSON object (valueType), received array');
  });

  it('names the environment override of a key', () => {
    expect(envNameOf('billing-run-kill-switch')).toBe('IMMO_FLAGS_BILLING_RUN_KILL_SWITCH');
  });
});
