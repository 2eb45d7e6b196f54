import type { FastifyRequest } from 'fastify';

// Fastify keeps the matched route's context under an own symbol of the request
// (`Symbol('fastify.context')`). `request.routeOptions` reads the same context, but its getter
// builds and freezes a 12-field object on every call; the request path of a plugin only needs the
// template. When the symbol is not found (a Fastify version that renamed it), the getter is used, so
// a rename costs speed, never correctness.
let contextSymbol: symbol | null | undefined;

function findContextSymbol(request: object): symbol | null {
  for (const sym of Object.getOwnPropertySymbols(request)) {
    if (sym.description === 'fastify.context') return sym;
  }
  return null;
}

type ContextHolder = Record<symbol, { config?: { url?: string } } | undefined>;

/**
 * The route template of a request (`/api/orgs/:id`), or `undefined` when no route matched
 * (Fastify's 404 handler). Same value as `request.routeOptions.url`, without its per-call object.
 *
 * @example
 * ```ts
 * fastify.addHook('onResponse', (request, reply, done) => {
 *   observe(routeTemplate(request) ?? 'unmatched', reply.statusCode);
 *   done();
 * });
 * ```
 */
export function routeTemplate(request: FastifyRequest): string | undefined {
  if (contextSymbol === undefined) contextSymbol = findContextSymbol(request);
  if (contextSymbol !== null) {
    const ctx = (request as unknown as ContextHolder)[contextSymbol];
    if (ctx !== undefined) return ctx.config?.url;
  }
  return request.routeOptions.url;
}

/** @internal Forgets the symbol found, so a test can take the lookup path again. */
export function resetRouteTemplateCache(): void {
  contextSymbol = undefined;
}
