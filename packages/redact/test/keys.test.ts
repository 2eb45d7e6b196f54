import { afterEach, describe, expect, it, vi } from 'vitest';
import { CENSOR, createRedactor, DEFAULT_KEYS, redact } from '../src/index.js';

describe('key rules', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it.each([
    'password',
    'accessToken',
    'refresh_token',
    'X-Api-Key',
    'api_key',
    'client_secret',
    'set-cookie',
    'Authorization',
    'db_password',
    'iban',
    'payerIban',
    'PASSWD',
    'pwd',
    'privateKey',
    'private_key',
    'credentials',
    'cardNumber',
    'cvv',
    'auth',
    'pass',
    'otp',
  ])('matches %s when the default rules are used', (key) => {
    expect(createRedactor().isSensitiveKey(key)).toBe(true);
  });

  it.each([
    'author',
    'passenger',
    'footprint',
    'id',
    'msg',
    'route',
    'keyboard',
    'status_code',
    'request_id',
  ])('does not match %s when the default rules are used', (key) => {
    expect(createRedactor().isSensitiveKey(key)).toBe(false);
  });

  it('censors values at any depth and inside arrays when keys match', () => {
    const input = {
      a: { b: [{ c: { token: 'abc' } }, { password: 'p' }] },
      headers: [{ authorization: 'Basic dXNlcjpwYXNz' }],
    };
    expect(redact(input)).toEqual({
      a: { b: [{ c: { token: CENSOR } }, { password: CENSOR }] },
      headers: [{ authorization: CENSOR }],
    });
  });

  it('censors the whole value whatever its type when the key matches', () => {
    const input = {
      secret: { nested: 'x', deeper: { y: 1 } },
      token: 42,
      cookie: ['a=1', 'b=2'],
      apiKey: true,
      credential: 12n,
    };
    expect(redact(input)).toEqual({
      secret: CENSOR,
      token: CENSOR,
      cookie: CENSOR,
      apiKey: CENSOR,
      credential: CENSOR,
    });
  });

  it('keeps null and undefined when a sensitive key has no value', () => {
    const input = { password: null, token: undefined, secret: '' };
    expect(redact(input)).toEqual({ password: null, token: undefined, secret: CENSOR });
  });

  it('censors string-keyed Map entries when the key matches', () => {
    const input = {
      m: new Map<unknown, unknown>([
        ['Password', 'x'],
        ['user', 'ann'],
        [1, 'one'],
      ]),
    };
    const out = redact(input).m;
    expect(out).toBeInstanceOf(Map);
    expect([...out]).toEqual([
      ['Password', CENSOR],
      ['user', 'ann'],
      [1, 'one'],
    ]);
  });

  it('censors an empty key when a RegExp rule matches the empty string, from the first call on', () => {
    const r = createRedactor({ keys: [/^$/] });
    expect(r.redact({ '': 'v', a: 'w' })).toEqual({ '': CENSOR, a: 'w' });
    expect(r.redact({ '': 'v' })).toEqual({ '': CENSOR });
  });

  it('replaces the defaults when keys is given', () => {
    const r = createRedactor({ keys: ['ssnumber'] });
    expect(r.redact({ password: 'x', SS_Number: 'y' })).toEqual({ password: 'x', SS_Number: CENSOR });
  });

  it('adds to the defaults when extraKeys is given', () => {
    const r = createRedactor({ extraKeys: ['dsn', /^x-internal-/i] });
    expect(r.redact({ password: 'x', DSN: 'y', 'X-Internal-Trace': 'z', other: 'w' })).toEqual({
      password: CENSOR,
      DSN: CENSOR,
      'X-Internal-Trace': CENSOR,
      other: 'w',
    });
  });

  it('tests RegExp rules against the raw key when a RegExp has the global flag', () => {
    const r = createRedactor({ keys: [/^secretish$/g] });
    // A stateful global RegExp would alternate between true and false on repeated calls.
    expect([
      r.isSensitiveKey('secretish'),
      r.isSensitiveKey('secretish'),
      r.isSensitiveKey('Secretish'),
    ]).toEqual([true, true, false]);
  });

  it('reads IMMO_REDACT_EXTRA_KEYS when extraKeys is not given', () => {
    vi.stubEnv('IMMO_REDACT_EXTRA_KEYS', ' tenant_name , ,dsn');
    const r = createRedactor();
    expect(r.isSensitiveKey('tenantName')).toBe(true);
    expect(r.isSensitiveKey('DSN')).toBe(true);
    expect(r.isSensitiveKey('password')).toBe(true);
  });

  it('adds IMMO_REDACT_EXTRA_KEYS to the default redactor when it is set before first use', async () => {
    vi.stubEnv('IMMO_REDACT_EXTRA_KEYS', 'tenant_name');
    vi.resetModules();
    const fresh = await import('../src/index.js');
    expect(fresh.redact({ tenantName: 'Ann Lee', other: 'x' })).toEqual({ tenantName: CENSOR, other: 'x' });
  });

  it('prefers the explicit extraKeys option when the environment also sets extra keys', () => {
    vi.stubEnv('IMMO_REDACT_EXTRA_KEYS', 'tenant_name');
    const r = createRedactor({ extraKeys: ['dsn'] });
    expect(r.isSensitiveKey('tenantName')).toBe(false);
    expect(r.isSensitiveKey('dsn')).toBe(true);
  });

  it('returns the same decision when a key is looked up again from the cache', () => {
    const r = createRedactor();
    const keys = Array.from({ length: 12_000 }, (_, i) => `field_${i}`);
    for (const key of keys) r.isSensitiveKey(key);
    expect(r.isSensitiveKey('accessToken')).toBe(true);
    expect(r.isSensitiveKey('field_1')).toBe(false);
    expect(r.isSensitiveKey(`${'x'.repeat(1000)}token`)).toBe(true);
  });

  it('exposes a frozen default key list when DEFAULT_KEYS is read', () => {
    expect(Object.isFrozen(DEFAULT_KEYS)).toBe(true);
    expect(DEFAULT_KEYS).toContain('password');
  });

  it('redacts PII inside keys when a key itself is an e-mail address', () => {
    expect(redact({ 'ann@example.com': { visits: 3 } })).toEqual({ '[REDACTED:email]': { visits: 3 } });
  });
});
