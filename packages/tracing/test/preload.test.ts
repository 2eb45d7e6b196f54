import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');

// Whether @sentry/node is in the module cache right after initTracing(), in a fresh process.
function afterInit(env: Record<string, string>): { sentryLoaded: boolean } {
  const script = `
    const { initTracing } = require('./dist/index.cjs');
    initTracing({ serviceName: 'preload-test', otlpEndpoint: 'http://127.0.0.1:9' });
    const sentryLoaded = Object.keys(require.cache).some((f) => /[\\\\/]@sentry[\\\\/]node[\\\\/]/.test(f));
    process.stdout.write(JSON.stringify({ sentryLoaded }));
  `;
  const { SENTRY_DSN: _d, IMMO_SENTRY_ENABLED: _e, IMMO_SENTRY_LOAD: _l, ...base } = process.env;
  const out = execFileSync(process.execPath, ['-e', script], { cwd: pkg, env: { ...base, ...env } });
  return JSON.parse(String(out));
}

describe('initTracing and @sentry/node', () => {
  it('loads @sentry/node before its require hook when a DSN is configured and Sentry loads eagerly (start-up time)', () => {
    expect(afterInit({ SENTRY_DSN: 'http://key@127.0.0.1:9/1', IMMO_SENTRY_LOAD: 'eager' })).toEqual({
      sentryLoaded: true,
    });
  });

  it('never loads @sentry/node without a DSN, or with Sentry switched off', () => {
    expect(afterInit({})).toEqual({ sentryLoaded: false });
    expect(afterInit({ SENTRY_DSN: 'http://key@127.0.0.1:9/1', IMMO_SENTRY_ENABLED: 'false' })).toEqual({
      sentryLoaded: false,
    });
  });

  it('leaves @sentry/node unloaded when Sentry loads lazily (the default, or IMMO_SENTRY_LOAD=lazy)', () => {
    expect(afterInit({ SENTRY_DSN: 'http://key@127.0.0.1:9/1' })).toEqual({ sentryLoaded: false });
    expect(afterInit({ SENTRY_DSN: 'http://key@127.0.0.1:9/1', IMMO_SENTRY_LOAD: 'lazy' })).toEqual({
      sentryLoaded: false,
    });
  });
});
