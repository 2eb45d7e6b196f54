import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import {
  defineSlos,
  fromOpenSlo,
  loadSloFiles,
  SloError,
  toOpenSlo,
  validateSloFiles,
} from '../src/index.js';
import { availability, billing, goodRatio, latency, probe } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'immo-slo-load-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const p = join(tmp, name);
  writeFileSync(p, text);
  return p;
};

describe('OpenSLO v1', () => {
  it('round-trips ratio SLOs: export, YAML, import, same SLO', () => {
    for (const spec of [availability, goodRatio]) {
      const [slo] = defineSlos([spec]);
      const doc = toOpenSlo(slo!);
      expect(typeof doc).toBe('object');
      const back = fromOpenSlo(YAML.parse(YAML.stringify(doc)));
      expect(Array.isArray(back)).toBe(false);
      const [again] = defineSlos([back as never]);
      expect({ ...again, spec: undefined, alerting: undefined }).toEqual({
        ...slo,
        spec: undefined,
        alerting: undefined,
      });
    }
  });

  it('exports latency and batch SLIs as good/total counters and refuses boolean ones', () => {
    const [l, p, b] = defineSlos([latency, probe, billing]);
    const doc = toOpenSlo(l!);
    expect(doc).toMatchObject({
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      spec: {
        budgetingMethod: 'Occurrences',
        timeWindow: [{ duration: '28d', isRolling: true }],
        objectives: [{ target: 0.99 }],
        indicator: {
          spec: {
            ratioMetric: {
              counter: true,
              good: {
                metricSource: {
                  type: 'Prometheus',
                  spec: {
                    query: 'http_server_request_duration_seconds_bucket{service="api", le=~"2(\\\\.0)?"}',
                  },
                },
              },
              total: {
                metricSource: {
                  spec: { query: 'http_server_request_duration_seconds_count{service="api"}' },
                },
              },
            },
          },
        },
      },
    });
    expect(toOpenSlo(p!)).toMatch(/boolean SLI has no OpenSLO ratioMetric form/);
    expect(JSON.stringify(toOpenSlo(b!))).toContain('outcome=\\"success\\"');
  });

  it('lists what it cannot import, with paths', () => {
    expect(
      fromOpenSlo({
        apiVersion: 'openslo/v1',
        kind: 'SLO',
        metadata: { name: 'x' },
        spec: {
          service: 's',
          budgetingMethod: 'Timeslices',
          timeWindow: [{ duration: '1M', isRolling: false }],
          objectives: [],
          indicatorRef: 'shared-sli',
        },
      }),
    ).toEqual([
      'spec.budgetingMethod: expected "Occurrences" (Timeslices is not supported), received "Timeslices"',
      'spec.timeWindow: expected one rolling window ({ duration: 30d, isRolling: true }), received array',
      'spec.objectives: expected exactly one objective, received array',
      'spec.indicatorRef: expected an inline spec.indicator (references are not resolved), received "shared-sli"',
      'spec.indicator.spec.ratioMetric: expected a ratioMetric, received undefined',
    ]);
  });
});

describe('loading files', () => {
  it('reads our format, lists, OpenSLO documents and modules, and checks ids across files', async () => {
    const a = file(
      'a.yaml',
      YAML.stringify({
        slos: [availability],
        histograms: { http_server_request_duration_seconds: [0.5, 2] },
      }),
    );
    const b = file(
      'b.yaml',
      `${YAML.stringify([latency])}---\n${YAML.stringify(toOpenSlo(defineSlos([goodRatio])[0]!))}---\n${YAML.stringify({ apiVersion: 'openslo/v1', kind: 'Service', metadata: { name: 'shop' } })}`,
    );
    const m = file(
      'slos.mjs',
      `import { defineSlos } from ${JSON.stringify(new URL('../src/index.ts', import.meta.url).href)};\nexport const slos = defineSlos(${JSON.stringify([billing])});`,
    );
    const slos = await loadSloFiles([a, b, m]);
    expect(slos.map((s) => s.id)).toEqual([
      'api-availability',
      'api-latency',
      'checkout-success',
      'billing-run',
    ]);
    const dup = file('dup.json', JSON.stringify([availability]));
    const r = await validateSloFiles([a, dup]);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.issues).toEqual([
      `${dup}: api-availability: id: expected a unique SLO id, received "api-availability" (also in ${a})`,
    ]);
  });

  it('reports unreadable, unparsable and shapeless files with their names, never throws', async () => {
    const broken = file('broken.yaml', 'slos:\n  - id: x\n   service: [');
    const shapeless = file('shapeless.yaml', '42');
    const r = await validateSloFiles([join(tmp, 'missing.yaml'), broken, shapeless]);
    expect(r.ok).toBe(false);
    const issues = r.ok ? [] : r.issues;
    expect(issues[0]).toBe(`${join(tmp, 'missing.yaml')}: cannot read: ENOENT`);
    expect(issues[1]).toMatch(new RegExp(`^${broken}: line \\d+:\\d+: `));
    expect(issues[2]).toBe(
      `${shapeless}: expected SLO specs (a list, { slos: [...] }, one spec or OpenSLO kind: SLO documents), received number`,
    );
    await expect(loadSloFiles([shapeless])).rejects.toMatchObject({ code: 'IMMO_SLO_INVALID_FILE' });
    await expect(loadSloFiles([shapeless])).rejects.toBeInstanceOf(SloError);
  });

  it('stays small on a YAML alias bomb', async () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(',')}]`,
      );
    const r = await validateSloFiles([file('bomb.yaml', bomb.join('\n'))]);
    expect(r.ok).toBe(false);
  });
});
