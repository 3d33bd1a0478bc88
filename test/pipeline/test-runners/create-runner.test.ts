import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.ts';
import { LocalRunner } from '../../../src/pipeline/test-runners/local-runner.ts';
import { createTestRunner } from '../../../src/pipeline/test-runners/create-runner.ts';
import { GithubWorkflowRunner } from '../../../src/pipeline/test-runners/github-workflow-runner.ts';
import { expandReportUrl } from '../../../src/pipeline/test-runners/report-url.ts';
import type { RunnerConfig } from '../../../src/pipeline/test-runners/types.ts';

describe('createTestRunner', () => {
  it('builds a command runner that runs the configured command and links the configured report URL', async () => {
    const report = fileURLToPath(new URL('./fixtures/all-passed.json', import.meta.url));
    const runner = createTestRunner({
      runner: { kind: 'command', command: `cp '${report}' "$REPORT_FILE"`, cwd: '.' },
      reportUrl: 'https://reports.acme.example/{env}/{runId}/{browser}/',
    });
    expect(runner).toBeInstanceOf(LocalRunner);
    const result = await runner.run(
      {
        runId: 'stg4-20261121-a1b2c3', browser: 'chrome', project: 'chromium', baseUrl: 'https://stg4.staging.acme.example',
        testUser: 'qa', testPassword: undefined, workers: 1, retries: 0, maxWaitMs: 10_000, ref: null,
      },
      { signal: new AbortController().signal },
    );
    expect(result).toMatchObject({ outcome: 'passed', passed: 3, reportUrl: 'https://reports.acme.example/stg4/stg4-20261121-a1b2c3/chrome/' });
  });

  it('builds a github-workflow runner from the GitHub API it is given', () => {
    const runner = createTestRunner(
      { runner: { kind: 'github-workflow', repository: 'acme/e2e', workflow: 'playwright.yml', ref: 'main' } },
      { github: { baseUrl: 'https://github.acme.example/api/v3', getToken: () => 'ghs_x' } },
    );
    expect(runner).toBeInstanceOf(GithubWorkflowRunner);
  });

  it('refuses github-workflow without GitHub credentials, and unknown kinds', () => {
    expect(() => createTestRunner({ runner: { kind: 'github-workflow', repository: 'acme/e2e', workflow: 'p.yml', ref: 'main' } })).toThrow(ConfigError);
    const bogus = { kind: 'jenkins' } as unknown as RunnerConfig;
    expect(() => createTestRunner({ runner: bogus })).toThrow(/tests\.runner\.kind "jenkins" is not a runner \(valid: command, github-workflow\)/);
  });
});

describe('expandReportUrl', () => {
  it('fills in the run id, browser and environment, URL-encoded', () => {
    expect(expandReportUrl('https://reports.acme.example/{env}/{runId}/{browser}/', 'stg4-20261121-a1b2c3', 'chrome')).toBe(
      'https://reports.acme.example/stg4/stg4-20261121-a1b2c3/chrome/',
    );
    expect(expandReportUrl('https://r.example/{browser}', 'stg4-20261121-a1b2c3', 'a/b?c')).toBe('https://r.example/a%2Fb%3Fc');
    expect(expandReportUrl(undefined, 'stg4-20261121-a1b2c3', 'chrome')).toBeNull();
  });
});
