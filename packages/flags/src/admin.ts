import { createHash, timingSafeEqual } from 'node:crypto';
import { type Metrics, recordSecurityEvent } from '@immo/metrics';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Flags, FlagsInternals } from './flags.js';

/** Options of the admin endpoint (opt-in). */
export interface FlagsAdminOptions {
  /** Where the routes live. @default '/admin/flags' */
  prefix?: string;
  /**
   * Operator name → SHA-256 (hex) of that operator's bearer token. Only hashes are configured, so
   * the configuration (a Secret, an env variable) never holds a usable token. At least one.
   * Make a token and its hash with `immo-flags token`.
   * @example { alice: '5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8' }
   */
  tokens: Record<string, string>;
  /** The name this process answers with (which pod was flipped). @default process.env.HOSTNAME, else os.hostname() */
  instance: string;
}

const BODY_LIMIT = 1024;
const TOKEN = /^Bearer ([\x21-\x7e]{16,512})$/;

interface ErrorBody {
  statusCode: number;
  code: string;
  error: string;
  message: string;
}

const errorSchema = {
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'code', 'message'],
} as const;

const changeSchema = {
  type: 'object',
  properties: {
    instance: { type: 'string' },
    key: { type: 'string' },
    killed: { type: 'boolean' },
    previous: { type: 'boolean' },
    override: { type: ['boolean', 'null'] },
    by: { type: 'string' },
    revision: { type: 'integer' },
  },
  required: ['instance', 'key', 'killed', 'previous', 'override', 'by', 'revision'],
} as const;

const stateSchema = {
  type: 'object',
  properties: {
    instance: { type: 'string' },
    revision: { type: 'integer' },
    disabled: { type: 'boolean' },
    file: {
      type: ['object', 'null'],
      properties: {
        path: { type: 'string' },
        loadedAt: { type: ['string', 'null'] },
        lastError: { type: ['array', 'null'], items: { type: 'string' } },
      },
    },
    flags: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          key: { type: 'string' },
          type: { type: 'string' },
          owner: { type: 'string' },
          description: { type: 'string' },
          valueType: { type: 'string' },
          default: {},
          created: { type: 'string' },
          expires: { type: ['string', 'null'] },
          stale: { type: 'boolean' },
          source: { type: 'string' },
          value: {},
          reason: { type: 'string' },
          rules: { type: 'integer' },
          killSwitch: { type: ['string', 'null'] },
          override: {
            type: ['object', 'null'],
            properties: { killed: { type: 'boolean' }, by: { type: 'string' }, at: { type: 'string' } },
          },
        },
      },
    },
  },
} as const;

function body(statusCode: number, code: string, error: string, message: string): ErrorBody {
  return { statusCode, code, error, message };
}

/** SHA-256 hex of a token: what the admin options hold. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Registers the admin routes in their own scope (own error handler, own auth hook), so nothing
 * here touches the application's other routes.
 */
export function registerAdmin(
  app: FastifyInstance,
  flags: Flags,
  internals: FlagsInternals,
  options: FlagsAdminOptions & { prefix: string },
): void {
  const changeBody = z.object({ killed: z.boolean(), reason: z.string().max(200).optional() }).strict();
  const hashes = Object.entries(options.tokens).map(([name, hex]) => ({
    name,
    hash: Buffer.from(hex.toLowerCase(), 'hex'),
  }));
  const metrics = internals.options.metrics;

  // Compares against every configured hash, always: the time taken does not tell whether (or
  // which) operator's token was close. Hashing first makes the compared lengths equal.
  const operatorOf = (request: FastifyRequest): string | null => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? TOKEN.exec(header) : null;
    const given = createHash('sha256')
      .update(m?.[1] ?? '', 'utf8')
      .digest();
    let found: string | null = null;
    for (const { name, hash } of hashes) {
      if (timingSafeEqual(given, hash) && m !== null) found = name;
    }
    return found;
  };

  app.register(
    async (scope) => {
      scope.decorateRequest('flagsOperator', '');
      scope.addHook('onRequest', async (request, reply) => {
        const operator = operatorOf(request);
        if (operator === null) {
          if (metrics !== false)
            recordSecurityEvent('auth_failure', { metrics: metrics as unknown as Metrics });
          else recordSecurityEvent('auth_failure');
          internals.log(
            'warn',
            { url: request.routeOptions.url, ip: request.ip },
            '@immo/flags: admin request without a valid token',
          );
          reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="immo-flags"')
            .send(body(401, 'IMMO_FLAGS_UNAUTHORIZED', 'Unauthorized', 'a valid bearer token is required'));
          return reply;
        }
        (request as FastifyRequest & { flagsOperator: string }).flagsOperator = operator;
      });
      // Hostile input never comes back: every error answer is one of these fixed texts.
      scope.setErrorHandler((err: FastifyError, _request, reply) => {
        if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
          return reply
            .code(413)
            .send(
              body(
                413,
                'IMMO_FLAGS_INVALID_REQUEST',
                'Payload Too Large',
                `body: expected at most ${BODY_LIMIT} bytes`,
              ),
            );
        }
        if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
          return reply
            .code(415)
            .send(
              body(
                415,
                'IMMO_FLAGS_INVALID_REQUEST',
                'Unsupported Media Type',
                'body: expected application/json',
              ),
            );
        }
        if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
          return reply
            .code(400)
            .send(body(400, 'IMMO_FLAGS_INVALID_REQUEST', 'Bad Request', 'body: expected valid JSON'));
        }
        internals.log('error', { err }, '@immo/flags: admin request failed');
        return reply
          .code(500)
          .send(body(500, 'IMMO_FLAGS_INTERNAL', 'Internal Server Error', 'the request failed'));
      });

      const responses = (ok: object) => ({ 200: ok, '4xx': errorSchema, '5xx': errorSchema });

      scope.get('/', { schema: { response: responses(stateSchema) } }, async () => ({
        instance: options.instance,
        ...flags.snapshot(),
      }));

      const change = (
        request: FastifyRequest<{ Params: { key: string } }>,
        reply: FastifyReply,
        put: boolean,
      ) => {
        const key = request.params.key;
        // Validated here rather than by the route schema: Fastify's default Ajv coerces types
        // ("true" → true) and strips unknown properties, and an admin request must be exact.
        if (typeof key !== 'string' || key.length === 0 || key.length > 100) {
          return reply
            .code(400)
            .send(
              body(
                400,
                'IMMO_FLAGS_INVALID_REQUEST',
                'Bad Request',
                'params.key: expected a flag key (max 100 characters)',
              ),
            );
        }
        let killed: boolean | null = null;
        let reason: string | undefined;
        if (put) {
          const parsed = changeBody.safeParse(request.body);
          if (!parsed.success) {
            return reply
              .code(400)
              .send(
                body(
                  400,
                  'IMMO_FLAGS_INVALID_REQUEST',
                  'Bad Request',
                  'body: expected { "killed": boolean, "reason"?: string (max 200) }',
                ),
              );
          }
          killed = parsed.data.killed;
          reason = parsed.data.reason;
        }
        const decl = Object.hasOwn(flags.registry.flags, key) ? flags.registry.flags[key] : undefined;
        if (decl === undefined) {
          return reply
            .code(404)
            .send(body(404, 'IMMO_FLAGS_UNKNOWN_FLAG', 'Not Found', 'no flag with that key is declared'));
        }
        if (decl.type !== 'kill-switch') {
          return reply
            .code(409)
            .send(
              body(
                409,
                'IMMO_FLAGS_NOT_A_KILL_SWITCH',
                'Conflict',
                'only kill switches can be changed here; use the flag file',
              ),
            );
        }
        const by = (request as FastifyRequest & { flagsOperator: string }).flagsOperator;
        const actor = reason === undefined ? { by } : { by, reason };
        const result =
          killed === null
            ? flags.resetKillSwitch(key as never, actor)
            : flags.setKillSwitch(key as never, killed, actor);
        internals.telemetry.adminChange(key, by);
        return reply.send({ instance: options.instance, ...result });
      };

      const route = { bodyLimit: BODY_LIMIT, schema: { response: responses(changeSchema) } };
      scope.put<{ Params: { key: string } }>('/kill-switches/:key', route, (request, reply) =>
        change(request, reply, true),
      );
      scope.delete<{ Params: { key: string } }>('/kill-switches/:key', route, (request, reply) =>
        change(request, reply, false),
      );
    },
    { prefix: options.prefix },
  );
}
