import { writeFileSync } from 'node:fs';
import {
  ErrorCode,
  type EventDetails,
  OpenFeature,
  ProviderEvents,
  StandardResolutionReasons,
} from '@openfeature/server-sdk';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Flags } from '../src/index.js';
import type { TestRegistry } from './fixtures/registry.js';
import { makeFlags, tempDir, waitFor, writeFlagFile } from './helpers.js';

let ff: Flags<TestRegistry>;
let file: string;
let cleanup: () => void;

beforeEach(async () => {
  const t = tempDir();
  cleanup = t.cleanup;
  file = writeFlagFile(
    t.dir,
    `flags:
  billing-batch-size: 250
  checkout-button-experiment:
    rules:
      - orgs: [org-1]
        value: green
        variant: treatment
  reports-export-permission:
    value: { formats: [csv, xlsx], maxRows: 10 }
`,
  );
  ff = makeFlags({ file, pollIntervalMs: 5000 }).ff;
  await OpenFeature.setProviderAndWait(ff.provider());
});
afterEach(async () => {
  await OpenFeature.clearProviders();
  ff.close();
  cleanup();
});
afterAll(async () => {
  await OpenFeature.close();
});

describe('the OpenFeature provider (real @openfeature/server-sdk)', () => {
  it('resolves boolean, string, number and object flags with reasons and variants', async () => {
    const client = OpenFeature.getClient();
    expect(await client.getBooleanDetails('payments-new-allocation', true)).toMatchObject({
      flagKey: 'payments-new-allocation',
      value: false,
      variant: 'off',
      reason: StandardResolutionReasons.DEFAULT,
      flagMetadata: { source: 'default' },
    });
    expect(await client.getNumberValue('billing-batch-size', 1)).toBe(250);
    expect(
      await client.getStringDetails('checkout-button-experiment', 'x', { orgId: 'org-1' }),
    ).toMatchObject({
      value: 'green',
      variant: 'treatment',
      reason: StandardResolutionReasons.TARGETING_MATCH,
    });
    expect(await client.getObjectValue('reports-export-permission', {})).toEqual({
      formats: ['csv', 'xlsx'],
      maxRows: 10,
    });
  });

  it('answers FLAG_NOT_FOUND and TYPE_MISMATCH with the caller default, never throwing', async () => {
    const client = OpenFeature.getClient();
    expect(await client.getBooleanDetails('no-such-flag', true)).toMatchObject({
      value: true,
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.FLAG_NOT_FOUND,
    });
    expect(await client.getStringDetails('billing-batch-size', 'fallback')).toMatchObject({
      value: 'fallback',
      reason: StandardResolutionReasons.ERROR,
      errorCode: ErrorCode.TYPE_MISMATCH,
    });
  });

  it('reports a kill switch as DISABLED on the guarded flag', async () => {
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice' });
    const client = OpenFeature.getClient();
    expect(await client.getBooleanValue('billing-run-kill-switch', false)).toBe(true);
    expect(await client.getBooleanDetails('payments-new-allocation', true)).toMatchObject({
      value: false,
      reason: StandardResolutionReasons.DISABLED,
    });
  });

  it('uses the transaction context of OpenFeature and the request scope of withContext', async () => {
    const client = OpenFeature.getClient();
    expect(
      await ff.withContext({ orgId: 'org-1' }, () =>
        client.getStringValue('checkout-button-experiment', 'x'),
      ),
    ).toBe('green');
    client.setContext({ orgId: 'org-1' });
    expect(await client.getStringValue('checkout-button-experiment', 'x')).toBe('green');
  });

  it('emits PROVIDER_CONFIGURATION_CHANGED with the changed flags when the file changes', async () => {
    const seen: EventDetails[] = [];
    OpenFeature.addHandler(ProviderEvents.ConfigurationChanged, (d) => {
      if (d) seen.push(d);
    });
    writeFileSync(file, 'flags:\n  billing-batch-size: 500\n');
    await waitFor(() => seen.length > 0, 1000);
    expect([...((seen[0]?.flagsChanged as string[] | undefined) ?? [])].sort()).toEqual([
      'billing-batch-size',
      'checkout-button-experiment',
      'reports-export-permission',
    ]);
    expect(await OpenFeature.getClient().getNumberValue('billing-batch-size', 1)).toBe(500);
    ff.setKillSwitch('billing-run-kill-switch', true, { by: 'alice' });
    await waitFor(() => seen.length > 1, 1000);
    expect(seen[1]?.flagsChanged).toEqual(['billing-run-kill-switch', 'payments-new-allocation']);
  });
});
