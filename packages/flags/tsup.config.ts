import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig([
  packageBuild({ index: 'src/index.ts', fastify: 'src/fastify.ts', testing: 'src/testing.ts' }),
  // The CLI: ESM only, with its shebang kept by tsup.
  packageBuild({ cli: 'src/cli.ts' }, { format: ['esm'], dts: false, clean: false }),
]);
