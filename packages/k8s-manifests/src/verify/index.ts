import type { ImageLock } from '../image.js';
import { CHECK_INFO, IGNORE_ANNOTATION, runChecks } from './checks.js';
import { type Finding, jsonPath } from './finding.js';
import { type LoadedObject, loadManifests, manifestFiles } from './load.js';
import { checkRulesWithPromtool } from './promtool.js';
import { validateSchema } from './schema.js';

/** Options of {@link verifyManifests}. */
export interface VerifyOptions {
  /** Cross-check every image against this lock (see `readImageLock`). */
  imageLock?: ImageLock;
  /**
   * The promtool binary for PrometheusRule contents, or `false` to skip that step.
   * Env: `IMMO_K8S_PROMTOOL`. @default 'promtool' (from PATH)
   */
  promtool?: string | false;
}

/**
 * The outcome of {@link verifyManifests}.
 *
 * @example
 * ```ts
 * const { ok, findings } = await verifyManifests(['k8s/']);
 * ```
 */
export interface VerifyResult {
  /** No finding of severity `error`. */
  ok: boolean;
  findings: Finding[];
  /** Objects read. */
  objects: number;
  files: number;
}

const fixOf = new Map(CHECK_INFO.map((c) => [c.id, c.fix]));

function finding(
  o: LoadedObject,
  path: (string | number)[],
  rule: string,
  message: string,
  severity: Finding['severity'] = 'error',
): Finding {
  return {
    file: o.file,
    line: o.lineOf(path),
    object: o.ref,
    path: jsonPath(path),
    rule,
    severity,
    message,
    fix: fixOf.get(rule) ?? '',
  };
}

/**
 * Checks manifests (files or folders of `*.yaml`/`*.yml`/`*.json`, ours or anyone's): schemas with
 * unknown fields refused, digest pinning across every pod template and container list, the
 * kube-linter/Polaris-style checks, and PrometheusRule contents through the real
 * `promtool check rules` (once per call). Per-object opt-out:
 * `metadata.annotations["ignore-check.immo.dev/<id>"]: "<justification>"`.
 *
 * Never throws for bad input: unreadable files and YAML errors are findings naming file and line.
 *
 * @example
 * ```ts
 * const result = await verifyManifests(['apps/api/k8s'], { imageLock: readImageLock('apps/api/image.lock') });
 * for (const f of result.findings) console.log(formatFinding(f));
 * process.exitCode = result.ok ? 0 : 1;
 * ```
 */
export async function verifyManifests(
  inputs: readonly string[],
  options: VerifyOptions = {},
): Promise<VerifyResult> {
  const listed = manifestFiles(inputs);
  const loaded = loadManifests(listed.files);
  const findings: Finding[] = [...listed.findings, ...loaded.findings];
  const objects: LoadedObject[] = [];
  for (const o of loaded.objects) {
    const rec = o.object;
    const m = rec.metadata as { name?: unknown } | undefined;
    const missing = [
      typeof rec.apiVersion === 'string' ? '' : 'apiVersion',
      typeof rec.kind === 'string' ? '' : 'kind',
      typeof m?.name === 'string' && m.name !== '' ? '' : 'metadata.name',
    ].filter(Boolean);
    if (missing.length > 0) {
      findings.push(finding(o, [], 'invalid-object', `no ${missing.join(', ')}`));
      continue;
    }
    objects.push(o);
    const problems = validateSchema(rec);
    if (problems === undefined) {
      findings.push(
        finding(
          o,
          [],
          'unknown-kind',
          `no schema for ${String(rec.apiVersion)} ${String(rec.kind)}: not schema-checked`,
          'warning',
        ),
      );
      continue;
    }
    // CRD schemas (prometheus-operator) trail the operator: a field newer than the bundled schema
    // is a warning there, not an error.
    const crd = String(rec.apiVersion).startsWith('monitoring.coreos.com/');
    for (const p of problems) {
      findings.push(
        finding(o, p.path, p.rule, p.message, crd && p.rule === 'unknown-field' ? 'warning' : 'error'),
      );
    }
  }

  for (const hit of runChecks(objects, options.imageLock)) {
    findings.push(finding(hit.object, hit.path, hit.check.id, hit.message));
  }

  const promtool = options.promtool ?? process.env.IMMO_K8S_PROMTOOL ?? 'promtool';
  if (promtool !== false && promtool !== '') {
    const { hits, missing } = await checkRulesWithPromtool(objects, promtool);
    if (missing !== undefined) {
      for (const o of objects.filter((x) => x.object.kind === 'PrometheusRule')) {
        findings.push({
          ...finding(o, ['spec'], 'prometheus-rule', `cannot run promtool (${missing})`),
          fix: 'install promtool (Debian: apt-get install prometheus), set IMMO_K8S_PROMTOOL, or skip this step with --no-promtool',
        });
      }
    }
    for (const h of hits) findings.push(finding(h.object, h.path, 'prometheus-rule', h.message));
  }

  // Opt-outs: an annotation with a justification silences that check on that object.
  const byRef = new Map(objects.map((o) => [`${o.file}|${o.ref}`, o]));
  const kept = findings.filter((f) => {
    const o = byRef.get(`${f.file}|${f.object}`);
    if (!o) return true;
    const annotations = ((o.object.metadata as { annotations?: Record<string, unknown> }).annotations ??
      {}) as Record<string, unknown>;
    const why = annotations[IGNORE_ANNOTATION + f.rule];
    return !(typeof why === 'string' && why.trim().length >= 10);
  });
  for (const o of objects) {
    const annotations = ((o.object.metadata as { annotations?: Record<string, unknown> }).annotations ??
      {}) as Record<string, unknown>;
    for (const [key, value] of Object.entries(annotations)) {
      if (!key.startsWith(IGNORE_ANNOTATION)) continue;
      const id = key.slice(IGNORE_ANNOTATION.length);
      if (!fixOf.has(id)) {
        kept.push(
          finding(o, ['metadata', 'annotations', key], 'ignore-justification', `"${id}" is not a check id`),
        );
      } else if (typeof value !== 'string' || value.trim().length < 10) {
        kept.push(
          finding(
            o,
            ['metadata', 'annotations', key],
            'ignore-justification',
            `opt-out of "${id}" has no justification (at least 10 characters)`,
          ),
        );
      }
    }
  }
  kept.sort((a, b) =>
    a.file < b.file
      ? -1
      : a.file > b.file
        ? 1
        : a.line - b.line || (a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0),
  );
  return {
    ok: !kept.some((f) => f.severity === 'error'),
    findings: kept,
    objects: objects.length,
    files: listed.files.length,
  };
}
