import { parser } from '@prometheus-io/lezer-promql';

/** A label matcher of a PromQL vector selector. */
export interface Matcher {
  name: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A parsed vector selector: `metric{a="b", c=~"5.."}` (the metric name may be absent). */
export interface Selector {
  metric?: string;
  matchers: Matcher[];
}

/**
 * Parses a PromQL vector selector with the Prometheus project's own grammar. Returns a reason
 * (never throws) when the text is not exactly one vector selector: a range, a function or a
 * syntax error is refused, since the rules wrap the selector in `increase(…[5m])` themselves.
 */
export function parseSelector(text: string): Selector | string {
  if (typeof text !== 'string' || text.trim() === '') return 'a PromQL vector selector';
  const tree = parser.parse(text);
  let error = false;
  tree.iterate({
    enter(n) {
      if (n.type.isError) error = true;
    },
  });
  const top = tree.topNode.firstChild;
  if (error || !top) return 'a PromQL vector selector that parses';
  if (top.name !== 'VectorSelector' || top.nextSibling) {
    return `a plain vector selector (metric{label="value"}), not ${top.name === 'MatrixSelector' ? 'a range' : 'an expression'}`;
  }
  const selector: Selector = { matchers: [] };
  const ident = top.getChild('Identifier');
  if (ident) selector.metric = text.slice(ident.from, ident.to);
  const list = top.getChild('LabelMatchers');
  for (let m = list?.firstChild; m; m = m.nextSibling) {
    if (m.name !== 'UnquotedLabelMatcher' && m.name !== 'QuotedLabelMatcher') continue;
    const strings = m.getChildren('StringLiteral');
    const label = m.getChild('LabelName') ?? m.getChild('QuotedLabelName')?.getChild('StringLiteral');
    const op = m.getChild('MatchOp');
    const value = strings[strings.length - 1];
    if (!label || !op || !value) return 'a PromQL vector selector that parses';
    const rawName = text.slice(label.from, label.to);
    const name = rawName.startsWith('"') ? unquote(rawName) : rawName;
    const matcher: Matcher = {
      name,
      op: text.slice(op.from, op.to) as Matcher['op'],
      value: unquote(text.slice(value.from, value.to)),
    };
    if (name === '__name__' && matcher.op === '=') selector.metric = matcher.value;
    else selector.matchers.push(matcher);
  }
  if (!selector.metric) return 'a selector with a metric name';
  for (const m of selector.matchers) {
    if ((m.op === '=~' || m.op === '!~') && !validRegex(m.value)) {
      return `a selector whose regular expressions compile in RE2, Prometheus' engine, which has no lookaround or backreferences (${m.name}${m.op}${JSON.stringify(m.value)})`;
    }
  }
  return selector;
}

function unquote(literal: string): string {
  const q = literal[0];
  const body = literal.slice(1, -1);
  if (q === '`') return body;
  // PromQL strings use Go escapes; JSON covers the ones selectors use (\" \\ \n \t \uXXXX).
  try {
    return JSON.parse(`"${q === "'" ? body.replace(/\\'/g, "'").replace(/"/g, '\\"') : body}"`);
  } catch {
    return body;
  }
}

// Prometheus compiles regexes with Go's RE2: no lookaround and no backreferences, which
// JavaScript's engine would accept here and promtool would then refuse.
const NOT_RE2 = /\(\?<?[=!]|\\[1-9]|\\k</;

function validRegex(source: string): boolean {
  if (NOT_RE2.test(source)) return false;
  try {
    new RegExp(`^(?:${source})$`);
    return true;
  } catch {
    return false;
  }
}

/** Prometheus anchors regular expressions at both ends. */
function fullMatch(re: string, value: string): boolean {
  return new RegExp(`^(?:${re})$`).test(value);
}

/** Whether a series with these labels is selected (labels not given count as empty, as in Prometheus). */
export function selects(selector: Selector, metric: string, labels: Record<string, string>): boolean {
  if (selector.metric !== undefined && selector.metric !== metric) return false;
  return selector.matchers.every((m) => {
    const v = labels[m.name] ?? '';
    switch (m.op) {
      case '=':
        return v === m.value;
      case '!=':
        return v !== m.value;
      case '=~':
        return fullMatch(m.value, v);
      default:
        return !fullMatch(m.value, v);
    }
  });
}

/** Renders a selector with extra matchers appended (`{le="2"}` on a bucket, for example). */
export function formatSelector(metric: string, matchers: readonly Matcher[]): string {
  if (matchers.length === 0) return metric;
  return `${metric}{${matchers.map((m) => `${m.name}${m.op}${JSON.stringify(m.value)}`).join(', ')}}`;
}

// Values tried when a test needs a label value that satisfies (or avoids) a regex matcher. They
// cover the usual status code, outcome and boolean patterns; a selector none of them fits needs
// `testLabels` in its spec.
const CANDIDATES = [
  '500',
  '503',
  '200',
  '204',
  '404',
  '0',
  '1',
  'x',
  'success',
  'failure',
  'error',
  'ok',
  'true',
  'false',
  'GET',
  'POST',
  'timeout',
  'cancelled',
  '5xx',
  '2xx',
  'unknown',
];

/**
 * Labels of a test series that the selector selects, with `overrides` first. Regex matchers get a
 * value built from the expression (`5..` -> `500`) or one of a few usual values; `undefined` when
 * nothing found fits.
 */
export function exampleLabels(
  selector: Selector,
  overrides: Record<string, string> = {},
  avoid?: Selector,
): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const m of selector.matchers) {
    if (m.name in overrides) continue;
    if (m.op === '=') labels[m.name] = m.value;
  }
  Object.assign(labels, overrides);
  const names = [...new Set(selector.matchers.map((m) => m.name))].filter(
    (n) => !(n in overrides) && !(n in labels),
  );
  const metric = selector.metric ?? '';
  for (const name of names) {
    const own = selector.matchers.filter((m) => m.name === name);
    const guesses = [
      ...own.filter((m) => m.op === '=~').flatMap((m) => guessFromRegex(m.value)),
      '',
      ...CANDIDATES,
    ];
    const value = guesses.find((g) =>
      own.every((m) => selects({ metric, matchers: [m] }, metric, { [name]: g })),
    );
    if (value === undefined) return undefined;
    if (value !== '') labels[name] = value;
  }
  if (!selects(selector, metric, labels)) return undefined;
  if (avoid && selects(avoid, metric, labels)) {
    // Make the series miss `avoid` by changing one label `avoid` constrains.
    // Labels the caller fixed are tried last: they usually name the series both sides share.
    const order = [...avoid.matchers].sort(
      (a, b) => Number(a.name in overrides) - Number(b.name in overrides),
    );
    for (const m of order) {
      const guesses = [...CANDIDATES, ...(m.op === '!~' || m.op === '!=' ? guessFromRegex(m.value) : [])];
      for (const g of guesses) {
        const tried = { ...labels, [m.name]: g };
        if (selects(selector, metric, tried) && !selects(avoid, metric, tried)) return tried;
      }
    }
    return undefined;
  }
  return labels;
}

function guessFromRegex(re: string): string[] {
  const first = re.split('|')[0] ?? '';
  const plain = first.replace(/[\^$()]/g, '').replace(/\\\./g, '.');
  return [
    plain.replace(/\./g, '0').replace(/[+*?]/g, ''),
    plain.replace(/\.[+*]?/g, '0').replace(/\[([^\]])[^\]]*\]/g, '$1'),
  ];
}
