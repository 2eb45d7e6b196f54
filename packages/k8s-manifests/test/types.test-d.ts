import { describe, expectTypeOf, it } from 'vitest';
import { defineService, type Finding, type ServiceDefinition, verifyManifests } from '../src/index.js';

describe('public types', () => {
  it('types the definition and its overrides', () => {
    const def = defineService({
      name: 'api',
      namespace: 'shop',
      image: 'x',
      environments: { production: { autoscaling: { minReplicas: 3 } } },
    });
    expectTypeOf(def).toEqualTypeOf<ServiceDefinition>();
    // @ts-expect-error replicas is a number
    defineService({ name: 'api', namespace: 'shop', image: 'x', replicas: '2' });
    // @ts-expect-error unknown option
    defineService({ name: 'api', namespace: 'shop', image: 'x', replcias: 2 });
    // @ts-expect-error the name is not per environment
    defineService({
      name: 'api',
      namespace: 'shop',
      image: 'x',
      environments: { staging: { name: 'other' } },
    });
  });

  it('types verify results', () => {
    expectTypeOf(verifyManifests).returns.resolves.toHaveProperty('findings').toEqualTypeOf<Finding[]>();
  });
});
