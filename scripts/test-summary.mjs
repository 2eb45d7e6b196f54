// Sums every workspace's vitest JSON report (test-results.json, written by vitest.base.ts) into
// the one closing line CI reads: `N passed, N failed`. Exits non-zero when a test failed, when a
// workspace with a test script left no report (it crashed before reporting), or, under CI, when a
// test was skipped (in CI a test that needs a system tool must fail, never skip).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const groups = ['packages', 'apps', 'tooling'];
let passed = 0;
let failed = 0;
let skipped = 0;
const problems = [];
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
      problems.push(`${pkg.name}: no test report (the test run crashed or did not start)`);
      continue;
    }
    const r = JSON.parse(readFileSync(report, 'utf8'));
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    const s = r.numPendingTests + r.numTodoTests;
    skipped += s;
    if (r.numFailedTestSuites > 0 && r.numFailedTests === 0) {
      failed += r.numFailedTestSuites;
      problems.push(`${pkg.name}: ${r.numFailedTestSuites} test file(s) failed to load`);
    }
    console.log(`${pkg.name}: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${s} skipped`);
    // CI keeps only the tail of the log: name each failure here, next to the count, so a failed
    // run says what failed without the scrollback.
    for (const file of r.testResults ?? []) {
      for (const t of file.assertionResults ?? []) {
        if (t.status !== 'failed') continue;
        const why = (t.failureMessages?.[0] ?? '').split('\n')[0].slice(0, 300);
        problems.push(`${pkg.name}: ${file.name.slice(join(dir, name).length + 1)} > ${t.fullName}: ${why}`);
      }
      if (file.status === 'failed' && !(file.assertionResults ?? []).length) {
        problems.push(
          `${pkg.name}: ${file.name.slice(join(dir, name).length + 1)}: ${(file.message ?? '').split('\n')[0].slice(0, 300)}`,
        );
      }
    }
  }
}
for (const p of problems) console.log(`  ! ${p}`);
const ci = process.env.CI === 'true' || process.env.CI === '1';
if (ci && skipped > 0) console.log(`  ! ${skipped} test(s) skipped under CI, which requires every tool`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || (ci && skipped > 0) ? 1 : 0);
