import { defineConfig } from 'vitest/config';

/**
 * Shared vitest settings. Each package writes a JSON report to test-results.json so that
 * scripts/test-summary.mjs can print the single `N passed, N failed` line CI reads.
 */
export const baseTestConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    reporters: ['default', ['json', { outputFile: 'test-results.json' }]],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    typecheck: {
      enabled: true,
      include: ['test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
  },
});
