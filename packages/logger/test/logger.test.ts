import { describe, expect, it } from 'vitest';
import { createLogger, currentRequestId, setLevel, withCorrelation } from '../src/index.js';
import { IBAN, IBAN_SPACED, memory } from './helpers.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('log line schema', () => {
  it('writes service, version, env, ISO time and a string level on every line', () => {
    const dest = memory();
    const logger = createLogger({ service: 'billing', version: '1.2.3', env: 'test', destination: dest });
    logger.info({ invoice_id: 'INV-1' }, 'invoice sent');
    const [line] = dest.lines;
    expect(line).toMatchObject({
      level: 'info',
      service: 'billing',
      version: '1.2.3',
      env: 'test',
      invoice_id: 'INV-1',
      msg: 'invoice sent',
    });
    expect(line?.time).toMatch(ISO);
    expect(Math.abs(Date.parse(String(line?.time)) - Date.now())).toBeLessThan(5_000);
  });

  it('keeps the service field on child loggers and their children', () => {
    const dest = memory();
    const logger = createLogger({ service: 'billing', destination: dest });
    logger.child({ module: 'runs' }).child({ run_id: 'R1' }).warn('slow');
    expect(dest.lines[0]).toMatchObject({ service: 'billing', module: 'runs', run_id: 'R1', level: 'warn' });
  });

  it('formats milliseconds with three digits across second boundaries', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    for (let i = 0; i < 2000; i++) logger.info('x');
    for (const l of dest.lines) expect(l.time).toMatch(ISO);
  });

  it('writes nothing when disabled', () => {
    const dest = memory();
    createLogger({ service: 's', enabled: false, destination: dest }).error('boom');
    expect(dest.lines).toHaveLength(0);
  });
});

describe('redaction', () => {
  it('redacts sensitive keys at any depth in logged objects', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    logger.info(
      { user: { password: 'hunter2', profile: { token: 'abc' } }, list: [{ secret: 's3' }] },
      'login',
    );
    const text = dest.text[0]!;
    expect(text).not.toMatch(/hunter2|"abc"|s3/);
    expect(dest.lines[0]).toMatchObject({
      user: { password: '[REDACTED]', profile: { token: '[REDACTED]' } },
    });
  });

  it('redacts PII found in messages, interpolation arguments and bindings', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest, base: { payer_iban: IBAN } });
    const child = logger.child({ contact: 'jane.doe@example.com' });
    child.info(`payment from ${IBAN_SPACED} received`);
    child.info('refund to %s for %o', IBAN, { note: 'card 4111 1111 1111 1111' });
    const all = dest.text.join('\n');
    expect(all).not.toContain('0532013000');
    expect(all).not.toContain('0532 0130 00');
    expect(all).not.toContain('jane.doe@example.com');
    expect(all).not.toContain('4111 1111 1111 1111');
    expect(dest.lines[0]?.msg).toMatch(/payment from \[REDACTED:iban:DE…3000\] received/);
  });

  it('redacts error messages, stacks and causes, keeping the error shape', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    const cause = new Error(`IBAN ${IBAN} rejected by bank`);
    const err = new TypeError('cannot allocate payment for jane@example.com', { cause });
    logger.error(err);
    logger.error({ err }, 'allocation failed');
    const all = dest.text.join('\n');
    expect(all).not.toContain('jane@example.com');
    expect(all).not.toContain(IBAN);
    expect(dest.lines[0]).toMatchObject({ level: 'error', err: { type: 'TypeError' } });
    expect(String(dest.lines[0]?.msg)).toContain('cannot allocate payment for [REDACTED:email]');
    expect(String((dest.lines[0]?.err as { stack?: string } | undefined)?.stack)).toContain('TypeError');
    expect(dest.lines[1]).toMatchObject({ msg: 'allocation failed' });
  });

  it('leaves benign content untouched', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    const payload = {
      order: 'ORD-2024-000123',
      amount: 1234.56,
      at: 1732712345678,
      id: '7f2c1e0a-4b1d-4c38-9a51-0c3b8e0d1f2a',
    };
    logger.info(payload, 'order 42 booked');
    expect(dest.lines[0]).toMatchObject({ ...payload, msg: 'order 42 booked' });
  });

  it('does not redact when redaction is off', () => {
    const dest = memory();
    createLogger({ service: 's', destination: dest, redact: false }).info({ password: 'p' }, IBAN);
    expect(dest.lines[0]).toMatchObject({ password: 'p', msg: IBAN });
  });

  it('applies extra key rules given as redact options', () => {
    const dest = memory();
    createLogger({ service: 's', destination: dest, redact: { extraKeys: ['tenantName'] } }).info({
      tenantName: 'Ms X',
    });
    expect(dest.lines[0]).toMatchObject({ tenantName: '[REDACTED]' });
  });

  it('redacts the output of custom serializers', () => {
    const dest = memory();
    const logger = createLogger({
      service: 's',
      destination: dest,
      serializers: { tenant: (t) => ({ name: (t as { name: string }).name, email: 'x@example.org' }) },
    });
    logger.info({ tenant: { name: 'n' } });
    expect(dest.lines[0]).toMatchObject({ tenant: { name: 'n', email: '[REDACTED:email]' } });
  });
});

describe('logging never throws', () => {
  it('logs a fallback line when a serializer throws', () => {
    const dest = memory();
    const logger = createLogger({
      service: 's',
      destination: dest,
      serializers: {
        user: () => {
          throw new Error('bad serializer');
        },
      },
    });
    expect(() => logger.info({ user: { id: 1 } }, 'hello')).not.toThrow();
    expect(dest.lines[0]).toMatchObject({ user: '[Unserializable: Error: bad serializer]', msg: 'hello' });
  });

  it('logs circular objects', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    expect(() => logger.info({ a }, 'cycle')).not.toThrow();
    expect(dest.lines[0]?.msg).toBe('cycle');
  });

  it('survives throwing getters and toJSON with and without redaction', () => {
    for (const redact of [true, false]) {
      const dest = memory();
      const logger = createLogger({ service: 's', destination: dest, redact });
      const hostile = {
        get boom() {
          throw new Error('getter');
        },
        nested: {
          toJSON() {
            throw new Error('toJSON');
          },
        },
      };
      expect(() => logger.info(hostile, 'hostile')).not.toThrow();
      expect(dest.lines).toHaveLength(1);
    }
  });

  it('survives a destination that throws', () => {
    const logger = createLogger({
      service: 's',
      destination: {
        write() {
          throw new Error('disk full');
        },
      },
    });
    expect(() => logger.info('x')).not.toThrow();
  });
});

describe('runtime levels', () => {
  it('changes the level of a logger and of children that follow it, without a restart', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    const child = logger.child({ module: 'billing' });
    child.debug('hidden');
    setLevel(logger, 'debug');
    child.debug('shown');
    logger.debug('shown too');
    expect(dest.lines.map((l) => l.msg)).toEqual(['shown', 'shown too']);
  });

  it('changes one child logger only', () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    const billing = logger.child({ module: 'billing' });
    const other = logger.child({ module: 'other' });
    setLevel(billing, 'trace');
    billing.trace('billing trace');
    other.debug('other debug');
    logger.debug('root debug');
    expect(dest.lines.map((l) => l.msg)).toEqual(['billing trace']);
  });
});

describe('correlation outside requests', () => {
  it('adds request_id to every line inside withCorrelation, across awaits', async () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    await withCorrelation('job-42', async () => {
      logger.info('start');
      await new Promise((r) => setTimeout(r, 1));
      logger.child({ step: 2 }).info('step');
      expect(currentRequestId()).toBe('job-42');
    });
    logger.info('outside');
    expect(dest.lines.map((l) => l.request_id)).toEqual(['job-42', 'job-42', undefined]);
  });

  it('keeps concurrent jobs apart', async () => {
    const dest = memory();
    const logger = createLogger({ service: 's', destination: dest });
    await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        withCorrelation(id, async () => {
          for (let i = 0; i < 3; i++) {
            await new Promise((r) => setTimeout(r, Math.random() * 3));
            logger.info({ job: id });
          }
        }),
      ),
    );
    for (const l of dest.lines) expect(l.request_id).toBe(l.job);
  });
});
