import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { RUNBOOKS } from '../src/k8s.js';

const repo = join(import.meta.dirname, '..', '..', '..');
const runbooks = join(repo, 'docs', 'runbooks');

interface Alert {
  alert: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Every alert of the committed PrometheusRules, all environments. */
function renderedAlerts(): Alert[] {
  const root = join(import.meta.dirname, '..', 'k8s');
  const out = new Map<string, Alert>();
  for (const env of readdirSync(root)) {
    const file = join(root, env, 'monitoring', 'prometheusrule.yaml');
    if (!existsSync(file)) continue; // k8s/stack: the cluster's pieces, no rules
    const rule = YAML.parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as {
      spec: { groups: Array<{ rules: Array<Partial<Alert>> }> };
    };
    for (const r of rule.spec.groups.flatMap((g) => g.rules)) if (r.alert) out.set(r.alert, r as Alert);
  }
  return [...out.values()];
}

const SECTIONS = ['## Meaning', '## Impact', '## Diagnosis', '## Mitigation', '## Escalation'];

describe('runbook coverage', () => {
  const alerts = renderedAlerts();

  it('finds the rendered alerts', () => {
    expect(alerts.map((a) => a.alert)).toEqual(
      expect.arrayContaining([
        'CriticalErrorRate',
        'HighErrorRate',
        'ServiceDegraded',
        'DbConnectionsCritical',
        'Watchdog',
      ]),
    );
  });

  it('every P0 and P1 alert (and every other) links to its runbook file, which has every section', () => {
    const missing: string[] = [];
    for (const a of alerts) {
      expect(a.annotations.runbook_url, a.alert).toBe(`${RUNBOOKS}/${a.alert}.md`);
      const file = join(runbooks, `${a.alert}.md`);
      if (!existsSync(file)) {
        missing.push(`${a.alert} (${a.labels.priority})`);
        continue;
      }
      const text = readFileSync(file, 'utf8');
      expect(text.startsWith(`# ${a.alert}\n`), a.alert).toBe(true);
      for (const s of SECTIONS) expect(text, `${a.alert}: ${s}`).toContain(`\n${s}\n`);
      expect(text, a.alert).toContain(a.labels.priority!);
    }
    expect(missing).toEqual([]);
  });

  it('every runbook names an alert that still exists (README excepted)', () => {
    const names = new Set(alerts.map((a) => a.alert));
    const orphans = readdirSync(runbooks)
      .filter((f) => f.endsWith('.md') && f !== 'README.md')
      .map((f) => f.slice(0, -3))
      .filter((n) => !names.has(n));
    expect(orphans).toEqual([]);
  });

  it('the runbook index lists every runbook', () => {
    const index = readFileSync(join(runbooks, 'README.md'), 'utf8');
    for (const a of alerts) expect(index).toContain(`[${a.alert}](${a.alert}.md)`);
  });
});
