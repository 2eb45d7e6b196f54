import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { LoadedObject } from './load.js';

/** A promtool finding on one PrometheusRule. */
export interface PromtoolHit {
  object: LoadedObject;
  path: (string | number)[];
  message: string;
}

/**
 * Unwraps every PrometheusRule's `.spec` into a plain rule file and runs `promtool check rules`
 * once over all of them (one process per batch, not per object). promtool's errors are mapped back
 * to the object and, where promtool names them, the group and rule.
 *
 * @returns hits, or `{ missing: true }` when promtool cannot be run.
 */
export async function checkRulesWithPromtool(
  objects: readonly LoadedObject[],
  promtool: string,
): Promise<{ hits: PromtoolHit[]; missing?: string }> {
  const rules = objects.filter((o) => o.object.kind === 'PrometheusRule');
  if (rules.length === 0) return { hits: [] };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'immo-k8s-rules-'));
  try {
    const files = rules.map((o, i) => {
      const file = path.join(dir, `${i}.yml`);
      const spec = (o.object.spec ?? {}) as { groups?: unknown };
      writeFileSync(file, YAML.stringify({ groups: spec.groups ?? [] }, { lineWidth: 0 }));
      return file;
    });
    const { code, output, error } = await new Promise<{
      code: number;
      output: string;
      error?: NodeJS.ErrnoException;
    }>((resolve) => {
      execFile(
        promtool,
        ['check', 'rules', ...files],
        { maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { code?: number | string }) | null;
          resolve({
            code: typeof e?.code === 'number' ? e.code : e ? -1 : 0,
            output: `${stdout}\n${stderr}`,
            error: e && typeof e.code === 'string' ? e : undefined,
          });
        },
      );
    });
    if (error) return { hits: [], missing: `${promtool}: ${error.code}` };
    if (code === 0) return { hits: [] };
    // promtool prints "Checking <file>", then SUCCESS or FAILED: and that file's errors.
    const sections = new Map<string, string[]>();
    let current: string | undefined;
    for (const line of output.split('\n')) {
      const m = /^Checking (.+)$/.exec(line.trim());
      if (m) {
        current = m[1]!;
        continue;
      }
      if (current !== undefined && line.trim() && !/SUCCESS|FAILED:/.test(line)) {
        sections.set(current, [...(sections.get(current) ?? []), line.trim()]);
      }
    }
    const failed = new Set([...output.matchAll(/^Checking (.+)\n\s*FAILED:/gm)].map((m) => m[1]!));
    const hits: PromtoolHit[] = [];
    files.forEach((file, i) => {
      const object = rules[i]!;
      const groups = (((object.object.spec ?? {}) as { groups?: unknown[] }).groups ?? []) as Array<{
        name?: string;
      }>;
      const lines = sections.get(file) ?? [];
      let attributed = 0;
      for (const line of lines) {
        if (!line.startsWith(`${file}:`)) continue;
        attributed++;
        const message = line
          .slice(file.length + 1)
          .trim()
          .replace(/^\d+:\d+: /, '');
        const m = /group "([^"]*)", rule (\d+)/.exec(message);
        const gi = m ? groups.findIndex((g) => g?.name === m[1]) : -1;
        const p: (string | number)[] =
          gi >= 0 ? ['spec', 'groups', gi, 'rules', Number(m![2]) - 1] : ['spec', 'groups'];
        hits.push({ object, path: p, message: `promtool check rules: ${message}` });
      }
      // A failure promtool did not tie to a line stays with its own file's object only.
      if (failed.has(file) && attributed === 0) {
        hits.push({
          object,
          path: ['spec'],
          message: `promtool check rules failed: ${lines.join(' ').slice(0, 400) || `exit ${code}`}`,
        });
      }
    });
    if (hits.length === 0) {
      // promtool failed and named no file (a crash, a flag problem): say so once per object.
      const text = output.trim().split('\n').slice(-3).join(' ').slice(0, 400);
      for (const object of rules)
        hits.push({ object, path: ['spec'], message: `promtool check rules failed (exit ${code}): ${text}` });
    }
    return { hits };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
