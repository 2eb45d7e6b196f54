import type { Options } from 'tsup';

/**
 * The one build base every published package extends: ESM + CJS, each with its own
 * declaration file (.d.ts / .d.cts), so `attw --pack` finds no masquerading types.
 */
export function packageBuild(entry: Record<string, string>, overrides: Partial<Options> = {}): Options {
  return {
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    shims: false,
    outDir: 'dist',
    ...overrides,
  };
}
