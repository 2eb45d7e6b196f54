// Sums every workspace's vitest JSON report (test-results.json, written by vitest.base.ts) into
// the one closing line CI reads: `N passed, N failed`. Exits non-zero when a test failed, when a
// workspace with a test script left no report (it crashed before reporting), when biome or a turbo
// task failed, or, under CI, when a test was skipped (in CI a test that needs a system tool must
// fail, never skip). Each failure is named on a `!` line above the closing line.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const firstLine = (text) => (text ?? '').split('\n')[0].slice(0, 300);
const groups = ['packages', 'apps', 'tooling'];
let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
// packages whose test failures are already counted from their reports
const failedPackages = new Set();
for (const group of groups) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const name of readdirSync(dir)) {
    const pkgFile = join(dir, name, 'package.json');
    if (!existsSync(pkgFile)) continue;
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'));
    if (!pkg.scripts?.test) continue;
    const report = join(dir, name, 'test-results.json');
    if (!existsSync(report)) {
      failed += 1;
      failedPackages.add(pkg.name);
      problems.push(`${pkg.name}: no test report (the test run crashed or did not start)`);
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    const s = r.numPendingTests + r.numTodoTests;
    skipped += s;
    if (r.numFailedTests > 0 || r.numFailedTestSuites > 0) failedPackages.add(pkg.name);
    if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) {
      failed += r.numFailedTestSuites;
      problems.push(`${pkg.name}: ${r.numFailedTestSuites} test file(s) failed to load`);
    }
    console.log(`${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${s} skipped`);
    // CI keeps only the tail of the log: name each failure here, next to the count, so a failed
    // run says what failed without the scrollback.
    for (const file of r.testResults ?? []) {
      const rel = file.name.slice(join(dir, name).length + 1);
      for (const t of file.assertionResults ?? []) {
        if (t.status !== 'failed') continue;
        problems.push(`${pkg.name}: ${rel} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
      }
      if (file.status === 'failed' && !(file.assertionResults ?? []).length) {
        problems.push(`${pkg.name}: ${rel}: ${firstLine(file.message)}`);
      }
    }
  }
}
// Steps outside vitest that failed: biome (flagged by scripts/test-all.sh) and the turbo tasks its
// run summary records with a non-zero exit. A test task counts only when its package has no failure
// counted above: vitest also exits 1 on an error outside any test, which its JSON report omits.
const failedSteps = process.argv.includes('--biome-failed') ? ['biome check'] : [];
const runsDir = join(root, '.turbo', 'runs');
if (existsSync(runsDir)) {
  const latest = readdirSync(runsDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(runsDir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
  if (latest) {
    for (const task of JSON.parse(readFileSync(latest, 'utf8')).tasks ?? []) {
      const code = task.execution?.exitCode;
      if ((typeof code === 'number' && code !== 0) || task.execution?.error) failedSteps.push(task.taskId);
    }
  }
}
for (const step of failedSteps) {
  if (step.endsWith('#test') && failedPackages.has(step.slice(0, -'#test'.length))) continue;
  failed += 1;
  problems.push(`${step}: failed (see its output above)`);
}
for (const p of problems) console.log(`  ! ${p}`);
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && skipped > 0) console.log(`  ! ${skipped} test(s) skipped under CI, which requires every tool`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || (ci && skipped > 0) ? 1 : 0);
