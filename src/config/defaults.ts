// Values stagebot uses where stagebot.yml is silent. Durations are milliseconds, like the rest of Config.

/** The pipeline's steps, in order; `runs.stepTimeouts` is keyed by these names. */
export const STEP_NAMES = [
  'prepare-tests',
  'launch',
  'open-ssh',
  'wait-ssh',
  'arm-switch',
  'service-update',
  'register',
  'tests',
  'teardown',
] as const;

export const VOLUME_TYPES = ['gp2', 'gp3', 'io1', 'io2', 'st1', 'sc1', 'standard'] as const;

export const ON_ADOPT = ['teardown', 'resume'] as const;

/** How people sign in to the dashboard: nobody, with GitHub, or through a trusted reverse proxy. */
export const DASHBOARD_AUTH = ['none', 'github', 'proxy'] as const;

export const ARTIFACT_STORAGES = ['local', 's3'] as const;

const MB = 1024 * 1024;

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export const DEFAULTS = {
  sqlitePath: './data/stagebot.db',
  keepDefault: 2 * HOUR,
  keepMax: 24 * HOUR,
  runTimeout: 3 * HOUR,
  stepTimeouts: {
    'prepare-tests': 30 * MINUTE,
    launch: 15 * MINUTE,
    'open-ssh': 2 * MINUTE,
    'wait-ssh': 10 * MINUTE,
    'arm-switch': 2 * MINUTE,
    'service-update': 45 * MINUTE,
    register: 10 * MINUTE,
    tests: 2 * HOUR,
    teardown: 20 * MINUTE,
  },
  leaseTtl: 2 * MINUTE,
  /** 3 x the fastest heartbeat (1 s): two beats may be late before a live run looks dead. */
  leaseTtlMin: 3 * SECOND,
  leaseTtlMax: HOUR,
  /** After the run's expires-at: the sweeper and the engine normally act first; the switch is the backstop. */
  deadManSwitch: { enabled: true, margin: 15 * MINUTE },
  deadManSwitchMarginMax: DAY,
  onAdopt: 'teardown',
  rootVolume: { sizeGb: 200, type: 'gp3' },
  keyPair: 'ephemeral',
  sshHost: '{publicIp}',
  sshPort: 22,
  /** A booting host refuses the key until cloud-init wrote it (well under a minute); longer is a wrong key. */
  sshAuthFailFast: 2 * MINUTE,
  sshAuthFailFastMax: HOUR,
  recipeRetries: 0,
  waitHttp: { status: 200, retries: 30, interval: 10_000 },
  workers: 3,
  retries: 2,
  maxWait: 90 * MINUTE,
  artifacts: {
    storage: 'local',
    dir: './data/artifacts',
    s3Prefix: 'stagebot/',
    /** Enough for a few traces and videos of a large suite; the JSON report and the first failure come first. */
    maxRunSize: '500MB',
    /** Below this a cap would not hold one trace. */
    minRunSize: MB,
    retention: 14 * DAY,
    linkTtl: 7 * DAY,
    linkSecretEnv: 'STAGEBOT_LINK_SECRET',
  },
  dashboard: {
    auth: 'none',
    proxy: { userHeader: 'X-Forwarded-User', emailHeader: 'X-Forwarded-Email' },
    sessionTtl: 12 * HOUR,
    maxLiveConnections: 100,
  },
  images: {
    rootVolume: { sizeGb: 30, type: 'gp3' },
    keepCandidates: 3,
    /** A promoted image's predecessor stays launchable this long, then AWS marks it deprecated. */
    deprecateAfter: 30 * DAY,
    createImageTimeout: HOUR,
    manifestPath: './images/manifest.json',
    githubManifestPath: 'images/manifest.json',
    githubManifestBranch: 'main',
  },
  sweeper: {
    schedule: '0 7 * * 1-5',
    timeZone: 'UTC',
    gracePeriod: DAY,
    reapLimit: 25,
    protectTag: { key: 'stagebot:keep', value: 'true' },
    amiMinAge: 14 * DAY,
    amiKeepNewest: 3,
  },
} as const;
