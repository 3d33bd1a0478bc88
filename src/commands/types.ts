// What a parsed command is, whichever front it came from. Every string in a Command has been
// checked against its field's allowlist (see validate.ts), so the core can trust it.

import type { CostGroup, Verb } from './grammar.ts';

/** What the parser needs to know from the configuration. */
export interface CommandContext {
  /** Environment names that may be launched, locked or asked about (for a PR: the repository's pool). */
  environments: readonly string[];
  /** Browser names `--browsers` may name. */
  browsers: readonly string[];
  /** Longest `--keep` / `extend --by` accepted, in milliseconds (runs.keepMax). */
  keepMaxMs?: number;
  /** Configured image names (`images`, `bake`, `promote`); absent: none. */
  images?: readonly string[];
}

export interface LaunchCommand {
  verb: 'launch';
  /** null: the first free environment of the pool. */
  env: string | null;
  /** null: the configured default browsers. Never empty, no duplicates. */
  browsers: string[] | null;
  /** null: tear down at once; 'default': `--keep` alone, the configured runs.keepDefault. */
  keepMs: number | 'default' | null;
  /** null: the environment's usual ref. */
  ref: string | null;
  dryRun: boolean;
  /** null: the environment's AMI; `candidate` or an AMI id (`--ami`). */
  ami?: string | null;
}

/** At most one of `run` and `env` is set; neither means "everything running". */
export interface StatusCommand {
  verb: 'status';
  run: string | null;
  env: string | null;
}

export interface ListCommand {
  verb: 'list';
}

export interface CancelCommand {
  verb: 'cancel';
  /** null only from a PR comment (`/e2e cancel`): the run of that pull request. */
  run: string | null;
}

export interface TeardownCommand {
  verb: 'teardown';
  run: string;
}

export interface ExtendCommand {
  verb: 'extend';
  run: string;
  byMs: number;
}

export interface RetestCommand {
  verb: 'retest';
  /** null only from a PR comment (`/e2e retest`): the pull request's kept run. */
  run: string | null;
  /** null: the run's own browsers. */
  browsers: string[] | null;
  /** Only the tests whose title matches; user text, never put into a shell (the test command gets it as TEST_GREP). */
  grep: string | null;
}

export interface AssetsCommand {
  verb: 'assets';
  run: string;
}

export interface SweepCommand {
  verb: 'sweep';
  /** `sweep` alone is a dry run. */
  mode: 'dry-run' | 'reap';
  /** `--confirm` (only with `--reap`): reap even when more are due than the per-sweep limit. */
  confirm: boolean;
}

export interface CostCommand {
  verb: 'cost';
  /** null: the report's default window. */
  sinceMs: number | null;
  /** null: totals without grouping. */
  by: CostGroup | null;
}

export interface LockCommand {
  verb: 'lock';
  env: string;
  /** Free text, one line, at most 200 characters; renderers must still escape it for their medium. */
  reason: string | null;
}

export interface UnlockCommand {
  verb: 'unlock';
  env: string;
}

export interface ImagesCommand {
  verb: 'images';
  /** null: every image. */
  image: string | null;
}

export interface BakeCommand {
  verb: 'bake';
  image: string;
  /** null: whatever the recipe installs by default. */
  ref: string | null;
  dryRun: boolean;
}

export interface PromoteCommand {
  verb: 'promote';
  image: string;
  /** `candidate` or an AMI id. */
  source: string;
  to: 'latest' | 'stable';
}

export interface HelpCommand {
  verb: 'help';
  /** null: the list of all commands. */
  topic: Verb | null;
}

export type Command =
  | LaunchCommand
  | StatusCommand
  | ListCommand
  | CancelCommand
  | TeardownCommand
  | ExtendCommand
  | RetestCommand
  | AssetsCommand
  | SweepCommand
  | CostCommand
  | LockCommand
  | UnlockCommand
  | ImagesCommand
  | BakeCommand
  | PromoteCommand
  | HelpCommand;

export type CommandOf<V extends Verb> = Extract<Command, { verb: V }>;
