// The runner that `tests.runner.kind` names.

import { ConfigError } from '../../errors.ts';
import type { ArtifactKeeper } from './artifact-keeper.ts';
import { LocalRunner } from './local-runner.ts';
import type { GithubApiOptions } from './github-actions-client.ts';
import { GithubWorkflowRunner } from './github-workflow-runner.ts';
import type { TestRunner, TestsRunnerSettings } from './types.ts';

export interface CreateRunnerDeps {
  /** The GitHub API the github-workflow runner talks to; required for that kind only. */
  github?: GithubApiOptions | undefined;
  /** Poll interval of the github-workflow runner (tests shorten it). */
  pollIntervalMs?: number | undefined;
  /** Keeps each browser's reports, screenshots, traces and videos (the command runner). */
  artifacts?: ArtifactKeeper | undefined;
}

export function createTestRunner(settings: TestsRunnerSettings, deps: CreateRunnerDeps = {}): TestRunner {
  const runner = settings.runner;
  switch (runner.kind) {
    case 'command':
      return LocalRunner.fromConfig(runner, settings.reportUrl, deps.artifacts);
    case 'github-workflow':
      if (!deps.github) {
        throw new ConfigError('tests.runner.kind github-workflow needs the GitHub App to be configured (GitHub credentials are missing)');
      }
      return new GithubWorkflowRunner({
        ...deps.github,
        repository: runner.repository,
        workflow: runner.workflow,
        ref: runner.ref,
        pollIntervalMs: deps.pollIntervalMs,
        artifacts: deps.artifacts,
      });
    default: {
      const kind = (runner as { kind?: unknown }).kind;
      throw new ConfigError(`tests.runner.kind "${String(kind)}" is not a runner (valid: command, github-workflow)`);
    }
  }
}
