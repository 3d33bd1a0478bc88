// Stands in for `npx playwright test --reporter=json` in the emulator suite: writes a real Playwright
// JSON report (one of the test-runner fixtures) to $REPORT_FILE and exits like Playwright would.
// The outcome per browser comes from `<flags dir>/<env>.tests.json` (the first argument is the flags
// directory; the environment is the run id's first part): {"firefox": "failed"}. Unnamed browsers pass.
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const fixtures = join(import.meta.dirname, '..', '..', 'pipeline', 'test-runners', 'fixtures');
const controlFile = join(process.argv[2] ?? '.', `${(process.env.RUN_ID ?? '').split('-')[0]}.tests.json`);
const control = existsSync(controlFile) ? JSON.parse(readFileSync(controlFile, 'utf8')) : {};
const outcome = control[process.env.BROWSER] ?? 'passed';
// What this browser's process was given, for the retest test: its argv after the flags dir, its user, TEST_GREP.
writeFileSync(
  join(process.argv[2] ?? '.', `${process.env.RUN_ID}.${process.env.BROWSER}.args.json`),
  JSON.stringify({ argv: process.argv.slice(3), testUser: process.env.TEST_USER ?? null, grep: process.env.TEST_GREP ?? null }),
);
const report = outcome === 'failed' ? 'nested-failures.json' : 'all-passed.json';
copyFileSync(join(fixtures, report), process.env.REPORT_FILE);
console.log(`playwright (${process.env.PLAYWRIGHT_PROJECT}) against ${process.env.BASE_URL}: ${outcome}`);
process.exit(outcome === 'failed' ? 1 : 0);
