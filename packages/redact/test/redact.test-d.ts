import { describe, expectTypeOf, it } from 'vitest';
import {
  CENSOR,
  createRedactor,
  DEFAULT_KEYS,
  type DetectorName,
  REDACT_MARKERS,
  type RedactOptions,
  type RedactOptionsError,
  type Redactor,
  type RedactPattern,
  redact,
  redactString,
} from '../src/index.js';

describe('public types', () => {
  it('preserves the input type when redact() is called', () => {
    const input = { user: { email: 'a', id: 1 }, tags: ['x'] as const };
    expectTypeOf(redact(input)).toEqualTypeOf<typeof input>();
    expectTypeOf(redact('s')).toEqualTypeOf<string>();
    expectTypeOf(redact(new Map<string, number>())).toEqualTypeOf<Map<string, number>>();
    expectTypeOf(createRedactor().redact([1, 2])).toEqualTypeOf<number[]>();
  });

  it('types the string and key helpers', () => {
    expectTypeOf(redactString).toEqualTypeOf<(value: string) => string>();
    expectTypeOf<Redactor['isSensitiveKey']>().toEqualTypeOf<(key: string) => boolean>();
    expectTypeOf(createRedactor).parameter(0).toEqualTypeOf<RedactOptions | undefined>();
    expectTypeOf(createRedactor()).toEqualTypeOf<Redactor>();
  });

  it('keeps the option types of the contract', () => {
    expectTypeOf<DetectorName>().toEqualTypeOf<'iban' | 'card' | 'email' | 'bearer' | 'jwt' | 'assignment'>();
    expectTypeOf<RedactOptions['keys']>().toEqualTypeOf<readonly (string | RegExp)[] | undefined>();
    expectTypeOf<RedactOptions['extraKeys']>().toEqualTypeOf<readonly (string | RegExp)[] | undefined>();
    expectTypeOf<RedactOptions['detectors']>().toEqualTypeOf<
      Partial<Record<DetectorName, boolean>> | undefined
    >();
    expectTypeOf<RedactOptions['patterns']>().toEqualTypeOf<readonly RedactPattern[] | undefined>();
    expectTypeOf<RedactOptions['maxDepth']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RedactOptions['maxNodes']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RedactOptions['maxStringLength']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<RedactPattern>().toEqualTypeOf<{
      name: string;
      pattern: RegExp;
      validate?: (match: string) => boolean;
    }>();
    // @ts-expect-error unknown detector names are rejected at compile time
    createRedactor({ detectors: { ssn: true } });
    // @ts-expect-error maxDepth is a number
    createRedactor({ maxDepth: '3' });
  });

  it('types the error and constants', () => {
    expectTypeOf(CENSOR).toEqualTypeOf<'[REDACTED]'>();
    expectTypeOf<RedactOptionsError['code']>().toEqualTypeOf<'IMMO_REDACT_INVALID_OPTIONS'>();
    expectTypeOf<RedactOptionsError['issues']>().toEqualTypeOf<readonly string[]>();
    expectTypeOf<RedactOptionsError>().toExtend<Error>();
    expectTypeOf(REDACT_MARKERS.depth).toEqualTypeOf<'[Truncated:depth]'>();
    expectTypeOf(DEFAULT_KEYS).toEqualTypeOf<readonly (string | RegExp)[]>();
  });
});
