// The shape of stagebot.yml (see stagebot.example.yml): structure, defaults, and the typed result.

import * as z from 'zod';
import {
  checkKeepLimits,
  checkNotEmpty,
  checkRecipeAction,
  checkAuthFailFast,
  checkArtifacts,
  checkDashboardAccess,
  checkRootReferences,
  checkTargetGroupRegion,
  checkWarmRecipe,
} from './checks.ts';
import { warmPoolSchema } from './pool-fields.ts';
import { unknownKeyMessage, type UnknownKeyParams } from './problems.ts';
import { SSM_PUBLIC_PARAMETER, baseShorthand, checkImageBase, checkImageReferences } from './image-checks.ts';
import { ARTIFACT_STORAGES, DASHBOARD_AUTH, DEFAULTS, ON_ADOPT, VOLUME_TYPES } from './defaults.ts';
import { accountId, amiId, amiOrImage, instanceType, keyPair, region, securityGroupId, subnetId, targetGroupArn } from './aws-fields.ts';
import { ALWAYS, bool, int, list, matching, namedMap, oneOf, price, strictObject, text } from './fields.ts';
import {
  envVarName,
  installationName,
  repositoryName,
  simpleName,
  slackChannelId,
  slackUserGroupId,
  slackUserId,
} from './name-fields.ts';
import { cidr, httpUrl, ipNetwork, reportUrlTemplate, sshHost } from './network-fields.ts';
import { cronSchedule, duration, durationAtMost, durationBetween, timeZone } from './time-fields.ts';
import { size } from './size-fields.ts';
import type { Config, RecipeItem } from './types.ts';

const envName = () => simpleName('stg1');
const browserName = () => simpleName('chrome');
const command = () => text('a shell command');

const awsSchema = strictObject({
  accountAllowlist: list(accountId(), 'account ids that runs and sweeps may touch', 1),
  extraRegions: list(region(), 'AWS regions like eu-west-1').default([]),
});

const storeSchema = strictObject({
  sqlitePath: text('a file path like ./data/stagebot.db').default(DEFAULTS.sqlitePath),
});

const t = DEFAULTS.stepTimeouts;
const stepTimeoutsSchema = strictObject({
  'prepare-tests': duration().default(t['prepare-tests']),
  launch: duration().default(t.launch),
  'open-ssh': duration().default(t['open-ssh']),
  'wait-ssh': duration().default(t['wait-ssh']),
  'arm-switch': duration().default(t['arm-switch']),
  'service-update': duration().default(t['service-update']),
  register: duration().default(t.register),
  tests: duration().default(t.tests),
  teardown: duration().default(t.teardown),
});

const runsSchema = strictObject({
  keepDefault: duration().default(DEFAULTS.keepDefault),
  keepMax: duration().default(DEFAULTS.keepMax),
  timeout: duration().default(DEFAULTS.runTimeout),
  stepTimeouts: stepTimeoutsSchema.prefault({}),
  leaseTtl: durationBetween(
    DEFAULTS.leaseTtlMin,
    DEFAULTS.leaseTtlMax,
    'a lease is renewed every third of it, at most once a second; shorter lets a replica take a live run, longer leaves a dead one waiting',
  ).default(DEFAULTS.leaseTtl),
  onAdopt: oneOf(ON_ADOPT, 'onAdopt action').default(DEFAULTS.onAdopt),
}).superRefine(checkKeepLimits, ALWAYS);

const waitHttpSchema = strictObject({
  url: httpUrl('http://localhost:8080/health'),
  status: int(100, 599, 'an HTTP status like 200').default(DEFAULTS.waitHttp.status),
  retries: int(0, 10_000).default(DEFAULTS.waitHttp.retries),
  interval: duration().default(DEFAULTS.waitHttp.interval),
});

const recipeItemSchema = strictObject({
  name: text('a short description like "restart the services"'),
  run: command().optional(),
  waitHttp: waitHttpSchema.optional(),
  timeout: duration().optional(),
  retries: int(0, 100).default(DEFAULTS.recipeRetries),
  onFailure: command().optional(),
  continueOnError: bool().default(false),
})
  .superRefine(checkRecipeAction, ALWAYS)
  .transform(({ run, waitHttp, ...rest }, ctx): RecipeItem => {
    if (run !== undefined) return { ...rest, run };
    if (waitHttp !== undefined) return { ...rest, waitHttp };
    ctx.addIssue({ code: 'custom', message: 'needs run or waitHttp' }); // unreachable: checkRecipeAction refused it
    return z.NEVER;
  });

const recipeSchema = () => list(recipeItemSchema, 'recipe items');

// A plain list is the full recipe (as before pools); the map form adds the warm one a claimed pool
// member runs. Dispatched on the shape rather than a union, so an item's problem keeps its own path.
const recipeMapSchema = strictObject({ full: recipeSchema().default([]), warm: recipeSchema().optional() });
type ServiceUpdateInput = RecipeItem[] | { full: RecipeItem[]; warm?: RecipeItem[] | undefined };
const serviceUpdateSchema = z.unknown().transform((value, ctx): ServiceUpdateInput => {
  const result = (Array.isArray(value) ? recipeSchema() : recipeMapSchema).safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    // Re-added issues lose their params: word an unknown key here, as problems.ts would.
    const params = (issue as { params?: Partial<UnknownKeyParams> }).params;
    const key = issue.path.at(-1);
    const message = params?.unknownKey && key !== undefined ? unknownKeyMessage(String(key), params.known ?? []) : issue.message;
    ctx.addIssue({ ...issue, message } as Parameters<typeof ctx.addIssue>[0]);
  }
  return z.NEVER;
});

const sshSchema = strictObject({
  user: matching(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a login name like ubuntu'),
  privateKeyEnv: envVarName('STAGEBOT_SSH_KEY'),
  host: sshHost().default(DEFAULTS.sshHost),
  port: int(1, 65_535, 'a port from 1 to 65535').default(DEFAULTS.sshPort),
  allowFrom: list(cidr(), 'IPv4 CIDRs stagebot connects from, like 203.0.113.10/32', 1),
  authFailFast: durationAtMost(DEFAULTS.sshAuthFailFastMax, 'a key refused that long is never a slow boot').default(DEFAULTS.sshAuthFailFast),
});

const environmentSchema = strictObject({
  region: region(),
  ami: amiOrImage(),
  instanceType: instanceType(),
  rootVolume: strictObject({
    sizeGb: int(1, 16_384, 'a size in GB from 1 to 16384').default(DEFAULTS.rootVolume.sizeGb),
    type: oneOf(VOLUME_TYPES, 'volume type').default(DEFAULTS.rootVolume.type),
  }).prefault({}),
  subnets: list(subnetId(), 'subnet ids like subnet-0aa1111111111111a', 1),
  securityGroup: securityGroupId(),
  targetGroupArn: targetGroupArn(),
  keyPair: keyPair().default(DEFAULTS.keyPair),
  ssh: sshSchema,
  url: httpUrl('https://stg1.staging.example.com'),
  serviceUpdate: serviceUpdateSchema.default([]),
  warmPool: warmPoolSchema.optional(),
  deadManSwitch: strictObject({
    enabled: bool().default(DEFAULTS.deadManSwitch.enabled),
    margin: durationAtMost(DEFAULTS.deadManSwitchMarginMax, "the switch is the backstop for a bot that is down; a day late is a day's cost").default(DEFAULTS.deadManSwitch.margin),
  }).prefault({}),
})
  .superRefine(checkTargetGroupRegion, ALWAYS)
  .superRefine(checkWarmRecipe, ALWAYS)
  .transform(({ serviceUpdate, ...env }) => ({
    ...env,
    serviceUpdate: Array.isArray(serviceUpdate) ? serviceUpdate : serviceUpdate.full,
    ...(Array.isArray(serviceUpdate) || !serviceUpdate.warm ? {} : { warmUpdate: serviceUpdate.warm }),
  }));

const browserSchema = strictObject({
  project: text('a Playwright project like chromium').optional(),
  testUser: strictObject({
    username: text('a login like qa-chrome@example.com'),
    passwordEnv: envVarName('STAGEBOT_TEST_PASSWORD_CHROME'),
  }).optional(),
});

const runnerSchema = z.discriminatedUnion('kind', [
  strictObject({
    kind: z.literal('command'),
    command: command(),
    cwd: text('a directory like ./e2e').optional(),
  }),
  strictObject({
    kind: z.literal('github-workflow'),
    repository: repositoryName(),
    workflow: matching(/^(?:[\w.-]+\.ya?ml|\d+)$/, 'a workflow file name like playwright.yml'),
    ref: text('a branch, tag or commit like main'),
  }),
]);

const testsSchema = strictObject({
  prepare: strictObject({
    command: command(),
    cacheKey: text('a cache key like e2e-image-v1').optional(),
    timeout: duration().optional(),
  }).optional(),
  runner: runnerSchema,
  workers: int(1, 64).default(DEFAULTS.workers),
  retries: int(0, 10).default(DEFAULTS.retries),
  maxWait: duration().default(DEFAULTS.maxWait),
  reportUrl: reportUrlTemplate().optional(),
});

const s = DEFAULTS.sweeper;
const sweeperSchema = strictObject({
  schedule: cronSchedule().default(s.schedule),
  timeZone: timeZone().default(s.timeZone),
  reportChannel: slackChannelId().optional(),
  gracePeriod: duration().default(s.gracePeriod),
  reapLimit: int(0, 100_000).default(s.reapLimit),
  protectTag: strictObject({
    key: matching(/^[\w .:/=+\-@]{1,128}$/, 'a tag key like stagebot:keep'),
    value: matching(/^[\w .:/=+\-@]{0,256}$/, 'a tag value like true'),
  }).default({ ...s.protectTag }),
  amiMinAge: duration().default(s.amiMinAge),
  amiKeepNewest: int(0, 1_000).default(s.amiKeepNewest),
});

const a = DEFAULTS.artifacts;
const artifactsSchema = strictObject({
  storage: oneOf(ARTIFACT_STORAGES, 'artifact storage').default(a.storage),
  dir: text('a directory like ./data/artifacts').default(a.dir),
  s3: strictObject({
    bucket: matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name like acme-stagebot-artifacts'),
    region: region(),
    prefix: matching(/^(?:[A-Za-z0-9!_.*'()-]+\/)*$/, 'a key prefix ending in / like stagebot/ (or empty)').default(a.s3Prefix),
    forcePathStyle: bool().default(false),
  }).optional(),
  maxRunSize: size(a.minRunSize).prefault(a.maxRunSize),
  retention: duration().default(a.retention),
  linkTtl: duration().default(a.linkTtl),
  linkSecretEnv: envVarName('STAGEBOT_LINK_SECRET').default(a.linkSecretEnv),
}).superRefine(checkArtifacts, ALWAYS);

const slackUsers = () => list(slackUserId(), 'Slack user ids like U0PLATFORM1').default([]);
const slackUserGroups = () => list(slackUserGroupId(), 'Slack user group ids like S0PLATFORM').default([]);
const slackChannels = () => list(slackChannelId(), 'Slack channel ids like C0123STAGING').default([]);

const slackSchema = strictObject({
  channels: slackChannels(),
  admins: strictObject({ users: slackUsers(), userGroups: slackUserGroups() }).prefault({}),
  allow: z
    .record(
      matching(/^[a-z][a-z-]{0,31}$/, 'a command verb like lock'),
      strictObject({ users: slackUsers(), userGroups: slackUserGroups(), channels: slackChannels() }),
    )
    .default({}),
});

const d = DEFAULTS.dashboard;
const githubLogin = () => matching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'a GitHub organization like acme');
const dashboardSchema = strictObject({
  anonymousRead: list(ipNetwork(), 'IP networks like 127.0.0.0/8 whose requests may read without signing in').default([]),
  auth: oneOf(DASHBOARD_AUTH, 'sign-in kind').default(d.auth),
  publicUrl: httpUrl('https://stagebot.acme.example').optional(),
  github: strictObject({
    orgs: list(githubLogin(), 'GitHub organizations like acme').default([]),
    teams: list(matching(/^[A-Za-z0-9][A-Za-z0-9-]{0,38}\/[A-Za-z0-9._-]{1,100}$/, 'a team like acme/platform (organization/team-slug)'), 'teams like acme/platform').default([]),
  }).prefault({}),
  proxy: strictObject({
    trustedProxies: list(ipNetwork(), 'IP networks of the reverse proxies, like 10.0.0.5/32').default([]),
    userHeader: matching(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name like X-Forwarded-User').default(d.proxy.userHeader),
    emailHeader: matching(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name like X-Forwarded-Email').default(d.proxy.emailHeader),
  }).prefault({}),
  admins: list(matching(/^(?:github|web):[A-Za-z0-9_.@-]{1,64}$/, 'a person like github:octocat or web:alice@acme.example'), 'people who may act on anyone\'s runs').default([]),
  sessionTtl: duration().default(d.sessionTtl),
  maxLiveConnections: int(1, 10_000).default(d.maxLiveConnections),
}).superRefine(checkDashboardAccess, ALWAYS);

const githubSchema = strictObject({
  apiUrl: httpUrl('https://github.example.com/api/v3').optional(),
  repositories: z
    .record(
      repositoryName(),
      strictObject({
        pool: list(z.string(), 'environment names').optional(),
        browsers: list(z.string(), 'browser names').optional(),
        allowForks: bool().default(false),
      }),
    )
    .default({}),
});

const pricingSchema = strictObject({
  instances: z.record(region(), z.record(instanceType(), price())).default({}),
  ebsGbMonth: strictObject({
    gp2: price().optional(),
    gp3: price().optional(),
    io1: price().optional(),
    io2: price().optional(),
    st1: price().optional(),
    sc1: price().optional(),
    standard: price().optional(),
  }).optional(),
  snapshotGbMonth: price().optional(),
  s3GbMonth: price().optional(),
  publicIpv4Hour: price().optional(),
});

const im = DEFAULTS.images;
const imageSchema = strictObject({
  // `base: ssm:/aws/service/...` and `base: ami-...` are short for `{ ssm: ... }` and `{ ami: ... }`.
  base: z.preprocess(
    baseShorthand,
    strictObject({
      ami: amiId().optional(),
      name: matching(/^[\w ().\/*?-]{1,128}$/, 'an AMI name filter like ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*').optional(),
      owners: list(matching(/^(?:\d{12}|amazon|self|aws-marketplace)$/, 'an owner like "099720109477" or amazon'), 'AMI owners').optional(),
      ssm: matching(SSM_PUBLIC_PARAMETER, 'an AWS public parameter like /aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id').optional(),
    }).superRefine(checkImageBase, ALWAYS),
  ),
  regions: list(region(), 'AWS regions like eu-west-1 (the first is where it is baked)', 1),
  instanceType: instanceType(),
  rootVolume: strictObject({
    sizeGb: int(1, 16_384, 'a size in GB from 1 to 16384').default(im.rootVolume.sizeGb),
    type: oneOf(VOLUME_TYPES, 'volume type').default(im.rootVolume.type),
  }).prefault({}),
  subnets: list(subnetId(), 'subnet ids like subnet-0aa1111111111111a (in the first region)', 1),
  securityGroup: securityGroupId(),
  ssh: strictObject({
    user: matching(/^[a-z_][a-z0-9_.-]{0,31}$/, 'a login name like ubuntu'),
    host: sshHost().default(DEFAULTS.sshHost),
    port: int(1, 65_535, 'a port from 1 to 65535').default(DEFAULTS.sshPort),
    allowFrom: list(cidr(), 'IPv4 CIDRs stagebot connects from, like 203.0.113.10/32', 1),
    authFailFast: durationAtMost(DEFAULTS.sshAuthFailFastMax, 'a key refused that long is never a slow boot').default(DEFAULTS.sshAuthFailFast),
  }),
  recipe: list(recipeItemSchema, 'recipe items', 1),
  shareWith: list(accountId(), 'account ids to share the released image with').default([]),
  keepCandidates: int(0, 1_000).default(im.keepCandidates),
  deprecateAfter: duration().default(im.deprecateAfter),
  createImageTimeout: duration().default(im.createImageTimeout),
});

// The manifest is a local file (`path`), or a file in a GitHub repository changed only by pull request (`github`).
const imageManifestSchema = strictObject({
  path: text('a file path like ./images/manifest.json').optional(),
  github: strictObject({
    repo: repositoryName(),
    path: matching(/^(?!\/)(?!.*(?:^|\/)\.\.(?:\/|$))[\w./-]{1,255}$/, 'a path in the repository like images/manifest.json').default(im.githubManifestPath),
    branch: matching(/^[A-Za-z0-9][\w./-]{0,199}$/, 'a branch like main').default(im.githubManifestBranch),
  }).optional(),
})
  .superRefine((m, ctx) => {
    if (m.path !== undefined && m.github !== undefined) ctx.addIssue({ code: 'custom', message: 'gives path and github; give one of path (a local file) or github (a file in a repository, changed by pull request)', input: m });
  })
  .transform((m) => ({ path: m.path ?? im.manifestPath, github: m.github ?? null }));

const fileSchema = strictObject({
  installation: installationName(),
  aws: awsSchema,
  store: storeSchema.prefault({}),
  runs: runsSchema.prefault({}),
  environments: namedMap(envName(), environmentSchema, 'environment names to their settings').superRefine(checkNotEmpty('environment', 'environments.stg1'), ALWAYS),
  pool: list(z.string(), 'environment names').optional(),
  browsers: namedMap(browserName(), browserSchema, 'browser names to their settings').superRefine(checkNotEmpty('browser', 'browsers.chrome'), ALWAYS),
  defaultBrowsers: list(z.string(), 'browser names', 1).optional(),
  tests: testsSchema,
  sweeper: sweeperSchema.prefault({}),
  slack: slackSchema.optional(),
  github: githubSchema.optional(),
  pricing: pricingSchema.optional(),
  dashboard: dashboardSchema.prefault({}),
  artifacts: artifactsSchema.prefault({}),
  images: namedMap(matching(/^[a-z][a-z0-9-]{0,62}$/, 'an image name like mentor-app'), imageSchema, 'image names to their settings').default({}),
  imageManifest: imageManifestSchema.prefault({}),
})
  .superRefine(checkRootReferences, ALWAYS)
  .superRefine(checkImageReferences, ALWAYS)
  .superRefine(checkAuthFailFast, ALWAYS);

type ParsedFile = z.output<typeof fileSchema>;

/** Fills in what depends on other sections: names, the pool, default browsers, per-repository settings. */
function complete(file: ParsedFile): Config {
  const environments = Object.fromEntries(Object.entries(file.environments).map(([name, env]) => [name, { name, ...env }]));
  const browsers = Object.fromEntries(
    Object.entries(file.browsers).map(([name, b]) => [name, { name, ...b, project: b.project ?? name }]),
  );
  const pool = file.pool ?? Object.keys(environments);
  const defaultBrowsers = file.defaultBrowsers ?? Object.keys(browsers).slice(0, 1);
  const github = file.github && {
    ...file.github,
    repositories: Object.fromEntries(
      Object.entries(file.github.repositories).map(([repo, r]) => [
        repo,
        { pool: r.pool ?? pool, browsers: r.browsers ?? defaultBrowsers, allowForks: r.allowForks },
      ]),
    ),
  };
  const images = Object.fromEntries(Object.entries(file.images).map(([name, image]) => [name, { name, ...image }]));
  return { ...file, environments, browsers, pool, defaultBrowsers, github, images };
}

function isAnchorHolder(key: string): boolean {
  return key.startsWith('x-');
}

/** Top-level `x-...` keys only hold YAML anchors for the rest of the file. */
function withoutAnchorHolders(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => !isAnchorHolder(key)));
}

export const configSchema = z.preprocess(withoutAnchorHolders, fileSchema).transform(complete);
