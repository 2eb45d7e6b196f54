// Prometheus durations. The same functions live in @immo/metrics/mixin, but importing that module
// loads the whole mixin (Grafana SDK, PromQL grammar) and costs `immo-slo` a quarter of a second at
// start; test/duration.test.ts pins that both agree.

const UNIT_MS = new Map([
  ['y', 31_536e6],
  ['w', 6_048e5],
  ['d', 864e5],
  ['h', 36e5],
  ['m', 6e4],
  ['s', 1e3],
  ['ms', 1],
]);

/** A Prometheus duration (`90s`, `1h30m`) in milliseconds; `undefined` when not one. */
export function parseDuration(text: string | undefined): number | undefined {
  if (typeof text !== 'string' || !/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  let total = 0;
  for (const part of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g))
    total += Number(part[1]) * UNIT_MS.get(part[2]!)!;
  return total;
}

/** Milliseconds as a Prometheus duration in the largest whole unit of d, h, m or s (`600000` → `10m`). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const unit = (['d', 'h', 'm', 's'] as const).find((u) => ms % UNIT_MS.get(u)! === 0);
  return unit ? `${ms / UNIT_MS.get(unit)!}${unit}` : `${ms}ms`;
}
