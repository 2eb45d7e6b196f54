import { readFileSync } from 'node:fs';
import { K8sManifestsError } from './errors.js';

/** A pinned digest: `sha256:` and exactly 64 lowercase hex characters, anchored at the end. */
export const DIGEST_PATTERN = /@sha256:[a-f0-9]{64}$/;

/**
 * An image reference split into its parts.
 *
 * @example
 * ```ts
 * parseImageReference('ghcr.io/immo/api:1.4@sha256:…');
 * // { repository: 'ghcr.io/immo/api', tag: '1.4', digest: 'sha256:…' }
 * ```
 */
export interface ImageReference {
  /** Registry and path, without tag or digest. */
  repository: string;
  tag?: string;
  /** Everything after `@`, as written (it may be malformed: see {@link digestProblem}). */
  digest?: string;
}

/**
 * Splits `registry[:port]/path[:tag][@digest]`. It does not judge the digest; {@link digestProblem} does.
 *
 * @example
 * ```ts
 * parseImageReference('localhost:5000/api:2'); // { repository: 'localhost:5000/api', tag: '2' }
 * ```
 */
export function parseImageReference(ref: string): ImageReference {
  const at = ref.indexOf('@');
  const namePart = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const slash = namePart.lastIndexOf('/');
  const colon = namePart.lastIndexOf(':');
  const out: ImageReference =
    colon > slash
      ? { repository: namePart.slice(0, colon), tag: namePart.slice(colon + 1) }
      : { repository: namePart };
  if (digest !== undefined) out.digest = digest;
  return out;
}

/**
 * Why an image reference is not pinned by digest, or `undefined` when it is. A tag next to the
 * digest is allowed (`name:1.4@sha256:…`); short, uppercase, other-algorithm or missing digests are not.
 *
 * @example
 * ```ts
 * digestProblem('api:1.4'); // 'no digest: the tag "1.4" can be moved to another image'
 * digestProblem(`api@sha256:${'a'.repeat(64)}`); // undefined
 * ```
 */
export function digestProblem(ref: string): string | undefined {
  if (typeof ref !== 'string' || ref.trim() === '') return 'no image';
  if (/\s/.test(ref)) return 'it contains whitespace';
  if (ref.split('@').length > 2) return 'it has more than one "@"';
  const { repository, tag, digest } = parseImageReference(ref);
  if (repository === '' || repository.endsWith('/')) return 'no image name before the tag or digest';
  // The reference grammar allows uppercase only in the registry host, never in the path.
  const parts = repository.split('/');
  const hasHost = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!);
  if (parts.slice(hasHost ? 1 : 0).some((c) => /[A-Z]/.test(c)))
    return 'the repository path has uppercase letters (it must be lowercase)';
  if (DIGEST_PATTERN.test(ref)) return undefined;
  if (digest === undefined) {
    if (tag === undefined) return 'no tag and no digest: it resolves to ":latest", whatever that is today';
    if (tag === 'latest') return 'the ":latest" tag and no digest';
    return `no digest: the tag "${tag}" can be moved to another image`;
  }
  if (!digest.startsWith('sha256:')) return `digest "${digest.slice(0, 20)}" is not sha256`;
  const hex = digest.slice('sha256:'.length);
  if (/[A-F]/.test(hex)) return 'the digest has uppercase hex characters (registries write lowercase)';
  if (hex.length !== 64) return `the digest has ${hex.length} hex characters, not 64`;
  return `the digest "${digest.slice(0, 20)}…" is not sha256 and 64 lowercase hex characters`;
}

/**
 * A repository as a registry names it: `nginx` → `docker.io/library/nginx`, `acme/api` →
 * `docker.io/acme/api`; references with a registry host stay as they are.
 *
 * @example
 * ```ts
 * normalizeRepository('nginx'); // 'docker.io/library/nginx'
 * ```
 */
export function normalizeRepository(repository: string): string {
  const parts = repository.split('/');
  const hasHost = parts.length > 1 && /[.:]|^localhost$/.test(parts[0]!);
  if (hasHost) {
    return parts[0] === 'docker.io' && parts.length === 2 ? `docker.io/library/${parts[1]}` : repository;
  }
  return parts.length === 1 ? `docker.io/library/${repository}` : `docker.io/${repository}`;
}

/**
 * The images a build pipeline pinned: normalised repository (see {@link normalizeRepository}) →
 * the full reference as written (`name@sha256:…`).
 *
 * @example
 * ```ts
 * const lock = readImageLock('image.lock');
 * lock.get('ghcr.io/immo/sample-app'); // 'ghcr.io/immo/sample-app@sha256:…'
 * ```
 */
export type ImageLock = ReadonlyMap<string, string>;

/**
 * Parses an image lock file: one `name@sha256:<64 hex>` per line (a tag before `@` is allowed);
 * blank lines and `#` comments are ignored. Every bad line is reported at once.
 *
 * @throws {K8sManifestsError} `IMMO_K8S_INVALID_IMAGE_LOCK` listing each bad line.
 * @example
 * ```ts
 * parseImageLock(`# written by CI\nghcr.io/immo/api@sha256:${'a'.repeat(64)}\n`, 'image.lock');
 * ```
 */
export function parseImageLock(text: string, file = 'image lock'): ImageLock {
  const lock = new Map<string, string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const problem = digestProblem(line);
    if (problem !== undefined) {
      problems.push(
        `${file}:${i + 1}: expected name@sha256:<64 lowercase hex>, received "${line.slice(0, 80)}" (${problem})`,
      );
      return;
    }
    const { repository, digest } = parseImageReference(line);
    const key = normalizeRepository(repository);
    const previous = lock.get(key);
    if (previous !== undefined && parseImageReference(previous).digest !== digest) {
      problems.push(`${file}:${i + 1}: "${repository}" is locked twice with different digests`);
      return;
    }
    if (previous === undefined) lock.set(key, line);
  });
  if (lock.size === 0 && problems.length === 0)
    problems.push(`${file}: expected at least one name@sha256:… line, received none`);
  if (problems.length > 0)
    throw new K8sManifestsError('IMMO_K8S_INVALID_IMAGE_LOCK', 'Invalid image lock file', problems);
  return lock;
}

/**
 * Reads and parses an image lock file (see {@link parseImageLock}).
 *
 * @example
 * ```ts
 * const image = [...readImageLock('apps/api/image.lock').values()][0];
 * ```
 */
export function readImageLock(file: string): ImageLock {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new K8sManifestsError(
      'IMMO_K8S_INVALID_IMAGE_LOCK',
      'Cannot read the image lock file',
      [`${file}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`],
      err,
    );
  }
  return parseImageLock(text, file);
}
