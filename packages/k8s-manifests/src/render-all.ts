import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDefinition } from './options.js';
import { removeRender, writeManifests } from './output.js';
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
  // Environments a previous render wrote and this definition no longer has: their files go.
  const envIndex = path.join(dir, '.immo-k8s-environments.json');
  if (existsSync(envIndex)) {
    try {
      const previous = JSON.parse(readFileSync(envIndex, 'utf8')) as unknown;
      if (Array.isArray(previous)) {
        for (const env of previous) {
          if (
            typeof env === 'string' &&
            /^[a-z][-a-z0-9]*$/.test(env) &&
            !definition.environments.includes(env)
          ) {
            removeRender(path.join(dir, env));
          }
        }
      }
    } catch {}
  }
  if (!single) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(envIndex, `${JSON.stringify([...definition.environments].sort(), null, 2)}\n`);
  }
  return definition.environments.flatMap((env) => {
    const target = single ? dir : path.join(dir, env);
    return writeManifests(target, renderService(definition, { environment: env })).map((f) =>
      single ? f : path.join(env, f),
    );
  });
}
