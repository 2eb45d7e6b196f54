import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { captureLogs } from '@immo/logger/testing';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.js';

describe('sample app', () => {
  it('serves an organisation and logs one access line with the request id', async () => {
    const { logger, find } = captureLogs({ service: 'sample-app' });
    const app = await buildApp(logger);
    const res = await app.inject({ url: '/api/orgs/1', headers: { 'x-request-id': 'quick-1' } });
    await app.close();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('quick-1');
    expect(find('request completed')).toEqual([
      expect.objectContaining({
        service: 'sample-app',
        request_id: 'quick-1',
        route: '/api/orgs/:id',
        status_code: 200,
      }),
    ]);
  });

  it('never writes a payer IBAN to the logs', async () => {
    const { logger, raw } = captureLogs();
    const app = await buildApp(logger);
    const res = await app.inject({
      method: 'POST',
      url: '/api/payments',
      payload: {
        payer_iban: 'DE89 3704 0044 0532 0130 00',
        amount: 120.5,
        reference: 'rent for jane@example.com',
      },
    });
    await app.close();
    expect(res.statusCode).toBe(202);
    const text = raw().join('\n');
    expect(text).toContain('[REDACTED:iban:DE…3000]');
    expect(text).not.toMatch(/0532 ?0130 ?00|jane@example\.com/);
  });

  it('starts from the built entry point, listens on 127.0.0.1 and prints where to look', async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'dist', 'main.js')], {
      env: { ...process.env, PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no banner: ${stderr}`)), 15_000);
      child.stderr.on('data', (c) => {
        stderr += c;
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
    });
    const res = await fetch(`${url}/api/orgs/2`);
    expect(res.status).toBe(200);
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    const lines = stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    expect(lines.some((l) => l.msg === 'request completed' && l.route === '/api/orgs/:id')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ msg: 'shutting down' });
  });
});
