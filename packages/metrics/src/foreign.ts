import { escapeHelp, escapeLabelValue, formatNumber } from './format.js';

interface ForeignValue {
  value: number;
  labels?: Record<string, string | number | undefined>;
  metricName?: string;
  exemplar?: { labelSet: Record<string, string | number>; value: number; timestamp: number } | null;
}
interface ForeignMetric {
  name: string;
  help: string;
  type: string;
  values?: ForeignValue[];
}

function pairs(labels: Record<string, string | number | undefined>): string {
  let out = '';
  for (const key in labels) {
    const v = labels[key];
    if (v === undefined || v === '') continue;
    if (out !== '') out += ',';
    out += `${key}="${escapeLabelValue(typeof v === 'string' ? v : String(v))}"`;
  }
  return out;
}

/**
 * A prom-client metric registered by the user in `metrics.registry`, written from its `get()`
 * result the way prom-client would (its labels win over the default labels), plus OpenMetrics'
 * counter naming and exemplars, which prom-client only does in a registry of that content type.
 */
export function formatForeign(
  metric: ForeignMetric,
  openMetrics: boolean,
  defaults: Record<string, string>,
): string {
  let family = metric.name;
  let type = metric.type;
  if (openMetrics && type === 'counter') family = family.replace(/_total$/, '');
  if (openMetrics && type === 'gauge' && family.endsWith('_info')) {
    family = family.slice(0, -5);
    type = 'info';
  }
  if (!openMetrics && type !== 'counter' && type !== 'gauge' && type !== 'histogram' && type !== 'summary')
    type = 'untyped';
  if (openMetrics && type === 'untyped') type = 'unknown';
  let out = `# HELP ${family} ${escapeHelp(metric.help)}\n# TYPE ${family} ${type}\n`;
  for (const v of metric.values ?? []) {
    let name = v.metricName ?? metric.name;
    if (openMetrics && metric.type === 'counter' && !name.endsWith('_total')) name = `${name}_total`;
    const labels = { ...defaults, ...v.labels };
    const p = pairs(labels);
    out += p === '' ? `${name} ${formatNumber(v.value)}` : `${name}{${p}} ${formatNumber(v.value)}`;
    if (openMetrics && v.exemplar?.labelSet && Object.keys(v.exemplar.labelSet).length > 0) {
      const ts = v.exemplar.timestamp > 1e11 ? v.exemplar.timestamp / 1000 : v.exemplar.timestamp;
      out += ` # {${pairs(v.exemplar.labelSet)}} ${formatNumber(v.exemplar.value)} ${ts}`;
    }
    out += '\n';
  }
  return out;
}
