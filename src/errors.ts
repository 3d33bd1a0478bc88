// Errors that reach a person. The message is the one line they read: what was wrong and what is valid.
// Anything that is not a UserError is a bug or an outage and is logged, never shown raw.
import type { Run } from './domain/run.ts';

/**
 * The `stagebot` CLI's exit codes, one per way a command can fall short (README's table is checked
 * against this list). A script can tell "fix the input" from "look again" from "a person must confirm".
 */
export const EXIT_CODES = {
  /** The command did its whole job. */
  ok: 0,
  /** It could not: a failed run, an invalid config, a refused permission, a conflict, something not found. */
  failed: 1,
  /** Bad usage: an unknown command, flag or value; nothing was done. */
  usage: 2,
  /** A sweep could not list every region (or every kind in one): its report covers only what it saw. */
  incomplete: 3,
  /** A reap stopped at the per-sweep limit (sweeper.reapLimit): nothing was reaped until someone confirms. */
  needsConfirmation: 4,
  /** `sweep` or `launch --dry-run` refused: the AWS credentials belong to an account not in aws.accountAllowlist. */
  accountRefused: 5,
  /** A bug in stagebot (EX_SOFTWARE); LOG_LEVEL=debug shows the stack. */
  internal: 70,
  /** A foreground launch ended by SIGHUP (its terminal closed): its run cancelled and torn down (128 + 1). */
  hangup: 129,
  /** A foreground launch ended by Ctrl-C (SIGINT): its run cancelled and torn down (128 + 2). */
  interrupted: 130,
  /** A foreground launch ended by SIGTERM (`kill`, a supervisor): its run cancelled and torn down (128 + 15). */
  terminated: 143,
} as const;

export class UserError extends Error {
  override readonly name: string = 'UserError';
  /** Process exit code for the CLI. */
  readonly exitCode: number = EXIT_CODES.failed;
}

/** A command that does not parse or names something that does not exist. */
export class CommandError extends UserError {
  override readonly name = 'CommandError';
  override readonly exitCode = EXIT_CODES.usage;
}

/** stagebot.yml is missing, unreadable or invalid; `problems` holds one `path: what (valid)` line each. */
export class ConfigError extends UserError {
  override readonly name = 'ConfigError';
  readonly problems: string[];
  constructor(message: string, problems: string[] = [message]) {
    super(message);
    this.problems = problems;
  }
}

/** The caller is not allowed to do this; the message names the rule that refused. */
export class PermissionError extends UserError {
  override readonly name = 'PermissionError';
}

/** A request that conflicts with the current state (environment locked, run already finished...). */
export class ConflictError extends UserError {
  override readonly name: string = 'ConflictError';
}

/**
 * A launch whose concurrency key an active run already holds (a second `/e2e` on a pull request while
 * its run goes): nothing was created; `run` is the one in progress, for the front to link to.
 */
export class ActiveRunExists extends ConflictError {
  override readonly name = 'ActiveRunExists';
  readonly run: Run;
  constructor(run: Run) {
    super(`run ${run.id} is already ${run.state} for this (requested by ${run.requester}); cancel it before starting another`);
    this.run = run;
  }
}

export class NotFoundError extends UserError {
  override readonly name = 'NotFoundError';
}

export function isUserError(err: unknown): err is UserError {
  return err instanceof UserError;
}

/** The one line a person reads about an error; internal errors keep their first line only. */
export function errorLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > 300 ? `${first.slice(0, 299)}…` : first;
}
