// Once per test run: can moto's server run here? `npm test` skips the emulator suite when it cannot and
// says so once; `npm run test:aws` and CI (STAGEBOT_REQUIRE_MOTO=1) fail instead.
import type { TestProject } from 'vitest/node';
import { motoAvailability, type MotoAvailability } from './support/moto.ts';

declare module 'vitest' {
  interface ProvidedContext {
    moto: MotoAvailability;
  }
}

/** Whether this run selected the emulator suite's files: vitest's file filters are substrings of paths, and none selects everything. */
function suiteSelected(): boolean {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-') && a !== 'run');
  return filters.length === 0 || filters.some((f) => 'test/aws-emulator/'.includes(f) || f.includes('aws-emulator'));
}

export default function setup(project: TestProject): void {
  const availability = motoAvailability();
  if (!availability.ok) {
    if (process.env.STAGEBOT_REQUIRE_MOTO === '1') {
      throw new Error(`the AWS emulator suite (test/aws-emulator) is required here (STAGEBOT_REQUIRE_MOTO=1) but cannot run: ${availability.reason}`);
    }
    if (suiteSelected()) {
      process.stdout.write(`\nSKIPPED the AWS emulator suite (test/aws-emulator): ${availability.reason}.\n`);
    }
  }
  project.provide('moto', availability);
}
