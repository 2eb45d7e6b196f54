import { describe, expect, it } from 'vitest';
import { createRedactor, redactString } from '../src/index.js';

const header = Buffer.from('{"alg":"HS256","typ":"JWT"}').toString('base64url');
const payload = Buffer.from('{"sub":"123","email":"ann@example.com"}').toString('base64url');
const JWT = `${header}.${payload}.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c`;

describe('JWT detector', () => {
  it('redacts a JWT when it appears inside text', () => {
    expect(redactString(`token=${JWT}&next=1`)).toBe('token=[REDACTED:jwt]&next=1');
  });

  it('redacts an unsecured JWT when the signature segment is empty', () => {
    expect(redactString(`${header}.${payload}.`)).toBe('[REDACTED:jwt]');
  });

  it('keeps base64url text when the first segment does not start with eyJ', () => {
    expect(redactString('abc.def.ghi')).toBe('abc.def.ghi');
    expect(redactString('eyJonly-one-segment')).toBe('eyJonly-one-segment');
  });

  it('leaves the JWT when the jwt detector is disabled', () => {
    expect(createRedactor({ detectors: { jwt: false } }).redactString(JWT)).toBe(JWT);
  });
});
