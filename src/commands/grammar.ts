// The one table that defines the command language. The parser reads its syntax from here and the
// help text is rendered from it, so adding a flag here is what makes it both accepted and documented.

import { COST_GROUPS } from '../domain/cost-group.ts';
import { RUN_ID_EXAMPLE } from '../domain/run-id.ts';
import { PROMOTE_CHANNELS } from '../domain/image.ts';

export const VERBS = [
  'launch',
  'status',
  'list',
  'cancel',
  'teardown',
  'extend',
  'retest',
  'assets',
  'sweep',
  'cost',
  'lock',
  'unlock',
  'images',
  'bake',
  'promote',
  'help',
] as const;
export type Verb = (typeof VERBS)[number];

/** What `cost --by` can group by (src/domain/cost-group.ts). */
export { COST_GROUPS, type CostGroup } from '../domain/cost-group.ts';

/**
 * none: a boolean switch (`--dry-run`); duration: `90m`, `2h`, `1h30m`; browsers: a comma list of
 * configured browsers; ref: a git branch, tag or SHA; text: free one-line text; choice: one of `choices`.
 */
export type ValueKind = 'none' | 'duration' | 'browsers' | 'ref' | 'text' | 'choice';

export interface FlagSpec {
  /** Without the leading dashes. */
  name: string;
  value: ValueKind;
  /** How the value is shown in usage lines: `DURATION`, `a,b`, `env|user`. */
  placeholder?: string;
  choices?: readonly string[];
  /** The flag may stand alone (`--keep`), meaning the configured default. */
  optionalValue?: boolean;
  required?: boolean;
  /** Flags sharing a group exclude each other (`--dry-run|--reap`). */
  group?: string;
  /** The name of the flag this one only goes with (`--confirm` needs `--reap`). */
  requires?: string;
  /** A complete, valid use of the flag. */
  example: string;
  description: string;
}

/** env: a configured environment; run: a run id; run-or-env: either; verb: a command name; browser: a configured browser; image: a configured image; ami: candidate or an AMI id. */
export type ArgKind = 'env' | 'run' | 'run-or-env' | 'verb' | 'browser' | 'image' | 'ami';

export interface ArgSpec {
  /** How the argument is shown in usage lines. */
  name: string;
  kind: ArgKind;
  required: boolean;
  /** For "cancel needs a run id": the noun with its article. */
  noun: string;
  description: string;
}

/** How a verb is written in a pull-request comment (`/e2e …`), where only some verbs are allowed. */
export interface PrForm {
  /** The verb word may be left out (`/e2e stg2` is a launch). */
  implicit?: boolean;
  args: readonly ArgSpec[];
  summary: string;
  /** Without the `/e2e` prefix. */
  examples: readonly string[];
}

export interface VerbSpec {
  verb: Verb;
  summary: string;
  args: readonly ArgSpec[];
  flags: readonly FlagSpec[];
  /** Without any front's prefix; the first is the one error messages quote. */
  examples: readonly string[];
  /** What `help <verb>` says after the flags: what the command does that its summary cannot say. */
  notes?: readonly string[];
  pr?: PrForm;
}

const ENV_ARG: ArgSpec = {
  name: 'env',
  kind: 'env',
  required: true,
  noun: 'an environment',
  description: 'an environment name',
};

const RUN_ARG: ArgSpec = {
  name: 'run',
  kind: 'run',
  required: true,
  noun: 'a run id',
  description: `a run id, e.g. ${RUN_ID_EXAMPLE}`,
};

const IMAGE_OPTIONAL: ArgSpec = { name: 'image', kind: 'image', required: false, noun: 'an image', description: 'a configured image; without it, every image' };
const BAKE_IMAGE: ArgSpec = { name: 'image', kind: 'image', required: true, noun: 'an image', description: 'the configured image to bake' };
const PROMOTE_ARGS: readonly ArgSpec[] = [
  { name: 'image', kind: 'image', required: true, noun: 'an image', description: 'the configured image to promote' },
  { name: 'ami|candidate', kind: 'ami', required: false, noun: 'an AMI id or candidate', description: 'the AMI to promote: an id the manifest has, or candidate (the default)' },
];

const LAUNCH_ARGS: readonly ArgSpec[] = [
  {
    name: 'env',
    kind: 'env',
    required: false,
    noun: 'an environment',
    description: 'the environment to launch; without it, the first free one of the pool',
  },
];

const LAUNCH_FLAGS: readonly FlagSpec[] = [
  {
    name: 'browsers',
    value: 'browsers',
    placeholder: 'a,b',
    example: '--browsers=chrome,firefox',
    description: 'browsers to test, comma-separated (default: the configured ones)',
  },
  {
    name: 'keep',
    value: 'duration',
    placeholder: 'DURATION',
    optionalValue: true,
    example: '--keep=2h',
    description: 'keep the environment up this long after the tests; alone: the configured default',
  },
  {
    name: 'ref',
    value: 'ref',
    placeholder: 'REF',
    example: '--ref=main',
    description: 'the branch, tag or commit SHA to deploy',
  },
  {
    name: 'dry-run',
    value: 'none',
    example: '--dry-run',
    description: 'check and plan the launch without creating anything',
  },
  {
    name: 'ami',
    value: 'text',
    placeholder: 'candidate|AMI',
    example: '--ami=candidate',
    description: "launch from this AMI id, or from the candidate of the environment's image, instead of its configured AMI",
  },
];

const HELP_ARGS: readonly ArgSpec[] = [
  { name: 'command', kind: 'verb', required: false, noun: 'a command', description: 'a command to explain' },
];

export const GRAMMAR: readonly VerbSpec[] = [
  {
    verb: 'launch',
    summary: 'Launch an environment, run the browser tests against it, then tear it down.',
    args: LAUNCH_ARGS,
    flags: LAUNCH_FLAGS,
    examples: ['launch stg4 --browsers=chrome,firefox --keep=2h', 'launch', 'launch stg2 --ref=release/2.4 --dry-run'],
    pr: {
      implicit: true,
      args: LAUNCH_ARGS,
      summary: "Launch one of this repository's environments for this pull request and run the browser tests.",
      examples: ['', 'stg2 --browsers=chrome,firefox --keep=2h'],
    },
  },
  {
    verb: 'status',
    summary: 'Show a run, an environment, or everything running.',
    args: [
      {
        name: 'run|env',
        kind: 'run-or-env',
        required: false,
        noun: 'a run id or an environment',
        description: 'a run id or an environment name; without it, everything running',
      },
    ],
    flags: [],
    examples: [`status ${RUN_ID_EXAMPLE}`, 'status stg4', 'status'],
  },
  {
    verb: 'list',
    summary: 'List the environments with their locks and current runs.',
    args: [],
    flags: [],
    examples: ['list'],
  },
  {
    verb: 'cancel',
    summary: 'Cancel a run; its environment is torn down.',
    args: [RUN_ARG],
    flags: [],
    examples: [`cancel ${RUN_ID_EXAMPLE}`],
    pr: {
      args: [],
      summary: "Cancel this pull request's run; its environment is torn down.",
      examples: ['cancel'],
    },
  },
  {
    verb: 'teardown',
    summary: 'Tear down a kept (or stuck) run now, and say when its environment is gone.',
    args: [RUN_ARG],
    flags: [],
    examples: [`teardown ${RUN_ID_EXAMPLE}`],
  },
  {
    verb: 'extend',
    summary: "Keep a run's environment up longer.",
    args: [RUN_ARG],
    flags: [
      {
        name: 'by',
        value: 'duration',
        placeholder: 'DURATION',
        required: true,
        example: '--by=2h',
        description: 'how much longer to keep it',
      },
    ],
    examples: [`extend ${RUN_ID_EXAMPLE} --by=2h`],
  },
  {
    verb: 'retest',
    summary: "Run a kept run's tests again on its environment, without relaunching.",
    args: [RUN_ARG],
    flags: [
      {
        name: 'browsers',
        value: 'browsers',
        placeholder: 'a,b',
        example: '--browsers=firefox',
        description: "browsers to test again, comma-separated (default: the run's own)",
      },
      {
        name: 'grep',
        value: 'text',
        placeholder: 'PATTERN',
        example: '--grep="checkout flow"',
        description: 'only the tests whose title matches (Playwright --grep; at most 200 characters)',
      },
    ],
    examples: [`retest ${RUN_ID_EXAMPLE} --browsers=firefox --grep="checkout flow"`, `retest ${RUN_ID_EXAMPLE}`],
    notes: [
      'The run must be kept (launched with --keep) and its environment still up; the same test users and reports as its',
      "first tests. Its time to expire moves out by the tests' bound (tests.maxWait). A gone environment is refused.",
    ],
    pr: {
      args: [{ name: 'browser', kind: 'browser', required: false, noun: 'a browser', description: 'the browser to test again; without it, every browser of the run' }],
      summary: "Run the tests of this pull request's kept run again, without relaunching.",
      examples: ['retest', 'retest firefox'],
    },
  },
  {
    verb: 'assets',
    summary: 'List the AWS assets of a run and what they cost.',
    args: [RUN_ARG],
    flags: [],
    examples: [`assets ${RUN_ID_EXAMPLE}`],
  },
  {
    verb: 'sweep',
    summary: 'Find orphaned assets and report them (default), or reap them.',
    args: [],
    flags: [
      {
        name: 'dry-run',
        value: 'none',
        group: 'mode',
        example: '--dry-run',
        description: 'report orphans and delete nothing (the default); it does write marks, see below',
      },
      {
        name: 'reap',
        value: 'none',
        group: 'mode',
        example: '--reap',
        description: 'delete the orphans that are past their grace period',
      },
      {
        name: 'confirm',
        value: 'none',
        requires: 'reap',
        example: '--reap --confirm',
        description: 'with --reap: reap them even when more are due than the per-sweep limit (sweeper.reapLimit)',
      },
    ],
    examples: ['sweep', 'sweep --reap', 'sweep --reap --confirm'],
    notes: [
      'A dry run deletes nothing, and writes exactly this: the tag stagebot:reap-after on each orphan found for the first time',
      "(its grace period starts; an ALB target carries no tags, its mark is kept in the store), that tag taken off assets that",
      "are no longer orphans, and the sweep's record in the store. A reap writes the same, then deletes what is past its grace.",
    ],
  },
  {
    verb: 'cost',
    summary: 'Show what runs and orphans cost.',
    args: [],
    flags: [
      {
        name: 'since',
        value: 'duration',
        placeholder: 'DURATION',
        example: '--since=7d',
        description: 'how far back to look',
      },
      {
        name: 'by',
        value: 'choice',
        placeholder: 'env|user',
        choices: COST_GROUPS,
        example: '--by=env',
        description: 'group the costs by environment or by who launched',
      },
    ],
    examples: ['cost --since=7d --by=user', 'cost'],
  },
  {
    verb: 'lock',
    summary: 'Lock an environment so that nobody launches it until it is unlocked.',
    args: [ENV_ARG],
    flags: [
      {
        name: 'reason',
        value: 'text',
        placeholder: 'TEXT',
        example: '--reason="db migration test"',
        description: 'why, shown to whoever tries to launch it (at most 200 characters)',
      },
    ],
    examples: ['lock stg3 --reason="db migration test"'],
  },
  {
    verb: 'unlock',
    summary: 'Remove the lock on an environment.',
    args: [ENV_ARG],
    flags: [],
    examples: ['unlock stg3'],
  },
  {
    verb: 'images',
    summary: 'Show the image manifest per region and channel, with age, size, monthly snapshot cost, users and drift.',
    args: [IMAGE_OPTIONAL],
    flags: [],
    examples: ['images mentor-app', 'images'],
    pr: { args: [IMAGE_OPTIONAL], summary: 'Show the image manifest per region and channel, with drift.', examples: ['images mentor-app'] },
  },
  {
    verb: 'bake',
    summary: "Bake an image: a builder from its base, its recipe over SSH, an AMI made of it as the image's candidate.",
    args: [BAKE_IMAGE],
    flags: [
      {
        name: 'ref',
        value: 'ref',
        placeholder: 'REF',
        example: '--ref=release/2.4',
        description: 'the branch, tag or commit SHA the recipe installs (STAGEBOT_REF on the builder)',
      },
      {
        name: 'dry-run',
        value: 'none',
        example: '--dry-run',
        description: 'check with EC2 DryRun calls that the bake would be allowed, creating nothing',
      },
    ],
    examples: ['bake mentor-app --ref=release/2.4', 'bake mentor-app --dry-run'],
    notes: [
      'Everything the bake creates is tagged with its run id from the moment it exists; the builder, its key pair and its SSH rule',
      'are always torn down, and an image that did not become available is deregistered with its snapshots.',
    ],
    pr: {
      args: [BAKE_IMAGE],
      summary: "Bake an image at this pull request's head commit (or --ref); its check run shows the bake.",
      examples: ['bake mentor-app', 'bake mentor-app --dry-run'],
    },
  },
  {
    verb: 'promote',
    summary: 'Promote an image (its candidate, or an AMI of the manifest) to latest or stable in every region it needs; admins only.',
    args: PROMOTE_ARGS,
    flags: [
      {
        name: 'to',
        value: 'choice',
        placeholder: 'latest|stable',
        choices: PROMOTE_CHANNELS,
        required: true,
        example: '--to=stable',
        description: 'the channel it becomes',
      },
    ],
    examples: ['promote mentor-app --to=latest', 'promote mentor-app ami-0a1b2c3d4e5f60718 --to=stable'],
    notes: [
      'Copies it (CopyImage, tagged) to every region of the image, shares it with images.<image>.shareWith, writes the manifest,',
      'and deprecates the images it replaced after images.<image>.deprecateAfter. A failed promotion removes its copies.',
    ],
    pr: {
      args: PROMOTE_ARGS,
      summary: 'Promote an image to latest or stable; repository admins (or dashboard.admins) only.',
      examples: ['promote mentor-app --to=latest', 'promote mentor-app ami-0a1b2c3d4e5f60718 --to=stable'],
    },
  },
  {
    verb: 'help',
    summary: 'List the commands, or explain one.',
    args: HELP_ARGS,
    flags: [],
    examples: ['help', 'help launch'],
    pr: {
      args: HELP_ARGS,
      summary: 'Show what can be written in a pull-request comment.',
      examples: ['help'],
    },
  },
];

export function verbSpec(verb: Verb): VerbSpec {
  const spec = GRAMMAR.find((s) => s.verb === verb);
  if (!spec) throw new Error(`grammar has no entry for ${verb}`);
  return spec;
}

export function isVerb(text: string): text is Verb {
  return (VERBS as readonly string[]).includes(text);
}

/** `[--keep[=DURATION]]`, `--by=DURATION`, `[--dry-run|--reap]` pieces of a usage line. */
export function flagUsage(flag: FlagSpec): string {
  if (flag.value === 'none') return `--${flag.name}`;
  return flag.optionalValue ? `--${flag.name}[=${flag.placeholder}]` : `--${flag.name}=${flag.placeholder}`;
}

function argUsage(arg: ArgSpec): string {
  return arg.required ? `<${arg.name}>` : `[${arg.name}]`;
}

/** A flag with the optional flags that only go with it written right after it: `--reap [--confirm]`. */
function withDependents(spec: VerbSpec, flag: FlagSpec): string {
  return [flagUsage(flag), ...spec.flags.filter((f) => f.requires === flag.name).map((f) => `[${flagUsage(f)}]`)].join(' ');
}

/** Usage of a verb without any prefix: `launch [env] [--browsers=a,b] …`, or its PR-comment form. */
export function usageLine(spec: VerbSpec, form: 'full' | 'pr' = 'full'): string {
  const pr = form === 'pr' ? spec.pr : undefined;
  const parts: string[] = pr?.implicit ? [] : [spec.verb];
  for (const arg of pr ? pr.args : spec.args) parts.push(argUsage(arg));
  const groups = new Set<string>();
  for (const flag of spec.flags) {
    if (flag.requires) continue;
    if (flag.group) {
      if (groups.has(flag.group)) continue;
      groups.add(flag.group);
      const members = spec.flags.filter((f) => f.group === flag.group).map((f) => withDependents(spec, f));
      parts.push(`[${members.join('|')}]`);
    } else {
      parts.push(flag.required ? withDependents(spec, flag) : `[${withDependents(spec, flag)}]`);
    }
  }
  return parts.join(' ');
}

export const PR_VERBS: readonly Verb[] = GRAMMAR.filter((s) => s.pr).map((s) => s.verb);
