// The emulator suite's world: moto (through the shim) behind the suite's proxy, a real OpenSSH server on
// loopback standing in for every instance's sshd, a local HTTP server standing in for the app the
// recipe waits for, and an AWS world built through the AWS API in two regions — VPC, subnets, security
// groups, the environments' AMIs, an ALB with a target group per environment, a key pair. stagebot runs
// as the real CLI and server (child processes) with only AWS_ENDPOINT_URL and fake credentials.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateImageCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  DescribeKeyPairsCommand,
  EC2Client,
  ImportKeyPairCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { stringify } from 'yaml';
import type { IamPolicy } from '../../../src/aws/iam-policy.ts';
import { TAG } from '../../../src/aws/tags.ts';
import { BIN, childEnv, stagebot as runStagebot, type Result } from '../../bot/cli/support.ts';
import { startSshd, type TestSshd } from '../../support/sshd.ts';
import { noteResourceState } from './iam-calls.ts';
import { startMoto, type Moto } from './moto.ts';
import { startProxy, type AwsProxy } from './proxy.ts';

export const INSTALLATION = 'emu-staging';
export const ACCOUNT = '123456789012';
/** stagebot's credentials: every request signed with this key is stagebot's. */
export const STAGEBOT_KEY = 'AKIASTAGEBOTEMULATOR';
/** The suite's own (world building, checks). */
export const SUITE_KEY = 'AKIASUITEWORLDBUILDER';
export const EAST = 'us-east-1';
export const WEST = 'eu-west-1';
export const SSH_KEY_ENV = 'STAGEBOT_EMU_SSH_KEY';
export const FIXED_KEY_PAIR = 'staging-eu';
export const INSTANCE_TYPE = 't3.2xlarge';

export const ENV_NAMES = ['stg1', 'stg2', 'stg3', 'stg4'] as const;
export type EnvName = (typeof ENV_NAMES)[number];

export interface EmuEnv {
  name: string;
  region: string;
  ami: string;
  /** The AMI's root snapshot. */
  amiSnapshot: string;
  subnets: string[];
  securityGroup: string;
  targetGroupArn: string;
  keyPair: string;
}

/** Files that steer one environment's runs on the loopback host; each test sets and removes its own. */
export interface Flags {
  /** While it exists, the recipe's `check the release` fails. */
  failRecipe(env: string): string;
  /** While it exists, the recipe's `restart the services` waits (up to a minute). */
  block(env: string): string;
  /** pgrep pattern of the recipe's waiting loop on the host (any environment's). */
  blockedOnHost: string;
  /** A browser named in it fails its tests in that environment. */
  failTests(env: string, browsers: string[]): void;
  clear(env: string): void;
}

export interface ChildRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface EmuWorld {
  moto: Moto;
  proxy: AwsProxy;
  sshd: TestSshd;
  dir: string;
  configPath: string;
  envs: Record<EnvName, EmuEnv>;
  flags: Flags;
  appPort: number;
  ec2(region: string): EC2Client;
  elbv2(region: string): ElasticLoadBalancingV2Client;
  /** The YAML data the config was written from; `writeConfig` rewrites it after an edit. */
  configData: Record<string, any>;
  writeConfig(edit?: (data: Record<string, any>) => void): void;
  /** The environment stagebot's child processes get. */
  env(extra?: Record<string, string | undefined>): Record<string, string | undefined>;
  /** `stagebot iam-policy` for the world's configuration (the real CLI). */
  iamPolicy(): Promise<IamPolicy>;
  /** `stagebot …args --config <world>` to its end. */
  stagebot(args: string[], opts?: { env?: Record<string, string | undefined>; timeoutMs?: number }): Promise<Result>;
  /** The same, as a process the test can signal while it runs. */
  spawnStagebot(args: string[], opts?: { env?: Record<string, string | undefined> }): ChildRun;
  close(): Promise<void>;
}

function clients(url: string) {
  const credentials = { accessKeyId: SUITE_KEY, secretAccessKey: 'suite-secret' };
  const ec2 = new Map<string, EC2Client>();
  const elb = new Map<string, ElasticLoadBalancingV2Client>();
  return {
    ec2: (region: string) => ec2.get(region) ?? ec2.set(region, new EC2Client({ region, endpoint: url, credentials })).get(region)!,
    elbv2: (region: string) => elb.get(region) ?? elb.set(region, new ElasticLoadBalancingV2Client({ region, endpoint: url, credentials })).get(region)!,
    destroy() {
      for (const c of [...ec2.values(), ...elb.values()]) c.destroy();
    },
  };
}

async function startApp(): Promise<{ port: number; server: Server }> {
  const server = createServer((req, res) => {
    res.statusCode = req.url === '/health' ? 200 : 404;
    res.end('ok');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { port: (server.address() as AddressInfo).port, server };
}

/** Tags a bake of this installation would have put on an environment's AMI (the sweeper must never reap it). */
function bakeTags(env: string): { Key: string; Value: string }[] {
  return [
    { Key: TAG.managedBy, Value: INSTALLATION },
    { Key: TAG.assetId, Value: `bake-${env}-20260101-aaaaaa` },
    { Key: TAG.env, Value: env },
    { Key: TAG.name, Value: `${env}-base` },
  ];
}

interface RegionWorld {
  vpcId: string;
  subnets: string[];
}

async function buildRegion(c: ReturnType<typeof clients>, region: string, cidr: number): Promise<RegionWorld> {
  const ec2 = c.ec2(region);
  const vpcId = (await ec2.send(new CreateVpcCommand({ CidrBlock: `10.${cidr}.0.0/16` }))).Vpc!.VpcId!;
  const subnets: string[] = [];
  for (const [i, az] of ['a', 'b'].entries()) {
    const out = await ec2.send(new CreateSubnetCommand({ VpcId: vpcId, CidrBlock: `10.${cidr}.${i + 1}.0/24`, AvailabilityZone: `${region}${az}` }));
    subnets.push(out.Subnet!.SubnetId!);
  }
  return { vpcId, subnets };
}

async function buildEnv(c: ReturnType<typeof clients>, name: string, region: string, r: RegionWorld, keyPair: string): Promise<EmuEnv> {
  const ec2 = c.ec2(region);
  const elb = c.elbv2(region);
  const securityGroup = (await ec2.send(new CreateSecurityGroupCommand({ GroupName: `${name}-web`, Description: `${name} web`, VpcId: r.vpcId }))).GroupId!;
  // The environment's AMI, baked from an Amazon image as a bake would (its builder is gone afterwards).
  const amazon = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'], MaxResults: 5 }))).Images!.find((i) => i.RootDeviceName)!;
  const builder = (await ec2.send(new RunInstancesCommand({ ImageId: amazon.ImageId!, MinCount: 1, MaxCount: 1, InstanceType: 't3.micro', SubnetId: r.subnets[0]! })))
    .Instances![0]!.InstanceId!;
  const ami = (await ec2.send(new CreateImageCommand({ InstanceId: builder, Name: `${name}-base`, TagSpecifications: [{ ResourceType: 'image', Tags: bakeTags(name) }, { ResourceType: 'snapshot', Tags: bakeTags(name) }] })))
    .ImageId!;
  await ec2.send(new TerminateInstancesCommand({ InstanceIds: [builder] }));
  const image = (await ec2.send(new DescribeImagesCommand({ ImageIds: [ami] }))).Images![0]!;
  const amiSnapshot = image.BlockDeviceMappings?.find((m) => m.Ebs?.SnapshotId)?.Ebs?.SnapshotId ?? '';
  const targetGroupArn = (await elb.send(new CreateTargetGroupCommand({ Name: `${name}-web`, Protocol: 'HTTP', Port: 80, VpcId: r.vpcId, TargetType: 'instance' })))
    .TargetGroups![0]!.TargetGroupArn!;
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: `${name}-alb`, Subnets: r.subnets, SecurityGroups: [securityGroup], Scheme: 'internet-facing', Type: 'application' })))
    .LoadBalancers![0]!.LoadBalancerArn!;
  await elb.send(new CreateListenerCommand({ LoadBalancerArn: lb, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: targetGroupArn }] }));
  return { name, region, ami, amiSnapshot, subnets: r.subnets, securityGroup, targetGroupArn, keyPair };
}

function flagsIn(dir: string): Flags {
  const path = (env: string, what: string) => join(dir, 'flags', `${env}.${what}`);
  return {
    failRecipe: (env) => path(env, 'fail-recipe'),
    block: (env) => path(env, 'block'),
    blockedOnHost: `[ -e ${join(dir, 'flags', '$STAGEBOT_ENV.block')} ]`.replace(/[$.[\]]/g, '\\$&'),
    failTests: (env, browsers) => writeFileSync(path(env, 'tests.json'), JSON.stringify(Object.fromEntries(browsers.map((b) => [b, 'failed'])))),
    clear(env) {
      for (const what of ['fail-recipe', 'block', 'tests.json']) rmSync(path(env, what), { force: true });
    },
  };
}

/** The same recipe for every environment; `$STAGEBOT_ENV` (expanded by the host's shell) picks its flags. */
function recipe(dir: string, appPort: number): unknown[] {
  const flag = (what: string) => join(dir, 'flags', `$STAGEBOT_ENV.${what}`);
  return [
    { name: 'say hello', run: 'echo "updating $STAGEBOT_ENV to $STAGEBOT_REF for $STAGEBOT_RUN_ID"', timeout: '30s' },
    { name: 'check the release', run: `test ! -e ${flag('fail-recipe')}`, timeout: '30s' },
    // Bounded: at most a minute, whatever the test does.
    { name: 'restart the services', run: `for i in $(seq 1 600); do [ -e ${flag('block')} ] || exit 0; sleep 0.1; done; exit 1`, timeout: '2m' },
    { name: 'wait for the app', waitHttp: { url: `http://127.0.0.1:${appPort}/health`, status: 200, retries: 10, interval: '1s' } },
  ];
}

function configData(w: { dir: string; envs: Record<EnvName, EmuEnv>; sshd: TestSshd; appPort: number }): Record<string, any> {
  const environments: Record<string, unknown> = {};
  for (const e of Object.values(w.envs)) {
    environments[e.name] = {
      region: e.region,
      ami: e.ami,
      instanceType: INSTANCE_TYPE,
      rootVolume: { sizeGb: 200, type: 'gp3' },
      subnets: e.subnets,
      securityGroup: e.securityGroup,
      targetGroupArn: e.targetGroupArn,
      keyPair: e.keyPair,
      // Every instance's sshd is the suite's: a fixed host, as a bastion or a private DNS name would be.
      ssh: { user: w.sshd.username, privateKeyEnv: SSH_KEY_ENV, host: '127.0.0.1', port: w.sshd.port, allowFrom: ['203.0.113.10/32'], authFailFast: '10s' },
      url: `http://127.0.0.1:${w.appPort}`,
      serviceUpdate: recipe(w.dir, w.appPort),
    };
  }
  return {
    installation: INSTALLATION,
    aws: { accountAllowlist: [ACCOUNT], extraRegions: [] },
    store: { sqlitePath: join(w.dir, 'store', 'stagebot.db') },
    runs: {
      keepDefault: '1h',
      keepMax: '24h',
      timeout: '1h',
      // Short: a process killed mid-run is adopted within seconds.
      leaseTtl: '4s',
      onAdopt: 'teardown',
      stepTimeouts: { 'wait-ssh': '30s', 'service-update': '2m', register: '30s', tests: '2m', teardown: '2m' },
    },
    environments,
    pool: Object.keys(w.envs),
    browsers: { chrome: { project: 'chromium' }, firefox: { project: 'firefox', testUser: { username: 'qa-firefox@acme.example', passwordEnv: 'STAGEBOT_EMU_TEST_PASSWORD_FIREFOX' } } },
    defaultBrowsers: ['chrome'],
    tests: {
      prepare: { command: 'echo preparing the e2e bundle', timeout: '1m' },
      // As the example config passes a retest's --grep on: quoted, only when set (`$${` is the file's literal `${`).
      runner: { kind: 'command', command: `"${process.execPath}" "${join(import.meta.dirname, 'fake-playwright.mjs')}" "${join(w.dir, 'flags')}" $\${TEST_GREP:+--grep "$TEST_GREP"}`, cwd: w.dir },
      workers: 2,
      retries: 0,
      maxWait: '2m',
    },
    sweeper: { gracePeriod: '1h', reapLimit: 25, protectTag: { key: 'stagebot:keep', value: 'true' }, amiMinAge: '14d', amiKeepNewest: 1 },
  };
}

/** Call in beforeAll (building takes a few seconds); close in afterAll. */
export async function buildWorld(opts: { edit?: (data: Record<string, any>) => void } = {}): Promise<EmuWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'stagebot-emu-'));
  mkdirSync(join(dir, 'store'));
  mkdirSync(join(dir, 'flags'));
  const flags = flagsIn(dir);
  const moto = await startMoto();
  const proxy = await startProxy(moto.url);
  const sshd = await startSshd();
  const app = await startApp();
  const c = clients(moto.url);

  proxy.before(noteResourceState(c.ec2));
  // cloud-init's part: an instance launched with a key pair lets that key pair in over SSH.
  proxy.after(async (entry) => {
    const { action, params, region } = entry.request;
    if (action !== 'RunInstances' || entry.status !== 200 || !params.KeyName) return;
    const out = await c.ec2(region).send(new DescribeKeyPairsCommand({ KeyNames: [params.KeyName], IncludePublicKey: true }));
    const line = out.KeyPairs?.[0]?.PublicKey;
    if (line) await sshd.authorize(line);
  });

  const east = await buildRegion(c, EAST, 10);
  const west = await buildRegion(c, WEST, 20);
  await c.ec2(WEST).send(new ImportKeyPairCommand({ KeyName: FIXED_KEY_PAIR, PublicKeyMaterial: Buffer.from(sshd.publicKey) }));
  const envs = {} as Record<EnvName, EmuEnv>;
  for (const [name, region, r, key] of [
    ['stg1', EAST, east, 'ephemeral'],
    ['stg2', EAST, east, 'ephemeral'],
    ['stg3', WEST, west, FIXED_KEY_PAIR],
    ['stg4', WEST, west, FIXED_KEY_PAIR],
  ] as const) {
    envs[name] = await buildEnv(c, name, region, r, key);
  }

  const configPath = join(dir, 'stagebot.yml');
  const data = configData({ dir, envs, sshd, appPort: app.port });
  opts.edit?.(data);
  const world: EmuWorld = {
    moto,
    proxy,
    sshd,
    dir,
    configPath,
    envs,
    flags,
    appPort: app.port,
    ec2: c.ec2,
    elbv2: c.elbv2,
    configData: data,
    writeConfig(edit) {
      edit?.(world.configData);
      writeFileSync(configPath, stringify(world.configData));
    },
    env: (extra = {}) => ({
      AWS_ENDPOINT_URL: proxy.url,
      AWS_ACCESS_KEY_ID: STAGEBOT_KEY,
      AWS_SECRET_ACCESS_KEY: 'stagebot-secret',
      [SSH_KEY_ENV]: sshd.privateKey,
      USER: 'qa',
      ...extra,
    }),
    async iamPolicy() {
      const res = await world.stagebot(['iam-policy']);
      if (res.code !== 0) throw new Error(`stagebot iam-policy failed: ${res.stderr}`);
      return JSON.parse(res.stdout) as IamPolicy;
    },
    stagebot: (args, o = {}) => runStagebot([...args, '--config', configPath], { cwd: dir, env: world.env(o.env), timeoutMs: o.timeoutMs ?? 90_000 }),
    spawnStagebot(args, o = {}) {
      const child = spawn(process.execPath, [BIN, ...args, '--config', configPath], { cwd: dir, env: childEnv(dir, world.env(o.env)), stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      const killOnExit = () => child.kill('SIGKILL');
      process.once('exit', killOnExit);
      void exited.then(() => process.removeListener('exit', killOnExit));
      return { child, stdout: () => out, stderr: () => err, exited };
    },
    async close() {
      c.destroy();
      app.server.closeAllConnections();
      await new Promise<void>((resolve) => app.server.close(() => resolve()));
      await proxy.stop();
      await sshd.stop();
      await moto.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  world.writeConfig();
  return world;
}
