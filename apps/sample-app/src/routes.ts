import type { Flags } from '@immo/flags';
import type { ImmoLogger } from '@immo/logger';
import type { Metrics } from '@immo/metrics';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { getBillingRun, startBillingRun } from './billing.js';
import type { flags as registry } from './flags.js';
import { isValidIban } from './iban.js';

const id = { type: 'string', pattern: '^[0-9]{1,12}$' } as const;
const notFound = {
  type: 'object',
  properties: { error: { type: 'string' }, request_id: { type: 'string' } },
} as const;
const refused = {
  type: 'object',
  properties: { error: { type: 'string' }, message: { type: 'string' }, request_id: { type: 'string' } },
} as const;

/** The service's JSON API over PostgreSQL. Every query is parameterised. */
export function registerRoutes(
  app: FastifyInstance,
  pool: pg.Pool,
  logger: ImmoLogger,
  flags: Flags<typeof registry>,
  metrics: Metrics,
): void {
  app.get<{ Params: { id: string } }>(
    '/api/orgs/:id',
    {
      schema: {
        params: { type: 'object', properties: { id }, required: ['id'] },
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, name: { type: 'string' }, plan: { type: 'string' } },
          },
          404: notFound,
        },
      },
    },
    async (request, reply) => {
      const { rows } = await pool.query<{ id: string; name: string; plan: string }>(
        'SELECT id::text, name, plan FROM organizations WHERE id = $1',
        [request.params.id],
      );
      const org = rows[0];
      if (org === undefined) return reply.code(404).send({ error: 'not_found', request_id: request.id });
      request.log.debug({ org_id: org.id }, 'organisation loaded');
      return org;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/orgs/:id/properties',
    {
      schema: {
        params: { type: 'object', properties: { id }, required: ['id'] },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                id: { type: 'string' },
                name: { type: 'string' },
                city: { type: 'string' },
                units: { type: 'integer' },
              },
            },
          },
        },
      },
    },
    async (request) => {
      const { rows } = await pool.query(
        `SELECT p.id::text, p.name, p.city, count(u.id)::int AS units
           FROM properties p LEFT JOIN units u ON u.property_id = p.id
          WHERE p.org_id = $1
          GROUP BY p.id ORDER BY p.id`,
        [request.params.id],
      );
      return rows;
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/properties/:id/units',
    {
      schema: {
        params: { type: 'object', properties: { id }, required: ['id'] },
        response: {
          200: {
            type: 'array',
            items: {
              type: 'object',
              properties: { id: { type: 'string' }, label: { type: 'string' }, area_sqm: { type: 'number' } },
            },
          },
        },
      },
    },
    async (request) => {
      const { rows } = await pool.query(
        'SELECT id::text, label, area_sqm::float8 AS area_sqm FROM units WHERE property_id = $1 ORDER BY id',
        [request.params.id],
      );
      return rows;
    },
  );

  app.post<{ Body: { payer_iban: string; amount: number; reference: string } }>(
    '/api/payments',
    {
      schema: {
        body: {
          type: 'object',
          properties: {
            payer_iban: { type: 'string', maxLength: 42 },
            amount: { type: 'number', exclusiveMinimum: 0 },
            reference: { type: 'string', maxLength: 140 },
          },
          required: ['payer_iban', 'amount', 'reference'],
        },
        response: { 422: refused },
      },
    },
    async (request, reply) => {
      // Release flag: the checksum is new; until it is rolled out, a typo is caught by the bank.
      if (flags.boolean('payments-iban-checksum') && !isValidIban(request.body.payer_iban)) {
        return reply.code(422).send({
          error: 'invalid_iban',
          message: 'payer_iban is not a valid IBAN (checksum)',
          request_id: request.id,
        });
      }
      // The IBAN and anything PII-like in the reference are redacted by @immo/logger before writing.
      request.log.info({ payment: request.body }, `payment received from ${request.body.payer_iban}`);
      return reply.code(202).send({ status: 'accepted', request_id: request.id });
    },
  );

  const run = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      org_id: { type: 'string' },
      period: { type: 'string' },
      status: { type: 'string' },
      invoices: { type: 'integer' },
      trace_id: { type: ['string', 'null'] },
    },
  } as const;

  app.post<{ Params: { id: string }; Body: { period?: string } | undefined }>(
    '/api/orgs/:id/billing-runs',
    {
      schema: {
        params: { type: 'object', properties: { id }, required: ['id'] },
        body: {
          type: ['object', 'null'],
          properties: { period: { type: 'string', pattern: '^[0-9]{4}-(0[1-9]|1[0-2])$' } },
          additionalProperties: false,
        },
        response: {
          202: {
            type: 'object',
            properties: {
              run_id: { type: 'string' },
              status: { type: 'string' },
              request_id: { type: 'string' },
            },
          },
          404: notFound,
          503: refused,
        },
      },
    },
    async (request, reply) => {
      // Evaluated with the request's context (the org from the path, see flagsContext in app.ts),
      // so the flag file can switch runs off for one organisation as well as for all.
      if (flags.isKilled('billing-run-kill-switch')) {
        return reply.code(503).send({
          error: 'feature_disabled',
          message: 'Billing runs are switched off by the billing-run-kill-switch',
          request_id: request.id,
        });
      }
      const org = await pool.query('SELECT 1 FROM organizations WHERE id = $1', [request.params.id]);
      if (org.rowCount === 0) return reply.code(404).send({ error: 'not_found', request_id: request.id });
      const period = request.body?.period ?? new Date().toISOString().slice(0, 7);
      const { id: runId } = await startBillingRun(pool, logger, request.params.id, period, metrics);
      return reply.code(202).send({ run_id: runId, status: 'running', request_id: request.id });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/billing-runs/:id',
    {
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', format: 'uuid' } },
          required: ['id'],
        },
        response: { 200: run, 404: notFound },
      },
    },
    async (request, reply) => {
      const found = await getBillingRun(pool, request.params.id);
      if (found === undefined) return reply.code(404).send({ error: 'not_found', request_id: request.id });
      return found;
    },
  );
}
