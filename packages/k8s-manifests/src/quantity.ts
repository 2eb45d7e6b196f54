const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** Kubernetes quantities as this package accepts them: `250m`, `0.5`, `256Mi`, `1G`. */
export const QUANTITY_PATTERN = /^(\d+(?:\.\d+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/;

/**
 * The numeric value of a quantity (`'256Mi'` → 268435456, `'250m'` → 0.25), or `undefined`
 * when it is not one. Used to compare requests with limits, not to print.
 *
 * @example
 * ```ts
 * parseQuantity('512Mi') > parseQuantity('256Mi')!; // true
 * ```
 */
export function parseQuantity(q: string | number | undefined): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY_PATTERN.exec(q.trim());
  if (m === null) return undefined;
  return Number(m[1]) * (SUFFIX[m[2] ?? ''] ?? 1);
}
