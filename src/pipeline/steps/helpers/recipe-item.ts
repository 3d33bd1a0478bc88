// One item of an environment's service-update recipe, with its attempts: a command (`run`) or a
// wait for an HTTP status checked on the host (`waitHttp`), bounded by the item's `timeout`; after a
// failed attempt its `onFailure` command, then the next attempt while `retries` allow.
import type { RecipeItem } from '../../../config/index.ts';
import type { Clock } from '../../../domain/clock.ts';
import { formatDuration } from '../../../domain/duration.ts';
import { SshExecError, waitForHttp, type RemoteExec, type ExecOptions } from '../../../ssh/index.ts';
import { exitText, succeeded } from './exit-text.ts';
import type { OutputLines } from './output-lines.ts';

/** Between attempts: a flaky network or registry gets a moment before the next try. */
export const RETRY_PAUSE_MS = 5_000;
/** curl's bound for one HTTP try on the host. */
export const HTTP_REQUEST_TIMEOUT_MS = 10_000;
/** An onFailure command of an item without a timeout of its own (`systemctl restart` can hang). */
export const ON_FAILURE_TIMEOUT_MS = 10 * 60_000;

export interface RecipeItemDeps {
  /** The session to run on; reconnects when the previous one dropped. */
  session(): Promise<RemoteExec>;
  /** STAGEBOT_* values: the only way chat values reach the host. */
  env: Readonly<Record<string, string>>;
  signal: AbortSignal;
  clock: Clock;
  /** The item's output and progress notes (to the run log, with a tail for the report). */
  out: OutputLines;
}

export interface RecipeItemResult {
  ok: boolean;
  attempts: number;
  durationMs: number;
  /** `<item name>: exit code 3`, when it failed. */
  error: string | null;
}

/** Why an attempt failed (one line), or null when it succeeded. */
type Attempt = (deps: RecipeItemDeps) => Promise<string | null>;

export async function runRecipeItem(item: RecipeItem, deps: RecipeItemDeps): Promise<RecipeItemResult> {
  const { out, clock, signal } = deps;
  const total = item.retries + 1;
  const started = clock.now().getTime();
  const attempt: Attempt = item.run !== undefined ? (d) => runAttempt(item.run, item.timeout, d) : (d) => waitHttpAttempt(item, d);
  let failure = 'not attempted';

  for (let n = 1; n <= total; n++) {
    signal.throwIfAborted();
    out.note(total === 1 ? `» ${item.name}` : `» ${item.name} (attempt ${n} of ${total})`);
    const reason = await attempt(deps);
    const durationMs = clock.now().getTime() - started;
    if (reason === null) {
      out.note(`✓ ${item.name} (${formatDuration(durationMs)})`);
      return { ok: true, attempts: n, durationMs, error: null };
    }
    failure = reason;
    out.note(`✗ ${item.name}: ${reason}`);
    if (n < total) {
      if (item.onFailure !== undefined) await runOnFailure(item, deps);
      await clock.sleep(RETRY_PAUSE_MS, signal);
    }
  }
  const durationMs = clock.now().getTime() - started;
  const tries = total === 1 ? '' : ` (${total} attempts)`;
  return { ok: false, attempts: total, durationMs, error: `${item.name}: ${failure}${tries}` };
}

function execOptions(deps: RecipeItemDeps, timeoutMs: number): ExecOptions {
  return { env: deps.env, timeoutMs, signal: deps.signal, onOutput: (chunk, stream) => deps.out.write(chunk, stream) };
}

async function runAttempt(command: string, timeoutMs: number | undefined, deps: RecipeItemDeps): Promise<string | null> {
  try {
    const session = await deps.session();
    // No item timeout: only the step timeout (through the signal) bounds the command.
    const result = await session.exec(command, execOptions(deps, timeoutMs ?? Infinity));
    return succeeded(result) ? null : exitText(result, timeoutMs);
  } catch (err) {
    // A dropped connection fails this attempt only; the next one connects again.
    if (err instanceof SshExecError && !deps.signal.aborted) return err.message;
    throw err;
  } finally {
    deps.out.flush();
  }
}

async function waitHttpAttempt(item: RecipeItem, deps: RecipeItemDeps): Promise<string | null> {
  const wait = item.waitHttp!;
  const timeout = item.timeout === undefined ? null : AbortSignal.timeout(item.timeout);
  const signal = timeout === null ? deps.signal : AbortSignal.any([deps.signal, timeout]);
  try {
    const session = await deps.session();
    const result = await waitForHttp(session, {
      url: wait.url,
      expectStatus: wait.status,
      attempts: wait.retries,
      intervalMs: wait.interval,
      requestTimeoutMs: item.timeout === undefined ? HTTP_REQUEST_TIMEOUT_MS : Math.min(HTTP_REQUEST_TIMEOUT_MS, item.timeout),
      signal,
      sleep: (ms, s) => deps.clock.sleep(ms, s),
      onAttempt: (a) => deps.out.note(`${wait.url}: ${a.detail} (try ${a.attempt} of ${a.attempts})`),
    });
    return result.ok ? null : result.message;
  } catch (err) {
    if (deps.signal.aborted) throw err;
    if (timeout?.aborted) return `no HTTP ${wait.status} from ${wait.url} within ${formatDuration(item.timeout!)}`;
    if (err instanceof SshExecError) return err.message;
    throw err;
  }
}

/** Its own failure is only noted: the next attempt says whether it helped. */
async function runOnFailure(item: RecipeItem, deps: RecipeItemDeps): Promise<void> {
  const command = item.onFailure!;
  const timeoutMs = item.timeout ?? ON_FAILURE_TIMEOUT_MS;
  // The item's name, never the command: `${VAR}`s in it were filled in from the bot's environment, and
  // these notes go to chat.
  deps.out.note(`» on failure of ${item.name}`);
  try {
    const session = await deps.session();
    const result = await session.exec(command, execOptions(deps, timeoutMs));
    if (!succeeded(result)) deps.out.note(`✗ on-failure command of ${item.name}: ${exitText(result, timeoutMs)}; trying again anyway`);
  } catch (err) {
    if (err instanceof SshExecError && !deps.signal.aborted) deps.out.note(`✗ on-failure command of ${item.name}: ${err.message}; trying again anyway`);
    else throw err;
  } finally {
    deps.out.flush();
  }
}
