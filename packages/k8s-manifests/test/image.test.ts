import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  digestProblem,
  K8sManifestsError,
  normalizeRepository,
  parseImageLock,
  parseImageReference,
  readImageLock,
} from '../src/index.js';

const hex = 'c'.repeat(64);

describe('image references', () => {
  it.each([
    [`api@sha256:${hex}`, undefined],
    [`ghcr.io/immo/api:1.4@sha256:${hex}`, undefined],
    [`localhost:5000/api@sha256:${hex}`, undefined],
    ['api:1.4', /no digest: the tag "1.4"/],
    ['localhost:5000/api', /no tag and no digest/],
    ['api:latest', /":latest" tag/],
    ['api@sha256:abc', /3 hex characters, not 64/],
    [`api@sha256:${hex.toUpperCase()}`, /uppercase/],
    [`api@sha512:${hex}`, /not sha256/],
    [`api@sha256:${hex}0`, /65 hex characters/],
    [`api@sha256:${hex} `, /whitespace/],
    ['', /no image/],
    [`evil@sha256:x@sha256:${hex}`, /more than one "@"/],
    [`@sha256:${hex}`, /no image name/],
    [`GHCR.IO/immo/api@sha256:${hex}`, undefined],
    [`ghcr.io/Immo/Api@sha256:${hex}`, /uppercase/],
    [`Api@sha256:${hex}`, /uppercase/],
  ])('%s → %s', (ref, expected) => {
    const problem = digestProblem(ref);
    if (expected === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(expected);
  });

  it('splits registry with port, path, tag and digest', () => {
    expect(parseImageReference(`localhost:5000/team/api:2.1@sha256:${hex}`)).toEqual({
      repository: 'localhost:5000/team/api',
      tag: '2.1',
      digest: `sha256:${hex}`,
    });
    expect(parseImageReference('localhost:5000/api')).toEqual({ repository: 'localhost:5000/api' });
  });
});

describe('image lock files', () => {
  it('reads one pinned reference per line, ignoring comments and blank lines', () => {
    const lock = parseImageLock(
      `# written by CI\n\nghcr.io/immo/api@sha256:${hex}  # build 812\nghcr.io/immo/worker:3@sha256:${'d'.repeat(64)}\n`,
    );
    expect([...lock.keys()]).toEqual(['ghcr.io/immo/api', 'ghcr.io/immo/worker']);
    expect(lock.get('ghcr.io/immo/api')).toBe(`ghcr.io/immo/api@sha256:${hex}`);
  });

  it('refuses tags, short digests, conflicting and empty locks, listing every bad line', () => {
    const err = (() => {
      try {
        parseImageLock(
          `api:1.0\nworker@sha256:abc\nok@sha256:${hex}\nok@sha256:${'e'.repeat(64)}\n`,
          'image.lock',
        );
      } catch (e) {
        return e as K8sManifestsError;
      }
    })();
    expect(err).toBeInstanceOf(K8sManifestsError);
    expect(err!.code).toBe('IMMO_K8S_INVALID_IMAGE_LOCK');
    expect(err!.issues).toEqual([
      expect.stringMatching(/^image\.lock:1: expected name@sha256:<64 lowercase hex>, received "api:1.0"/),
      expect.stringMatching(/^image\.lock:2: .*"worker@sha256:abc"/),
      'image.lock:4: "ok" is locked twice with different digests',
    ]);
    expect(() => parseImageLock('# nothing yet\n')).toThrow(/at least one/);
  });

  it('matches Docker Hub short names with their full names, and allows one digest under two tags', () => {
    const lock = parseImageLock(
      `docker.io/library/nginx:1.27@sha256:${hex}\nnginx:1.27-alpine@sha256:${hex}\n`,
    );
    expect([...lock.keys()]).toEqual(['docker.io/library/nginx']);
    expect(normalizeRepository('nginx')).toBe('docker.io/library/nginx');
    expect(normalizeRepository('acme/api')).toBe('docker.io/acme/api');
    expect(normalizeRepository('docker.io/nginx')).toBe('docker.io/library/nginx');
    expect(normalizeRepository('localhost:5000/api')).toBe('localhost:5000/api');
  });

  it('names the file when it cannot be read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lock-'));
    try {
      expect(() => readImageLock(join(dir, 'image.lock'))).toThrow(/image\.lock: ENOENT/);
      writeFileSync(join(dir, 'image.lock'), `api@sha256:${hex}\n`);
      expect(readImageLock(join(dir, 'image.lock')).size).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
