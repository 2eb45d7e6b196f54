import { describe, expect, it } from 'vitest';
import { redact } from '../src/index.js';
import { deepFreeze } from './helpers.js';

describe('copy-on-write', () => {
  it('returns the same reference when a nested structure holds no PII', () => {
    const input = deepFreeze({
      msg: 'request completed',
      level: 30,
      time: 1732712345678,
      request_id: '550e8400-e29b-41d4-a716-446655440000',
      route: '/api/orgs/:id',
      nested: { list: [1, 'two', { three: 3 }], when: new Date(0), n: Number.NaN },
      map: new Map([['k', 'v']]),
      set: new Set(['a']),
    });
    expect(redact(input)).toBe(input);
  });

  it('returns new containers only along the path to a change when PII is deep', () => {
    const untouched = { a: 1 };
    const input = deepFreeze({ untouched, path: { deeper: { email: 'ann@example.com' } } });
    const out = redact(input);
    expect(out).not.toBe(input);
    expect(out.untouched).toBe(untouched);
    expect(out.path.deeper).toEqual({ email: '[REDACTED:email]' });
  });

  it('leaves frozen inputs untouched when they are redacted', () => {
    const input = deepFreeze({
      password: 'hunter2',
      list: ['ann@example.com', { token: 't' }],
      err: new Error('card 4111111111111111'),
    });
    const before = JSON.stringify({ ...input, err: input.err.message });
    const out = redact(input);
    expect(JSON.stringify({ ...input, err: input.err.message })).toBe(before);
    expect(out.password).toBe('[REDACTED]');
    expect(input.err).toBeInstanceOf(Error);
  });

  it('leaves Maps and Sets unchanged when their entries are redacted', () => {
    const map = new Map<string, unknown>([
      ['password', 'x'],
      ['mail', 'ann@example.com'],
    ]);
    const set = new Set(['ann@example.com', 'ok']);
    const out = redact({ map, set });
    expect([...map]).toEqual([
      ['password', 'x'],
      ['mail', 'ann@example.com'],
    ]);
    expect([...set]).toEqual(['ann@example.com', 'ok']);
    expect([...out.set]).toEqual(['[REDACTED:email]', 'ok']);
  });

  it('keeps element order and clean prefix values when an array changes in the middle', () => {
    const first = { a: 1 };
    const input = [first, 'ok', 'ann@example.com', 'tail'];
    const out = redact(input);
    expect(out).toEqual([first, 'ok', '[REDACTED:email]', 'tail']);
    expect(out[0]).toBe(first);
  });

  it('reads a getter once when its object needs a copy', () => {
    let reads = 0;
    const input = {
      get counted() {
        reads++;
        return reads === 1 ? 'first read' : 'ann@example.com';
      },
      mail: 'ann@example.com',
    };
    const out = redact(input);
    expect(reads).toBe(1);
    expect(out).toEqual({ counted: 'first read', mail: '[REDACTED:email]' });
  });
});
