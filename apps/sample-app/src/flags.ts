import { defineFlags } from '@immo/flags';

/**
 * The service's feature flags. Values come from (highest first) admin kill-switch flips, the
 * `IMMO_FLAGS_<KEY>` environment, the mounted flag file (`IMMO_FLAGS_FILE`, the `sample-app-flags`
 * ConfigMap rendered from k8s.ts) and the defaults below. `immo-flags lint dist/flags.js` checks
 * them in CI (test/flags.test.ts).
 */
export const flags = defineFlags({
  'billing-run-kill-switch': {
    type: 'kill-switch',
    owner: 'team-billing',
    description:
      'Refuses new billing runs (POST /api/orgs/:id/billing-runs answers 503); runs already started finish',
    created: '2026-11-27',
    valueType: 'boolean',
    default: false,
  },
  'payments-iban-checksum': {
    type: 'release',
    owner: 'team-payments',
    description:
      'POST /api/payments checks the payer IBAN (ISO 13616 mod-97) and answers 422 for an invalid one instead of accepting it',
    created: '2026-11-27',
    expires: '2027-03-01',
    valueType: 'boolean',
    default: false,
  },
});

export default flags;
