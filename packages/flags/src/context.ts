import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The evaluation context: who and where a flag is evaluated for. OpenFeature's
 * `EvaluationContext` fits; the fields below are the ones the rules of the flag file read.
 */
export interface FlagsContext {
  /** The key percentage rollouts hash by default (a user or organisation id). */
  targetingKey?: string;
  /** The organisation (tenant) id, matched by `orgs` rules. */
  orgId?: string | number;
  /** The user id, matched by `users` rules. */
  userId?: string | number;
  /** The deployment environment, matched by `environments` rules. */
  environment?: string;
  [attribute: string]: unknown;
}

/**
 * What the request scope holds: the context is built on first use, so that the `context(request)`
 * function runs only for requests that evaluate a flag with rules, and after authentication hooks.
 */
export interface ContextHolder {
  context: FlagsContext | undefined;
  build: (() => FlagsContext) | null;
}

const kStorage = Symbol.for('@immo/flags.contextStorage');
const g = globalThis as unknown as Record<symbol, AsyncLocalStorage<ContextHolder> | undefined>;
// One storage per process, behind a global symbol: a second copy of the package (ESM and CJS, or
// two versions) reads the context the Fastify plugin of the other copy set.
g[kStorage] ??= new AsyncLocalStorage<ContextHolder>();
export const contextStorage: AsyncLocalStorage<ContextHolder> = g[kStorage];

/** The request's (or `withContext`'s) context; throws what the `context(request)` function threw. */
export function currentContext(): FlagsContext | undefined {
  const holder = contextStorage.getStore();
  if (holder === undefined) return undefined;
  if (holder.context === undefined && holder.build !== null) {
    // A throwing context function fails every evaluation of this request the same way (GENERAL),
    // not just the first one.
    holder.context = holder.build() ?? {};
    holder.build = null;
  }
  return holder.context;
}
