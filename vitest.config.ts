import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // SSH, Postgres and process tests do real I/O on a 2-core machine.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Checks once whether moto can run: the AWS emulator suite (test/aws-emulator) needs it.
    globalSetup: ['test/aws-emulator/global-setup.ts'],
  },
});
