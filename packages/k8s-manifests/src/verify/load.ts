import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import YAML, { isMap, isScalar, isSeq, LineCounter } from 'yaml';
import type { Finding } from './finding.js';

/** One object read from a manifest file, with what is needed to point at a line. */
export interface LoadedObject {
  file: string;
  /** The object as plain data. */
  object: Record<string, unknown>;
  /** `Kind/namespace/name` (or `Kind/name` without a namespace). */
  ref: string;
  /** 1-based line of a JSON path in this object's file; the document's first line when not found. */
  lineOf(path: readonly (string | number)[]): number;
}

function readError(file: string, err: unknown): Finding {
  return {
    file,
    line: 0,
    object: '-',
    path: '-',
    rule: 'read-error',
    severity: 'error',
    message: `cannot read: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
    fix: 'pass an existing, readable file or folder',
  };
}

/** Files to read: the given files, and `*.yaml`, `*.yml`, `*.json` under the given folders (sorted). */
export function manifestFiles(inputs: readonly string[]): { files: string[]; findings: Finding[] } {
  const files: string[] = [];
  const findings: Finding[] = [];
  const walk = (p: string, explicit: boolean) => {
    let st: import('node:fs').Stats;
    try {
      st = statSync(p);
    } catch (err) {
      findings.push(readError(p, err));
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (name.startsWith('.') || name === 'node_modules') continue;
        walk(path.join(p, name), false);
      }
    } else if (explicit || /\.(ya?ml|json)$/.test(p)) files.push(p);
  };
  for (const input of inputs) walk(input, true);
  return { files, findings };
}

function refOf(o: Record<string, unknown>): string {
  const meta = (o.metadata ?? {}) as { name?: unknown; namespace?: unknown };
  const kind = typeof o.kind === 'string' ? o.kind : '?';
  const name = typeof meta.name === 'string' ? meta.name : '?';
  return typeof meta.namespace === 'string' ? `${kind}/${meta.namespace}/${name}` : `${kind}/${name}`;
}

/**
 * Parses every document of every file. Syntax errors become `yaml-syntax` findings naming the file
 * and line (never an exception); `kind: List` documents are expanded into their items.
 */
export function loadManifests(files: readonly string[]): { objects: LoadedObject[]; findings: Finding[] } {
  const objects: LoadedObject[] = [];
  const findings: Finding[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      findings.push(readError(file, err));
      continue;
    }
    const lineCounter = new LineCounter();
    // merge: kubectl (go-yaml) applies `<<: *anchor` merge keys, so the verifier must too.
    const docs = YAML.parseAllDocuments(text, {
      lineCounter,
      uniqueKeys: true,
      prettyErrors: false,
      merge: true,
    });
    const list = Array.isArray(docs) ? docs : [docs];
    for (const doc of list) {
      if (doc.errors.length > 0) {
        const first = doc.errors[0]!;
        const line = lineCounter.linePos(first.pos[0]).line;
        findings.push({
          file,
          line,
          object: '-',
          path: '-',
          rule: 'yaml-syntax',
          severity: 'error',
          message: `not valid YAML: ${first.message.split('\n')[0]}${doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : ''}`,
          fix: 'fix the syntax at that line (indentation, a missing ":" or quote)',
        });
        continue;
      }
      let value: unknown;
      try {
        // The alias limit stops "billion laughs" documents; an unresolved alias fails here too.
        value = doc.toJS({ maxAliasCount: 100 }) as unknown;
      } catch (err) {
        findings.push({
          file,
          line: lineCounter.linePos(doc.contents?.range?.[0] ?? 0).line,
          object: '-',
          path: '-',
          rule: 'yaml-syntax',
          severity: 'error',
          message: `not valid YAML: ${String((err as Error).message)
            .split('\n')[0]!
            .slice(0, 200)}`,
          fix: 'fix the aliases: every *alias needs an &anchor earlier in the same document, and aliases may not expand exponentially',
        });
        continue;
      }
      if (value === null || value === undefined) continue;
      // The line of the deepest node on the path that exists; for a map entry the line of its key,
      // so `replcias: 3` and a nested `limit:` block both point at the line naming the field.
      const lineOf =
        (prefix: readonly (string | number)[]) =>
        (p: readonly (string | number)[]): number => {
          let node: unknown = doc.contents;
          let offset = doc.contents?.range?.[0] ?? 0;
          for (const seg of [...prefix, ...p]) {
            if (isMap(node)) {
              const pair = node.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === seg);
              if (!pair) break;
              const keyRange = (pair.key as { range?: [number, number, number] } | null)?.range;
              if (keyRange) offset = keyRange[0];
              node = pair.value;
            } else if (isSeq(node) && typeof seg === 'number') {
              const item = node.items[seg] as { range?: [number, number, number] } | undefined;
              if (!item) break;
              if (item.range) offset = item.range[0];
              node = item;
            } else break;
          }
          return lineCounter.linePos(offset).line;
        };
      const add = (o: unknown, prefix: readonly (string | number)[]) => {
        if (o === null || typeof o !== 'object' || Array.isArray(o)) {
          findings.push({
            file,
            line: lineOf(prefix)([]),
            object: '-',
            path: '$',
            rule: 'invalid-object',
            severity: 'error',
            message: `expected a Kubernetes object, received ${Array.isArray(o) ? 'an array' : typeof o}`,
            fix: 'each YAML document must be one object with apiVersion, kind and metadata.name',
          });
          return;
        }
        const rec = o as Record<string, unknown>;
        if (rec.kind === 'List' && Array.isArray(rec.items)) {
          for (const [i, item] of rec.items.entries()) add(item, [...prefix, 'items', i]);
          return;
        }
        objects.push({ file, object: rec, ref: refOf(rec), lineOf: lineOf(prefix) });
      };
      add(value, []);
    }
  }
  return { objects, findings };
}
