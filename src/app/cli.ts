// The CLI's entry: the CLI front (src/bot/cli) with what its commands need behind it. Each piece is
// imported when a command asks for it, so `--help`, usage errors and `config check` load neither the
// engine nor the AWS SDK nor the server.
import type { CliEntry, CliIo } from '../bot/cli/main.ts';
import { defaultIo } from '../bot/cli/io.ts';
import { runCli as runCliFront } from '../bot/cli/main.ts';
import type { ServiceOptions } from './open-services.ts';

export interface AppCliIo extends CliIo {
  /** Tests: the fake cloud, a test runner and a clock instead of AWS, Playwright and the wall clock. */
  overrides?: Pick<ServiceOptions, 'aws' | 'testRunner' | 'clock'>;
}

export function cliEntry(overrides: AppCliIo['overrides'] = {}): CliEntry {
  return {
    async serve(opts) {
      const { serve } = await import('./serve.ts');
      return serve(opts);
    },
    async open({ config, logger, env, helpPrefix }) {
      const { openServices } = await import('./open-services.ts');
      // false: a CLI engine drives only what this process launched.
      const services = await openServices({ config, logger, env, background: false, helpPrefix, ...overrides });
      return { commands: services.commands, close: () => services.close() };
    },
    async doctorProbes() {
      return (await import('./doctor-probes.ts')).doctorProbes;
    },
    async iamPolicy(config) {
      return (await import('../aws/iam-policy.ts')).iamPolicyText(config);
    },
  };
}

/** Runs one `stagebot` invocation and returns its exit code. */
export function runCli(argv: readonly string[], io: AppCliIo = defaultIo): Promise<number> {
  return runCliFront(argv, io, cliEntry(io.overrides));
}
