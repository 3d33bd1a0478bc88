// The one plain closing line of CI: `N passed, N failed, N skipped`, from vitest's JSON report. A test
// file that failed without a failed test of its own (it did not load, or a hook threw) counts as one
// failure, and is named. Exits 1 when anything failed or there is no report at all.
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';

const file = process.argv[2];
if (!file || !existsSync(file)) {
  console.log('no test report: vitest did not finish');
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const broken = r.testResults.filter((f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'));
const failed = r.numFailedTests + broken.length;
const skipped = r.numPendingTests + r.numTodoTests;
console.log(`${r.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
for (const f of broken) {
  const why = (f.message || 'failed outside its tests').split('\n')[0];
  console.log(`  failed to run: ${relative(process.cwd(), f.name)}: ${why}`);
}
process.exit(failed > 0 ? 1 : 0);
