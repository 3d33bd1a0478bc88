// What every `stagebot` invocation ends with: text on stdout (problems on stderr), or with
// `--output json` one JSON document of the same shape for every command, successes and failures alike:
//   { "ok": true|false, "command": "sweep", "result": {…} | null, "errors": ["one line", …] }
// `errors` is empty exactly when `ok` is true. The exit code says how a command fell short (EXIT_CODES).
import { ConfigError, errorLine, EXIT_CODES, isUserError } from '../../errors.ts';
import type { GlobalOptions } from './global-options.ts';
import type { CliIo } from './io.ts';

/** The JSON document of any command. */
export interface CliDocument {
  ok: boolean;
  /** The command as asked: `launch`, `config check`, `help`…; for input that names none, its first word. */
  command: string;
  /** The command's own document (README: "JSON output"); null when it failed before having one. */
  result: unknown;
  /** Why it is not ok, one line each; empty when ok. */
  errors: string[];
}

/** A finished command: its document, what a terminal shows of it, and the exit code. */
export interface Outcome extends CliDocument {
  /** Printed on stdout in text mode ('' prints nothing). */
  text: string;
  code: number;
}

/** A command that did its job. */
export function succeeded(command: string, result: unknown, text: string): Outcome {
  return { ok: true, command, result, errors: [], text, code: EXIT_CODES.ok };
}

/** A command that ran and fell short: `errors` say why (at least one line), `code` how. */
export function fellShort(command: string, result: unknown, text: string, errors: readonly string[], code: number = EXIT_CODES.failed): Outcome {
  const lines = errors.map(errorLine).filter((l) => l !== '');
  return { ok: false, command, result, errors: lines.length > 0 ? lines : [`${command} did not succeed`], text, code };
}

/** Prints the outcome in the chosen format and returns its exit code. */
export function emit(io: CliIo, options: Pick<GlobalOptions, 'output'>, outcome: Outcome): number {
  if (options.output === 'json') {
    const doc: CliDocument = { ok: outcome.ok, command: outcome.command, result: outcome.result, errors: outcome.errors };
    io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
  } else if (outcome.text !== '') {
    io.stdout.write(outcome.text.endsWith('\n') ? outcome.text : `${outcome.text}\n`);
  }
  return outcome.code;
}

/**
 * A command that threw. A person's error is its one line (a config's problems one per line under it);
 * anything else is a bug, said so in one line, its stack only at LOG_LEVEL=debug.
 */
export function failure(io: CliIo, options: Pick<GlobalOptions, 'output'>, command: string, err: unknown, code?: number): number {
  if (isUserError(err)) {
    const all = err instanceof ConfigError ? err.problems : [];
    if (options.output === 'json') {
      // A JSON reader gets every problem by path; the summary line ("has 3 problems") only when there are none.
      return emit(io, options, { ...fellShort(command, null, '', all.length > 0 ? all : [err.message]), code: code ?? err.exitCode });
    }
    // In text, a problem the message already states is not repeated (one missing variable); a YAML
    // syntax error's message names the file and its problem line says where.
    const problems = err instanceof ConfigError && (all.length > 1 || !err.message.includes(all[0] ?? '')) ? all : [];
    io.stderr.write(`stagebot: ${err.message}\n`);
    for (const p of problems) io.stderr.write(`  ${p}\n`);
    return code ?? err.exitCode;
  }
  const message = `internal error: ${errorLine(err)}`;
  if (options.output === 'json') emit(io, options, fellShort(command, null, '', [message], EXIT_CODES.internal));
  else io.stderr.write(`stagebot: ${message}\n`);
  if (io.env.LOG_LEVEL === 'debug' && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return EXIT_CODES.internal;
}
