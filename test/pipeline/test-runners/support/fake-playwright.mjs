// A stand-in for `npx playwright test --reporter=json`: it reads what stagebot passes in its
// environment and writes a Playwright JSON report where Playwright's json reporter would
// (PLAYWRIGHT_JSON_OUTPUT_NAME). Options choose how it behaves:
//   --fixture FILE       the report to write (copied verbatim)
//   --garbage-report     write half a report instead
//   --exit N             exit code (default 0)
//   --sleep MS           run this long first
//   --dump DIR           write DIR/<BROWSER>.json with env, argv and cwd
//   --fail-browser NAME  when BROWSER is NAME, print an error and exit 2 at once, without a report
//   -- ARGS              recorded in the dump as positionals
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    fixture: { type: 'string' },
    'garbage-report': { type: 'boolean' },
    exit: { type: 'string', default: '0' },
    sleep: { type: 'string', default: '0' },
    dump: { type: 'string' },
    'fail-browser': { type: 'string' },
  },
});

const env = process.env;
const out = env.PLAYWRIGHT_JSON_OUTPUT_NAME;
console.log(`Running tests against ${env.BASE_URL} in ${env.PLAYWRIGHT_PROJECT} using ${env.WORKERS} workers`);
console.error(`\u001b[33mlogging in as ${env.TEST_USER} with password ${env.TEST_PASSWORD}\u001b[39m`);
if (values.dump) {
  writeFileSync(join(values.dump, `${env.BROWSER}.json`), JSON.stringify({ env, positionals, cwd: process.cwd() }));
}
if (values['fail-browser'] === env.BROWSER) {
  console.error("Error: browserType.launch: Executable doesn't exist at /ms-playwright/firefox-1466/firefox/firefox");
  process.exit(2);
}
await sleep(Number(values.sleep));
if (values['garbage-report']) writeFileSync(out, readFileSync(values.fixture, 'utf8').slice(0, 500));
else if (values.fixture) copyFileSync(values.fixture, out);
console.log('done');
process.exit(Number(values.exit));
