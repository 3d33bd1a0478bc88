// A sweeper test world: the shared fake cloud with two environments (stg1 in us-east-1, stg4 in
// eu-west-1), their configured AMIs and target groups, a store, and helpers to leave assets behind
// the way a crashed or finished run would.

import { stringify } from 'yaml';
import type { AwsClients } from '../../../src/aws/clients.ts';
import { readTags, runTags } from '../../../src/aws/tags.ts';
import { parseConfig } from '../../../src/config/index.ts';
import type { Config } from '../../../src/config/types.ts';
import { createPrices } from '../../../src/cost/prices.ts';
import type { RunState } from '../../../src/domain/run.ts';
import { openStore, type Store } from '../../../src/store/index.ts';
import { sweep, type OrphanEntry, type SweepDeps, type SweepOptions } from '../../../src/audit/index.ts';
import { FakeCloud, createFakeAwsClients } from '../../fakes/cloud/index.ts';

export const INSTALLATION = 'acme-staging';
export const ACCOUNT = '123456789012';
export const T0 = new Date('2026-11-21T07:00:00Z');
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

export const ENVS = {
  stg1: { region: 'us-east-1', ami: 'ami-0a1b2c3d4e5f60001', tg: `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/stg1-web/0a1b2c3d4e5f6071` },
  stg4: { region: 'eu-west-1', ami: 'ami-0e1f2a3b4c5d60004', tg: `arn:aws:elasticloadbalancing:eu-west-1:${ACCOUNT}:targetgroup/stg4-web/0a1b2c3d4e5f6074` },
} as const;
export type EnvName = keyof typeof ENVS;

export function configData(
  overrides: { sweeper?: Record<string, unknown>; aws?: Record<string, unknown>; environments?: Partial<Record<EnvName, Record<string, unknown>>> } = {},
): Record<string, unknown> {
  const env = (name: EnvName) => ({
    region: ENVS[name].region,
    ami: ENVS[name].ami,
    instanceType: 't3.2xlarge',
    subnets: ['subnet-0aa1111111111111a'],
    securityGroup: 'sg-0c1c1c1c1c1c1c1c1',
    targetGroupArn: ENVS[name].tg,
    ssh: { user: 'ubuntu', privateKeyEnv: 'STAGEBOT_SSH_KEY', allowFrom: ['203.0.113.10/32'] },
    url: `https://${name}.example.com`,
    ...overrides.environments?.[name],
  });
  return {
    installation: INSTALLATION,
    aws: { accountAllowlist: [ACCOUNT], ...overrides.aws },
    environments: { stg1: env('stg1'), stg4: env('stg4') },
    browsers: { chrome: { project: 'chromium' } },
    tests: { runner: { kind: 'command', command: 'npx playwright test' } },
    sweeper: { gracePeriod: '24h', reapLimit: 25, amiMinAge: '14d', amiKeepNewest: 2, ...overrides.sweeper },
  };
}

export function makeConfig(overrides: Parameters<typeof configData>[0] = {}): Config {
  return parseConfig(stringify(configData(overrides)), {});
}

export interface LeaveOptions {
  region?: string;
  env?: EnvName;
  expiresAt?: Date;
  installation?: string;
  extraTags?: Record<string, string>;
  createdAt?: Date;
}

export class World {
  readonly cloud: FakeCloud;
  readonly aws: AwsClients;
  readonly store: Store;
  config: Config;
  /** Security group per region, for SG rules. */
  readonly groups = new Map<string, string>();
  /** Makes seeded names and CIDRs unique. */
  #seq = 0;

  private constructor(cloud: FakeCloud, store: Store, config: Config, retry: 'instant' | 'sdk') {
    this.cloud = cloud;
    this.aws = createFakeAwsClients(cloud, { retry });
    this.store = store;
    this.config = config;
  }

  /** `retry: 'sdk'`: the production adaptive retry strategy, with its real back-off delays. */
  static async create(opts: { config?: Config; store?: Store; cloud?: FakeCloud; retry?: 'instant' | 'sdk' } = {}): Promise<World> {
    const cloud = opts.cloud ?? new FakeCloud({ start: T0 });
    const store = opts.store ?? (await openStore({ sqlitePath: ':memory:' }));
    const world = new World(cloud, store, opts.config ?? makeConfig(), opts.retry ?? 'instant');
    for (const [name, e] of Object.entries(ENVS)) {
      // Baked by us long ago (tagged ours, old): only being configured keeps it and its snapshot.
      const baked = { 'stagebot:managed-by': INSTALLATION, 'stagebot:env': name };
      cloud.addImage({ region: e.region, imageId: e.ami, name: `${name}-base`, tags: baked, snapshotTags: baked, createdAt: new Date(T0.getTime() - 200 * DAY) });
      cloud.addTargetGroup({ region: e.region, name: `${name}-web`, arn: e.tg });
      world.groups.set(e.region, cloud.addSecurityGroup({ region: e.region, name: `${name}-sg` }));
    }
    return world;
  }

  get now(): Date {
    return this.cloud.clock.now();
  }

  deps(extra: Partial<SweepDeps> = {}): SweepDeps {
    return { config: this.config, store: this.store, aws: this.aws, prices: createPrices(), sleep: async () => {}, ...extra };
  }

  sweep(opts: Partial<SweepOptions> = {}, deps: Partial<SweepDeps> = {}) {
    return sweep(this.deps(deps), { mode: 'dry-run', now: this.now, ...opts });
  }

  tags(runId: string, o: LeaveOptions = {}): Record<string, string> {
    const env = o.env ?? 'stg4';
    const list = runTags({
      installation: o.installation ?? INSTALLATION,
      runId,
      env,
      requester: 'slack:U123',
      source: 'slack',
      expiresAt: o.expiresAt ?? new Date(this.now.getTime() + 3 * HOUR),
      name: `${env} ${runId}`,
    });
    return { ...readTags(list), ...o.extraTags };
  }

  region(o: LeaveOptions): string {
    return o.region ?? ENVS[o.env ?? 'stg4'].region;
  }

  /** A run in the store. */
  async run(runId: string, state: RunState, o: { finishedAgoMs?: number; leaseAgoMs?: number | null; expiresAt?: Date | null } = {}): Promise<void> {
    const now = this.now.getTime();
    const env = runId.split('-')[0] ?? 'stg4';
    await this.store.createRun({
      id: runId,
      env,
      requester: 'slack:U123',
      source: 'slack',
      options: { browsers: ['chrome'] },
      createdAt: new Date(now - 5 * DAY),
      state,
      expiresAt: o.expiresAt ?? null,
    });
    if (state === 'succeeded' || state === 'failed' || state === 'cancelled') {
      await this.store.updateRun(runId, { finishedAt: new Date(now - (o.finishedAgoMs ?? 3 * DAY)) });
    }
    if (o.leaseAgoMs !== undefined && o.leaseAgoMs !== null) {
      await this.store.acquireLease(runId, 'replica-a', new Date(now - o.leaseAgoMs), this.config.runs.leaseTtl);
    }
  }

  /** `rootVolumeTags`: tags its root volume carries besides the instance's. */
  instance(runId: string, o: LeaveOptions & { state?: 'running' | 'stopped' | 'terminated'; instanceType?: string; rootVolumeTags?: Record<string, string> } = {}): string {
    return this.cloud.addInstance({
      region: this.region(o),
      tags: this.tags(runId, o),
      volumeTags: { ...this.tags(runId, o), ...o.rootVolumeTags },
      instanceType: o.instanceType ?? 't3.2xlarge',
      rootVolumeGb: 200,
      launchedAt: o.createdAt ?? new Date(this.now.getTime() - 4 * DAY),
      ...(o.state ? { state: o.state } : {}),
    });
  }

  volume(runId: string, o: LeaveOptions = {}): string {
    return this.cloud.addVolume({ region: this.region(o), tags: this.tags(runId, o), sizeGb: 100, volumeType: 'gp3', createdAt: o.createdAt ?? new Date(this.now.getTime() - 4 * DAY) });
  }

  rule(runId: string, o: LeaveOptions = {}): string {
    const region = this.region(o);
    return this.cloud.addSecurityGroupRule({ region, groupId: this.groups.get(region) ?? '', cidr: `10.${(++this.#seq >> 8) & 255}.${this.#seq & 255}.1/32`, tags: this.tags(runId, o) });
  }

  keyPair(runId: string, o: LeaveOptions = {}): string {
    return this.cloud.addKeyPair({ region: this.region(o), keyName: `stagebot-${runId}-${++this.#seq}`, tags: this.tags(runId, o) }).keyPairId;
  }

  /** An AMI tagged ours for `env`, `ageDays` old, with its snapshot tagged the same. */
  ami(env: EnvName, ageDays: number, o: LeaveOptions = {}): { imageId: string; snapshotId: string } {
    const tags = { ...this.tags(`${env}-bake`, { ...o, env }) };
    delete tags['asset-id'];
    return this.cloud.addImage({
      region: ENVS[env].region,
      name: `${env}-${ageDays}d`,
      tags,
      snapshotTags: tags,
      snapshotSizeGb: 50,
      createdAt: new Date(this.now.getTime() - ageDays * DAY),
    });
  }

  snapshot(runId: string, o: LeaveOptions = {}): string {
    return this.cloud.addSnapshot({ region: this.region(o), tags: this.tags(runId, o), sizeGb: 40, createdAt: o.createdAt ?? new Date(this.now.getTime() - 4 * DAY) });
  }

  /** The id as AWS now shows it; null when gone (terminated instances count as gone). */
  alive(id: string): boolean {
    const found = this.cloud.find(id);
    if (!found || found.resource.deletedAt !== null) return false;
    return !('state' in found.resource) || (found.resource as { state: string }).state !== 'shutting-down';
  }
}

/** A sweep's orphan entry as the cost reports read it (a stg4 instance, 10 days orphaned, 24 USD a day). */
export function orphanEntry(o: Partial<OrphanEntry> = {}): OrphanEntry {
  return {
    kind: 'instance', id: 'i-0orphan000000000a', region: 'eu-west-1', env: 'stg4', runId: null, requester: 'slack:U2', reason: 'r', detail: 'd',
    ageMs: 10 * DAY, accruedUsd: 0, dailyUsd: 24, reapAfter: null, marked: false, due: false, ...o,
  };
}
