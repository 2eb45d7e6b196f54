import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    fastify: 'src/fastify.ts',
    testing: 'src/testing.ts',
    mixin: 'src/mixin/index.ts',
  }),
);
