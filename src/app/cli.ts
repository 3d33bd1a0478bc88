// The CLI's entry: the CLI front (src/bot/cli) with what its commands need behind it. Each piece is
// imported when a command asks for it: `--help` and usage errors load no config, `list` and `status`
// the config and the store, and only the commands that act on AWS the engine and the AWS SDK.
import type { CliEntry, CliIo } from '../bot/cli/main.ts';
import { defaultIo } from '../bot/cli/io.ts';
import { runCli as runCliFront } from '../bot/cli/main.ts';
import type { CommandServiceOptions } from './open-commands.ts';

export interface AppCliIo extends CliIo {
  /** Tests: the fake cloud, a test runner and a clock instead of AWS, Playwright and the wall clock. */
  overrides?: Pick<CommandServiceOptions, 'aws' | 'testRunner' | 'clock'>;
}

export function cliEntry(overrides: AppCliIo['overrides'] = {}): CliEntry {
  return {
    async serve(opts) {
      const { serve } = await import('./serve.ts');
      return serve(opts);
    },
    async open({ config, logging, env, helpPrefix }) {
      const { openCommands } = await import('./open-commands.ts');
      return openCommands({ config, logging, env, helpPrefix, ...overrides });
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
