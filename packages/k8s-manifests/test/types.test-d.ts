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
    defineService({
      name: 'api',
      namespace: 'shop',
      image: 'x',
      // @ts-expect-error replicas is a number
      replicas: '2',
    });
    defineService({
      name: 'api',
      namespace: 'shop',
      image: 'x',
      // @ts-expect-error unknown option
      replcias: 2,
    });
    defineService({
      name: 'api',
      namespace: 'shop',
      image: 'x',
      environments: {
        staging: {
          // @ts-expect-error the name is not per environment
          name: 'other',
        },
      },
    });
  });

  it('types verify results', () => {
    expectTypeOf(verifyManifests).returns.resolves.toHaveProperty('findings').toEqualTypeOf<Finding[]>();
  });
});
