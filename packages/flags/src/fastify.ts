import { AsyncResource } from 'node:async_hooks';
import { hostname } from 'node:os';
import type { FastifyPluginCallback, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { z } from 'zod';
import { type FlagsAdminOptions, registerAdmin } from './admin.js';
import { type ContextHolder, contextStorage, type FlagsContext } from './context.js';
import { FlagsError, formatIssues } from './errors.js';
import { type Flags, internalsOf } from './flags.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The @immo/flags instance the plugin was given (`app.flags.boolean('…')`). */
    flags: Flags;
  }
}

/** Options of the {@link immoFlags} Fastify plugin. */
export interface ImmoFlagsPluginOptions {
  /** The flags from `createFlags()`. */
  flags: Flags;
  /**
   * Builds the evaluation context of a request, called at most once per request, on the first
   * evaluation that needs it (so after your authentication hooks ran). Take ids from what you
   * verified (a session, a JWT your auth plugin checked), never from plain headers such as
   * `x-org-id`: anyone can send those and pick their own flags. Without it, evaluations inside a
   * request have no org or user (rules on them do not match).
   * @example (request) => ({ targetingKey: request.user.orgId, orgId: request.user.orgId, userId: request.user.id })
   */
  context?: (request: FastifyRequest) => FlagsContext | undefined;
  /**
   * The admin endpoint (opt-in): `GET <prefix>` (state of every flag), `PUT <prefix>/kill-switches/:key`
   * with `{ "killed": true, "reason": "…" }`, `DELETE <prefix>/kill-switches/:key` (drop the
   * in-process override). Bearer tokens only, no cookies. `false`/absent: no routes.
   */
  admin?: false | (Omit<FlagsAdminOptions, 'instance'> & { instance?: string });
}

const kResource = Symbol('immo-flags.asyncResource');
type WithResource = FastifyRequest & { [kResource]?: AsyncResource };

const HEX64 = /^[0-9a-fA-F]{64}$/;
const pluginSchema = z
  .object({
    flags: z.custom<Flags>((v) => internalsOf(v) !== undefined, 'the result of createFlags()'),
    context: z
      .custom<(r: FastifyRequest) => FlagsContext>((v) => typeof v === 'function', 'function')
      .optional(),
    admin: z
      .union([
        z.literal(false),
        z
          .object({
            prefix: z
              .string()
              .regex(/^\/[A-Za-z0-9/_.-]*$/, 'a path starting with "/"')
              .optional(),
            tokens: z
              .record(
                z
                  .string()
                  .regex(
                    /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/,
                    'an operator name of letters, digits, "_", ".", "@" or "-"',
                  ),
                z
                  .string()
                  .regex(HEX64, 'a SHA-256 hex digest of the token (64 hex characters), not the token'),
              )
              .refine((t) => Object.keys(t).length > 0, 'at least one operator token'),
            instance: z.string().min(1).max(253).optional(),
          })
          .strict(),
      ])
      .optional(),
  })
  .strict();

const plugin: FastifyPluginCallback<ImmoFlagsPluginOptions> = (fastify, opts, done) => {
  const parsed = pluginSchema.safeParse(opts ?? {});
  if (!parsed.success) {
    done(
      new FlagsError(
        'IMMO_FLAGS_INVALID_PLUGIN_OPTIONS',
        'Invalid @immo/flags/fastify options',
        formatIssues(parsed.error, opts),
      ),
    );
    return;
  }
  const { flags, context, admin } = parsed.data;
  fastify.decorate('flags', flags);

  if (context !== undefined) {
    fastify.addHook('onRequest', (request, _reply, hookDone) => {
      const holder: ContextHolder = { context: undefined, build: () => context(request) ?? {} };
      contextStorage.run(holder, () => {
        (request as WithResource)[kResource] = new AsyncResource('immo-flags');
        hookDone();
      });
    });
    // Body parsing resumes from the socket's 'end' event, outside the scope entered above; the
    // later hooks and the handler are brought back into it (as @fastify/request-context does).
    fastify.addHook('preValidation', (request, _reply, hookDone) => {
      const resource = (request as WithResource)[kResource];
      if (resource === undefined) hookDone();
      else resource.runInAsyncScope(hookDone, request.raw);
    });
  }

  if (admin !== undefined && admin !== false) {
    registerAdmin(fastify, flags, internalsOf(flags)!, {
      prefix: admin.prefix ?? '/admin/flags',
      tokens: admin.tokens,
      instance: admin.instance ?? (process.env.HOSTNAME || hostname()),
    });
  }
  done();
};

/**
 * The @immo/flags Fastify plugin: every evaluation inside a request uses the request's context
 * (from your `context(request)` function) without passing the request around, and an opt-in,
 * token-protected admin endpoint reads flag state and flips kill switches. Decorates `app.flags`.
 *
 * @example
 * ```ts
 * import { immoFlags } from '@immo/flags/fastify';
 *
 * await app.register(immoFlags, {
 *   flags: ff,
 *   context: (req) => ({ targetingKey: req.user?.orgId, orgId: req.user?.orgId, userId: req.user?.id }),
 *   admin: { tokens: { alice: process.env.FLAGS_ADMIN_ALICE_SHA256! } },
 * });
 * app.get('/allocations', async () => (ff.boolean('payments-new-allocation') ? v2() : v1()));
 * ```
 */
export const immoFlags = fp(plugin, { fastify: '5.x', name: '@immo/flags' });
export default immoFlags;
export type { FlagsAdminOptions } from './admin.js';
export { hashToken } from './admin.js';
