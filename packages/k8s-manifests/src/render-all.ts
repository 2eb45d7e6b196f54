import path from 'node:path';
import type { ServiceDefinition } from './options.js';
import { writeManifests } from './output.js';
import { renderService } from './render.js';

/**
 * Renders every environment of a definition under `dir`: `dir/<environment>/…`, or `dir/…` itself
 * when the definition declares no environments.
 *
 * @returns the files written, relative to `dir`.
 * @example
 * ```ts
 * renderAll(api, 'apps/api/k8s'); // ['production/deployment.yaml', …, 'staging/deployment.yaml', …]
 * ```
 */
export function renderAll(definition: ServiceDefinition, dir: string): string[] {
  const single = definition.environments.length === 1 && definition.environments[0] === 'default';
  return definition.environments.flatMap((env) => {
    const target = single ? dir : path.join(dir, env);
    return writeManifests(target, renderService(definition, { environment: env })).map((f) =>
      single ? f : path.join(env, f),
    );
  });
}
