import { describe, expect, it } from 'vitest';
import { createLogger, LoggerOptionsError } from '../src/index.js';
import { resolveLoggerOptions } from '../src/options.js';

describe('logger options', () => {
  it('uses defaults when only the service is given', () => {
    const o = resolveLoggerOptions({ service: 'billing' }, {});
    expect(o).toMatchObject({
      service: 'billing',
      version: '0.0.0',
      env: 'development',
      level: 'info',
      enabled: true,
    });
    expect(o.redact).toEqual({});
  });

  it('reads IMMO_LOGGER_* variables when no explicit option is given', () => {
    const o = resolveLoggerOptions(
      {},
      {
        IMMO_LOGGER_SERVICE: 'payments',
        IMMO_LOGGER_VERSION: '2.0.1',
        IMMO_LOGGER_ENV: 'staging',
        IMMO_LOGGER_LEVEL: 'debug',
        IMMO_LOGGER_REDACT: 'false',
        IMMO_LOGGER_ENABLED: '0',
        IMMO_LOGGER_DESTINATION: 'stderr',
      },
    );
    expect(o).toMatchObject({
      service: 'payments',
      version: '2.0.1',
      env: 'staging',
      level: 'debug',
      redact: false,
      enabled: false,
      destination: 2,
    });
  });

  it('prefers explicit options over the environment', () => {
    const o = resolveLoggerOptions(
      { service: 'a', level: 'warn' },
      { IMMO_LOGGER_SERVICE: 'b', IMMO_LOGGER_LEVEL: 'debug' },
    );
    expect(o.service).toBe('a');
    expect(o.level).toBe('warn');
  });

  it('falls back to OTEL_SERVICE_NAME and NODE_ENV', () => {
    const o = resolveLoggerOptions({}, { OTEL_SERVICE_NAME: 'otel-name', NODE_ENV: 'production' });
    expect(o.service).toBe('otel-name');
    expect(o.env).toBe('production');
  });

  it('lists every problem at once with path, expectation and what was received', () => {
    let error: unknown;
    try {
      resolveLoggerOptions(
        { level: 'loud' as never, enabled: 'yes' as never, base: 5 as never, colour: true } as never,
        { IMMO_LOGGER_SYNC: 'maybe' },
      );
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(LoggerOptionsError);
    const e = error as LoggerOptionsError;
    expect(e.code).toBe('IMMO_LOGGER_INVALID_OPTIONS');
    const text = e.issues.join('\n');
    expect(text).toMatch(
      /^service: expected string, received undefined — pass \{ service \} or set IMMO_LOGGER_SERVICE$/m,
    );
    expect(text).toMatch(/^level: expected one of "trace", .*"silent", received "loud"$/m);
    expect(text).toMatch(/^enabled: expected boolean, received "yes"$/m);
    expect(text).toMatch(/^base: expected record, received number 5$/m);
    expect(text).toMatch(/^sync: expected boolean, received "maybe" \(from IMMO_LOGGER_SYNC\)$/m);
    expect(text).toMatch(/unknown option\(s\) colour/);
    expect(e.issues).toHaveLength(6);
    expect(e.message).toContain('Invalid @immo/logger options');
  });

  it('rejects an empty service name', () => {
    expect(() => resolveLoggerOptions({ service: '   ' }, {})).toThrow(
      /service: expected a non-empty service name/,
    );
  });

  it('reports invalid redaction options under redact.*', () => {
    expect(() => createLogger({ service: 's', redact: { maxDepth: -1 } as never })).toThrow(
      LoggerOptionsError,
    );
    try {
      createLogger({ service: 's', redact: { maxDepth: -1 } as never });
    } catch (err) {
      expect((err as LoggerOptionsError).issues.every((i) => i.startsWith('redact.'))).toBe(true);
    }
  });

  it('rejects a non-object', () => {
    expect(() => resolveLoggerOptions('billing' as never, {})).toThrow(/expected object, received string/);
  });
});
