import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requireTools, ServerStartError, startPrometheus } from '../src/index.ts';
import { eventually, portIsFree } from './helpers.ts';

const tools = requireTools('startPrometheus', ['prometheus']);

interface QueryResponse {
  status: string;
  data: { resultType: string; result: unknown };
}

async function query(url: string, promql: string): Promise<QueryResponse> {
  const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as QueryResponse;
}

describe.skipIf(!tools.ok)('startPrometheus', () => {
  it('answers /-/ready and the query API', async () => {
    const prom = await startPrometheus();
    try {
      const ready = await fetch(`${prom.url}/-/ready`);
      expect(ready.status).toBe(200);
      const result = await query(prom.url, '1 + 1');
      expect(result.status).toBe('success');
      expect(result.data.resultType).toBe('scalar');
      expect((result.data.result as [number, string])[1]).toBe('2');
    } finally {
      await prom.stop();
    }
  });

  it('scrapes targets and loads rules after a reload', async () => {
    const prom = await startPrometheus();
    try {
      await prom.reload({
        scrapeTargets: [`127.0.0.1:${prom.port}`],
        rules: {
          'self.yml': {
            groups: [{ name: 'self', rules: [{ record: 'job:up:sum', expr: 'sum by (job) (up)' }] }],
          },
        },
      });
      const value = await eventually(async () => {
        const r = await query(prom.url, 'job:up:sum{job="targets"}');
        const first = (r.data.result as { value: [number, string] }[])[0];
        return first?.value[1];
      });
      expect(value).toBe('1');
    } finally {
      await prom.stop();
    }
  });

  it('rejects an invalid config on reload and keeps serving', async () => {
    const prom = await startPrometheus();
    try {
      await expect(
        prom.reload({ config: { global: { scrape_interval: 'not-a-duration' } } }),
      ).rejects.toThrow(ServerStartError);
      expect((await fetch(`${prom.url}/-/ready`)).status).toBe(200);
    } finally {
      await prom.stop();
    }
  });

  it('fails start-up with the server output when the config is invalid', async () => {
    const err = await startPrometheus({ config: 'scrape_configs: [ {' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServerStartError);
    expect((err as ServerStartError).code).toBe('SERVER_EXITED');
    expect((err as ServerStartError).message).toMatch(/last output of prometheus[\s\S]*yaml/i);
  });

  it('runs two instances in parallel on different ports and frees the port on stop', async () => {
    const [a, b] = await Promise.all([startPrometheus(), startPrometheus()]);
    expect(a.port).not.toBe(b.port);
    expect((await query(a.url, 'vector(1)')).status).toBe('success');
    expect((await query(b.url, 'vector(1)')).status).toBe('success');
    await Promise.all([a.stop(), b.stop()]);
    expect(await portIsFree(a.port)).toBe(true);
    expect(await portIsFree(b.port)).toBe(true);
    expect(existsSync(a.dir)).toBe(false);
  });
});
