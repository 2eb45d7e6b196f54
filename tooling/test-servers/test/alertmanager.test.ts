import { describe, expect, it } from 'vitest';
import { requireTools, startAlertmanager } from '../src/index.ts';
import { portIsFree } from './helpers.ts';

const tools = requireTools('startAlertmanager', ['alertmanager']);

interface Status {
  cluster: { status: string };
  config: { original: string };
}

async function status(url: string): Promise<Status> {
  const res = await fetch(`${url}/api/v2/status`);
  expect(res.status).toBe(200);
  return (await res.json()) as Status;
}

describe.skipIf(!tools.ok)('startAlertmanager', () => {
  it('answers /api/v2/status with its config and clustering off', async () => {
    const am = await startAlertmanager({
      config: { route: { receiver: 'team-billing' }, receivers: [{ name: 'team-billing' }] },
    });
    try {
      const s = await status(am.url);
      expect(s.cluster.status).toBe('disabled');
      expect(s.config.original).toContain('team-billing');
      expect(am.address).toBe(`127.0.0.1:${am.port}`);
    } finally {
      await am.stop();
    }
  });

  it('applies a new config on reload', async () => {
    const am = await startAlertmanager();
    try {
      await am.reload({ route: { receiver: 'slack-ops' }, receivers: [{ name: 'slack-ops' }] });
      expect((await status(am.url)).config.original).toContain('slack-ops');
    } finally {
      await am.stop();
    }
  });

  it('runs two instances in parallel on different ports and frees the port on stop', async () => {
    const [a, b] = await Promise.all([startAlertmanager(), startAlertmanager()]);
    expect(a.port).not.toBe(b.port);
    expect((await status(a.url)).cluster.status).toBe('disabled');
    expect((await status(b.url)).cluster.status).toBe('disabled');
    await Promise.all([a.stop(), b.stop()]);
    expect(await portIsFree(a.port)).toBe(true);
    expect(await portIsFree(b.port)).toBe(true);
  });
});
