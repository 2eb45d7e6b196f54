#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { SloError } from './errors.js';
import { validateSloFiles } from './load.js';
import { renderSlos } from './render.js';
import { formatReport, sloReport } from './report.js';

const USAGE = `Usage:
  immo-slo validate <file...> [--json]
      Validates SLO specs (YAML/JSON, OpenSLO v1 kind: SLO, or .js/.mjs modules exporting slos).
      Exit 1 with one line per problem: file: slo: path: expected X, received Y.
  immo-slo render <file...> --out <dir> [--openslo]
      Writes slo-rules.yml, tests/<id>.rules.yml + tests/<id>.test.yml, dashboards/immo-slo.json
      (and openslo.yaml). Run the tests with: promtool test rules <dir>/tests/*.test.yml
  immo-slo report <file...> --prometheus <url> [--json] [--time <ISO time>]
      Compliance and error budget remaining per SLO over its period, from the recorded series.`;

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
        prometheus: { type: 'string' },
        time: { type: 'string' },
      },
    });
  } catch (err) {
    fail(2, [`immo-slo: ${(err as Error).message}`, USAGE]);
  }
  const { values, positionals: files } = parsed;
  if (!['validate', 'render', 'report'].includes(command))
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
    const rendered = renderSlos(slos, { openslo: values.openslo === true });
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
        `immo-slo render: ${slos.length} SLO(s), ${Object.keys(rendered.files).length} files in ${values.out}, ${series} recorded series (${rendered.series.map((s) => `${s.slo}: ${s.recordedSeries}`).join(', ')}), ${ms.toFixed(0)} ms\n`,
      );
    }
    return;
  }
  if (typeof values.prometheus !== 'string') fail(2, ['immo-slo report: --prometheus <url> is required']);
  const time = typeof values.time === 'string' ? new Date(values.time) : undefined;
  if (time && Number.isNaN(time.getTime())) fail(2, [`immo-slo report: --time: not a time: ${values.time}`]);
  const report = await sloReport(slos, { prometheus: values.prometheus, ...(time ? { time } : {}) });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
}

main().catch((err: unknown) => {
  if (err instanceof SloError) fail(1, [`immo-slo: ${err.code}: ${err.message}`]);
  fail(1, [`immo-slo: ${(err as Error).stack ?? String(err)}`]);
});
