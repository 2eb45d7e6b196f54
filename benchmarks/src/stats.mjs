// Small, dependency-free statistics for paired benchmark rounds.

/** Linear-interpolated quantile (q in [0, 1]) of a numeric array. */
export function quantile(values, q) {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return Number.NaN;
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
}

export const median = (values) => quantile(values, 0.5);

/** Median with its spread: min–max and the interquartile range. */
export function summarise(values) {
  const xs = values.filter((v) => Number.isFinite(v));
  return {
    n: xs.length,
    median: median(xs),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
    q1: quantile(xs, 0.25),
    q3: quantile(xs, 0.75),
  };
}

/** Round i runs every variant once, rotated by i, so no variant always goes first. */
export function rotate(list, i) {
  const k = i % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}

export function fmt(x, digits = 2) {
  return Number.isFinite(x) ? x.toFixed(digits) : 'n/a';
}

/** "1.02x [0.97–1.08], IQR 1.00–1.04" */
export function fmtRatio(s) {
  if (!s || !Number.isFinite(s.median)) return 'n/a';
  return `${fmt(s.median)}x [${fmt(s.min)}–${fmt(s.max)}], IQR ${fmt(s.q1)}–${fmt(s.q3)}`;
}
