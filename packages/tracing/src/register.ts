/**
 * The register entry: `node --import @immo/tracing/register app.js` (ESM) or
 * `node --require @immo/tracing/register app.js` (CJS). It puts the module hooks in place before the
 * application's first import — the order ESM instrumentation needs, and the one it silently fails
 * without — then calls `initTracing()` configured entirely from the environment (`OTEL_*`,
 * `IMMO_TRACING_*`). When `SENTRY_DSN` is set and `@sentry/node` is installed, `initSentry()` runs too.
 *
 * @example
 * ```sh
 * OTEL_SERVICE_NAME=billing-api OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318 \
 *   node --import @immo/tracing/register dist/main.js
 * ```
 */
import * as nodeModule from 'node:module';
import { ownRequire } from './own-require.js';
import { initSentryFromEnv } from './sentry.js';
import { initTracing } from './tracing.js';

declare const __filename: string | undefined;

function registerEsmHook(): void {
  const register = (
    nodeModule as { register?: (specifier: string, parent: string, options?: unknown) => void }
  ).register;
  if (typeof register !== 'function') return;
  // Only the modules the instrumentations ask for are wrapped (an include list fed through a message
  // channel): wrapping every module slows start-up and breaks some packages.
  const iitm = ownRequire('import-in-the-middle') as {
    createAddHookMessageChannel: () => { registerOptions: unknown };
  };
  const { registerOptions } = iitm.createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
}

const enabled =
  process.env.IMMO_TRACING_ENABLED?.toLowerCase() !== 'false' &&
  process.env.OTEL_SDK_DISABLED?.toLowerCase() !== 'true';
// The ESM build (`--import`) puts the ESM hook in place. The CommonJS build (`--require`) serves
// CommonJS applications, whose require() calls reach the instrumentations without it; on Node 20 an
// ESM hook registered from a --require preload with its message channel makes a CommonJS main exit 1
// without a word, so it is not registered there.
if (enabled && typeof __filename !== 'string') registerEsmHook();
initTracing();
initSentryFromEnv();
