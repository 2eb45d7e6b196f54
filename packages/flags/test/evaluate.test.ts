import { afterEach, describe, expect, it } from 'vitest';
import type { Flags } from '../src/index.js';
import { flags, type TestRegistry } from './fixtures/registry.js';
import { makeFlags, tempDir, writeFlagFile } from './helpers.js';

const open: Flags<TestRegistry>[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of open.splice(0)) f.close();
  for (const c of cleanups.splice(0)) c();
});

function withFile(text: string, env: Record<string, string> = {}) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = writeFlagFile(dir, text);
  const made = makeFlags({ file, env });
  open.push(made.ff);
  return { ...made, file, dir };
}

describe('evaluation sources', () => {
  it('answers the declared defaults with reason DEFAULT when nothing configures a flag', () => {
    const { ff } = makeFlags();
    expect(ff.boolean('payments-new-allocation')).toBe(false);
    expect(ff.string('checkout-button-experiment')).toBe('blue');
    expect(ff.number('billing-batch-size')).toBe(100);
    expect(ff.object('reports-export-permission')).toEqual({ formats: ['csv'], maxRows: 1000 });
    expect(ff.details('billing-batch-size')).toMatchObject({
      reason: 'DEFAULT',
      source: 'default',
      variant: '100',
    });
  });

  it('takes the file over the default, the environment over the file, and a kill-switch override over both', () => {
    const { ff } = withFile('flags:\n  billing-run-kill-switch: true\n  billing-batch-size: 250\n', {
      IMMO_FLAGS_BILLING_RUN_KILL_SWITCH: 'false',
      IMMO_FLAGS_CHECKOUT_BUTTON_EXPERIMENT: 'green',
    });
    expect(ff.details('billing-batch-size')).toMatchObject({ value: 250, reason: 'STATIC', source: 'file' });
    expect(ff.details('checkout-button-experiment')).toMatchObject({
      value: 'green',
      reason: 'STATIC',
      source: 'env',
    });
    expect(ff.details('billing-run-kill-switch')).toMatchObject({ value: false, source: 'env' });
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice' });
    expect(ff.details('billing-run-kill-switch')).toMatchObject({
      value: true,
      reason: 'STATIC',
      source: 'admin',
    });
    expect(ff.isKilled('billing-run-kill-switch')).toBe(true);
    ff.resetKillSwitch('billing-run-kill-switch', { by: 'alice' });
    expect(ff.details('billing-run-kill-switch')).toMatchObject({ value: false, source: 'env' });
  });

  it('turns a guarded flag off (DISABLED, declared default) while its kill switch is on', () => {
    const { ff } = withFile('flags:\n  payments-new-allocation: true\n');
    expect(ff.boolean('payments-new-allocation')).toBe(true);
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice', reason: 'incident 42' });
    expect(ff.details('payments-new-allocation')).toMatchObject({ value: false, reason: 'DISABLED' });
    ff.setKillSwitch('billing-run-kill-switch', false, { by: 'alice' });
    expect(ff.details('payments-new-allocation')).toMatchObject({ value: true, reason: 'STATIC' });
  });

  it('reports a flag disabled in the file as DISABLED with its declared default', () => {
    const { ff } = withFile('flags:\n  checkout-button-experiment: { enabled: false, value: red }\n');
    expect(ff.details('checkout-button-experiment')).toMatchObject({
      value: 'blue',
      reason: 'DISABLED',
      source: 'file',
    });
  });

  it('logs who flipped a kill switch, what and the previous value', () => {
    const { ff, records } = makeFlags();
    const change = ff.setKillSwitch('billing-run-kill-switch', true, {
      by: 'alice',
      reason: 'runaway invoices',
    });
    expect(change).toMatchObject({
      key: 'billing-run-kill-switch',
      killed: true,
      previous: false,
      by: 'alice',
    });
    const line = records.find((r) => r.obj.flag === 'billing-run-kill-switch' && r.obj.by === 'alice');
    expect(line?.obj).toMatchObject({ previous: false, killed: true, reason: 'runaway invoices' });
    expect(records.some((r) => r.msg === '@immo/flags: flag configuration changed')).toBe(true);
  });

  it('refuses to flip a flag that is not a kill switch', () => {
    const { ff } = makeFlags();
    expect(() => ff.setKillSwitch('payments-new-allocation' as never, true, { by: 'alice' })).toThrow(
      /kill switch/,
    );
  });
});

describe('targeting', () => {
  const rules = `flags:
  checkout-button-experiment:
    value: blue
    rules:
      - orgs: [org-1]
        value: green
      - users: [7]
        environments: [staging]
        value: red
      - environments: [staging]
        value: yellow
      - percentage: 50
        stickiness: orgId
        value: purple
`;

  it('matches orgs, users and environments in rule order, then falls through with reason DEFAULT', () => {
    const { ff } = withFile(rules);
    expect(ff.details('checkout-button-experiment', { orgId: 'org-1' })).toMatchObject({
      value: 'green',
      reason: 'TARGETING_MATCH',
    });
    expect(ff.string('checkout-button-experiment', { userId: 7, environment: 'staging' })).toBe('red');
    expect(ff.string('checkout-button-experiment', { userId: 8, environment: 'staging' })).toBe('yellow');
    expect(ff.details('checkout-button-experiment', {})).toMatchObject({
      value: 'blue',
      reason: 'DEFAULT',
      source: 'file',
    });
  });

  it('uses the environment option when the context has none', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const { ff } = makeFlags({ file: writeFlagFile(dir, rules), environment: 'staging' });
    open.push(ff);
    expect(ff.string('checkout-button-experiment')).toBe('yellow');
  });

  it('splits by the sticky key with reason SPLIT and never matches a percentage rule without one', () => {
    const { ff } = withFile(rules);
    const results = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const d = ff.details('checkout-button-experiment', { orgId: `org-x${i}` });
      results.add(`${d.value}:${d.reason}`);
    }
    expect(results).toEqual(new Set(['purple:SPLIT', 'blue:DEFAULT']));
    expect(ff.details('checkout-button-experiment', { targetingKey: 'only-a-targeting-key' }).reason).toBe(
      'DEFAULT',
    );
  });

  it('reads the context of withContext when a call passes none', async () => {
    const { ff } = withFile(rules);
    const inside = await ff.withContext({ orgId: 'org-1' }, async () => {
      await new Promise((r) => setTimeout(r, 1));
      return ff.string('checkout-button-experiment');
    });
    expect(inside).toBe('green');
    expect(
      ff.withContext({ orgId: 'org-1' }, () => ff.string('checkout-button-experiment', { orgId: 'org-2' })),
    ).toBe('blue');
  });
});

describe('errors never throw', () => {
  it('answers FLAG_NOT_FOUND for an undeclared key and TYPE_MISMATCH with the declared default', () => {
    const { ff } = makeFlags();
    expect(ff.details('nope-flag' as never)).toMatchObject({
      value: undefined,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(ff.boolean('checkout-button-experiment' as never)).toBe('blue');
  });

  it('reports every bad IMMO_FLAGS_<KEY> variable without echoing its value, and ignores it', () => {
    const { ff, records } = makeFlags({
      env: {
        IMMO_FLAGS_BILLING_BATCH_SIZE: 'lots',
        IMMO_FLAGS_PAYMENTS_NEW_ALOCATION: 'true',
        IMMO_FLAGS_REPORTS_EXPORT_PERMISSION: 'secret-value-123',
      },
    });
    expect(ff.number('billing-batch-size')).toBe(100);
    const line = records.find((r) => r.obj.code === 'IMMO_FLAGS_INVALID_ENV');
    expect(line?.obj.issues).toEqual([
      'IMMO_FLAGS_BILLING_BATCH_SIZE: expected a number for billing-batch-size, received a 4-character value — ignored',
      'IMMO_FLAGS_PAYMENTS_NEW_ALOCATION: expected the name of a declared flag (IMMO_FLAGS_<KEY>), received an unknown flag — ignored',
      'IMMO_FLAGS_REPORTS_EXPORT_PERMISSION: expected a JSON object for reports-export-permission, received a 16-character value — ignored',
    ]);
    expect(JSON.stringify(records)).not.toContain('secret-value-123');
  });

  it('warns at start-up about flags past their expiry, and keeps evaluating them', () => {
    const { ff, records } = makeFlags({ now: () => new Date('2027-03-02T00:00:00Z') });
    expect(ff.staleFlags()).toEqual(['payments-new-allocation']);
    const line = records.find((r) => r.obj.code === 'IMMO_FLAGS_STALE_FLAGS');
    expect(line?.level).toBe('warn');
    expect(line?.obj.issues).toEqual([
      'payments-new-allocation.expires: expected a date after 2027-03-02, received "2027-03-01"',
    ]);
    expect(ff.boolean('payments-new-allocation')).toBe(false);
  });
});

describe('IMMO_FLAGS_DISABLED', () => {
  it('answers every declared default with reason STATIC and ignores env, file and admin flips', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const file = writeFlagFile(dir, 'flags:\n  billing-batch-size: 5\n');
    const { ff } = makeFlags({
      file,
      env: { IMMO_FLAGS_DISABLED: '1', IMMO_FLAGS_CHECKOUT_BUTTON_EXPERIMENT: 'red' },
    });
    open.push(ff);
    expect(ff.details('billing-batch-size')).toMatchObject({
      value: 100,
      reason: 'STATIC',
      source: 'disabled',
    });
    expect(ff.string('checkout-button-experiment')).toBe('blue');
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice' });
    expect(ff.isKilled('billing-run-kill-switch')).toBe(false);
    expect(ff.snapshot().disabled).toBe(true);
  });
});

describe('snapshot', () => {
  it('lists every flag with its declaration, source, value and staleness', () => {
    const { ff } = makeFlags({ now: () => new Date('2027-03-05T00:00:00Z') });
    const s = ff.snapshot();
    expect(s.flags.map((f) => f.key)).toEqual(flags.keys);
    expect(s.flags.find((f) => f.key === 'payments-new-allocation')).toMatchObject({
      stale: true,
      owner: 'team-payments',
      source: 'default',
      killSwitch: 'billing-run-kill-switch',
    });
    expect(s.flags.find((f) => f.key === 'billing-run-kill-switch')).toMatchObject({
      stale: false,
      override: null,
    });
  });
});
