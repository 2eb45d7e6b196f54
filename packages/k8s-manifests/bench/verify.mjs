// `immo-k8s verify` over 1,000 manifests, without the promtool step (the issue's bar: under 2 s on
// this machine). The manifests are real renders: 100 services × 10 objects each (ServiceAccount,
// Deployment, Service, HPA, PDB, ServiceMonitor, NetworkPolicy, flags ConfigMap, dashboard
// ConfigMap, PrometheusRule), one folder, checked in one call as `immo-k8s verify <dir>` would.
// Also times the promtool step separately (one promtool process for all 100 PrometheusRules).
// Usage (after a build): pnpm --filter @immo/k8s-manifests bench [--runs 7] [--services 100]
// Writes bench/results.json and prints a markdown table. Wall time, in this process, medians.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { defineService, renderService, verifyManifests, writeManifests } from '../dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
if (argv[0] === '--') argv.shift();
const { values } = parseArgs({
  args: argv,
  options: { runs: { type: 'string', default: '7' }, services: { type: 'string', default: '100' } },
});
const runs = Number(values.runs);
const services = Number(values.services);

const dir = mkdtempSync(path.join(os.tmpdir(), 'immo-k8s-bench-'));
const mixin = (i) => ({
  name: `svc${i}`,
  groups: [
    {
      name: `svc${i}.rules`,
      rules: [{ record: `job:svc${i}_up:sum`, expr: `sum by (job) (up{job="svc${i}"})` }],
    },
  ],
  dashboards: { [`svc${i}.json`]: { uid: `svc${i}`, title: `svc${i}`, panels: [] } },
});
for (let i = 0; i < services; i++) {
  const def = defineService({
    name: `svc${i}`,
    namespace: `team${i % 10}`,
    image: `registry.example.com/svc${i}@sha256:${String(i).padStart(64, 'a')}`,
    secretEnv: { DATABASE_URL: { secretName: `svc${i}-db`, key: 'url' } },
    flags: { files: { 'flags.yaml': 'a: true\n' } },
    mixins: [mixin(i)],
  });
  writeManifests(path.join(dir, `svc${i}`), renderService(def));
}
const count = (d) =>
  readdirSync(d, { recursive: true }).filter((f) => statSync(path.join(d, f)).isFile()).length;
const files = count(dir);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(options) {
  const samples = [];
  let result;
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    result = await verifyManifests([dir], options);
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return { ms: median(samples), min: Math.min(...samples), max: Math.max(...samples), result };
}

const noPromtool = await time({ promtool: false });
let promtool;
try {
  const bin = execFileSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' }).trim();
  promtool = await time({ promtool: bin });
} catch {
  promtool = undefined;
}
// The whole CLI as a user runs it: a fresh node process, imports included.
const cliSamples = [];
for (let r = 0; r < runs; r++) {
  const t0 = process.hrtime.bigint();
  execFileSync(process.execPath, [path.join(here, '..', 'dist', 'cli.js'), 'verify', dir, '--no-promtool'], {
    stdio: 'ignore',
  });
  cliSamples.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
const cli = { ms: median(cliSamples), min: Math.min(...cliSamples), max: Math.max(...cliSamples) };
rmSync(dir, { recursive: true, force: true });

if (!noPromtool.result.ok)
  throw new Error(
    `the benchmark manifests should be clean: ${JSON.stringify(noPromtool.result.findings.slice(0, 3))}`,
  );
const out = {
  date: new Date().toISOString().slice(0, 10),
  node: process.version,
  cpus: os.cpus().length,
  objects: noPromtool.result.objects,
  files,
  runs,
  verifyMs: { median: noPromtool.ms, min: noPromtool.min, max: noPromtool.max },
  cliProcessMs: { median: cli.ms, min: cli.min, max: cli.max },
  verifyWithPromtoolMs: promtool ? { median: promtool.ms, min: promtool.min, max: promtool.max } : null,
  targetMs: 2000,
};
writeFileSync(path.join(here, 'results.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log(`| step | objects | median | min–max | target |
| --- | --- | --- | --- | --- |
| verify, no promtool | ${out.objects} | ${noPromtool.ms.toFixed(0)} ms | ${noPromtool.min.toFixed(0)}–${noPromtool.max.toFixed(0)} ms | < 2000 ms |
| \`immo-k8s verify --no-promtool\` (new process) | ${out.objects} | ${cli.ms.toFixed(0)} ms | ${cli.min.toFixed(0)}–${cli.max.toFixed(0)} ms | < 2000 ms |
| verify + one promtool run | ${out.objects} | ${promtool ? `${promtool.ms.toFixed(0)} ms` : 'promtool not found'} | ${promtool ? `${promtool.min.toFixed(0)}–${promtool.max.toFixed(0)} ms` : '—'} | — |`);
