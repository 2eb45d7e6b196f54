import { createRequire } from 'node:module';

declare const __filename: string | undefined;

/**
 * `require` resolving from this package (not from the application), in both the ESM and the CJS
 * build. Used to load the exporters and instrumentations only when they are switched on: a service
 * with tracing off never loads them, which keeps its start-up short.
 * @internal
 */
export const ownRequire: NodeJS.Require =
  typeof __filename === 'string' ? createRequire(__filename) : createRequire(import.meta.url);
