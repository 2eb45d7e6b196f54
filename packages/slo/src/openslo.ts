import { describeValue } from './errors.js';
import { formatNumber } from './numbers.js';
import { leMatcher } from './rules.js';
import { formatSelector } from './selector.js';
import type { Slo, SloSpec, SloWindow } from './spec.js';

/** An OpenSLO v1 `kind: SLO` document (the parts @immo/slo reads and writes). */
export interface OpenSloDocument {
  apiVersion: 'openslo/v1';
  kind: 'SLO';
  metadata: { name: string; displayName?: string; labels?: Record<string, string | string[]> };
  spec: {
    description?: string;
    service: string;
    indicator: {
      metadata: { name: string };
      spec: {
        ratioMetric: {
          counter: true;
          good?: { metricSource: { type: 'Prometheus'; spec: { query: string } } };
          bad?: { metricSource: { type: 'Prometheus'; spec: { query: string } } };
          total: { metricSource: { type: 'Prometheus'; spec: { query: string } } };
        };
      };
    };
    timeWindow: Array<{ duration: string; isRolling: true }>;
    budgetingMethod: 'Occurrences';
    objectives: Array<{ displayName?: string; target: number }>;
  };
}

const source = (query: string) => ({ metricSource: { type: 'Prometheus' as const, spec: { query } } });

/**
 * Exports an SLO as an OpenSLO v1 document (`ratioMetric` with counters, `Occurrences`, a rolling
 * `timeWindow`). Latency and batch SLIs become good/total ratios of their histogram's bucket and
 * count; boolean SLIs have no OpenSLO counter form and are refused (returns a reason).
 *
 * @example
 * ```ts
 * const docs = slos.map(toOpenSlo).filter((d) => typeof d !== 'string');
 * writeFileSync('openslo.yaml', docs.map((d) => YAML.stringify(d)).join('---\n'));
 * ```
 */
export function toOpenSlo(slo: Slo): OpenSloDocument | string {
  const sli = slo.sli;
  let ratio: OpenSloDocument['spec']['indicator']['spec']['ratioMetric'];
  switch (sli.kind) {
    case 'ratio':
      ratio = {
        counter: true,
        ...(sli.bad ? { bad: source(formatSelector(sli.bad.metric!, sli.bad.matchers)) } : {}),
        ...(sli.good ? { good: source(formatSelector(sli.good.metric!, sli.good.matchers)) } : {}),
        total: source(formatSelector(sli.total.metric!, sli.total.matchers)),
      };
      break;
    case 'latency':
      ratio = {
        counter: true,
        good: source(formatSelector(`${sli.metric}_bucket`, [...sli.matchers, leMatcher(sli.threshold)])),
        total: source(formatSelector(`${sli.metric}_count`, sli.matchers)),
      };
      break;
    case 'batch': {
      const job = { name: sli.jobLabel, op: '=' as const, value: sli.job };
      ratio = {
        counter: true,
        good: source(
          formatSelector(`${sli.metric}_bucket`, [
            job,
            ...sli.matchers,
            { name: 'outcome', op: '=', value: 'success' },
            leMatcher(sli.deadlineSeconds),
          ]),
        ),
        total: source(formatSelector(`${sli.metric}_count`, [job, ...sli.matchers])),
      };
      break;
    }
    default:
      return `${slo.id}: a boolean SLI has no OpenSLO ratioMetric form (it counts samples, not events)`;
  }
  return {
    apiVersion: 'openslo/v1',
    kind: 'SLO',
    metadata: { name: slo.id, ...(slo.spec.description ? { displayName: slo.spec.description } : {}) },
    spec: {
      ...(slo.spec.description ? { description: slo.spec.description } : {}),
      service: slo.service,
      indicator: { metadata: { name: `${slo.id}-sli` }, spec: { ratioMetric: ratio } },
      timeWindow: [{ duration: slo.window, isRolling: true }],
      budgetingMethod: 'Occurrences',
      objectives: [{ target: Number(formatNumber(slo.objective)) }],
    },
  };
}

/** Whether a parsed YAML/JSON document is an OpenSLO document. */
export function isOpenSlo(doc: unknown): doc is { apiVersion: string; kind: string } {
  return (
    typeof doc === 'object' &&
    doc !== null &&
    typeof (doc as { apiVersion?: unknown }).apiVersion === 'string' &&
    (doc as { apiVersion: string }).apiVersion.startsWith('openslo/')
  );
}

type Loose = Record<string, unknown> | undefined;
const get = (o: unknown, ...path: string[]): unknown =>
  path.reduce<unknown>(
    (v, k) => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[k] : undefined),
    o,
  );

/**
 * Imports an OpenSLO v1 `kind: SLO` document as an @immo/slo spec, or returns every reason it
 * cannot be (path and problem, like the validator). Only what @immo/slo can compute is accepted:
 * an inline `ratioMetric` with `counter: true` and Prometheus vector selectors, `Occurrences`, one
 * rolling window of 7d, 28d or 30d and one objective.
 *
 * @example
 * ```ts
 * const spec = fromOpenSlo(YAML.parse(text));
 * if (Array.isArray(spec)) console.error(spec.join('\n')); else defineSlos([spec]);
 * ```
 */
export function fromOpenSlo(doc: unknown): SloSpec | string[] {
  const problems: string[] = [];
  const expect = (path: string, what: string, got: unknown) =>
    problems.push(`${path}: expected ${what}, received ${describeValue(got)}`);
  if (get(doc, 'apiVersion') !== 'openslo/v1') expect('apiVersion', '"openslo/v1"', get(doc, 'apiVersion'));
  if (get(doc, 'kind') !== 'SLO')
    expect('kind', '"SLO" (SLI, Service and other kinds are not read)', get(doc, 'kind'));
  const name = get(doc, 'metadata', 'name');
  if (typeof name !== 'string') expect('metadata.name', 'a string', name);
  const service = get(doc, 'spec', 'service');
  if (typeof service !== 'string') expect('spec.service', 'a string', service);
  const method = get(doc, 'spec', 'budgetingMethod');
  if (method !== 'Occurrences')
    expect('spec.budgetingMethod', '"Occurrences" (Timeslices is not supported)', method);
  const windows = get(doc, 'spec', 'timeWindow');
  const w = Array.isArray(windows) && windows.length === 1 ? (windows[0] as Loose) : undefined;
  if (w?.isRolling !== true) {
    expect('spec.timeWindow', 'one rolling window ({ duration: 30d, isRolling: true })', windows);
  }
  const objectives = get(doc, 'spec', 'objectives');
  const o = Array.isArray(objectives) && objectives.length === 1 ? (objectives[0] as Loose) : undefined;
  if (!o) expect('spec.objectives', 'exactly one objective', objectives);
  const target = o?.target ?? (typeof o?.targetPercent === 'number' ? `${o.targetPercent}%` : undefined);
  if (get(doc, 'spec', 'indicatorRef') !== undefined) {
    expect(
      'spec.indicatorRef',
      'an inline spec.indicator (references are not resolved)',
      get(doc, 'spec', 'indicatorRef'),
    );
  }
  const ratio = get(doc, 'spec', 'indicator', 'spec', 'ratioMetric') as Loose;
  if (!ratio) expect('spec.indicator.spec.ratioMetric', 'a ratioMetric', ratio);
  else if (ratio.counter !== true)
    expect('spec.indicator.spec.ratioMetric.counter', 'true (counters)', ratio.counter);
  const query = (part: 'good' | 'bad' | 'total'): string | undefined => {
    const p = ratio?.[part];
    if (p === undefined) return undefined;
    const type = get(p, 'metricSource', 'type');
    const q = get(p, 'metricSource', 'spec', 'query');
    if (type !== 'Prometheus')
      expect(`spec.indicator.spec.ratioMetric.${part}.metricSource.type`, '"Prometheus"', type);
    if (typeof q !== 'string')
      expect(`spec.indicator.spec.ratioMetric.${part}.metricSource.spec.query`, 'a string', q);
    return typeof q === 'string' ? q : undefined;
  };
  const good = query('good');
  const bad = query('bad');
  const total = query('total');
  if (ratio && total === undefined)
    expect('spec.indicator.spec.ratioMetric.total', 'a metric source', undefined);
  if (problems.length > 0) return problems;
  const description = get(doc, 'spec', 'description');
  return {
    id: name as string,
    service: service as string,
    ...(typeof description === 'string' ? { description } : {}),
    objective: target as number | string,
    window: w!.duration as SloWindow,
    sli:
      bad !== undefined
        ? { kind: 'ratio', bad, total: total! }
        : { kind: 'ratio', good: good ?? '', total: total! },
  };
}
