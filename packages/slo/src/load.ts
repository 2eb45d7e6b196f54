import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import YAML from 'yaml';
import { SloError } from './errors.js';
import { fromOpenSlo, isOpenSlo } from './openslo.js';
import { type DefineSlosOptions, type Slo, validateSlos } from './spec.js';

/** What one file holds before validation. */
interface Collected {
  specs: unknown[];
  sources: string[];
  histograms: Record<string, readonly number[]>;
  problems: string[];
}

function collect(doc: unknown, file: string, into: Collected): void {
  if (doc === null || doc === undefined) return;
  if (isOpenSlo(doc)) {
    // A file of OpenSLO documents may hold Service or SLI documents too: only SLOs are read.
    if ((doc as { kind?: unknown }).kind !== 'SLO') return;
    const spec = fromOpenSlo(doc);
    const name = (doc as { metadata?: { name?: unknown } }).metadata?.name;
    if (Array.isArray(spec)) {
      for (const p of spec)
        into.problems.push(`${file}: ${typeof name === 'string' ? name : 'OpenSLO document'}: ${p}`);
    } else {
      into.specs.push(spec);
      into.sources.push(file);
    }
    return;
  }
  if (Array.isArray(doc)) {
    for (const d of doc) {
      // A module may export the result of defineSlos(): its specs are what gets validated again.
      const resolved = typeof d === 'object' && d !== null && 'spec' in d && 'budget' in d;
      into.specs.push(resolved ? (d as { spec: unknown }).spec : d);
      into.sources.push(file);
    }
    return;
  }
  if (typeof doc === 'object' && 'slos' in doc) {
    const { slos, histograms, ...rest } = doc as { slos: unknown; histograms?: unknown };
    const extra = Object.keys(rest);
    if (extra.length)
      into.problems.push(`${file}: unknown key(s) ${extra.join(', ')} — expected slos and histograms`);
    if (histograms !== undefined) {
      if (typeof histograms !== 'object' || histograms === null) {
        into.problems.push(`${file}: histograms: expected a map of metric name to bucket list`);
      } else {
        for (const [name, buckets] of Object.entries(histograms)) {
          if (Array.isArray(buckets) && buckets.every((b) => typeof b === 'number'))
            into.histograms[name] = buckets;
          else into.problems.push(`${file}: histograms.${name}: expected a list of numbers`);
        }
      }
    }
    if (!Array.isArray(slos)) into.problems.push(`${file}: slos: expected a list of SLO specs`);
    else collect(slos, file, into);
    return;
  }
  if (typeof doc === 'object' && 'id' in doc) {
    into.specs.push(doc);
    into.sources.push(file);
    return;
  }
  into.problems.push(
    `${file}: expected SLO specs (a list, { slos: [...] }, one spec or OpenSLO kind: SLO documents), received ${typeof doc}`,
  );
}

async function collectFile(file: string, into: Collected): Promise<void> {
  const ext = path.extname(file);
  if (['.js', '.mjs', '.cjs'].includes(ext)) {
    try {
      const mod = await import(pathToFileURL(path.resolve(file)).href);
      collect(mod.slos ?? mod.default, file, into);
    } catch (err) {
      into.problems.push(`${file}: cannot import: ${(err as Error).message.split('\n')[0]}`);
    }
    return;
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    into.problems.push(
      `${file}: cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
    return;
  }
  // maxAliasCount bounds the expansion of YAML aliases (a "billion laughs" file stays small).
  const docs = YAML.parseAllDocuments(text);
  for (const doc of Array.isArray(docs) ? docs : [docs]) {
    if (doc.errors.length > 0) {
      // The first error is the cause; the parser's later ones mostly follow from it.
      for (const e of doc.errors.slice(0, 1)) {
        const at = e.linePos?.[0] ? `line ${e.linePos[0].line}:${e.linePos[0].col}: ` : '';
        into.problems.push(`${file}: ${at}${e.message.split('\n')[0]}`);
      }
      continue;
    }
    try {
      collect(doc.toJS({ maxAliasCount: 100 }), file, into);
    } catch (err) {
      into.problems.push(`${file}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
}

/**
 * Loads SLO specs from YAML, JSON (our format or OpenSLO v1 `kind: SLO`, several documents per file)
 * or JavaScript modules exporting `slos` (specs or `defineSlos()`'s result; or a default export), and validates them all together
 * (ids unique across files). Never throws: returns the SLOs or every problem, each line starting
 * with its file and SLO id.
 *
 * @example
 * ```ts
 * const result = await validateSloFiles(['slos/api.yaml', 'slos/billing.yaml']);
 * if (!result.ok) { console.error(result.issues.join('\n')); process.exitCode = 1; }
 * ```
 */
export async function validateSloFiles(
  files: readonly string[],
  options: DefineSlosOptions = {},
): Promise<{ ok: true; slos: Slo[] } | { ok: false; issues: string[] }> {
  const into: Collected = { specs: [], sources: [], histograms: {}, problems: [] };
  for (const file of files) await collectFile(file, into);
  const result = validateSlos(into.specs, {
    ...options,
    histograms: { ...into.histograms, ...options.histograms },
    sources: into.sources,
  });
  const issues = [...into.problems, ...(result.ok ? [] : result.issues)];
  if (into.specs.length === 0 && into.problems.length === 0)
    issues.push(`${files.join(', ')}: no SLO specs found`);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, slos: result.ok ? result.slos : [] };
}

/**
 * Like {@link validateSloFiles}, but throws {@link SloError} `IMMO_SLO_INVALID_FILE` listing every
 * problem.
 *
 * @example
 * ```ts
 * const slos = await loadSloFiles(['slos.yaml']);
 * ```
 */
export async function loadSloFiles(
  files: readonly string[],
  options: DefineSlosOptions = {},
): Promise<Slo[]> {
  const result = await validateSloFiles(files, options);
  if (!result.ok) throw new SloError('IMMO_SLO_INVALID_FILE', 'Invalid SLO files', result.issues);
  return result.slos;
}
