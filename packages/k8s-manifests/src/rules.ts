import type { MixinRule, MixinRuleGroup } from './mixin.js';

/** Prometheus durations (`90s`, `1h30m`) in milliseconds; `undefined` when not one. */
export function parseDuration(text: string | undefined): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };
  let ms = 0;
  for (const [, n, u] of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(n) * unit[u!]!;
  return ms;
}

const SEVERITIES = new Set(['critical', 'warning', 'info']);
const PRIORITIES = new Set(['P0', 'P1', 'P2']);
/** Alerts that are meant to fire at once and always (dead man's switch). */
const NO_FOR = new Set(['Watchdog']);

/**
 * The monitoring-mixins conventions (the ones `mixtool lint` enforces) plus our routing labels,
 * checked on every rule: CamelCase alert names; `severity` critical/warning/info; `priority`
 * P0/P1/P2; a `summary` without templates, capitalised, ending with a period; a templated
 * `description`; a `runbook_url`; a `for:` between 1m and 1d (except the Watchdog); recording rules
 * named `level:metric:operations`.
 *
 * @returns one line per problem, `group/alert: what is wrong`; empty when all is well.
 * @example
 * ```ts
 * const problems = lintRules(mixin.groups);
 * if (problems.length) throw new Error(problems.join('\n'));
 * ```
 */
export function lintRules(groups: readonly MixinRuleGroup[]): string[] {
  const problems: string[] = [];
  for (const g of groups) {
    for (const [i, r] of g.rules.entries()) {
      const where = `${g.name}/${r.alert ?? r.record ?? `rule ${i + 1}`}`;
      if (r.record !== undefined) {
        if (!/^[a-zA-Z_][a-zA-Z0-9_]*:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+$/.test(r.record)) {
          problems.push(`${where}: recording rule names follow level:metric:operations`);
        }
        continue;
      }
      if (r.alert === undefined) {
        problems.push(`${where}: a rule needs "alert" or "record"`);
        continue;
      }
      problems.push(...lintAlert(r).map((p) => `${where}: ${p}`));
    }
  }
  return problems;
}

function lintAlert(r: MixinRule): string[] {
  const p: string[] = [];
  const name = typeof r.alert === 'string' ? r.alert : '';
  if (!/^[A-Z][a-zA-Z0-9]*$/.test(name)) p.push('alert names are CamelCase (e.g. HighErrorRate)');
  const labels = (r.labels && typeof r.labels === 'object' ? r.labels : {}) as Record<string, unknown>;
  if (!SEVERITIES.has(String(labels.severity ?? '')))
    p.push(`severity must be critical, warning or info, not ${JSON.stringify(labels.severity ?? null)}`);
  if (!PRIORITIES.has(String(labels.priority ?? '')))
    p.push(`priority must be P0, P1 or P2, not ${JSON.stringify(labels.priority ?? null)}`);
  const a = (r.annotations && typeof r.annotations === 'object' ? r.annotations : {}) as Record<
    string,
    unknown
  >;
  const summary = typeof a.summary === 'string' ? a.summary : undefined;
  const description = typeof a.description === 'string' ? a.description : undefined;
  const runbook = typeof a.runbook_url === 'string' ? a.runbook_url : undefined;
  if (!summary) p.push('a summary annotation (a string) is required');
  else {
    if (summary.includes('{{')) p.push('the summary has no templates (put details in the description)');
    if (!/^[A-Z0-9]/.test(summary)) p.push('the summary starts with a capital letter');
    if (!summary.endsWith('.')) p.push('the summary ends with a period');
  }
  if (!description) p.push('a description annotation (a string) is required');
  else if (!description.includes('{{'))
    p.push('the description uses templates ({{ $labels.service }}, {{ $value }}) to say which and how much');
  if (!runbook || !/^https?:\/\/\S+$/.test(runbook))
    p.push('a runbook_url annotation (an http(s) URL) is required');
  if (NO_FOR.has(name)) return p;
  const f = parseDuration(typeof r.for === 'string' ? r.for : undefined);
  if (f === undefined)
    p.push(
      `"for" must be a duration (pending before firing avoids pages on blips), not ${JSON.stringify(r.for ?? null)}`,
    );
  else if (f < 60_000 || f > 86_400_000) p.push(`"for" ${r.for} is outside 1m..1d`);
  return p;
}
