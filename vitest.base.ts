import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings. Each package writes a JSON report to test-results.json so that
 * scripts/test-summary.mjs can print the single `N passed, N failed` line CI reads.
 */
export const baseTestConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    // CI runs several packages' tests at once on two cores (scripts/test-all.sh): a test that takes
    // 3 s alone has taken 29 s there, so the default leaves room for that stretch. Hangs are still
    // caught.
    testTimeout: 90_000,
    hookTimeout: 120_000,
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
