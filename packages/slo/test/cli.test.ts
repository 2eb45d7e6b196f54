import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@immo/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { availability, billing, latency } from './fixtures.js';

const pkg = join(import.meta.dirname, '..');
const cli = join(pkg, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'immo-slo-cli-'));
const tools = requireTools('immo-slo test with promtool', ['promtool']);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: build the package first (turbo runs build before test)`);
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: tmp }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const good = join(tmp, 'slos.yaml');
writeFileSync(good, YAML.stringify({ slos: [availability, latency, billing] }));
const bad = join(tmp, 'bad.yaml');
writeFileSync(
  bad,
  YAML.stringify({
    slos: [
      { ...availability, objective: 1.0 },
      { ...availability, id: 'dup', objective: '120%', window: '90d' },
      { ...latency, id: 'dup', sli: { ...latency.sli, threshold: 3 } },
      { ...availability, id: 'sel', sli: { kind: 'ratio', bad: 'x{a=~"("}', total: 'sum(x)' } },
    ],
  }),
);

describe('immo-slo (the built CLI)', () => {
  it('validate: exit 0 on valid specs', async () => {
    expect(await run(['validate', good])).toMatchObject({
      code: 0,
      stdout: 'immo-slo validate: 3 SLO(s) valid\n',
    });
  });

  it('validate: exit 1 listing each problem with its file, SLO and path; nothing rendered', async () => {
    const r = await run(['validate', bad]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'immo-slo validate: 7 problem(s)',
      `  ${bad}: api-availability: objective: expected a ratio in (0, 1) such as 0.999 or a percent below 100% such as "99.9%", received number 1`,
      `  ${bad}: dup: window: expected one of "7d", "28d", "30d", received "90d"`,
      `  ${bad}: dup: objective: expected a ratio in (0, 1) such as 0.999 or a percent below 100% such as "99.9%", received "120%"`,
      `  ${bad}: dup: id: expected a unique SLO id, received "dup" (also in ${bad})`,
      `  ${bad}: dup: sli.threshold: expected a bucket boundary of http_server_request_duration_seconds (0.1, 0.5, 1, 2, 5), received 3 — add the bucket to the histogram or pick one of these`,
      `  ${bad}: sel: sli.total: expected a plain vector selector (metric{label="value"}), not an expression, received "sum(x)"`,
      `  ${bad}: sel: sli.bad: expected a selector whose regular expressions compile in RE2, Prometheus' engine, which has no lookaround or backreferences (a=~"("), received "x{a=~"("}"`,
    ]);
    const out = join(tmp, 'not-rendered');
    expect((await run(['render', bad, '--out', out])).code).toBe(1);
    expect(existsSync(out)).toBe(false);
  });

  it('render: rules, per-SLO promtool tests, dashboard and OpenSLO, with the series each SLO costs', async () => {
    const out = join(tmp, 'out');
    const r = await run(['render', good, '--out', out, '--openslo', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout) as {
      files: string[];
      slos: Array<{ slo: string; recordedSeries: number }>;
    };
    expect(result.files.sort()).toEqual([
      'dashboards/immo-slo.json',
      'openslo.yaml',
      'slo-rules.yml',
      'slo-tests.json',
    ]);
    expect(result.slos.map((s) => [s.slo, s.recordedSeries])).toEqual([
      ['api-availability', 15],
      ['api-latency', 15],
      ['billing-run', 8],
    ]);
    const rules = YAML.parse(readFileSync(join(out, 'slo-rules.yml'), 'utf8')) as {
      groups: Array<{ name: string }>;
    };
    expect(rules.groups.map((g) => g.name)).toEqual([
      'slo-api-availability',
      'slo-api-latency',
      'slo-billing-run',
    ]);
    // Objectives and budgets as written, never with float noise.
    expect(readFileSync(join(out, 'slo-rules.yml'), 'utf8')).not.toMatch(/\d\.\d*0000000|\d\.\d*9999999/);
    expect(YAML.parseAllDocuments(readFileSync(join(out, 'openslo.yaml'), 'utf8'))).toHaveLength(3);
  });

  it.skipIf(!tools.ok)(
    'test: runs every SLO’s generated tests with the real promtool',
    { timeout: 180_000 },
    async () => {
      const r = await run(['test', good, '--promtool', tools.path('promtool'), '--json']);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as {
        ok: boolean;
        results: Array<{ slo: string; ok: boolean; tests: number }>;
      };
      expect(out.ok).toBe(true);
      expect(out.results.map((x) => [x.slo, x.ok, x.tests])).toEqual([
        ['api-availability', true, 8],
        ['api-latency', true, 8],
        ['billing-run', true, 4],
      ]);
      const missing = await run(['test', good, '--promtool', join(tmp, 'no-promtool')]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/promtool not found/);
    },
  );

  it('usage errors exit 2', async () => {
    expect((await run(['render', good])).code).toBe(2);
    expect((await run(['report', good])).code).toBe(2);
    expect((await run(['frobnicate', good])).code).toBe(2);
    expect((await run(['validate'])).code).toBe(2);
    expect((await run(['--help'])).stdout).toContain('immo-slo validate <file...>');
  });

  it('report: exit 1 with IMMO_SLO_PROMETHEUS_QUERY when Prometheus cannot be reached', async () => {
    const r = await run(['report', good, '--prometheus', 'http://127.0.0.1:9']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^immo-slo: IMMO_SLO_PROMETHEUS_QUERY: Prometheus query failed/);
  });
});
