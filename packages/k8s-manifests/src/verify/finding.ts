/**
 * One problem found by `verify`. Printed as one line:
 * `file:line Kind/namespace/name $.json.path [rule] message — fix: …`.
 *
 * @example
 * ```ts
 * const f: Finding = {
 *   file: 'k8s/deployment.yaml', line: 31, object: 'Deployment/billing/api',
 *   path: '$.spec.template.spec.containers[0].image', rule: 'image-digest', severity: 'error',
 *   message: 'image "api:1.4" has no digest', fix: 'pin it as name@sha256:<64 hex>',
 * };
 * ```
 */
export interface Finding {
  file: string;
  /** 1-based; 0 when the problem is about the file itself. */
  line: number;
  /** `Kind/namespace/name`, `-` for file-level problems. */
  object: string;
  /** JSON path inside the object (`$.spec.replicas`). */
  path: string;
  /** The check id (see the README's check table). */
  rule: string;
  /** Errors fail `verify`; warnings are printed only. */
  severity: 'error' | 'warning';
  message: string;
  fix: string;
}

/** JSON path text for path segments: `['spec', 'containers', 0]` → `$.spec.containers[0]`. */
export function jsonPath(segments: readonly (string | number)[]): string {
  let out = '$';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s)) out += `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/**
 * One line per finding, as `immo-k8s verify` prints them.
 *
 * @example
 * ```ts
 * for (const f of result.findings) console.log(formatFinding(f));
 * ```
 */
export function formatFinding(f: Finding): string {
  const where = f.line > 0 ? `${f.file}:${f.line}` : f.file;
  const level = f.severity === 'warning' ? ' (warning)' : '';
  return `${where} ${f.object} ${f.path} [${f.rule}]${level} ${f.message} — fix: ${f.fix}`;
}
