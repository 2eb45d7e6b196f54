import { describe, expect, it } from 'vitest';
import { requireTools, startRegistry } from '../src/index.ts';
import { portIsFree } from './helpers.ts';

const tools = requireTools('startRegistry', ['verdaccio']);

describe.skipIf(!tools.ok)('startRegistry', () => {
  it('answers /-/ping and knows the user its token belongs to', async () => {
    const registry = await startRegistry();
    try {
      expect(registry.url).toBe(`http://127.0.0.1:${registry.port}/`);
      expect((await fetch(`${registry.url}-/ping`)).status).toBe(200);
      const who = await fetch(`${registry.url}-/whoami`, {
        headers: { authorization: `Bearer ${registry.token}` },
      });
      expect(await who.json()).toEqual({ username: registry.user });
      expect(registry.npmrc('@immo')).toBe(
        `@immo:registry=${registry.url}\n//127.0.0.1:${registry.port}/:_authToken=${registry.token}\n`,
      );
    } finally {
      await registry.stop();
    }
  });

  it('proxies nothing: a package it does not hold is a 404', async () => {
    const registry = await startRegistry();
    try {
      expect((await fetch(`${registry.url}left-pad`)).status).toBe(404);
    } finally {
      await registry.stop();
    }
  });

  it('runs two instances in parallel on different ports and frees the port on stop', async () => {
    const [a, b] = await Promise.all([startRegistry(), startRegistry()]);
    expect(a.port).not.toBe(b.port);
    expect((await fetch(`${a.url}-/ping`)).status).toBe(200);
    expect((await fetch(`${b.url}-/ping`)).status).toBe(200);
    await Promise.all([a.stop(), b.stop()]);
    expect(await portIsFree(a.port)).toBe(true);
    expect(await portIsFree(b.port)).toBe(true);
  });
});
