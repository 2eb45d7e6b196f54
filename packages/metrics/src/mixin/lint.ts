import { parser } from '@prometheus-io/lezer-promql';
import { flattenPanels, type PanelJson } from './queries.js';
import type { GrafanaDashboard } from './types.js';

type Tree = ReturnType<typeof parser.parse>;
type SyntaxNode = Tree['topNode'];

/**
 * Grafana's time variables become durations no query would write, so that the parsed tree tells
 * `[$__rate_interval]` apart from a fixed `[5m]` (the technique of grafana/dashboard-linter).
 */
const RATE_INTERVAL = '7777771s';
const TIME_VARIABLES: [RegExp, string][] = [
  [/\$\{__rate_interval\}|\$__rate_interval\b/g, RATE_INTERVAL],
  [/\$\{__interval\}|\$__interval\b/g, '7777772s'],
  [/\$\{__range\}|\$__range\b/g, '7777773s'],
  [/\$\{__auto\}|\$__auto\b/g, '7777774s'],
  [/\$\{__(rate_interval|interval|range)_(ms|s)\}|\$__(rate_interval|interval|range)_(ms|s)\b/g, '7777775'],
];
const VARIABLE_DURATIONS = new Map([
  [RATE_INTERVAL, '$__rate_interval'],
  ['7777772s', '$__interval'],
  ['7777773s', '$__range'],
  ['7777774s', '$__auto'],
]);
const RATE_FUNCTIONS = new Set(['rate', 'irate', 'increase']);
const COUNTER_SUFFIX = /_(total|count|bucket|sum)$/;
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template
const DATASOURCE_UIDS = new Set(['$datasource', '${datasource}']);
const LINTED_PANEL_TYPES = new Set([
  'timeseries',
  'graph',
  'stat',
  'singlestat',
  'gauge',
  'bargauge',
  'table',
]);
const NO_QUERY_PANEL_TYPES = new Set(['text', 'news', 'dashlist', 'annolist', 'row']);

/** Grafana unit ids accepted by the units rule (the ones a service dashboard plausibly uses). */
// biome-ignore format: one unit family per line
const UNITS = new Set([
  'none', 'short', 'percent', 'percentunit', 'sci', 'locale', 'string', 'bool', 'bool_yes_no', 'bool_on_off',
  'bytes', 'decbytes', 'bits', 'decbits', 'kbytes', 'deckbytes', 'mbytes', 'decmbytes', 'gbytes', 'decgbytes',
  'Bps', 'binBps', 'bps', 'binbps', 'pps', 'KBs', 'MBs', 'GBs', 'KiBs', 'MiBs', 'GiBs',
  'ns', 'µs', 'ms', 's', 'm', 'h', 'd', 'dtdurationms', 'dtdurations', 'dthms', 'dtdhms', 'clockms', 'clocks',
  'hertz', 'dateTimeAsIso', 'dateTimeAsSystem', 'dateTimeFromNow', 'timeticks',
  'reqps', 'rps', 'ops', 'iops', 'wps', 'cps', 'rpm', 'opm', 'wpm', 'cpm',
]);

interface TemplateJson {
  type?: string;
  name?: string;
  label?: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string } | string | null;
  multi?: boolean;
  allValue?: string;
  refresh?: number;
}

function uidOf(ds: unknown): string | undefined {
  if (typeof ds === 'string') return ds;
  if (ds && typeof ds === 'object' && typeof (ds as { uid?: unknown }).uid === 'string') {
    return (ds as { uid: string }).uid;
  }
  return undefined;
}

function queryOf(t: TemplateJson): string {
  return typeof t.query === 'string' ? t.query : (t.query?.query ?? '');
}

function parsePromQL(expr: string): { tree: Tree; text: (n: SyntaxNode) => string } | undefined {
  let src = expr;
  for (const [re, magic] of TIME_VARIABLES) src = src.replace(re, magic);
  const tree = parser.parse(src);
  let ok = src.trim().length > 0;
  tree.iterate({
    enter: (n) => {
      if (n.type.isError) ok = false;
      return ok;
    },
  });
  return ok ? { tree, text: (n) => src.slice(n.from, n.to) } : undefined;
}

/** The function whose argument the node is, looking through `offset` and `@` modifiers. */
function enclosingFunction(node: SyntaxNode, text: (n: SyntaxNode) => string): string | undefined {
  let p = node.parent;
  while (p && (p.name === 'OffsetExpr' || p.name === 'StepInvariantExpr')) p = p.parent;
  if (p?.name !== 'FunctionCallBody') return undefined;
  const id = p.parent?.getChild('FunctionIdentifier');
  return id ? text(id) : undefined;
}

interface Matcher {
  label: string;
  op: string;
  value: string;
}

function matchersOf(selector: SyntaxNode, text: (n: SyntaxNode) => string): Matcher[] {
  const out: Matcher[] = [];
  const list = selector.getChild('LabelMatchers');
  for (const m of list?.getChildren('UnquotedLabelMatcher') ?? []) {
    const [label, op, value] = [m.getChild('LabelName'), m.getChild('MatchOp'), m.getChild('StringLiteral')];
    if (label && op && value) out.push({ label: text(label), op: text(op), value: text(value).slice(1, -1) });
  }
  for (const m of list?.getChildren('QuotedLabelMatcher') ?? []) {
    const name = m.getChild('QuotedLabelName');
    const op = m.getChild('MatchOp');
    const value = m.getChildren('StringLiteral').at(-1);
    if (name && op && value) {
      out.push({ label: text(name).slice(1, -1), op: text(op), value: text(value).slice(1, -1) });
    }
  }
  return out;
}

function metricOf(selector: SyntaxNode, text: (n: SyntaxNode) => string, matchers: Matcher[]): string {
  const id = selector.getChild('Identifier');
  if (id) return text(id);
  return matchers.find((m) => m.label === '__name__' && m.op === '=')?.value ?? '';
}

function lintTarget(expr: string, where: string, problems: string[]): void {
  const parsed = parsePromQL(expr);
  if (!parsed) {
    problems.push(`target-promql-rule: ${where}: invalid PromQL ${JSON.stringify(expr)}`);
    return;
  }
  const { tree, text } = parsed;
  const seen = new Set<string>();
  const report = (line: string) => {
    if (!seen.has(line)) problems.push(line);
    seen.add(line);
  };
  tree.iterate({
    enter: (ref) => {
      const node = ref.node;
      if (node.name === 'MatrixSelector' || node.name === 'SubqueryExpr') {
        const range = node.getChild('DurationExpr');
        const duration = range ? text(range) : '';
        const shown = VARIABLE_DURATIONS.get(duration) ?? duration;
        const fn = node.name === 'MatrixSelector' ? enclosingFunction(node, text) : undefined;
        if (fn && RATE_FUNCTIONS.has(fn)) {
          if (duration !== RATE_INTERVAL) {
            report(
              `target-rate-interval-rule: ${where}: ${fn}() must use [$__rate_interval], not [${shown}]`,
            );
          }
        } else if (!VARIABLE_DURATIONS.has(duration)) {
          report(`target-rate-interval-rule: ${where}: fixed range [${duration}]; use $__rate_interval`);
        }
      } else if (node.name === 'VectorSelector') {
        const matchers = matchersOf(node, text);
        const metric = metricOf(node, text, matchers);
        for (const [label, rule] of [
          ['job', 'target-job-rule'],
          ['instance', 'target-instance-rule'],
        ] as const) {
          const ok = matchers.some(
            (m) =>
              m.label === label && m.op === '=~' && (m.value === `$${label}` || m.value === `\${${label}}`),
          );
          if (!ok) report(`${rule}: ${where}: selector ${metric || '{…}'} lacks ${label}=~"$${label}"`);
        }
        if (COUNTER_SUFFIX.test(metric)) {
          const matrix = node.parent?.name === 'MatrixSelector' ? node.parent : undefined;
          const fn = matrix ? enclosingFunction(matrix, text) : undefined;
          if (!fn || !RATE_FUNCTIONS.has(fn)) {
            report(
              `target-counter-agg-rule: ${where}: counter ${metric} must be read with rate(), irate() or increase()`,
            );
          }
        }
      }
    },
  });
}

function lintTemplates(dashboard: GrafanaDashboard, problems: string[]): void {
  const list = (dashboard.templating?.list ?? []) as TemplateJson[];
  const datasources = list.filter((t) => t.type === 'datasource');
  const ds = datasources.find((t) => t.name === 'datasource');
  if (!ds) {
    problems.push(
      datasources.length === 0
        ? 'template-datasource-rule: dashboard has no datasource variable; add one named "datasource"'
        : `template-datasource-rule: datasource variable is named "${datasources[0]?.name}"; name it "datasource"`,
    );
  } else {
    if (queryOf(ds) !== 'prometheus') {
      problems.push(
        `template-datasource-rule: datasource variable has type "${queryOf(ds)}"; use "prometheus"`,
      );
    }
    if (ds.label !== 'Data source') {
      problems.push(
        `template-datasource-rule: datasource variable is labeled "${ds.label ?? ''}"; use "Data source"`,
      );
    }
  }
  for (const [name, rule] of [
    ['job', 'template-job-rule'],
    ['instance', 'template-instance-rule'],
  ] as const) {
    const t = list.find((v) => v.name === name);
    if (!t) {
      problems.push(`${rule}: dashboard has no "${name}" variable`);
      continue;
    }
    const label = name[0]!.toUpperCase() + name.slice(1);
    if (t.type !== 'query')
      problems.push(`${rule}: "${name}" variable has type "${t.type}"; use a query variable`);
    if (!DATASOURCE_UIDS.has(uidOf(t.datasource) ?? '')) {
      problems.push(
        `${rule}: "${name}" variable uses datasource "${uidOf(t.datasource) ?? ''}"; use "\${datasource}"`,
      );
    }
    if (t.label !== label)
      problems.push(`${rule}: "${name}" variable is labeled "${t.label ?? ''}"; use "${label}"`);
    if (t.multi !== true) problems.push(`${rule}: "${name}" variable must be multi-select`);
    if (t.allValue !== '.+') problems.push(`${rule}: "${name}" variable must have allValue ".+"`);
  }
  for (const t of list) {
    if (t.type !== 'query') continue;
    if (t.refresh !== 2) {
      problems.push(
        `template-on-time-change-reload-rule: "${t.name}" variable must refresh on time range change (refresh: 2)`,
      );
    }
    const q = queryOf(t);
    const m = /^\s*label_values\((.*),\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)\s*$/s.exec(q);
    if (m && !parsePromQL(m[1]!)) {
      problems.push(
        `template-label-promql-rule: "${t.name}" variable has invalid PromQL ${JSON.stringify(m[1])}`,
      );
    }
  }
}

function lintPanel(panel: PanelJson, problems: string[]): void {
  const title = panel.title ?? '';
  const where = `panel "${title}"`;
  if (!title.trim() || !panel.description?.trim()) {
    problems.push(`panel-title-description-rule: ${where} needs a title and a description`);
  }
  const type = panel.type ?? '';
  if (LINTED_PANEL_TYPES.has(type)) {
    const unit = panel.fieldConfig?.defaults?.unit ?? '';
    if (!UNITS.has(unit)) problems.push(`panel-units-rule: ${where} has no or an unknown unit "${unit}"`);
  }
  if (NO_QUERY_PANEL_TYPES.has(type)) return;
  if (!DATASOURCE_UIDS.has(uidOf(panel.datasource) ?? '')) {
    problems.push(
      `panel-datasource-rule: ${where} uses datasource "${uidOf(panel.datasource) ?? ''}"; use "\${datasource}"`,
    );
  }
  const targets = panel.targets ?? [];
  if (targets.length === 0) problems.push(`panel-no-targets-rule: ${where} has no query`);
  for (const [i, t] of targets.entries()) {
    const at = `${where} target ${t.refId ?? i}`;
    if (t.datasource !== undefined && !DATASOURCE_UIDS.has(uidOf(t.datasource) ?? '')) {
      problems.push(
        `panel-datasource-rule: ${at} uses datasource "${uidOf(t.datasource) ?? ''}"; use "\${datasource}"`,
      );
    }
    if (typeof t.expr !== 'string') {
      problems.push(`target-promql-rule: ${at} has no PromQL expression`);
      continue;
    }
    lintTarget(t.expr, at, problems);
  }
}

/**
 * Checks a dashboard against the Grafana dashboard-linter conventions the mixin follows and
 * returns one line per problem (empty: clean). Rules (named as in grafana/dashboard-linter):
 * `template-datasource-rule`, `template-job-rule`, `template-instance-rule`,
 * `template-on-time-change-reload-rule`, `template-label-promql-rule`, `uneditable-dashboard`,
 * `panel-title-description-rule`, `panel-units-rule`, `panel-datasource-rule` (panels and targets),
 * `panel-no-targets-rule`, `target-promql-rule`, `target-rate-interval-rule` (rate/irate/increase use
 * `$__rate_interval`; no fixed range anywhere), `target-job-rule`, `target-instance-rule`,
 * `target-counter-agg-rule`. Queries are parsed with the Prometheus project's lezer grammar.
 *
 * @example
 * ```ts
 * const problems = lintDashboard(JSON.parse(readFileSync('dashboard.json', 'utf8')));
 * if (problems.length > 0) throw new Error(problems.join('\n'));
 * ```
 */
export function lintDashboard(dashboard: GrafanaDashboard): string[] {
  const problems: string[] = [];
  lintTemplates(dashboard, problems);
  if (dashboard.editable !== false) {
    problems.push(
      'uneditable-dashboard: dashboard must not be editable (editable: false); provisioned copies are overwritten',
    );
  }
  for (const panel of flattenPanels(dashboard)) lintPanel(panel, problems);
  return problems;
}
