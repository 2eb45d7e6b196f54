import {
  type OtlpReceiver,
  type ReceivedSpan,
  requireTools,
  type SentryReceiver,
  startOtlpReceiver,
  startSentryReceiver,
} from '@immo/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServiceProcess, startDatabase, startService } from './helpers.js';

const tools = requireTools('sample app tracing', ['postgres']);

const SERVER = 2;
const CLIENT = 3;

function byName(spans: ReceivedSpan[], name: string): ReceivedSpan[] {
  return spans.filter((s) => s.name === name);
}

function childrenOf(spans: ReceivedSpan[], parent: ReceivedSpan): ReceivedSpan[] {
  return spans.filter((s) => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
}

describe.skipIf(!tools.ok)(
  'sample app traces and errors (real exporter, real Sentry SDK, real PostgreSQL)',
  () => {
    let db: Awaited<ReturnType<typeof startDatabase>>;
    let otlp: OtlpReceiver;
    let sentry: SentryReceiver;
    let service: ServiceProcess;

    beforeAll(async () => {
      [db, otlp, sentry] = await Promise.all([startDatabase(), startOtlpReceiver(), startSentryReceiver()]);
      service = await startService({
        DATABASE_URL: db.server.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        SENTRY_DSN: sentry.dsn(),
        IMMO_HEALTH_CHECK_INTERVAL_MS: '500',
      });
    }, 60_000);
    afterAll(async () => {
      service?.kill();
      await Promise.all([db?.stop(), otlp?.stop(), sentry?.stop()]);
    });

    it('exports the server span with its route and the pg query as its child; the logs carry its trace id', async () => {
      const res = await fetch(`${service.url}/api/orgs/1`);
      expect(res.status).toBe(200);
      const requestId = res.headers.get('x-request-id');
      const spans = await otlp.waitForSpans(
        (s) => byName(s, 'GET /api/orgs/:id').length > 0 && s.length >= 2,
      );
      const server = byName(spans, 'GET /api/orgs/:id')[0]!;
      expect(server.kind).toBe(SERVER);
      expect(server.attributes).toMatchObject({
        'http.request.method': 'GET',
        'http.route': '/api/orgs/:id',
        'http.response.status_code': 200,
        'url.path': '/api/orgs/1',
      });
      expect(server.resource).toMatchObject({
        'service.name': 'sample-app',
        'deployment.environment.name': expect.any(String),
      });
      expect(server.scope.name).toBe('@immo/tracing');
      const children = childrenOf(spans, server);
      expect(children.map((s) => s.name)).toEqual(['pg.query:SELECT sample_app']);
      const query = children[0];
      expect(query?.kind).toBe(CLIENT);
      expect(query?.attributes['db.system.name']).toBe('postgresql');
      // The statement is the parameterised SQL: the value ($1) never appears.
      expect(query?.attributes['db.query.text']).toBe(
        'SELECT id::text, name, plan FROM organizations WHERE id = $1',
      );
      // No request id came in, so the request id is the trace id; every line of the request has both.
      expect(requestId).toBe(server.traceId);
      const lines = service.lines().filter((l) => l.request_id === requestId);
      expect(lines.length).toBeGreaterThan(0);
      for (const l of lines) expect(l.trace_id).toBe(server.traceId);
      // Probes and metrics are not traced.
      await fetch(`${service.url}/health/ready`);
      await fetch(`${service.url}/metrics`);
      await new Promise((r) => setTimeout(r, 300));
      expect(otlp.spans().some((s) => String(s.attributes['url.path']).startsWith('/health'))).toBe(false);
      expect(otlp.spans().some((s) => s.attributes['url.path'] === '/metrics')).toBe(false);
    });

    it('traces a billing run as a span tree under the request that started it, with a job-scoped correlation id', async () => {
      const res = await fetch(`${service.url}/api/orgs/1/billing-runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ period: '2026-11' }),
      });
      expect(res.status).toBe(202);
      const { run_id: runId } = (await res.json()) as { run_id: string };
      const spans = await otlp.waitForSpans((s) =>
        byName(s, 'billing.run').some((x) => x.attributes['billing.run.id'] === runId),
      );
      const run = byName(spans, 'billing.run').find((x) => x.attributes['billing.run.id'] === runId)!;
      const request = byName(spans, 'POST /api/orgs/:id/billing-runs').find(
        (x) => x.traceId === run.traceId,
      )!;
      expect(run.parentSpanId).toBe(request.spanId);
      expect(run.attributes).toMatchObject({
        'billing.org.id': '1',
        'billing.period': '2026-11',
        'billing.units': 4,
        'billing.invoices': 4,
      });
      const steps = childrenOf(spans, run)
        .map((s) => s.name)
        .sort();
      // The two steps, and the status update at the end.
      expect(steps).toEqual(['billing.create_invoices', 'billing.load_units', 'pg.query:UPDATE sample_app']);
      const create = childrenOf(spans, run).find((s) => s.name === 'billing.create_invoices')!;
      // One transaction: BEGIN, an INSERT per unit, COMMIT — each a pg span under the step.
      const queries = childrenOf(spans, create).map((s) => String(s.attributes['db.query.text']));
      expect(queries.filter((q) => q.startsWith('INSERT INTO invoices'))).toHaveLength(4);
      expect(queries).toContain('BEGIN');
      expect(queries).toContain('COMMIT');

      const status = (await (await fetch(`${service.url}/api/billing-runs/${runId}`)).json()) as Record<
        string,
        unknown
      >;
      expect(status).toMatchObject({ id: runId, status: 'succeeded', invoices: 4, trace_id: run.traceId });
      const jobLines = service.lines().filter((l) => l.request_id === `billing-run-${runId}`);
      expect(jobLines.map((l) => l.msg)).toEqual(['billing run started', 'billing run finished']);
      for (const l of jobLines) expect(l.trace_id).toBe(run.traceId);

      const metrics = await (await fetch(`${service.url}/metrics`)).text();
      expect(metrics).toMatch(/^billing_runs_total\{[^}]*outcome="success"[^}]*\} 1$/m);
      expect(metrics).toMatch(
        /^immo_job_duration_seconds_bucket\{[^}]*job_name="billing_run"[^}]*le="1800"[^}]*\} 1$/m,
      );
      expect(metrics).toMatch(/^immo_tracing_spans_total\{[^}]*outcome="exported"[^}]*\} [1-9]/m);

      // A rerun for the same period creates no invoice twice.
      const again = await fetch(`${service.url}/api/orgs/1/billing-runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ period: '2026-11' }),
      });
      const { run_id: second } = (await again.json()) as { run_id: string };
      let rerun: Record<string, unknown> = {};
      for (let i = 0; i < 100 && rerun.status !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        rerun = (await (await fetch(`${service.url}/api/billing-runs/${second}`)).json()) as Record<
          string,
          unknown
        >;
      }
      expect(rerun).toMatchObject({ status: 'succeeded', invoices: 0 });
    });

    it('puts the trace id of an exported span on the OpenMetrics exemplar', async () => {
      await fetch(`${service.url}/api/orgs/2/properties`);
      const text = await (
        await fetch(`${service.url}/metrics`, {
          headers: { accept: 'application/openmetrics-text; version=1.0.0' },
        })
      ).text();
      const ids = [
        ...text.matchAll(
          /^http_server_request_duration_seconds_bucket\{[^}]*http_route="\/api\/orgs\/:id\/properties"[^}]*\} \d+ # \{trace_id="([0-9a-f]{32})"/gm,
        ),
      ].map((m) => m[1]);
      expect(ids.length).toBeGreaterThan(0);
      const spans = await otlp.waitForSpans((s) =>
        s.some((x) => ids.includes(x.traceId) && x.kind === SERVER),
      );
      expect(spans.find((x) => ids.includes(x.traceId) && x.kind === SERVER)?.name).toBe(
        'GET /api/orgs/:id/properties',
      );
    });

    it('a 5xx during a database outage: safe body, error span, and one Sentry event with the trace id and no PII', async () => {
      await db.server.pause();
      try {
        let res: Response | undefined;
        for (let i = 0; i < 50; i++) {
          res = await fetch(`${service.url}/api/orgs/1?email=ann@example.com&token=tok_live_123`, {
            headers: {
              authorization: 'Bearer sk_live_abcdef',
              cookie: 'session=s3cr3t',
              'x-request-id': `outage-${i}`,
            },
          });
          if (res.status === 500) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        expect(res?.status).toBe(500);
        const body = (await res!.json()) as Record<string, unknown>;
        expect(body).toEqual({
          statusCode: 500,
          error: 'Internal Server Error',
          message: 'Internal Server Error',
          request_id: res!.headers.get('x-request-id'),
        });
        const requestId = String(body.request_id);
        const events = await sentry.waitForEvents(1);
        const event = events.find((e) => (e.tags as Record<string, unknown>)?.request_id === requestId)!;
        expect(event).toBeDefined();
        const trace = (event.contexts as { trace?: { trace_id?: string } }).trace?.trace_id;
        expect(trace).toMatch(/^[0-9a-f]{32}$/);
        const spans = await otlp.waitForSpans((s) => s.some((x) => x.traceId === trace && x.kind === SERVER));
        const server = spans.find((x) => x.traceId === trace && x.kind === SERVER)!;
        expect(server.status.code).toBe(2);
        expect(server.attributes['http.response.status_code']).toBe(500);
        expect(
          service.lines().find((l) => l.request_id === requestId && l.msg === 'request failed')?.trace_id,
        ).toBe(trace);
        const everything = [
          ...sentry.rawBodies(),
          JSON.stringify(otlp.spans(), (_k, v) => (typeof v === 'bigint' ? String(v) : v)),
        ].join('\n');
        for (const secret of ['ann@example.com', 'tok_live_123', 'sk_live_abcdef', 's3cr3t']) {
          expect(everything).not.toContain(secret);
        }
      } finally {
        await db.server.resume();
      }
    });

    it('flushes spans in the shutdown sequence: a request just before SIGTERM is exported', async () => {
      // A schedule delay far beyond the test: only the shutdown flush can deliver this span.
      const late = await startService({
        DATABASE_URL: db.server.url,
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        SENTRY_DSN: sentry.dsn(),
        IMMO_HEALTH_PROPAGATION_DELAY_MS: '0',
      });
      const res = await fetch(`${late.url}/api/orgs/2`, {
        headers: { 'x-request-id': 'last-before-shutdown' },
      });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 200));
      const mine = () =>
        otlp
          .spans()
          .filter(
            (s) =>
              s.resource['service.instance.id'] !== undefined && s.attributes['url.path'] === '/api/orgs/2',
          );
      const before = mine().length;
      late.child.kill('SIGTERM');
      const exit = await late.exited;
      expect(exit.code).toBe(0);
      expect(mine().length).toBe(before + 1);
    });
  },
);
