// The shared step-test run (run-context.ts) set up for the steps that talk to a host or run tests
// rather than to AWS: stg3 of stagebot.example.yml (a named key pair, so the SSH key comes from an
// environment variable), its `ssh:` pointed at a test sshd on 127.0.0.1, the launch's outputs saying
// the instance is at 127.0.0.1, and the run's options (ref, browsers) as the test needs them.
import type { EnvironmentConfig, RecipeItem } from '../../../src/config/index.ts';
import type { Requester, RunOptions } from '../../../src/domain/run.ts';
import type { StepOutputs } from '../../../src/pipeline/run-context.ts';
import type { TestRunner } from '../../../src/pipeline/test-runners/types.ts';
import type { Store } from '../../../src/store/index.ts';
import type { TestSshd } from '../../support/sshd.ts';
import { createTestRun, type TestRun, type TestRunOptions } from './run-context.ts';

export const ENV_NAME = 'stg3';
/** The environment variable the tests put the sshd's client key in (ssh.privateKeyEnv). */
export const TEST_KEY_ENV = 'STAGEBOT_TEST_SSH_KEY';

export interface HostRunOptions {
  /** The host the steps connect to; its client key goes into TEST_KEY_ENV. */
  sshd?: Pick<TestSshd, 'port' | 'username' | 'privateKey'>;
  recipe?: RecipeItem[];
  /** Fields of the environment to replace (after `sshd` and `recipe` were applied). */
  env?: Partial<Omit<EnvironmentConfig, 'name'>>;
  configure?: TestRunOptions['configure'];
  runOptions?: Partial<RunOptions>;
  /** Outputs of earlier steps; default a launch at 127.0.0.1. */
  outputs?: Record<string, StepOutputs>;
  secrets?: Record<string, string>;
  requester?: Requester;
  runId?: string;
  store?: Store;
  testRunner?: TestRunner;
}

export async function hostTestRun(opts: HostRunOptions = {}): Promise<TestRun> {
  const env: Partial<Omit<EnvironmentConfig, 'name'>> = {};
  if (opts.sshd) {
    process.env[TEST_KEY_ENV] = opts.sshd.privateKey;
    env.ssh = { user: opts.sshd.username, privateKeyEnv: TEST_KEY_ENV, host: '{publicIp}', port: opts.sshd.port, allowFrom: ['127.0.0.1/32'], authFailFast: 120_000 };
  }
  if (opts.recipe) env.serviceUpdate = opts.recipe;
  const t = await createTestRun({
    envName: ENV_NAME,
    seed: false,
    env: { ...env, ...opts.env },
    ...(opts.configure ? { configure: opts.configure } : {}),
    ...(opts.requester ? { requester: opts.requester } : {}),
    ...(opts.runId ? { runId: opts.runId } : {}),
    ...(opts.store ? { store: opts.store } : {}),
    ...(opts.testRunner ? { testRunner: opts.testRunner } : {}),
  });
  // The shared helper creates every run with the default options; the steps read them off ctx.run.
  Object.assign(t.run.options, opts.runOptions);
  for (const [step, outputs] of Object.entries(opts.outputs ?? { launch: loopbackLaunch() })) t.outputs.set(step, outputs);
  for (const [name, value] of Object.entries(opts.secrets ?? {})) t.secrets.set(name, value);
  return t;
}

/** The log lines of a test run, without the step names. */
export function logLines(t: TestRun): string[] {
  return t.logs.map((l) => l.line);
}

/** The launch outputs of an instance reachable at 127.0.0.1 (the test sshd). */
export function loopbackLaunch(overrides: StepOutputs = {}): StepOutputs {
  return {
    instanceId: 'i-0123456789abcdef0',
    instanceType: 't3.2xlarge',
    publicIp: '127.0.0.1',
    privateIp: '10.0.0.12',
    launchTime: '2026-11-21T09:00:00.000Z',
    subnetId: 'subnet-0cc3333333333333c',
    volumeIds: ['vol-0123456789abcdef0'],
    keyName: 'staging-eu',
    ephemeralKey: false,
    keyPairId: null,
    adopted: false,
    ...overrides,
  };
}
