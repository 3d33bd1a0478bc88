// A small AWS world on moto's server (python3 -m moto.server, a free loopback port) for the recovery
// tests that cross process boundaries: environments seeded through the real SDK, a stagebot.yml whose
// hosts are the test sshd, and the environment a `stagebot` child needs to reach them. moto's request
// recorder tells which access key made which call, so each process signs with its own key.
// (test/aws-emulator holds the general moto suite; this is only what these tests need.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateKeyPairCommand,
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { stringify } from 'yaml';
import { freePort } from '../../support/sshd.ts';
import type { TestSshd } from '../../support/sshd.ts';

/** The environments' `ssh.privateKeyEnv`: the test sshd's client key, in the child's environment. */
export const SSH_KEY_ENV = 'STAGEBOT_RECOVERY_SSH_KEY';

/** What the config and the children need of the host: the sshd, and the URL the tests are told. */
export interface Host {
  sshd: TestSshd;
  httpPort: number;
}

export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';
export const INSTALLATION = 'recovery-moto';
const FAKE_PLAYWRIGHT = join(import.meta.dirname, '..', '..', 'pipeline', 'test-runners', 'support', 'fake-playwright.mjs');
const ALL_PASSED = join(import.meta.dirname, '..', '..', 'pipeline', 'test-runners', 'fixtures', 'all-passed.json');

export interface Moto {
  url: string;
  stop(): Promise<void>;
  startRecording(): Promise<void>;
  /** [access key, action] of every request recorded since startRecording. */
  recording(): Promise<{ accessKey: string; action: string }[]>;
}

/** Whether moto's server can run here. */
export async function motoAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const p = spawn('python3', ['-c', 'import moto.server'], { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}

export async function startMoto(): Promise<Moto> {
  const dir = mkdtempSync(join(tmpdir(), 'stagebot-moto-rec-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, MOTO_RECORDER_FILEPATH: join(dir, 'recording.jsonl') },
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  for (let i = 0; i < 200; i++) {
    try {
      const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.ok) break;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  const post = async (path: string) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
  };
  return {
    url,
    async stop() {
      child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
    async startRecording() {
      await post('/moto-api/recorder/reset-recording');
      await post('/moto-api/recorder/start-recording');
    },
    async recording() {
      const res = await fetch(`${url}/moto-api/recorder/download-recording`, { signal: AbortSignal.timeout(10_000) });
      const out: { accessKey: string; action: string }[] = [];
      for (const line of (await res.text()).split('\n')) {
        if (!line.trim()) continue;
        const e = JSON.parse(line) as { headers: Record<string, string>; body: string | null; body_encoded: boolean };
        const body = e.body_encoded ? Buffer.from(e.body ?? '', 'base64').toString('utf8') : (e.body ?? '');
        const auth = Object.entries(e.headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
        const key = /Credential=([^/]+)\//.exec(auth)?.[1] ?? '';
        const target = Object.entries(e.headers).find(([k]) => k.toLowerCase() === 'x-amz-target')?.[1];
        const action = target ? target.slice(target.lastIndexOf('.') + 1) : (new URLSearchParams(body).get('Action') ?? 'unknown');
        out.push({ accessKey: key, action });
      }
      return out;
    },
  };
}

export const isMutating = (action: string) => !/^(Describe|List|Get)/.test(action);

/** SDK clients signed with `accessKey`, pointed at moto. */
export function clients(moto: Moto, accessKey = 'AKIDTESTSEED'): { ec2: EC2Client; elbv2: ElasticLoadBalancingV2Client } {
  const config = { region: REGION, endpoint: moto.url, credentials: { accessKeyId: accessKey, secretAccessKey: 'moto' }, maxAttempts: 2 };
  return { ec2: new EC2Client(config), elbv2: new ElasticLoadBalancingV2Client(config) };
}

export interface SeededEnv {
  name: string;
  ami: string;
  subnet: string;
  securityGroup: string;
  targetGroupArn: string;
}

export async function seed(moto: Moto, names: string[]): Promise<SeededEnv[]> {
  const { ec2, elbv2 } = clients(moto);
  const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs![0]!.VpcId!;
  const subnet = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc] }] }))).Subnets![0]!.SubnetId!;
  const image = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images!.find((i) => i.RootDeviceType === 'ebs' && i.Architecture === 'x86_64')!;
  await ec2.send(new CreateKeyPairCommand({ KeyName: 'staging-moto' }));
  const envs: SeededEnv[] = [];
  for (const name of names) {
    const sg = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `${name}-web`, Description: name, VpcId: vpc }))).GroupId!;
    const tg = (await elbv2.send(new CreateTargetGroupCommand({ Name: `${name}-web`, Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance' }))).TargetGroups![0]!.TargetGroupArn!;
    envs.push({ name, ami: image.ImageId!, subnet, securityGroup: sg, targetGroupArn: tg });
  }
  ec2.destroy();
  elbv2.destroy();
  return envs;
}

export interface ConfigOptions {
  leaseTtl?: string;
  /** Seconds the fake Playwright sleeps (the tests step's length). */
  testsSleepMs?: number;
  /** Recipe of service-update. */
  recipe?: unknown[];
}

/** A stagebot.yml for the seeded environments (SQLite under `dir` unless DATABASE_URL is given to the process). */
export function writeConfig(dir: string, fx: Host, envs: SeededEnv[], opts: ConfigOptions = {}): string {
  const environments: Record<string, unknown> = {};
  for (const e of envs) {
    environments[e.name] = {
      region: REGION,
      ami: e.ami,
      instanceType: 't3.micro',
      rootVolume: { sizeGb: 20, type: 'gp3' },
      subnets: [e.subnet],
      securityGroup: e.securityGroup,
      targetGroupArn: e.targetGroupArn,
      keyPair: 'staging-moto',
      // Every host is the test sshd.
      ssh: { user: fx.sshd.username, privateKeyEnv: SSH_KEY_ENV, host: '127.0.0.1', port: fx.sshd.port, allowFrom: ['203.0.113.10/32'] },
      url: `http://127.0.0.1:${fx.httpPort}`,
      serviceUpdate: opts.recipe ?? [{ name: 'say hello', run: 'echo "hello from $STAGEBOT_RUN_ID"' }],
    };
  }
  const config = {
    installation: INSTALLATION,
    aws: { accountAllowlist: [ACCOUNT] },
    store: { sqlitePath: join(dir, 'store.db') },
    runs: { keepDefault: '2h', keepMax: '24h', timeout: '3h', leaseTtl: opts.leaseTtl ?? '3s', onAdopt: 'teardown' },
    environments,
    pool: envs.map((e) => e.name),
    browsers: { chrome: { project: 'chromium' } },
    defaultBrowsers: ['chrome'],
    tests: {
      runner: { kind: 'command', command: `node ${FAKE_PLAYWRIGHT} --fixture ${ALL_PASSED} --sleep ${opts.testsSleepMs ?? 0}` },
      workers: 1,
      retries: 0,
      maxWait: '10m',
    },
  };
  const path = join(dir, 'stagebot.yml');
  writeFileSync(path, stringify(config));
  return path;
}

/** The environment of a `stagebot` child: moto as AWS, signed with its own key, the sshd's key. */
export function processEnv(moto: Moto, fx: Host, accessKey: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    USER: 'tester',
    LANG: 'C.UTF-8',
    AWS_ENDPOINT_URL: moto.url,
    AWS_ACCESS_KEY_ID: accessKey,
    AWS_SECRET_ACCESS_KEY: 'moto',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    [SSH_KEY_ENV]: fx.sshd.privateKey,
    NODE_COMPILE_CACHE: join(tmpdir(), 'stagebot-test-compile-cache'),
    ...extra,
  };
}

/** What of a run is still alive in moto: instances not terminated, and SSH rules, tagged with its id. */
export async function leftovers(moto: Moto, runId: string): Promise<string[]> {
  const { ec2 } = clients(moto);
  const filter = [{ Name: `tag:asset-id`, Values: [runId] }];
  const left: string[] = [];
  const instances = await ec2.send(new DescribeInstancesCommand({ Filters: filter }));
  for (const r of instances.Reservations ?? []) for (const i of r.Instances ?? []) if (!['terminated', 'shutting-down'].includes(i.State?.Name ?? '')) left.push(`instance ${i.InstanceId} ${i.State?.Name}`);
  const rules = await ec2.send(new DescribeSecurityGroupRulesCommand({ Filters: filter }));
  for (const r of rules.SecurityGroupRules ?? []) left.push(`security-group-rule ${r.SecurityGroupRuleId}`);
  ec2.destroy();
  return left;
}

