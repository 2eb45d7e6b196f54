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
    const hits: PromtoolHit[] = [];
    files.forEach((file, i) => {
      const object = rules[i]!;
      const groups = (((object.object.spec ?? {}) as { groups?: unknown[] }).groups ?? []) as Array<{
        name?: string;
      }>;
      for (const line of output.split('\n')) {
        if (!line.startsWith(`${file}:`)) continue;
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
    });
    if (hits.length === 0) {
      // promtool failed without a line we could attribute: report it on every rule object.
      const text = output
        .split('\n')
        .filter((l) => l.trim() && !l.startsWith('Checking') && !/SUCCESS|FAILED:/.test(l))
        .join(' ')
        .slice(0, 400);
      for (const object of rules)
        hits.push({ object, path: ['spec'], message: `promtool check rules failed (exit ${code}): ${text}` });
    }
    return { hits };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
