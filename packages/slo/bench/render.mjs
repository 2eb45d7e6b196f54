// `immo-slo render` for 500 SLOs (the bar: under 1 s on this machine), in-process and as a
// CLI process, and the recorded series each SLO costs a Prometheus. The SLOs are a realistic mix:
// per service an availability (ratio), a latency (histogram) and every fifth a batch-job SLO.
// Usage (after a build): pnpm --filter @immo/slo bench [--runs 7] [--slos 500]
// Writes bench/results.json and prints a markdown table. Wall time, medians.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { defineSlos, renderSlos } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values } = parseArgs({
  args: argv,
  options: { runs: { type: 'string', default: '7' }, slos: { type: 'string', default: '500' } },
});
const runs = Number(values.runs);
const count = Number(values.slos);

const specs = [];
for (let i = 0; specs.length < count; i++) {
  const service = `svc${i}`;
  specs.push({
    id: `${service}-availability`,
    service,
    objective: '99.9%',
    window: '30d',
    sli: {
      kind: 'ratio',
      bad: `http_server_request_duration_seconds_count{service="${service}", http_response_status_code=~"5.."}`,
      total: `http_server_request_duration_seconds_count{service="${service}"}`,
    },
  });
  if (specs.length < count) {
    specs.push({
      id: `${service}-latency`,
      service,
      objective: 0.99,
      window: '28d',
      sli: {
        kind: 'latency',
        metric: 'http_server_request_duration_seconds',
        selector: `{service="${service}"}`,
        threshold: 2.5,
      },
    });
  }
  if (i % 5 === 0 && specs.length < count) {
    specs.push({
      id: `${service}-nightly`,
      service,
      objective: 0.99,
      window: '30d',
      sli: { kind: 'batch', job: 'nightly', deadline: '30m', every: '1d' },
    });
  }
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'immo-slo-bench-'));
const file = path.join(dir, 'slos.yaml');
writeFileSync(file, YAML.stringify({ slos: specs }));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const inProcess = [];
let rendered;
for (let r = 0; r < runs; r++) {
  const t = performance.now();
  rendered = renderSlos(defineSlos(specs));
  inProcess.push(performance.now() - t);
}
const cli = path.join(here, '..', 'dist', 'cli.js');
const processes = [];
const noTests = [];
const creates = [];
for (let r = 0; r < runs; r++) {
  for (const [args, into] of [
    [[], processes],
    [['--no-tests'], noTests],
  ]) {
    const out = path.join(dir, `out${r}`);
    const t = performance.now();
    execFileSync(process.execPath, [cli, 'render', file, '--out', out, ...args], { stdio: 'ignore' });
    into.push(performance.now() - t);
    rmSync(out, { recursive: true, force: true });
  }
  // What creating one small file costs on this machine's disk (the floor under a render that writes
  // two test files per SLO).
  const probe = path.join(dir, `probe${r}`);
  mkdirSync(probe);
  const t = performance.now();
  for (let i = 0; i < 1000; i++) writeFileSync(path.join(probe, `f${i}.json`), '{}\n');
  creates.push((performance.now() - t) / 1000);
  rmSync(probe, { recursive: true, force: true });
}
rmSync(dir, { recursive: true, force: true });

const perKind = {};
for (const s of defineSlos(specs)) {
  const n = rendered.series.find((x) => x.slo === s.id).recordedSeries;
  perKind[s.sli.kind] = n;
}
const result = {
  date: new Date().toISOString(),
  node: process.version,
  command: `pnpm --filter @immo/slo bench -- --runs ${runs} --slos ${count}`,
  slos: count,
  runs,
  inProcessMs: Number(median(inProcess).toFixed(1)),
  cliProcessMs: Number(median(processes).toFixed(1)),
  cliProcessNoTestsMs: Number(median(noTests).toFixed(1)),
  fileCreateMs: Number(median(creates).toFixed(3)),
  files: Object.keys(rendered.files).length,
  recordedSeriesPerSlo: perKind,
  recordedSeriesTotal: rendered.series.reduce((n, s) => n + s.recordedSeries, 0),
};
writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`| what | median of ${runs} |
| --- | ---: |
| defineSlos + renderSlos, ${count} SLOs, in-process | ${result.inProcessMs} ms |
| \`immo-slo render\` of ${count} SLOs (one process: start, read, validate, render, write ${result.files} files) | ${result.cliProcessMs} ms |
| \`immo-slo render --no-tests\` (rules, dashboard: 2 files) | ${result.cliProcessNoTestsMs} ms |
| creating one small file on this disk (1,000 in a loop) | ${result.fileCreateMs} ms |
| recorded series per SLO | ratio/latency ${perKind.ratio ?? perKind.latency}, batch ${perKind.batch} |
| recorded series, all ${count} SLOs | ${result.recordedSeriesTotal} |
`);
