import { parseDuration } from './duration.js';
import { SloError } from './errors.js';
import { formatNumber } from './numbers.js';
import { burnRateSeries, SLO_SERIES } from './rules.js';
import type { Slo } from './spec.js';

/** One SLO's line of the report. */
export interface SloReportRow {
  slo: string;
  service: string;
  window: string;
  objective: number;
  /** Good / all events over the window (undefined: no data). */
  compliance: number | undefined;
  /** Share of the budget left (1 − error ratio / budget). */
  budgetRemaining: number | undefined;
  /** The budget as minutes of total outage over the window (30d at 99.9%: 43.2). */
  budgetMinutes: number;
  /** `budgetRemaining × budgetMinutes`. */
  remainingMinutes: number | undefined;
  /** Burn rate over the last hour (batch SLOs: none). */
  burnRate1h: number | undefined;
  status: 'met' | 'at risk' | 'missed' | 'no data';
}

/** The report: when, from where, and one row per SLO. */
export interface SloReport {
  prometheus: string;
  time: string;
  rows: SloReportRow[];
  notes: string[];
}

/** Options of {@link sloReport}. */
export interface SloReportOptions {
  /** Prometheus' base URL (`http://prometheus:9090`). */
  prometheus: string;
  /** Evaluation time. @default now */
  time?: Date;
  /** Per-query timeout. @default 10000 */
  timeoutMs?: number;
  /** Extra request headers (e.g. an Authorization for a hosted Prometheus). */
  headers?: Record<string, string>;
}

async function query(o: SloReportOptions, expr: string): Promise<Map<string, number>> {
  const url = new URL('/api/v1/query', o.prometheus);
  url.searchParams.set('query', expr);
  if (o.time) url.searchParams.set('time', String(o.time.getTime() / 1000));
  let body: {
    status?: string;
    error?: string;
    data?: { result?: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  try {
    const res = await fetch(url, { headers: o.headers, signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
    body = (await res.json()) as typeof body;
    if (!res.ok || body.status !== 'success') throw new Error(body.error ?? `HTTP ${res.status}`);
  } catch (err) {
    throw new SloError(
      'IMMO_SLO_PROMETHEUS_QUERY',
      `Prometheus query failed (${url.origin})`,
      [`${expr}: ${(err as Error).message}`],
      err,
    );
  }
  const out = new Map<string, number>();
  for (const r of body.data?.result ?? []) {
    const v = Number(r.value[1]);
    if (Number.isFinite(v)) out.set(`${r.metric.slo}\u0000${r.metric.service}`, v);
  }
  return out;
}

/**
 * Reads compliance and budget remaining of every SLO over its period from Prometheus (the series
 * the rules record) — the rollout plan's weekly "SLO compliance" and "error budget remaining".
 *
 * @example
 * ```ts
 * const report = await sloReport(slos, { prometheus: 'http://127.0.0.1:9090' });
 * console.log(formatReport(report));
 * ```
 */
export async function sloReport(slos: readonly Slo[], options: SloReportOptions): Promise<SloReport> {
  const [compliance, remaining, burn] = await Promise.all([
    query(options, SLO_SERIES.compliance),
    query(options, SLO_SERIES.budgetRemaining),
    query(options, burnRateSeries('1h')),
  ]);
  const rows = slos.map((slo): SloReportRow => {
    const key = `${slo.id}\u0000${slo.service}`;
    const budgetMinutes = Number(formatNumber((slo.windowMs / 60_000) * slo.budget));
    const c = compliance.get(key);
    const r = c === undefined ? undefined : remaining.get(key);
    const b = burn.get(key);
    let status: SloReportRow['status'] = 'no data';
    if (r !== undefined) status = r < 0 ? 'missed' : r < 0.25 || (b ?? 0) > 1 ? 'at risk' : 'met';
    return {
      slo: slo.id,
      service: slo.service,
      window: slo.window,
      objective: slo.objective,
      compliance: c,
      budgetRemaining: r,
      budgetMinutes,
      remainingMinutes: r === undefined ? undefined : Number(formatNumber(r * budgetMinutes)),
      burnRate1h: b,
      status,
    };
  });
  const notes: string[] = [];
  if (slos.some((s) => s.window === '30d')) {
    notes.push(
      `30d windows: 99.9% leaves ${formatNumber((parseDuration('30d')! / 60_000) * 0.001)} min of budget; "43.8 min a month" is an average month of 30.44 days (365.25 / 12).`,
    );
  }
  return { prometheus: options.prometheus, time: (options.time ?? new Date()).toISOString(), rows, notes };
}

const pct = (v: number | undefined, digits = 3) =>
  v === undefined ? '—' : `${formatNumber(Number((v * 100).toFixed(digits)))}%`;

/** The report as a fixed-width table (what `immo-slo report` prints). */
export function formatReport(report: SloReport): string {
  const head = [
    'SLO',
    'service',
    'window',
    'objective',
    'compliance',
    'budget left',
    'minutes left',
    'burn 1h',
    'status',
  ];
  const lines = report.rows.map((r) => [
    r.slo,
    r.service,
    r.window,
    pct(r.objective),
    pct(r.compliance),
    pct(r.budgetRemaining, 1),
    r.remainingMinutes === undefined ? '—' : `${r.remainingMinutes.toFixed(1)} of ${r.budgetMinutes}`,
    r.burnRate1h === undefined ? '—' : r.burnRate1h.toFixed(2),
    r.status,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [
    `SLO report — ${report.time} — ${report.prometheus}`,
    '',
    row(head),
    row(widths.map((w) => '-'.repeat(w))),
    ...lines.map(row),
    ...(report.notes.length ? ['', ...report.notes.map((n) => `Note: ${n}`)] : []),
  ].join('\n');
}
