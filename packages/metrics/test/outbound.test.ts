import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@immo/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentUndici } from '../src/index.js';
import { createTestMetrics, histogramCount } from '../src/testing.js';

const NAME = 'http_client_request_duration_seconds';

describe('outbound HTTP (undici / global fetch)', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/teapot') res.writeHead(418).end('short and stout');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"rate":1.1}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('records fetch requests by method, server address/port and status, with error_type for >= 400', async () => {
    const metrics = createTestMetrics();
    const stop = instrumentUndici({ metrics });
    try {
      expect(instrumentUndici({ metrics })).toBe(stop);
      await (await fetch(`http://127.0.0.1:${port}/rates?base=EUR`)).json();
      await (await fetch(`http://127.0.0.1:${port}/teapot`, { method: 'POST', body: 'x' })).text();
    } finally {
      stop();
    }
    const labels = { server_address: '127.0.0.1', server_port: String(port) };
    expect(
      histogramCount(
        NAME,
        { ...labels, http_request_method: 'GET', http_response_status_code: 200, error_type: '' },
        { metrics },
      ),
    ).toBe(1);
    expect(
      histogramCount(
        NAME,
        { ...labels, http_request_method: 'POST', http_response_status_code: 418, error_type: '418' },
        { metrics },
      ),
    ).toBe(1);
    const body = (await metrics.render()).body;
    expect(body).not.toContain('rates');
    expect(body).not.toContain('EUR');
  });

  it('records a connection failure with the error code and no status', async () => {
    const metrics = createTestMetrics();
    const closedPort = await freePort();
    const stop = instrumentUndici({ metrics });
    try {
      await expect(fetch(`http://127.0.0.1:${closedPort}/`)).rejects.toThrow();
    } finally {
      stop();
    }
    expect(
      histogramCount(
        NAME,
        { server_port: String(closedPort), error_type: 'ECONNREFUSED', http_response_status_code: '' },
        { metrics },
      ),
    ).toBe(1);
  });

  it('stops recording when stopped', async () => {
    const metrics = createTestMetrics();
    instrumentUndici({ metrics })();
    await (await fetch(`http://127.0.0.1:${port}/`)).text();
    expect(histogramCount(NAME, undefined, { metrics })).toBe(0);
  });
});
