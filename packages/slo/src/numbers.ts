/**
 * A computed number without binary float noise: `1 - 0.999` is `0.0010000000000000009` in IEEE
 * doubles; twelve significant digits are far more than any objective or factor needs and drop it.
 */
export function clean(n: number): number {
  return Number(n.toPrecision(12));
}

/** A number as PromQL and YAML should show it: `0.001`, `14.4`, `0.933333333333`. */
export function formatNumber(n: number): string {
  return String(clean(n));
}
