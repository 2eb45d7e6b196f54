import { defineConfig } from 'tsup';
import { packageBuild } from '../../tsup.base.js';

export default defineConfig(
  packageBuild({
    index: 'src/index.ts',
    fastify: 'src/fastify.ts',
    sentry: 'src/sentry.ts',
    register: 'src/register.ts',
    testing: 'src/testing.ts',
  }),
);
