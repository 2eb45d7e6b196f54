import { createTestMetrics, metricValue } from '@immo/metrics/testing';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import immoFlagsDefault, { hashToken, immoFlags } from '../src/fastify.js';
import { createFlags, type Flags } from '../src/index.js';
import { recordingLogger } from '../src/testing.js';
import { flags, type TestRegistry } from './fixtures/registry.js';
import { tempDir, writeFlagFile } from './helpers.js';

const TOKEN = 'alice-token-0123456789abcdef';
const apps: FastifyInstance[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.close();
  for (const c of cleanups.splice(0)) c();
});

declare module 'fastify' {
  interface FastifyRequest {
    user?: { id: string; orgId: string };
  }
}

async function build(withAdmin = true) {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const file = writeFlagFile(
    dir,
    'flags:\n  checkout-button-experiment:\n    rules:\n      - orgs: [org-1]\n        value: green\n',
  );
  const metrics = createTestMetrics();
  const { logger, records } = recordingLogger();
  const ff: Flags<TestRegistry> = createFlags(flags, {
    file,
    metrics,
    env: {},
    tracing: false,
    logger,
    pollIntervalMs: 5000,
  });
  cleanups.push(() => ff.close());
  const app = Fastify();
  apps.push(app);
  // A stand-in for the application's authentication: it sets request.user from a verified session.
  app.addHook('onRequest', async (req) => {
    if (req.headers['x-test-session'] === 'org-1') req.user = { id: 'u-1', orgId: 'org-1' };
  });
  await app.register(immoFlags, {
    flags: ff,
    context: (req) => {
      if (req.headers['x-test-session'] === 'boom') throw new Error('session store down');
      return req.user
        ? { targetingKey: req.user.orgId, orgId: req.user.orgId, userId: req.user.id }
        : undefined;
    },
    admin: withAdmin ? { tokens: { alice: hashToken(TOKEN) }, instance: 'pod-a' } : false,
  });
  app.get('/colour', async () => ({ colour: ff.string('checkout-button-experiment') }));
  app.post('/colour', async () => {
    await new Promise((r) => setTimeout(r, 1));
    return { colour: app.flags.details('checkout-button-experiment') };
  });
  return { app, ff, metrics, records };
}

describe('the Fastify plugin', () => {
  it('is exported as default and named, with the fastify-plugin metadata', () => {
    expect(immoFlagsDefault).toBe(immoFlags);
    expect((immoFlags as unknown as Record<symbol, unknown>)[Symbol.for('plugin-meta')]).toMatchObject({
      name: '@immo/flags',
      fastify: '5.x',
    });
  });

  it('evaluates with the request context, without passing the request around (GET and POST with a body)', async () => {
    const { app } = await build();
    expect((await app.inject({ url: '/colour', headers: { 'x-test-session': 'org-1' } })).json()).toEqual({
      colour: 'green',
    });
    expect((await app.inject({ url: '/colour' })).json()).toEqual({ colour: 'blue' });
    const post = await app.inject({
      method: 'POST',
      url: '/colour',
      headers: { 'x-test-session': 'org-1', 'content-type': 'application/json' },
      payload: JSON.stringify({ some: 'body' }),
    });
    expect(post.json().colour).toMatchObject({ value: 'green', reason: 'TARGETING_MATCH' });
  });

  it('does not trust an x-org-id header: only what context(request) returns counts', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/colour', headers: { 'x-org-id': 'org-1' } });
    expect(res.json()).toEqual({ colour: 'blue' });
  });

  it('answers GENERAL with the declared default when context(request) throws', async () => {
    const { app } = await build();
    const res = await app.inject({
      method: 'POST',
      url: '/colour',
      headers: { 'x-test-session': 'boom' },
      payload: {},
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().colour).toMatchObject({ value: 'blue', reason: 'ERROR', errorCode: 'GENERAL' });
  });

  it('refuses invalid options with IMMO_FLAGS_INVALID_PLUGIN_OPTIONS listing every problem', async () => {
    const app = Fastify();
    apps.push(app);
    await expect(
      app.register(immoFlags, { flags: {} as never, admin: { tokens: { alice: 'plain-token' } } }),
    ).rejects.toMatchObject({
      code: 'IMMO_FLAGS_INVALID_PLUGIN_OPTIONS',
      issues: [
        'flags: expected the result of createFlags(), received object',
        'admin.tokens.alice: expected a SHA-256 hex digest of the token (64 hex characters), not the token, received "plain-token"',
      ],
    });
  });
});

describe('the admin endpoint', () => {
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('answers 401 without a token or with a wrong one, counted as auth failures', async () => {
    const { app, metrics, records } = await build();
    const none = await app.inject({ url: '/admin/flags' });
    const wrong = await app.inject({
      url: '/admin/flags',
      headers: { authorization: 'Bearer wrong-token-0123456789' },
    });
    const cookie = await app.inject({ url: '/admin/flags', headers: { cookie: `token=${TOKEN}` } });
    for (const r of [none, wrong, cookie]) {
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toBe('Bearer realm="immo-flags"');
      expect(r.json()).toMatchObject({ code: 'IMMO_FLAGS_UNAUTHORIZED' });
    }
    expect(metricValue('immo_security_events_total', { type: 'auth_failure' }, { metrics })).toBe(3);
    expect(records.filter((r) => r.msg?.includes('without a valid token'))).toHaveLength(3);
  });

  it('reads the state of every flag and names the pod', async () => {
    const { app } = await build();
    const res = await app.inject({ url: '/admin/flags', headers: auth });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ instance: 'pod-a', revision: 1, disabled: false });
    expect(body.flags.find((f: { key: string }) => f.key === 'checkout-button-experiment')).toMatchObject({
      source: 'file',
      value: 'blue',
      rules: 1,
    });
  });

  it('flips a kill switch: wins at the next evaluation, logged with who and the previous value, counted', async () => {
    const { app, ff, metrics, records } = await build();
    const res = await app.inject({
      method: 'PUT',
      url: '/admin/flags/kill-switches/billing-run-kill-switch',
      headers: auth,
      payload: { killed: true, reason: 'invoices double-sent' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      instance: 'pod-a',
      key: 'billing-run-kill-switch',
      killed: true,
      previous: false,
      by: 'alice',
    });
    expect(ff.isKilled('billing-run-kill-switch')).toBe(true);
    expect(records.find((r) => r.obj.by === 'alice')?.obj).toMatchObject({
      previous: false,
      killed: true,
      reason: 'invoices double-sent',
    });
    expect(
      metricValue(
        'immo_flags_admin_changes_total',
        { flag: 'billing-run-kill-switch', operator: 'alice' },
        { metrics },
      ),
    ).toBe(1);
    const reset = await app.inject({
      method: 'DELETE',
      url: '/admin/flags/kill-switches/billing-run-kill-switch',
      headers: auth,
    });
    expect(reset.json()).toMatchObject({ killed: false, previous: true, override: null });
    expect(ff.isKilled('billing-run-kill-switch')).toBe(false);
  });

  it('answers hostile input with 4xx and a fixed message that never echoes it', async () => {
    const { app } = await build();
    const evil = '<script>alert(1)</script>';
    const cases = [
      {
        url: `/admin/flags/kill-switches/${encodeURIComponent(evil)}`,
        payload: { killed: true },
        status: 404,
      },
      { url: '/admin/flags/kill-switches/payments-new-allocation', payload: { killed: true }, status: 409 },
      { url: '/admin/flags/kill-switches/billing-run-kill-switch', payload: { killed: 'true' }, status: 400 },
      {
        url: '/admin/flags/kill-switches/billing-run-kill-switch',
        payload: { killed: true, evil },
        status: 400,
      },
      {
        url: '/admin/flags/kill-switches/billing-run-kill-switch',
        payload: { killed: true, reason: evil.repeat(20) },
        status: 400,
      },
      {
        url: '/admin/flags/kill-switches/billing-run-kill-switch',
        payload: `{"killed": ${evil}`,
        status: 400,
      },
      {
        url: '/admin/flags/kill-switches/billing-run-kill-switch',
        payload: { killed: true, pad: evil.repeat(100) },
        status: 413,
      },
    ];
    for (const c of cases) {
      const res = await app.inject({
        method: 'PUT',
        url: c.url,
        headers: { ...auth, 'content-type': 'application/json' },
        payload: typeof c.payload === 'string' ? c.payload : JSON.stringify(c.payload),
      });
      expect(res.statusCode, c.url).toBe(c.status);
      expect(res.body).not.toContain('script');
      expect(res.json().code).toMatch(/^IMMO_FLAGS_/);
    }
  });

  it('adds no routes unless asked', async () => {
    const { app } = await build(false);
    expect((await app.inject({ url: '/admin/flags', headers: auth })).statusCode).toBe(404);
  });
});
