import Fastify, { type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { resetRouteTemplateCache, routeTemplate } from '../src/index.ts';

type Seen = { hook: string; template: string | undefined; getter: string | undefined };

async function appSeeing(seen: Seen[]) {
  const app = Fastify({ logger: false });
  const record = (hook: string, request: FastifyRequest) =>
    seen.push({ hook, template: routeTemplate(request), getter: request.routeOptions.url });
  app.addHook('onRequest', async (request) => {
    record('onRequest', request);
  });
  app.addHook('onResponse', async (request) => {
    record('onResponse', request);
  });
  app.get('/api/orgs/:id', async () => ({ ok: true }));
  app.get('/static/*', async () => 'file');
  await app.register(
    async (child) => {
      child.post('/units/:unit', async () => ({ ok: true }));
    },
    { prefix: '/v2' },
  );
  return app;
}

afterEach(() => resetRouteTemplateCache());

describe('routeTemplate', () => {
  it('returns what request.routeOptions.url returns, in every hook, for matched and unmatched routes', async () => {
    const seen: Seen[] = [];
    const app = await appSeeing(seen);
    await app.inject({ url: '/api/orgs/org_1?x=1' });
    await app.inject({ url: '/static/a/b.css' });
    await app.inject({ method: 'POST', url: '/v2/units/7', payload: { a: 1 } });
    await app.inject({ url: '/nope/123' });
    await app.close();
    expect(seen.map((s) => [s.hook, s.template])).toEqual([
      ['onRequest', '/api/orgs/:id'],
      ['onResponse', '/api/orgs/:id'],
      ['onRequest', '/static/*'],
      ['onResponse', '/static/*'],
      ['onRequest', '/v2/units/:unit'],
      ['onResponse', '/v2/units/:unit'],
      ['onRequest', undefined],
      ['onResponse', undefined],
    ]);
    for (const s of seen) expect(s.template).toBe(s.getter);
  });

  it('reads the route context, not the routeOptions getter, when Fastify keeps it under its symbol', async () => {
    const app = Fastify({ logger: false });
    let reads = 0;
    app.get('/a/:b', async (request) => {
      const proto = Object.getPrototypeOf(request) as object;
      const desc = findGetter(proto, 'routeOptions');
      Object.defineProperty(request, 'routeOptions', {
        get() {
          reads++;
          return desc.get!.call(this);
        },
        configurable: true,
      });
      return { route: routeTemplate(request) };
    });
    const res = await app.inject({ url: '/a/1' });
    await app.close();
    expect(res.json()).toEqual({ route: '/a/:b' });
    expect(reads).toBe(0);
  });

  it('falls back to request.routeOptions.url when the context symbol is missing', () => {
    const request = { routeOptions: { url: '/fallback/:id' } } as unknown as FastifyRequest;
    expect(routeTemplate(request)).toBe('/fallback/:id');
    const unmatched = { routeOptions: { url: undefined } } as unknown as FastifyRequest;
    expect(routeTemplate(unmatched)).toBeUndefined();
  });
});

function findGetter(proto: object | null, key: string): PropertyDescriptor {
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const d = Object.getOwnPropertyDescriptor(p, key);
    if (d?.get) return d;
  }
  throw new Error(`no getter ${key}`);
}
