// Runs one step of one run: records it in the store, emits its events, enforces its timeout and
// turns whatever it threw into a StepFailed that carries the one line a person reads.
import type { Step } from '../domain/run.ts';
import { isUserError } from '../errors.ts';
import type { StepFinishedBody } from './events.ts';
import type { StepName, StepOutputsByName } from './step-outputs.ts';
import type { RunContext, PipelineStep, StepResult } from './run-context.ts';
import { RunAbandoned, RunCancelled, RunTimedOut, SiblingFailed, StepFailed, StepTimedOut, errorLine, errorTail } from './run-errors.ts';

export interface StepRunnerDeps {
  /** Step timeout in ms (runs.stepTimeouts). */
  timeoutMs(step: string): number;
  /** Called before each step starts; tests throw RunAbandoned here to simulate a crash. */
  beforeStep?: (runId: string, step: string) => void | Promise<void>;
  onFinished?: (step: string, outcome: 'succeeded' | 'failed' | 'skipped' | 'cancelled', ms: number) => void;
}

export async function runStep<N extends StepName>(step: PipelineStep<N>, ctx: RunContext, deps: StepRunnerDeps): Promise<StepResult<StepOutputsByName[N]>> {
  await deps.beforeStep?.(ctx.run.id, step.name);
  ctx.signal.throwIfAborted();
  // A step boundary: where a driver that lost its run (a paused process) learns it, before it records anything.
  await ctx.fence(step.name);
  const startedAt = ctx.clock.now();
  const record: Step = { runId: ctx.run.id, name: step.name, state: 'running', startedAt, finishedAt: null, outputs: {}, error: null };
  await ctx.records.saveStep(record);
  ctx.emit({ type: 'step.started', step: step.name });

  const timeoutMs = deps.timeoutMs(step.name);
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(new StepTimedOut(step.name, timeoutMs)), timeoutMs);
  timer.unref();
  const signal = AbortSignal.any([ctx.signal, timeout.signal]);
  try {
    const result = await step.run({ ...ctx, signal, log: (line) => ctx.log(line, step.name), warn: (line) => ctx.warn(line, step.name) });
    // A step that ignored its signal and returned anyway must not count as done; nor may a driver that
    // lost its run while the step went on write the step's end into another engine's record.
    signal.throwIfAborted();
    await ctx.fence(`recording the end of ${step.name}`);
    const finishedAt = ctx.clock.now();
    const ms = finishedAt.getTime() - startedAt.getTime();
    await ctx.records.saveStep({ ...record, state: result.skipped ? 'skipped' : 'succeeded', finishedAt, outputs: result.outputs });
    if (result.skipped) ctx.emit({ type: 'step.skipped', step: step.name, reason: result.skipped });
    // A PipelineStep<N> returns N's outputs; TypeScript cannot follow that pairing through the union.
    else ctx.emit({ type: 'step.finished', step: step.name, durationMs: ms, detail: result.outputs } as StepFinishedBody);
    deps.onFinished?.(step.name, result.skipped ? 'skipped' : 'succeeded', ms);
    return result;
  } catch (thrown) {
    if (thrown instanceof RunAbandoned) throw thrown;
    // When the step was interrupted, the reason of the interruption is the story, not the
    // AbortError the interrupted call happened to throw; a step that explains its own timeout
    // (StepTimedOut.because) tells it better.
    const explainsTimeout = thrown instanceof StepTimedOut && signal.reason instanceof StepTimedOut && thrown.step === signal.reason.step;
    const err = signal.aborted && !explainsTimeout ? signal.reason : thrown;
    if (err instanceof RunAbandoned) throw err;
    const finishedAt = ctx.clock.now();
    const ms = finishedAt.getTime() - startedAt.getTime();
    if (err instanceof RunCancelled) {
      // Stopped from outside by a person: the step did nothing wrong, and says so.
      await ctx.records.saveStep({ ...record, state: 'cancelled', finishedAt, error: err.message });
      ctx.emit({ type: 'step.cancelled', step: step.name, durationMs: ms, by: err.by, reason: err.reason });
      deps.onFinished?.(step.name, 'cancelled', ms);
      throw err;
    }
    const message = errorLine(err);
    const tail = errorTail(thrown) ?? errorTail(err);
    if (!isUserError(err)) ctx.logger.error({ err, runId: ctx.run.id, step: step.name }, 'step failed unexpectedly');
    await ctx.records.saveStep({ ...record, state: 'failed', finishedAt, error: message });
    ctx.emit({ type: 'step.failed', step: step.name, durationMs: ms, error: message, tail });
    deps.onFinished?.(step.name, 'failed', ms);
    // Interruptions from outside the step keep their identity: the run's outcome depends on them.
    if (err instanceof RunTimedOut || err instanceof SiblingFailed) throw err;
    throw new StepFailed(step.name, message, tail);
  } finally {
    clearTimeout(timer);
  }
}
