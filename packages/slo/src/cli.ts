#!/usr/bin/env node
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { SloError } from './errors.js';
import { validateSloFiles } from './load.js';
import { renderSlos, type SloTestBundle, splitSloTests } from './render.js';
import { formatReport, sloReport } from './report.js';

const USAGE = `Usage:
  immo-slo validate <file...> [--json]
      Validates SLO specs (YAML/JSON, OpenSLO v1 kind: SLO, or .js/.mjs modules exporting slos).
      Exit 1 with one line per problem: file: slo: path: expected X, received Y.
  immo-slo render <file...> --out <dir> [--openslo] [--no-tests] [--json]
      Writes slo-rules.yml, slo-tests.json (the promtool tests; immo-slo test runs them) and
      dashboards/immo-slo.json (and openslo.yaml).
  immo-slo test <file...> [--promtool <path>] [--json]
      Generates every SLO's promtool tests and runs them, one promtool per SLO against its own rule
      group (promtool from --promtool, $IMMO_SLO_PROMTOOL or PATH). Exit 1 when a test fails.
  immo-slo report <file...> --prometheus <url> [--json] [--time <ISO time>]   (or $IMMO_SLO_PROMETHEUS_URL)
      Compliance and error budget remaining per SLO over its period, from the recorded series.`;

const run = promisify(execFile);

/** Runs `fn` over `items` with at most `limit` at a time, keeping the order of `items`. */
async function runLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function fail(code: number, lines: string[]): never {
  for (const l of lines) process.stderr.write(`${l}\n`);
  process.exit(code);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (!command || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  let parsed: ReturnType<
    typeof parseArgs<{ options: Record<string, { type: 'string' | 'boolean' }>; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        out: { type: 'string' },
        openslo: { type: 'boolean' },
        'no-tests': { type: 'boolean' },
        prometheus: { type: 'string' },
        time: { type: 'string' },
        promtool: { type: 'string' },
      },
    });
  } catch (err) {
    fail(2, [`immo-slo: ${(err as Error).message}`, USAGE]);
  }
  const { values, positionals: files } = parsed;
  if (!['validate', 'render', 'report', 'test'].includes(command))
    fail(2, [`immo-slo: unknown command "${command}"`, USAGE]);
  if (files.length === 0) fail(2, [`immo-slo ${command}: give at least one SLO file`, USAGE]);
  const started = performance.now();
  const result = await validateSloFiles(files);
  if (!result.ok) {
    if (values.json)
      process.stdout.write(`${JSON.stringify({ ok: false, issues: result.issues }, null, 2)}\n`);
    fail(1, [
      `immo-slo ${command}: ${result.issues.length} problem(s)`,
      ...result.issues.map((i) => `  ${i}`),
    ]);
  }
  const slos = result.slos;
  if (command === 'validate') {
    if (values.json)
      process.stdout.write(`${JSON.stringify({ ok: true, slos: slos.map((s) => s.id) }, null, 2)}\n`);
    else process.stdout.write(`immo-slo validate: ${slos.length} SLO(s) valid\n`);
    return;
  }
  if (command === 'render') {
    if (typeof values.out !== 'string') fail(2, ['immo-slo render: --out <dir> is required']);
    const rendered = renderSlos(slos, {
      openslo: values.openslo === true,
      tests: values['no-tests'] !== true,
    });
    for (const [name, text] of Object.entries(rendered.files)) {
      const file = path.join(values.out, name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, text);
    }
    const ms = performance.now() - started;
    const series = rendered.series.reduce((n, s) => n + s.recordedSeries, 0);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ ok: true, files: Object.keys(rendered.files), slos: rendered.series, ms }, null, 2)}\n`,
      );
    } else {
      process.stdout.write(
        `immo-slo render: ${slos.length} SLO(s), ${Object.keys(rendered.files).length} files in ${values.out}, ${series} recorded series (${[...new Set(rendered.series.map((s) => s.recordedSeries))].join(' or ')} per SLO), ${ms.toFixed(0)} ms\n`,
      );
    }
    return;
  }
  if (command === 'test') {
    const promtool =
      typeof values.promtool === 'string' ? values.promtool : (process.env.IMMO_SLO_PROMTOOL ?? 'promtool');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'immo-slo-test-'));
    try {
      const { files } = renderSlos(slos, {});
      const bundle = JSON.parse(files['slo-tests.json']!) as SloTestBundle;
      const testFiles = splitSloTests(bundle, dir);
      const results = await runLimited(testFiles, Math.max(1, os.availableParallelism()), async (file) => {
        const slo = path.basename(file, '.test.json');
        const t = performance.now();
        try {
          await run(promtool, ['test', 'rules', file]);
          return {
            slo,
            ok: true,
            tests: bundle[slo]!.tests.tests.length,
            ms: Math.round(performance.now() - t),
          };
        } catch (err) {
          const e = err as NodeJS.ErrnoException & { stdout?: string; stderr?: string };
          if (e.code === 'ENOENT')
            fail(2, [
              `immo-slo test: promtool not found (${promtool}); install prometheus or pass --promtool`,
            ]);
          return {
            slo,
            ok: false,
            tests: bundle[slo]!.tests.tests.length,
            ms: Math.round(performance.now() - t),
            output: `${e.stdout ?? ''}${e.stderr ?? ''}`,
          };
        }
      });
      const failed = results.filter((r) => !r.ok);
      if (values.json)
        process.stdout.write(`${JSON.stringify({ ok: failed.length === 0, results }, null, 2)}\n`);
      else {
        for (const r of results)
          process.stdout.write(
            `${r.ok ? 'ok  ' : 'FAIL'} ${r.slo} (${r.tests} tests, ${r.ms} ms)\n${r.ok ? '' : r.output}`,
          );
        process.stdout.write(
          `immo-slo test: ${results.length - failed.length} of ${results.length} SLO(s) passed\n`,
        );
      }
      if (failed.length > 0) process.exitCode = 1;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return;
  }
  const prometheus =
    typeof values.prometheus === 'string' ? values.prometheus : process.env.IMMO_SLO_PROMETHEUS_URL;
  if (!prometheus) fail(2, ['immo-slo report: --prometheus <url> (or IMMO_SLO_PROMETHEUS_URL) is required']);
  const time = typeof values.time === 'string' ? new Date(values.time) : undefined;
  if (time && Number.isNaN(time.getTime())) fail(2, [`immo-slo report: --time: not a time: ${values.time}`]);
  const report = await sloReport(slos, { prometheus, ...(time ? { time } : {}) });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}

main().catch((err: unknown) => {
  if (err instanceof SloError) fail(1, [`immo-slo: ${err.code}: ${err.message}`]);
  fail(1, [`immo-slo: ${(err as Error).stack ?? String(err)}`]);
});
