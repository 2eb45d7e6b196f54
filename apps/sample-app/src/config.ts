import { z } from 'zod';

const OPERATOR = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

/**
 * `FLAGS_ADMIN_TOKENS`: `name:sha256hex,name:sha256hex` (from `immo-flags token <name>`), the
 * operators allowed to flip kill switches through `/admin/flags`. Unset or empty: no admin routes.
 * The messages never repeat the value (a hash is not a token, but it stays out of logs all the same).
 */
const adminTokens = z.preprocess(
  (v) => (v === '' ? undefined : v),
  z
    .string()
    .transform((v, ctx) => {
      const tokens: Record<string, string> = {};
      for (const [i, entry] of v.split(',').entries()) {
        const at = entry.indexOf(':');
        const name = entry.slice(0, at).trim();
        const hash = entry.slice(at + 1).trim();
        if (at < 0 || !OPERATOR.test(name) || !SHA256_HEX.test(hash) || Object.hasOwn(tokens, name)) {
          ctx.addIssue({
            code: 'custom',
            message: `entry ${i + 1}: expected a unique "name:sha256hex" (name of letters, digits, "_", ".", "@", "-"; 64 hex digits)`,
          });
          return z.NEVER;
        }
        tokens[name] = hash.toLowerCase();
      }
      return tokens;
    })
    .optional(),
);

const schema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  // An empty variable (as `KEY=` in an env file leaves it) counts as unset.
  DATABASE_URL: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
      .optional(),
  ),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
  FLAGS_ADMIN_TOKENS: adminTokens,
});

/** The service's settings, from the environment. */
export type Config = z.infer<typeof schema>;

/** Reads and validates the environment; every problem is reported at once, never a secret's value. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new Error(`invalid environment:\n  ${problems.join('\n  ')}`);
}
