import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = join(import.meta.dirname, '..');
const cli = join(pkg, 'dist', 'cli.js');
const fixtures = join(import.meta.dirname, 'fixtures');
const tmp = mkdtempSync(join(tmpdir(), 'immo-k8s-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[], cwd = pkg): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [cli, ...args],
      { cwd, env: { ...process.env, NO_COLOR: '1' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

describe('immo-k8s (the built CLI)', () => {
  it('verify: exit 1 with one line per finding naming file, object, path, rule and fix', async () => {
    const { code, stdout } = await run(['verify', 'test/fixtures/broken/dangling.yaml', '--no-promtool']);
    expect(code).toBe(1);
    const lines = stdout.trim().split('\n');
    expect(lines.at(-1)).toBe('immo-k8s verify: 6 objects in 1 files, 7 error(s), 0 warning(s)');
    expect(lines[0]).toMatch(
      /^test\/fixtures\/broken\/dangling\.yaml:\d+ Deployment\/shop\/api \$\.spec\.template\.spec\.serviceAccountName \[service-account\] .+ — fix: .+/,
    );
  });

  it('verify: exit 0 on clean manifests, and --json for machines', async () => {
    expect((await run(['verify', 'test/fixtures/clean', '--no-promtool'])).code).toBe(0);
    const { code, stdout } = await run([
      'verify',
      'test/fixtures/broken/pdb-max-unavailable-0.yaml',
      '--no-promtool',
      '--json',
    ]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: false,
      objects: 2,
      findings: [{ rule: 'pdb-max-unavailable' }],
    });
  });

  it('verify: malformed YAML gives file and line, never a stack trace', async () => {
    const { code, stdout, stderr } = await run([
      'verify',
      join(fixtures, 'broken', 'malformed.yaml'),
      '--no-promtool',
    ]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/malformed\.yaml:6 - - \[yaml-syntax\] not valid YAML/);
    expect(`${stdout}${stderr}`).not.toMatch(/\s+at .+\(.+:\d+:\d+\)/);
  });

  it('verify: a bad image lock or option is a usage error (exit 2) with a clear message', async () => {
    const lock = join(tmp, 'image.lock');
    writeFileSync(lock, 'api:1.0\n');
    const bad = await run(['verify', 'test/fixtures/clean', '--image-lock', lock]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/IMMO_K8S_INVALID_IMAGE_LOCK: .*image\.lock:1: expected name@sha256/s);
    expect(bad.stderr).not.toMatch(/\s+at /);
    const unknown = await run(['verify', '--strict', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown option '--strict'/);
    expect((await run(['deploy'])).stderr).toMatch(/unknown command "deploy"/);
  });

  it('render: writes every environment of a definition module, then verify passes on it', async () => {
    const mod = join(tmp, 'service.mjs');
    writeFileSync(
      mod,
      `import { defineService } from ${JSON.stringify(join(pkg, 'dist', 'index.js'))};
export default defineService({ name: 'api', namespace: 'shop', image: 'registry.example.com/api@sha256:${'a'.repeat(64)}',
  environments: { staging: {}, production: { autoscaling: { minReplicas: 3 } } } });
`,
    );
    const out = join(tmp, 'k8s');
    const { code, stdout } = await run(['render', mod, '--out', out]);
    expect(code).toBe(0);
    expect(stdout).toBe(`immo-k8s: wrote 14 files to ${out}\n`);
    expect(readFileSync(join(out, 'production', 'hpa.yaml'), 'utf8')).toContain('minReplicas: 3');
    // One verify call is one cluster: both environments share a namespace here, so each is checked alone.
    expect((await run(['verify', join(out, 'production'), '--no-promtool'])).code).toBe(0);
    expect((await run(['verify', join(out, 'staging'), '--no-promtool'])).code).toBe(0);
    const together = await run(['verify', out, '--no-promtool']);
    expect(together.code).toBe(1);
    expect(together.stdout).toMatch(/\[duplicate-object\] also defined in/);
  });

  it('render: invalid options in the module are reported with every problem, exit 2', async () => {
    const mod = join(tmp, 'bad.mjs');
    writeFileSync(
      mod,
      `import { defineService } from ${JSON.stringify(join(pkg, 'dist', 'index.js'))};
export default defineService({ name: 'api', namespace: 'shop', image: 'api:1.0', replicas: -1, autoscaling: false });
`,
    );
    const { code, stderr } = await run(['render', mod, '--out', join(tmp, 'never')]);
    expect(code).toBe(2);
    expect(stderr).toContain('replicas: expected >= 1, received number -1');
    expect(stderr).not.toMatch(/\s+at /);
  });

  it('checks: lists every check id', async () => {
    const { code, stdout } = await run(['checks']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^image-digest\s+A tag can be moved/m);
  });
});
