import type { ImmoLogger } from '@immo/logger';
import { immoLogger, loggerServerOptions } from '@immo/logger/fastify';
import Fastify, { type FastifyInstance } from 'fastify';

/** A small in-memory stand-in for the organisation store; PostgreSQL arrives with the metrics/health issue. */
const ORGS = new Map<string, { id: string; name: string; plan: string }>([
  ['1', { id: '1', name: 'Hausverwaltung Nord GmbH', plan: 'business' }],
  ['2', { id: '2', name: 'WEG Lindenstraße 12', plan: 'starter' }],
]);

/** Builds the reference service. Routes are registered after the logger plugin. */
export async function buildApp(logger: ImmoLogger): Promise<FastifyInstance> {
  const app = Fastify(loggerServerOptions(logger));
  await app.register(immoLogger);

  app.get('/health', async () => ({ status: 'ok' }));

  app.get<{ Params: { id: string } }>(
    '/api/orgs/:id',
    {
      schema: {
        params: {
          type: 'object',
          properties: { id: { type: 'string', pattern: '^[0-9]{1,12}$' } },
          required: ['id'],
        },
      },
    },
    async (request, reply) => {
      const org = ORGS.get(request.params.id);
      if (org === undefined) return reply.code(404).send({ error: 'not_found', request_id: request.id });
      request.log.debug({ org_id: org.id }, 'organisation loaded');
      return org;
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
      },
    },
    async (request, reply) => {
      // The IBAN and anything PII-like in the reference are redacted by @immo/logger before writing.
      request.log.info({ payment: request.body }, `payment received from ${request.body.payer_iban}`);
      return reply.code(202).send({ status: 'accepted', request_id: request.id });
    },
  );

  return app;
}
