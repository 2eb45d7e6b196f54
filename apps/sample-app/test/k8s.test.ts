import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { formatFinding, readImageLock, renderAll, verifyManifests } from '@immo/k8s-manifests';
import { requireTools } from '@immo/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { service } from '../src/k8s.js';

const root = join(import.meta.dirname, '..');
const committed = join(root, 'k8s');
const tools = requireTools('sample app manifests verified with promtool', ['promtool']);
const tmp = mkdtempSync(join(tmpdir(), 'sample-app-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

describe('the sample app manifests', () => {
  it('committed render equals a fresh render (run `pnpm --filter @immo/sample-app k8s:render` after a change)', () => {
    const fresh = join(tmp, 'fresh');
    renderAll(service, fresh);
    expect(files(committed)).toEqual(files(fresh));
    for (const f of files(fresh)) {
      expect(readFileSync(join(committed, f), 'utf8'), `${f} differs from a fresh render`).toBe(
        readFileSync(join(fresh, f), 'utf8'),
      );
    }
  });

  it('deploy the image from the image lock, in staging and production', () => {
    const [image] = [...readImageLock(join(root, 'image.lock')).values()];
    for (const env of ['staging', 'production']) {
      expect(readFileSync(join(committed, env, 'deployment.yaml'), 'utf8')).toContain(`image: ${image}`);
    }
  });

  it.skipIf(!tools.ok)('pass immo-k8s verify with the image lock and promtool', async () => {
    const result = await verifyManifests([committed], {
      imageLock: readImageLock(join(root, 'image.lock')),
      promtool: tools.path('promtool'),
    });
    expect(result.findings.map(formatFinding)).toEqual([]);
    expect(result.objects).toBe(20);
  });

  it.skipIf(!tools.ok)('pass the CI gate as a user runs it: immo-k8s verify apps/sample-app/k8s', () => {
    const cli = join(root, 'node_modules', '@immo', 'k8s-manifests', 'dist', 'cli.js');
    const out = execFileSync(
      process.execPath,
      [cli, 'verify', 'apps/sample-app/k8s', '--image-lock', 'apps/sample-app/image.lock'],
      {
        cwd: join(root, '..', '..'),
        env: { ...process.env, IMMO_K8S_PROMTOOL: tools.path('promtool') },
        encoding: 'utf8',
      },
    );
    expect(out).toBe('immo-k8s verify: 20 objects in 20 files, 0 error(s), 0 warning(s)\n');
  });
});
