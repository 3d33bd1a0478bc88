// The typed configuration every other part of stagebot receives. Only src/config reads stagebot.yml.
// All durations are milliseconds (the file says `90m`; Config says 5400000). Optional sections are
// undefined when the file leaves them out; everything else has its default filled in.

import type { ARTIFACT_STORAGES, DASHBOARD_AUTH, ON_ADOPT, STEP_NAMES, VOLUME_TYPES } from './defaults.ts';

export type StepName = (typeof STEP_NAMES)[number];
export type VolumeType = (typeof VOLUME_TYPES)[number];
export type OnAdopt = (typeof ON_ADOPT)[number];
export type DashboardAuth = (typeof DASHBOARD_AUTH)[number];

export interface Config {
  /** Written into the `stagebot:managed-by` tag of everything this installation creates. */
  installation: string;
  aws: AwsConfig;
  store: StoreConfig;
  runs: RunsConfig;
  /** In file order; the key is the environment name (also in `name`). */
  environments: Record<string, EnvironmentConfig>;
  /** Environments a launch without a name picks from; defaults to all, in file order. */
  pool: string[];
  browsers: Record<string, BrowserConfig>;
  /** Browsers of a launch that names none; defaults to the first browser. */
  defaultBrowsers: string[];
  tests: TestsConfig;
  sweeper: SweeperConfig;
  slack?: SlackConfig | undefined;
  github?: GithubConfig | undefined;
  pricing?: PricingOverrides | undefined;
  dashboard: DashboardConfig;
  artifacts: ArtifactsConfig;
  /** Images stagebot bakes and promotes, by name (empty when the file names none). */
  images: Record<string, ImageConfig>;
  imageManifest: ImageManifestConfig;
}

/** Where a base AMI comes from: `ami`, `name` (a filter) with `owners`, or `ssm` (an AWS public parameter). */
export interface ImageBase {
  ami?: string | undefined;
  /** An AWS public parameter whose value is an AMI id, read in the image's first region. */
  ssm?: string | undefined;
  /** An AMI name filter; the newest match of `owners` is taken. */
  name?: string | undefined;
  owners?: string[] | undefined;
}

/** One image stagebot bakes (a builder from `base`, `recipe` over SSH, CreateImage) and promotes. */
export interface ImageConfig {
  name: string;
  base: ImageBase;
  /** Where it must exist; the first is where it is baked (subnets and security group are there). */
  regions: string[];
  instanceType: string;
  rootVolume: { sizeGb: number; type: VolumeType };
  subnets: string[];
  securityGroup: string;
  /** The builder is reached with an ephemeral key pair made for each bake. */
  ssh: Omit<SshConfig, 'privateKeyEnv'>;
  /** The same recipe language as an environment's serviceUpdate. */
  recipe: RecipeItem[];
  /** Account ids given launch permission on promoted images. */
  shareWith: string[];
  /** Unreferenced candidates kept (newest first); older ones are the sweeper's. */
  keepCandidates: number;
  /** ms after a promotion at which the image it replaced is deprecated. */
  deprecateAfter: number;
  /** ms CreateImage may take to become available. */
  createImageTimeout: number;
}

export interface ImageManifestConfig {
  /** The manifest JSON file (relative paths are relative to the working directory); unused with `github`. */
  path: string;
  /**
   * The manifest is a file in a GitHub repository instead, read on `branch` through the GitHub App and
   * changed only by pull request (merging is the approval, a revert the rollback).
   */
  github: { repo: string; path: string; branch: string } | null;
}

export type ArtifactStorageKind = (typeof ARTIFACT_STORAGES)[number];

/** What stagebot keeps of each browser's Playwright output, where, for how long, and how it is linked. */
export interface ArtifactsConfig {
  /** `local`: under `dir`; `s3`: in `s3.bucket` (then `s3` is set). */
  storage: ArtifactStorageKind;
  dir: string;
  s3?: { bucket: string; region: string; prefix: string; forcePathStyle: boolean } | undefined;
  /** Bytes one run may keep, all browsers together; the most useful files go first. */
  maxRunSize: number;
  /** ms after which a run's artifacts are deleted (the daily sweep). */
  retention: number;
  /** ms a signed link stays valid (never past retention). */
  linkTtl: number;
  /** Environment variable holding the key that signs links; unset: a key kept in the store. */
  linkSecretEnv: string;
}

export interface AwsConfig {
  /** 12-digit account ids; runs and sweeps refuse to mutate any other account. Never empty. */
  accountAllowlist: string[];
  /** Regions the sweeper scans besides the environments' own. */
  extraRegions: string[];
}

export interface StoreConfig {
  /** Embedded SQLite file, as written (relative paths are relative to the working directory). */
  sqlitePath: string;
}

export interface RunsConfig {
  keepDefault: number;
  keepMax: number;
  /** A whole run is cancelled and torn down after this long. */
  timeout: number;
  stepTimeouts: Record<StepName, number>;
  leaseTtl: number;
  onAdopt: OnAdopt;
}

export interface EnvironmentConfig {
  name: string;
  region: string;
  ami: string;
  instanceType: string;
  rootVolume: { sizeGb: number; type: VolumeType };
  /** At least one. */
  subnets: string[];
  securityGroup: string;
  /** Its region always equals `region`. */
  targetGroupArn: string;
  /** `ephemeral` (a key pair created and deleted by each run) or the name of an existing key pair. */
  keyPair: string;
  ssh: SshConfig;
  url: string;
  /** The full recipe (cold launches, and preparing pool members). */
  serviceUpdate: RecipeItem[];
  /** `serviceUpdate.warm`: what a launch that claimed a prepared pool member runs instead. */
  warmUpdate?: RecipeItem[];
  deadManSwitch: DeadManSwitchConfig;
  warmPool?: WarmPoolConfig;
}

/** Prepared instances kept per environment so a launch can skip the boot and the full service update. */
export interface WarmPoolConfig {
  size: number;
  /** `stopped`: EBS cost only, a start on claim; `running`: instance hours, no start. */
  mode: 'stopped' | 'running';
  /** ms; an older member is evicted. */
  maxAge: number;
  /** The ref members are prepared at with the full recipe. */
  baseRef: string;
  /** When the pool is kept full (the sweeper's time zone); absent: always. */
  hours?: PoolHoursWindow[];
}

/** Hours [from, to) on the days of week listed (0 = Sunday). */
export interface PoolHoursWindow {
  from: number;
  to: number;
  days: number[];
}

/**
 * Leak-proofing that needs neither stagebot nor its sweeper: the instance terminates itself when it
 * powers off, and it is told (over SSH, right after wait-ssh) to power off at the run's expires-at
 * plus `margin`; keep and extend move that time.
 */
export interface DeadManSwitchConfig {
  enabled: boolean;
  /** ms after the run's expires-at. */
  margin: number;
}

export interface SshConfig {
  user: string;
  /** Name of the environment variable holding the private key (PEM); never the key itself. */
  privateKeyEnv: string;
  /** `{publicIp}`, `{privateIp}` or a fixed host name / address. */
  host: string;
  port: number;
  /** IPv4 CIDRs authorized on the SSH port for the run's lifetime. At least one. */
  allowFrom: string[];
  /** wait-ssh gives up once the host has refused the key for this long (ms): a wrong key, not a slow boot. */
  authFailFast: number;
}

export interface WaitHttpConfig {
  url: string;
  status: number;
  retries: number;
  interval: number;
}

interface RecipeItemBase {
  name: string;
  /** Absent: bounded only by the service-update step timeout. */
  timeout?: number | undefined;
  /** Further attempts after the first fails (after `onFailure`, when set). */
  retries: number;
  /** A command run on the host after a failed attempt, before the next one. */
  onFailure?: string | undefined;
  continueOnError: boolean;
}

/** One step of an environment's service-update recipe: exactly one of `run` and `waitHttp`. */
export type RecipeItem = RecipeItemBase &
  ({ run: string; waitHttp?: undefined } | { waitHttp: WaitHttpConfig; run?: undefined });

export interface BrowserConfig {
  name: string;
  /** Playwright project; defaults to the browser's name. */
  project: string;
  testUser?: { username: string; passwordEnv: string } | undefined;
}

export type RunnerConfig =
  | { kind: 'command'; command: string; cwd?: string | undefined }
  | { kind: 'github-workflow'; repository: string; workflow: string; ref: string };

export interface TestsConfig {
  prepare?: { command: string; cacheKey?: string | undefined; timeout?: number | undefined } | undefined;
  runner: RunnerConfig;
  workers: number;
  retries: number;
  maxWait: number;
  /** May contain `{runId}`, `{browser}` and `{env}`. */
  reportUrl?: string | undefined;
}

export interface SweeperConfig {
  /** A cron expression that node-cron accepts. */
  schedule: string;
  /** Canonical IANA zone name. */
  timeZone: string;
  reportChannel?: string | undefined;
  gracePeriod: number;
  reapLimit: number;
  protectTag: { key: string; value: string };
  amiMinAge: number;
  amiKeepNewest: number;
}

export interface SlackPrincipals {
  users: string[];
  userGroups: string[];
  channels: string[];
}

export interface SlackConfig {
  channels: string[];
  admins: { users: string[]; userGroups: string[] };
  /** Per-verb overrides, keyed by command verb. */
  allow: Record<string, SlackPrincipals>;
}

export interface GithubRepositoryConfig {
  /** Defaults to the top-level pool. */
  pool: string[];
  /** Defaults to `defaultBrowsers`. */
  browsers: string[];
  allowForks: boolean;
}

export interface GithubConfig {
  apiUrl?: string | undefined;
  /** Keyed by `owner/name` as written; GitHub names are case-insensitive, so compare lowercased. */
  repositories: Record<string, GithubRepositoryConfig>;
}

export interface PricingOverrides {
  /** USD per hour, by region then instance type. */
  instances: Record<string, Record<string, number>>;
  ebsGbMonth?: Partial<Record<VolumeType, number>> | undefined;
  snapshotGbMonth?: number | undefined;
  /** S3 Standard, USD per GB-month (test artifacts). */
  s3GbMonth?: number | undefined;
  publicIpv4Hour?: number | undefined;
}

/** The web dashboard's access rules (the pages themselves need no settings). */
export interface DashboardConfig {
  /** IP networks whose requests may read without signing in; empty: nobody. */
  anonymousRead: string[];
  /** How people sign in (needed for every action): nobody, GitHub, or a trusted reverse proxy's header. */
  auth: DashboardAuth;
  /** Where people open the dashboard (GitHub's sign-in callback, links from chat). */
  publicUrl?: string | undefined;
  /** auth: github — members of any of these organizations or teams (`org/team-slug`) may sign in. */
  github: { orgs: string[]; teams: string[] };
  /** auth: proxy — requests from these networks carry the signed-in user in these headers. */
  proxy: { trustedProxies: string[]; userHeader: string; emailHeader: string };
  /** `github:login` or `web:user`: may act on anyone's runs and locks, and reap (as chat admins). */
  admins: string[];
  /** ms a sign-in lasts. */
  sessionTtl: number;
  /** Live-update (server-sent events) connections open at once, at most; more are refused with 503. */
  maxLiveConnections: number;
}
