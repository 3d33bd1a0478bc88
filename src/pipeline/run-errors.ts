// Why a run stopped early. These travel as AbortSignal reasons, so a step that is interrupted can
// tell a cancel from a timeout from a sibling's failure.
import { UserError } from '../errors.ts';
import { formatDuration } from '../domain/duration.ts';

export class RunCancelled extends UserError {
  override readonly name = 'RunCancelled';
  /** Who asked (a requester: `slack:U123`, `github:octocat`). */
  readonly by: string;
  /** Why, when they said ("the pull request was closed"). */
  readonly reason: string | null;
  constructor(by: string, reason: string | null = null) {
    super(`cancelled by ${by}${reason ? ` (${reason})` : ''}`);
    this.by = by;
    this.reason = reason;
  }
}

export class RunTimedOut extends UserError {
  override readonly name = 'RunTimedOut';
  constructor(ms: number) {
    super(`the run took longer than runs.timeout (${formatDuration(ms)})`);
  }
}

export class StepTimedOut extends UserError {
  override readonly name = 'StepTimedOut';
  readonly step: string;
  readonly ms: number;
  constructor(step: string, ms: number, detail?: string) {
    super(`${step} took longer than runs.stepTimeouts.${step} (${formatDuration(ms)})${detail ? `; ${detail}` : ''}`);
    this.step = step;
    this.ms = ms;
  }

  /** The same timeout with what the step saw last; a step throws it to explain its own timeout. */
  because(detail: string): StepTimedOut {
    return new StepTimedOut(this.step, this.ms, detail);
  }
}

/** Another step of the same phase failed, so this one stops too. */
export class SiblingFailed extends UserError {
  override readonly name = 'SiblingFailed';
  constructor(step: string) {
    super(`stopped because ${step} failed`);
  }
}

export class StepFailed extends UserError {
  override readonly name = 'StepFailed';
  readonly step: string;
  readonly tail: string | null;
  constructor(step: string, message: string, tail: string | null) {
    super(`${step} failed: ${message}`);
    this.step = step;
    this.tail = tail;
  }
}

/**
 * The account check before the run's first change to AWS failed (no credentials, refused ones, an
 * account outside the allowlist, STS unreachable): the run stops there, having created nothing.
 */
export class AccountCheckFailed extends UserError {
  override readonly name = 'AccountCheckFailed';
  constructor(cause: unknown) {
    super(errorLine(cause), { cause });
  }
}

/**
 * A run adopted after its process stopped (a crash, or a planned stop that cut a step short): it is
 * only torn down, and ends failed with this line, unless its teardown says its work was done before
 * (TeardownOutputs.completed: a promotion that had published).
 */
export class RunInterrupted extends Error {
  override readonly name = 'RunInterrupted';
  constructor(reason: string) {
    super(`interrupted: ${reason}`);
  }
}

/**
 * The engine stops driving the run without tearing it down: the process is going away (tests use it
 * to simulate a crash) or another engine adopted the run. Whoever adopts it later tears it down.
 */
export class RunAbandoned extends Error {
  override readonly name: string = 'RunAbandoned';
}

/**
 * The driver no longer holds its run (another engine adopted it, bumping the lease epoch, or it was
 * finished meanwhile): it stops at once, and makes no further change to AWS or to the run's record.
 */
export class RunFenced extends RunAbandoned {
  override readonly name = 'RunFenced';
  readonly runId: string;
  /** What the driver was about to do when the fence stopped it (an AWS operation, a step). */
  readonly at: string;
  constructor(runId: string, epoch: number, at: string) {
    super(`run ${runId}: this process no longer holds its lease (epoch ${epoch}); stopped before ${at}`);
    this.runId = runId;
    this.at = at;
  }
}

/** A planned stop handed the run over to another replica (or this one after its restart), to be resumed. */
export class RunHandedOver extends RunAbandoned {
  override readonly name = 'RunHandedOver';
}

import { errorLine } from '../errors.ts';

export { errorLine };

/** The output tail an error carries, when it has one (SSH and test-runner failures do). */
export function errorTail(err: unknown): string | null {
  if (err && typeof err === 'object' && 'tail' in err && typeof err.tail === 'string' && err.tail) return err.tail;
  return null;
}
