import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { type RegistryServer, requireTools, startRegistry } from '@immo/test-servers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanEnv,
  copyWorkingTree,
  fetchPackument,
  type Manifest,
  patchBump,
  publishedPackages,
  readManifest,
  repoRoot,
  run,
  tarballManifest,
  type WorkspacePackage,
  withDependents,
} from '../src/workspace.ts';

const tools = requireTools('release pipeline', ['verdaccio', 'git', 'npm', 'tar']);

/** Read at collection time so each package gets its own publint/attw test. */
const packages = publishedPackages(repoRoot);

/**
 * A package that exists only in the copy: no changeset and no internal dependency, so a release of
 * another package must leave it alone. Real packages take this role as the repo grows; this one
 * keeps the assertion meaningful while there are only two.
 */
const UNTOUCHED = '@immo/e2e-untouched';
const UNTOUCHED_VERSION = '1.2.3';

/** A valid German IBAN (mod-97 checks out): what the redaction must catch. */
const IBAN = 'DE89 3704 0044 0532 0130 00';
const IBAN_COMPACT = IBAN.replaceAll(' ', '');

const HOOK_TIMEOUT = 300_000;
/** IMMO_RELEASE_E2E_KEEP=1 keeps the temp folders for a look after a failure. */
const keep = process.env.IMMO_RELEASE_E2E_KEEP === '1';
const STEP_TIMEOUT = 180_000;

/** What `workspace:^`, `workspace:~`, `workspace:*` and `workspace:<range>` become on publish. */
function publishedRange(spec: string, version: string): string {
  const range = spec.slice('workspace:'.length);
  if (range === '^' || range === '~') return `${range}${version}`;
  if (range === '*') return version;
  return range;
}

const internalDepFields = ['dependencies', 'optionalDependencies', 'peerDependencies'] as const;

describe.skipIf(!tools.ok)('release pipeline', () => {
  let work = '';
  let copy = '';
  let registry: RegistryServer | undefined;

  const pnpmEnv = (): NodeJS.ProcessEnv => cleanEnv(registry ? { npm_config_registry: registry.url } : {});
  const pnpm = (args: string[], timeoutMs = STEP_TIMEOUT) =>
    run('bash', [join(copy, 'scripts/pnpm.sh'), ...args], { cwd: copy, env: pnpmEnv(), timeoutMs });
  const git = (args: string[]) =>
    run('git', ['-c', 'user.name=release-e2e', '-c', 'user.email=release-e2e@example.invalid', ...args], {
      cwd: copy,
      env: cleanEnv(),
    });
  const copiedPackages = (): WorkspacePackage[] => publishedPackages(copy);
  const versions = (): Map<string, string> =>
    new Map(copiedPackages().map((p) => [p.manifest.name, p.manifest.version]));

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'immo-release-'));
    copy = join(work, 'repo');
    await copyWorkingTree(repoRoot, copy);
    await pnpm(['install', '--frozen-lockfile', '--prefer-offline']);
    // The repo's turbo cache, read-only: identical inputs give the same dist the repo built (or a build).
    await pnpm([
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=./packages/*',
      `--cache-dir=${join(repoRoot, '.turbo/cache')}`,
      '--cache=local:r',
      '--output-logs=errors-only',
    ]);
  }, HOOK_TIMEOUT);

  afterAll(async () => {
    await registry?.stop();
    if (work && !keep) rmSync(work, { recursive: true, force: true });
    if (keep) process.stderr.write(`IMMO_RELEASE_E2E_KEEP: kept ${work} and the consumer folder\n`);
  });

  it('finds the publishable packages in packages/*', () => {
    expect(packages.map((p) => p.manifest.name)).toEqual(
      expect.arrayContaining(['@immo/redact', '@immo/logger']),
    );
  });

  describe('every published package', () => {
    for (const { manifest, dir } of packages) {
      const dirOf = () => join(copy, relative(repoRoot, dir));

      it(
        `${manifest.name} passes publint --strict`,
        async () => {
          const { stdout, stderr } = await pnpm(['--dir', dirOf(), 'exec', 'publint', '--strict']);
          expect(`${stdout}${stderr}`).not.toMatch(/\b(error|warning|suggestion)s?\b/i);
        },
        STEP_TIMEOUT,
      );

      it(
        `${manifest.name} passes attw --pack --profile node16`,
        async () => {
          // attw exits non-zero on any problem outside the profile's ignored resolutions (node10);
          // run() turns that into a failure that carries attw's report
          const { stdout } = await pnpm([
            '--dir',
            dirOf(),
            'exec',
            'attw',
            '--pack',
            '.',
            '--profile',
            'node16',
          ]);
          expect(stdout).toContain(`${manifest.name} v`);
          expect(stdout).toContain('node16 (from ESM)');
        },
        STEP_TIMEOUT,
      );
    }
  });

  describe('changesets version + publish to a local registry', () => {
    let firstRelease = new Map<string, string>();
    let secondRelease = new Map<string, string>();
    let target = '';
    let expectedBumped = new Set<string>();
    let manifestsBeforePublish = new Map<string, Manifest>();

    beforeAll(async () => {
      const untouchedDir = join(copy, 'packages', 'e2e-untouched');
      mkdirSync(untouchedDir, { recursive: true });
      writeFileSync(
        join(untouchedDir, 'package.json'),
        `${JSON.stringify(
          {
            name: UNTOUCHED,
            version: UNTOUCHED_VERSION,
            description: 'release-e2e fixture: a package no changeset names',
            license: 'MIT',
            type: 'module',
            main: './index.js',
            files: ['index.js'],
            publishConfig: { access: 'public' },
          },
          null,
          2,
        )}\n`,
      );
      writeFileSync(join(untouchedDir, 'index.js'), 'export const untouched = true;\n');
      await git(['init', '-q', '-b', 'main']);
      await git(['add', '-A']);
      await git(['commit', '-q', '-m', 'release-e2e: copy of the working tree']);
      registry = await startRegistry();
      // The workspace .npmrc carries registry and token; npm_config_registry (pnpmEnv) is set too,
      // because pnpm ignores NPM_CONFIG_REGISTRY alone and would publish to the default registry.
      const npmrc = join(copy, '.npmrc');
      const existing = existsSync(npmrc) ? readFileSync(npmrc, 'utf8') : '';
      writeFileSync(npmrc, `${existing.trimEnd()}\n${registry.npmrc()}`);
    }, HOOK_TIMEOUT);

    it(
      'publishes the current state first (pending changesets applied)',
      async () => {
        const pending = readdirSync(join(copy, '.changeset')).filter(
          (f) => f.endsWith('.md') && f !== 'README.md',
        );
        if (pending.length > 0) await pnpm(['exec', 'changeset', 'version']);
        await pnpm(['exec', 'changeset', 'publish']);
        firstRelease = versions();
        expect(firstRelease.get(UNTOUCHED)).toBe(UNTOUCHED_VERSION);
        for (const [name, version] of firstRelease) {
          const doc = await fetchPackument(registry!.url, name);
          expect(doc?.['dist-tags'].latest, `${name} on the local registry`).toBe(version);
        }
        await git(['add', '-A']);
        await git(['commit', '-q', '-m', 'release 1']);
      },
      STEP_TIMEOUT,
    );

    it(
      'bumps only the package with a changeset and, as a patch, its dependents',
      async () => {
        const pkgs = copiedPackages();
        // the package most others depend on: a patch there shows the dependent bumps
        target = pkgs.some((p) => p.manifest.name === '@immo/redact')
          ? '@immo/redact'
          : [...pkgs].sort(
              (a, b) =>
                withDependents(b.manifest.name, pkgs).size - withDependents(a.manifest.name, pkgs).size,
            )[0]!.manifest.name;
        expectedBumped = withDependents(target, pkgs);
        writeFileSync(
          join(copy, '.changeset', 'release-e2e-patch.md'),
          `---\n"${target}": patch\n---\n\nrelease-e2e: a patch of ${target} only.\n`,
        );
        await pnpm(['exec', 'changeset', 'version']);
        secondRelease = versions();
        manifestsBeforePublish = new Map(copiedPackages().map((p) => [p.manifest.name, p.manifest]));

        expect(
          expectedBumped.size,
          'the target has a dependent, so dependent bumps are tested',
        ).toBeGreaterThan(1);
        for (const [name, before] of firstRelease) {
          const expected = expectedBumped.has(name) ? patchBump(before) : before;
          expect(
            `${name}@${secondRelease.get(name)}`,
            name === target
              ? 'the package named in the changeset'
              : expectedBumped.has(name)
                ? `${name} depends on ${target}: changesets bumps such a dependent only when the new version leaves its range, ` +
                  'unless .changeset/config.json sets "___experimentalUnsafeOptions_WILL_CHANGE_IN_PATCH": { "updateInternalDependents": "always" }'
                : `${name} has no changeset and no changed dependency`,
          ).toBe(`${name}@${expected}`);
        }
        expect(secondRelease.get(UNTOUCHED)).toBe(UNTOUCHED_VERSION);
        expect(existsSync(join(copy, '.changeset', 'release-e2e-patch.md'))).toBe(false);
        const targetDir = copiedPackages().find((p) => p.manifest.name === target)!.dir;
        expect(readFileSync(join(targetDir, 'CHANGELOG.md'), 'utf8')).toContain(
          `release-e2e: a patch of ${target} only.`,
        );
        for (const name of expectedBumped) {
          if (name === target) continue;
          const dir = copiedPackages().find((p) => p.manifest.name === name)!.dir;
          const changelog = readFileSync(join(dir, 'CHANGELOG.md'), 'utf8');
          expect(changelog).toContain(`## ${secondRelease.get(name)}`);
          expect(changelog).toContain(`${target}@${secondRelease.get(target)}`);
        }
      },
      STEP_TIMEOUT,
    );

    it(
      'publishes exactly the bumped packages, with workspace: ranges replaced by real ones',
      async () => {
        await pnpm(['exec', 'changeset', 'publish']);
        const registryUrl = registry!.url;
        for (const [name, version] of secondRelease) {
          const doc = await fetchPackument(registryUrl, name);
          expect(doc, `${name} on the local registry`).toBeDefined();
          expect(doc!['dist-tags'].latest).toBe(version);
          const published = Object.keys(doc!.versions).sort();
          const first = firstRelease.get(name)!;
          expect(published, name).toEqual(expectedBumped.has(name) ? [first, version].sort() : [first]);

          const inTarball = await tarballManifest(doc!.versions[version]!.dist.tarball, work);
          const source = manifestsBeforePublish.get(name)!;
          expect(inTarball.version).toBe(version);
          for (const field of internalDepFields) {
            for (const [dep, spec] of Object.entries(source[field] ?? {})) {
              const real = inTarball[field]?.[dep];
              expect(real, `${name} ${field}.${dep}`).not.toMatch(/^workspace:/);
              if (spec.startsWith('workspace:')) {
                expect(real, `${name} ${field}.${dep}`).toBe(publishedRange(spec, secondRelease.get(dep)!));
              }
            }
          }
        }
        const { stdout } = await git(['tag', '--list']);
        const tags = stdout.split('\n').filter(Boolean);
        for (const name of expectedBumped) expect(tags).toContain(`${name}@${secondRelease.get(name)}`);
        expect(tags).not.toContain(`${UNTOUCHED}@${patchBump(UNTOUCHED_VERSION)}`);
      },
      STEP_TIMEOUT,
    );

    describe('a fresh service outside the workspace', () => {
      let service = '';
      const npmEnv = () => cleanEnv();

      beforeAll(async () => {
        service = mkdtempSync(join(tmpdir(), 'immo-consumer-'));
        // Only @immo comes from the local registry (it has no uplinks); pino and the rest come from
        // the default registry, as in a real service.
        writeFileSync(join(service, '.npmrc'), `@immo:registry=${registry!.url}\n`);
        await run('npm', ['init', '-y'], { cwd: service, env: npmEnv() });
        // A Fastify service: `@immo/logger/fastify` needs its optional peer `fastify` installed.
        await run(
          'npm',
          ['install', '@immo/logger', 'fastify@5', '--no-audit', '--no-fund', '--loglevel=error'],
          {
            cwd: service,
            env: npmEnv(),
            timeoutMs: STEP_TIMEOUT,
          },
        );
        copyFileSync(join(import.meta.dirname, 'fixtures/consumer.mjs'), join(service, 'consumer.mjs'));
        copyFileSync(join(import.meta.dirname, 'fixtures/consumer.cjs'), join(service, 'consumer.cjs'));
      }, HOOK_TIMEOUT);

      afterAll(() => {
        if (service && !keep) rmSync(service, { recursive: true, force: true });
      });

      it(
        'installs the versions just published, @immo from the local registry and the rest from the default one',
        async () => {
          const installed = (name: string) =>
            readManifest(join(service, 'node_modules', ...name.split('/'))).version;
          expect(installed('@immo/logger')).toBe(secondRelease.get('@immo/logger'));
          expect(installed('@immo/redact')).toBe(secondRelease.get('@immo/redact'));
          // npm may leave `resolved` out of the lockfile (omit-lockfile-registry-resolved), so compare
          // integrity hashes with what the local registry serves
          const lock = JSON.parse(readFileSync(join(service, 'package-lock.json'), 'utf8')) as {
            packages: Record<string, { version?: string; integrity?: string }>;
          };
          for (const name of ['@immo/logger', '@immo/redact']) {
            const doc = await fetchPackument(registry!.url, name);
            const entry = lock.packages[`node_modules/${name}`];
            expect(entry?.integrity, name).toBe(doc!.versions[entry!.version!]!.dist.integrity);
          }
          expect(existsSync(join(service, 'node_modules/pino/package.json'))).toBe(true);
          expect(await fetchPackument(registry!.url, 'pino')).toBeUndefined();
        },
        STEP_TIMEOUT,
      );

      it(
        'installs @immo/k8s-manifests whose immo-k8s bin verifies manifests, from ESM and CJS',
        async () => {
          await run(
            'npm',
            ['install', '--save-dev', '@immo/k8s-manifests', '--no-audit', '--no-fund', '--loglevel=error'],
            {
              cwd: service,
              env: npmEnv(),
              timeoutMs: STEP_TIMEOUT,
            },
          );
          const name = '@immo/k8s-manifests';
          expect(readManifest(join(service, 'node_modules', '@immo', 'k8s-manifests')).version).toBe(
            secondRelease.get(name),
          );
          const fixtures = join(repoRoot, 'packages', 'k8s-manifests', 'test', 'fixtures');
          const bin = join(service, 'node_modules', '.bin', 'immo-k8s');
          const clean = await run(bin, ['verify', join(fixtures, 'clean'), '--no-promtool'], {
            cwd: service,
            env: npmEnv(),
          });
          expect(clean.stdout).toContain('0 error(s)');
          const broken = await run(
            bin,
            ['verify', join(fixtures, 'broken', 'initcontainer-tag.yaml'), '--no-promtool'],
            {
              cwd: service,
              env: npmEnv(),
            },
          ).then(
            () => undefined,
            (err: Error) => err.message,
          );
          expect(broken).toMatch(/\[image-digest\] initContainers image "busybox:1.36"/);
          const digest = 'a'.repeat(64);
          for (const [flag, code] of [
            [
              '--input-type=module',
              `import { digestProblem } from '${name}'; console.log(digestProblem('api:1') ?? 'pinned', digestProblem('api@sha256:${digest}') ?? 'pinned');`,
            ],
            [
              '--input-type=commonjs',
              `const { digestProblem } = require('${name}'); console.log(digestProblem('api:1') ?? 'pinned', digestProblem('api@sha256:${digest}') ?? 'pinned');`,
            ],
          ] as const) {
            const { stdout } = await run(process.execPath, [flag, '-e', code], {
              cwd: service,
              env: npmEnv(),
            });
            expect(stdout.trim(), flag).toBe('no digest: the tag "1" can be moved to another image pinned');
          }
        },
        STEP_TIMEOUT,
      );

      for (const [file, kind] of [
        ['consumer.mjs', 'esm'],
        ['consumer.cjs', 'cjs'],
      ] as const) {
        it(
          `logs a redacted JSON line from ${kind.toUpperCase()} and loads ./fastify and ./testing`,
          async () => {
            const { stdout, stderr } = await run(process.execPath, [file, IBAN], {
              cwd: service,
              env: npmEnv(),
            });
            const lines = stdout.split('\n').filter(Boolean);
            expect(lines).toHaveLength(1);
            const line = JSON.parse(lines[0]!) as Record<string, unknown>;
            expect(line).toMatchObject({
              service: `consumer-${kind}`,
              version: '1.0.0',
              env: 'test',
              level: 'info',
            });
            expect(line.msg).toMatch(/^refund sent to /);
            for (const text of [stdout, stderr]) {
              expect(text).not.toContain(IBAN_COMPACT);
              expect(text).not.toContain(IBAN);
              expect(text).not.toContain('0440532');
            }
            const report = JSON.parse(stderr.trim().split('\n').at(-1)!) as {
              module: string;
              fastifyPlugin: string;
              fastifyDefaultIsNamed: boolean;
              captured: string[];
            };
            expect(report).toMatchObject({
              module: kind,
              fastifyPlugin: 'function',
              fastifyDefaultIsNamed: true,
            });
            expect(report.captured).toHaveLength(1);
            expect(JSON.parse(report.captured[0]!)).toMatchObject({
              service: `consumer-${kind}-capture`,
              level: 'info',
            });
          },
          STEP_TIMEOUT,
        );
      }
    });
  });
});
