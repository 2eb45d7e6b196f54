import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { formatFinding, readImageLock, verifyManifests } from '@immo/k8s-manifests';
import { promtoolTestFile } from '@immo/metrics/mixin';
import { sloRuleGroup, sloTestFile } from '@immo/slo';
import { requireTools } from '@immo/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { service } from '../src/k8s.js';
import { renderK8s } from '../src/k8s-stack.js';
import { slos } from '../src/slos.js';

const root = join(import.meta.dirname, '..');
const committed = join(root, 'k8s');
const tools = requireTools('sample app manifests verified with promtool and amtool', ['promtool', 'amtool']);
const tmp = mkdtempSync(join(tmpdir(), 'sample-app-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => statSync(join(dir, f)).isFile())
    .map((f) => relative(dir, join(dir, f)))
    .sort();
}

describe('the sample app manifests', () => {
  it('committed render equals a fresh render (run `pnpm --filter @immo/sample-app k8s:render` after a build)', () => {
    const fresh = join(tmp, 'fresh');
    renderK8s(fresh);
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
    expect(result.objects).toBe(27);
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
    expect(out).toBe('immo-k8s verify: 27 objects in 27 files, 0 error(s), 0 warning(s)\n');
  });

  it.skipIf(!tools.ok)(
    'alerts pass their promtool unit tests, run on the committed rules of each environment',
    () => {
      for (const env of service.environments) {
        const docs = YAML.parseAllDocuments(
          readFileSync(join(committed, env, 'monitoring', 'prometheusrule.yaml'), 'utf8'),
        );
        const rule = docs[0]!.toJS() as {
          spec: { groups: Array<{ name: string; rules: Array<{ alert?: string }> }> };
        };
        // The SLO groups have their own generated tests (next test), each run against its own group.
        rule.spec.groups = rule.spec.groups.filter((g) => !g.name.startsWith('slo-'));
        const tests = service.resolve(env).mixins.flatMap((m) => (m.tests ?? []) as never[]);
        const alerts = rule.spec.groups.flatMap((g) => g.rules).filter((r) => r.alert);
        expect(alerts.length).toBeGreaterThan(5);
        expect(tests).toHaveLength(alerts.length);
        const dir = join(tmp, `promtool-${env}`);
        mkdirSync(dir);
        writeFileSync(join(dir, 'rules.yml'), YAML.stringify(rule.spec));
        writeFileSync(join(dir, 'rules.test.yml'), YAML.stringify(promtoolTestFile(['rules.yml'], tests)));
        const out = execFileSync(tools.path('promtool'), ['test', 'rules', join(dir, 'rules.test.yml')], {
          encoding: 'utf8',
        });
        expect(out).toMatch(/SUCCESS/);
      }
    },
  );

  it.skipIf(!tools.ok)(
    'the SLOs in the committed rules are the ones defined, and pass their generated promtool tests',
    () => {
      for (const env of service.environments) {
        const docs = YAML.parseAllDocuments(
          readFileSync(join(committed, env, 'monitoring', 'prometheusrule.yaml'), 'utf8'),
        );
        const groups = (docs[0]!.toJS() as { spec: { groups: Array<{ name: string }> } }).spec.groups;
        const dir = join(tmp, `slo-${env}`);
        mkdirSync(dir);
        for (const slo of slos) {
          const group = groups.find((g) => g.name === `slo-${slo.id}`);
          expect(group, `${env}: ${slo.id}`).toEqual(JSON.parse(JSON.stringify(sloRuleGroup(slo))));
          writeFileSync(join(dir, `${slo.id}.rules.json`), JSON.stringify({ groups: [group] }));
          writeFileSync(
            join(dir, `${slo.id}.test.json`),
            JSON.stringify(sloTestFile(`${slo.id}.rules.json`, slo)),
          );
          const out = execFileSync(
            tools.path('promtool'),
            ['test', 'rules', join(dir, `${slo.id}.test.json`)],
            {
              encoding: 'utf8',
            },
          );
          expect(out).toMatch(/SUCCESS/);
        }
      }
    },
    120_000,
  );

  it.skipIf(!tools.ok)(
    'the committed Alertmanager configuration passes amtool and routes each priority',
    () => {
      const secret = YAML.parseAllDocuments(
        readFileSync(join(committed, 'stack', 'alertmanager.yaml'), 'utf8'),
      )[0]!.toJS() as {
        stringData: Record<string, string>;
      };
      const file = join(tmp, 'alertmanager.yml');
      writeFileSync(file, secret.stringData['alertmanager.yaml']!);
      expect(execFileSync(tools.path('amtool'), ['check-config', file], { encoding: 'utf8' })).toMatch(
        /SUCCESS/,
      );
      for (const [receiver, labels] of [
        ['pagerduty-p0', ['priority=P0', 'service=sample-app']],
        ['slack-p1', ['priority=P1', 'service=sample-app']],
        ['slack-p2', ['priority=P2', 'service=sample-app']],
        ['slack-p2', ['alertname=NewAlertWithoutPriority', 'service=sample-app']],
        ['heartbeat', ['alertname=Watchdog', 'priority=P2']],
      ] as const) {
        const out = execFileSync(
          tools.path('amtool'),
          ['config', 'routes', 'test', `--config.file=${file}`, `--verify.receivers=${receiver}`, ...labels],
          { encoding: 'utf8' },
        );
        expect(out.trim()).toBe(receiver);
      }
    },
  );
});
