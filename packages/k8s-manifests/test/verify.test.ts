import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTools } from '@immo/test-servers';
import { afterAll, describe, expect, it } from 'vitest';
import { formatFinding, parseImageLock, verifyManifests } from '../src/index.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const tools = requireTools('immo-k8s verify with promtool', ['promtool']);
const tmp = mkdtempSync(join(tmpdir(), 'immo-k8s-verify-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Each broken fixture and exactly the findings (rule @ JSON path) it must produce. */
const BROKEN: Record<string, string[]> = {
  'initcontainer-tag.yaml': ['image-digest @ $.spec.template.spec.initContainers[0].image'],
  'cronjob-no-digest.yaml': ['image-digest @ $.spec.jobTemplate.spec.template.spec.containers[0].image'],
  'bad-digests.yaml': [
    'image-digest @ $.spec.containers[0].image',
    'image-digest @ $.spec.ephemeralContainers[0].image',
  ],
  'pdb-max-unavailable-0.yaml': ['pdb-max-unavailable @ $.spec.maxUnavailable'],
  'missing-readiness.yaml': ['readiness-probe @ $.spec.template.spec.containers[0]'],
  'unknown-fields.yaml': [
    'unknown-field @ $.spec.replcias',
    'unknown-field @ $.spec.template.spec.containers[0].resources.limit',
  ],
  'probe-port.yaml': [
    'probe-port @ $.spec.template.spec.containers[0].livenessProbe',
    'probe-port @ $.spec.template.spec.containers[0].readinessProbe',
  ],
  'root-privileged.yaml': [
    'capabilities @ $.spec.template.spec.containers[0].securityContext',
    'host-namespaces @ $.spec.template.spec.hostNetwork',
    'privilege-escalation @ $.spec.template.spec.containers[0].securityContext',
    'privileged @ $.spec.template.spec.containers[0].securityContext.privileged',
    'read-only-root-fs @ $.spec.template.spec.containers[0].securityContext',
    'resources @ $.spec.template.spec.containers[0].resources',
    'run-as-non-root @ $.spec.template.spec.containers[0].securityContext.runAsUser',
  ],
  'secret-literal.yaml': ['env-secret-literal @ $.spec.template.spec.containers[0].env[0].value'],
  'dangling.yaml': [
    'dangling-hpa @ $.spec.scaleTargetRef',
    'dangling-ingress @ $.spec.rules[0].http.paths[0].backend.service',
    'dangling-ingress @ $.spec.rules[0].http.paths[1].backend.service.port',
    'dangling-networkpolicy @ $.spec.podSelector',
    'dangling-service @ $.spec.selector',
    'dangling-servicemonitor @ $.spec.selector',
    'service-account @ $.spec.template.spec.serviceAccountName',
  ],
  'pdb-vs-hpa.yaml': ['pdb-unhealthy-eviction @ $.spec', 'pdb-vs-hpa @ $.spec.minAvailable'],
  'single-replica-hpa.yaml': ['hpa-min-replicas @ $.spec.minReplicas'],
  'no-anti-affinity.yaml': ['anti-affinity @ $.spec.template.spec'],
  'selector-and-recreate.yaml': [
    'mismatching-selector @ $.spec.selector',
    'rolling-update @ $.spec.strategy.type',
  ],
  'prestop-too-long.yaml': ['termination-grace @ $.spec.template.spec.containers[0].lifecycle.preStop'],
  'bad-opt-outs.yaml': [
    'ignore-justification @ $.metadata.annotations["ignore-check.immo.dev/no-such-check"]',
    'ignore-justification @ $.metadata.annotations["ignore-check.immo.dev/read-only-root-fs"]',
    'read-only-root-fs @ $.spec.template.spec.containers[0].securityContext',
  ],
  'malformed.yaml': ['yaml-syntax @ -'],
  'alert-conventions.yaml': [
    'alert-conventions @ $.spec.groups[0].rules[0]',
    ...Array(9).fill('alert-conventions @ $.spec.groups[0].rules[1]'),
    'alert-conventions @ $.spec.groups[0].rules[2]',
  ],
};

describe('verifyManifests on deliberately broken manifests', () => {
  for (const [file, expected] of Object.entries(BROKEN)) {
    it(`${file}: exactly ${expected.map((e) => e.split(' ')[0]).join(', ')}`, async () => {
      const result = await verifyManifests([join(fixtures, 'broken', file)], { promtool: false });
      const got = result.findings.map((f) => `${f.rule} @ ${f.path}`).sort();
      expect(got).toEqual([...expected].sort());
      expect(result.ok).toBe(false);
      for (const f of result.findings) {
        expect(f.line).toBeGreaterThan(0);
        expect(f.fix.length).toBeGreaterThan(10);
      }
    });
  }

  it('catches every broken fixture when given the whole folder at once', async () => {
    const result = await verifyManifests([join(fixtures, 'broken')], { promtool: false });
    const files = new Set(result.findings.map((f) => f.file.split('/').pop()));
    for (const file of Object.keys(BROKEN)) expect(files).toContain(file);
  });

  it('passes the clean fixtures, honouring a justified opt-out', async () => {
    const result = await verifyManifests([join(fixtures, 'clean')], { promtool: false });
    expect(result.findings).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.objects).toBe(2);
  });

  it('names file and line of a YAML error, without a stack trace', async () => {
    const result = await verifyManifests([join(fixtures, 'broken', 'malformed.yaml')], { promtool: false });
    const line = formatFinding(result.findings[0]!);
    expect(line).toMatch(/malformed\.yaml:6 .*\[yaml-syntax\] not valid YAML: /);
    expect(line).not.toMatch(/\n|\bat .+:\d+:\d+\)?$/m);
  });

  it('points each finding at the line of the offending field', async () => {
    const result = await verifyManifests([join(fixtures, 'broken', 'unknown-fields.yaml')], {
      promtool: false,
    });
    const text = (await import('node:fs'))
      .readFileSync(join(fixtures, 'broken', 'unknown-fields.yaml'), 'utf8')
      .split('\n');
    for (const f of result.findings) {
      const key = f.path.split('.').pop()!;
      expect(text[f.line - 1]).toContain(`${key}:`);
    }
  });

  it('reports unreadable paths, documents that are not objects, and unknown kinds (as warnings)', async () => {
    const file = join(tmp, 'odd.yaml');
    writeFileSync(
      file,
      '---\n- just\n- a list\n---\napiVersion: v1\nkind: ConfigMap\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n',
    );
    const result = await verifyManifests([file, join(tmp, 'missing.yaml')], { promtool: false });
    expect(result.findings.map((f) => `${f.rule}/${f.severity}`).sort()).toEqual([
      'invalid-object/error',
      'invalid-object/error',
      'read-error/error',
      'unknown-kind/warning',
    ]);
    expect(result.ok).toBe(false);
  });

  it('survives hostile YAML: alias bombs and unresolved aliases are findings, not crashes', async () => {
    const bomb = join(tmp, 'bomb.yaml');
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++)
      levels.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    writeFileSync(
      bomb,
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  ${levels.join('\n  ')}\n`,
    );
    const unresolved = join(tmp, 'unresolved.yaml');
    writeFileSync(unresolved, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: *nowhere\n');
    for (const file of [bomb, unresolved]) {
      const result = await verifyManifests([file], { promtool: false });
      expect(result.findings.map((f) => f.rule)).toEqual(['yaml-syntax']);
      expect(result.findings[0]!.line).toBeGreaterThan(0);
    }
  });

  it('applies YAML merge keys as kubectl does (no false findings)', async () => {
    const file = join(tmp, 'merge.yaml');
    const clean = readFileSync(join(fixtures, 'clean', 'app.yaml'), 'utf8');
    // The same clean Deployment, its container written through a merge key.
    const merged = clean
      .replace(
        '      containers:\n        - name: api',
        '      containers:\n        - <<: *base\n          name: api',
      )
      .replace(
        'spec:\n  replicas: 1',
        'x-base: &base\n  imagePullPolicy: IfNotPresent\nspec:\n  replicas: 1',
      );
    writeFileSync(file, merged);
    const result = await verifyManifests([file], { promtool: false });
    expect(result.findings.map((f) => `${f.rule} ${f.path}`)).toEqual(['unknown-field $["x-base"]']);
  });

  it('reports rules with non-string annotations instead of crashing', async () => {
    const file = join(tmp, 'rule-types.yaml');
    writeFileSync(
      file,
      'apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: r\n  namespace: n\nspec:\n  groups:\n    - name: g\n      rules:\n        - alert: Down\n          expr: up == 0\n          for: 5m\n          labels: { severity: critical, priority: P0 }\n          annotations: { summary: 5, description: 6, runbook_url: 7 }\n',
    );
    const result = await verifyManifests([file], { promtool: false });
    const messages = result.findings.filter((f) => f.rule === 'alert-conventions').map((f) => f.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/summary annotation \(a string\)/),
        expect.stringMatching(/runbook_url/),
      ]),
    );
  });

  it('treats an empty PDB or ServiceMonitor selector as selecting everything (not dangling)', async () => {
    const file = join(tmp, 'empty-selectors.yaml');
    const clean = readFileSync(join(fixtures, 'clean', 'app.yaml'), 'utf8');
    writeFileSync(
      file,
      `${clean}---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: { name: all, namespace: shop }\nspec: { maxUnavailable: 1, selector: {}, unhealthyPodEvictionPolicy: AlwaysAllow }\n---\napiVersion: v1\nkind: Service\nmetadata: { name: api, namespace: shop, labels: { app: api } }\nspec: { selector: { app: api }, ports: [{ port: 80, targetPort: http }] }\n---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: { name: all, namespace: shop }\nspec: { selector: {}, endpoints: [{ port: http }] }\n`,
    );
    const result = await verifyManifests([file], { promtool: false });
    expect(result.findings).toEqual([]);
  });

  it('reports schema violations with the path (wrong types, missing required fields)', async () => {
    const file = join(tmp, 'schema.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: n\nspec:\n  ports:\n    - port: "eighty"\n  selector: {}\n',
    );
    const result = await verifyManifests([file], { promtool: false });
    expect(result.findings.map((f) => `${f.rule} @ ${f.path}`)).toContain('schema @ $.spec.ports[0].port');
  });

  it('finds one object declared under two versions of its API group', async () => {
    const file = join(tmp, 'two-versions.yaml');
    const hpa = (v: string) =>
      `apiVersion: autoscaling/${v}\nkind: HorizontalPodAutoscaler\nmetadata: { name: api, namespace: shop }\nspec: { scaleTargetRef: { apiVersion: apps/v1, kind: Deployment, name: api }, minReplicas: 2, maxReplicas: 4 }\n`;
    writeFileSync(
      file,
      `${readFileSync(join(fixtures, 'clean', 'app.yaml'), 'utf8')}---\n${hpa('v1')}---\n${hpa('v2')}`,
    );
    const result = await verifyManifests([file], { promtool: false });
    expect(result.findings.map((f) => f.rule)).toContain('duplicate-object');
  });

  it('expands kind: List documents', async () => {
    const file = join(tmp, 'list.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: { name: a, namespace: n }\n  - apiVersion: v1\n    kind: ServiceAccount\n    metadata: { name: a, namespace: n }\n',
    );
    const result = await verifyManifests([file], { promtool: false });
    expect(result.objects).toBe(2);
    expect(result.findings.map((f) => f.rule)).toEqual(['duplicate-object']);
    expect(result.findings[0]!.line).toBe(9); // items[1].metadata
  });

  it('cross-checks images against an image lock', async () => {
    const other = `registry.example.com/api@sha256:${'b'.repeat(64)}`;
    const mismatch = await verifyManifests([join(fixtures, 'clean', 'app.yaml')], {
      promtool: false,
      imageLock: parseImageLock(`${other}\n`),
    });
    expect(mismatch.findings.map((f) => f.rule)).toEqual(['image-lock']);
    expect(mismatch.findings[0]!.message).toMatch(/differs from the locked sha256:bbbb/);
    const missing = await verifyManifests([join(fixtures, 'clean', 'app.yaml')], {
      promtool: false,
      imageLock: parseImageLock(`registry.example.com/other@sha256:${'a'.repeat(64)}\n`),
    });
    expect(missing.findings[0]!.message).toMatch(/not in the image lock/);
    const same = await verifyManifests([join(fixtures, 'clean', 'app.yaml')], {
      promtool: false,
      imageLock: parseImageLock(`registry.example.com/api:1.0@sha256:${'a'.repeat(64)}\n`),
    });
    expect(same.findings).toEqual([]);
  });

  it('reports a missing promtool as a finding on each PrometheusRule, with how to install it', async () => {
    const result = await verifyManifests([join(fixtures, 'broken', 'bad-promql.yaml')], {
      promtool: join(tmp, 'no-such-promtool'),
    });
    expect(result.findings.map((f) => f.rule)).toEqual(['prometheus-rule']);
    expect(result.findings[0]!.message).toMatch(/cannot run promtool/);
    expect(result.findings[0]!.fix).toMatch(/apt-get install prometheus/);
  });
});

describe.skipIf(!tools.ok)('verifyManifests with the real promtool', () => {
  it('maps promtool errors back to the PrometheusRule, group and rule', async () => {
    const result = await verifyManifests([join(fixtures, 'broken', 'bad-promql.yaml')], {
      promtool: tools.path('promtool'),
    });
    expect(result.findings).toHaveLength(1);
    const [f] = result.findings;
    expect(f!.rule).toBe('prometheus-rule');
    expect(f!.path).toBe('$.spec.groups[0].rules[0]');
    expect(f!.object).toBe('PrometheusRule/shop/api');
    expect(f!.message).toMatch(/unclosed left parenthesis/);
  });

  it('runs promtool once for many rule objects and blames only the broken one', async () => {
    const dir = mkdtempSync(join(tmp, 'rules-'));
    const good = (n: number) =>
      `apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: r${n}\n  namespace: n\nspec:\n  groups:\n    - name: g${n}\n      rules:\n        - record: job:up${n}:sum\n          expr: sum by (job) (up)\n`;
    for (let i = 0; i < 20; i++) writeFileSync(join(dir, `r${i}.yaml`), good(i));
    writeFileSync(join(dir, 'zz.yaml'), good(99).replace('expr: sum by (job) (up)', 'expr: rate(up[5x])'));
    const result = await verifyManifests([dir], { promtool: tools.path('promtool') });
    expect(result.findings.map((f) => f.object)).toEqual(['PrometheusRule/n/r99']);
  });
});
