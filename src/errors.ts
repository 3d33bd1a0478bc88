// Errors that reach a person. The message is the one line they read: what was wrong and what is valid.
// Anything that is not a UserError is a bug or an outage and is logged, never shown raw.
import type { Run } from './domain/run.ts';

export class UserError extends Error {
  override readonly name: string = 'UserError';
  /** Process exit code for the CLI. */
  readonly exitCode: number = 1;
}

/** A command that does not parse or names something that does not exist. */
export class CommandError extends UserError {
  override readonly name = 'CommandError';
  override readonly exitCode = 2;
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
