// From words to a typed Command, for every front. The syntax (which flags a verb has, which take
// values) comes from the grammar table; the values are checked by validate.ts. Nothing is done here:
// bad input throws a CommandError before any caller acts on it.

import { RUN_ID_EXAMPLE } from '../domain/run-id.ts';
import { CommandError } from '../errors.ts';
import { echo } from './echo.ts';
import { PROMOTE_CHANNELS } from '../domain/image.ts';
import { COST_GROUPS, PR_VERBS, isVerb, usageLine, verbSpec, type ArgSpec, type FlagSpec, type Verb, type VerbSpec } from './grammar.ts';
import { checkHygiene, MAX_INPUT_LENGTH } from './hygiene.ts';
import { closest, didYouMean, orList } from './suggest.ts';
import { tokenize } from './tokenize.ts';
import type { Command, CommandContext } from './types.ts';
import {
  unknownValue,
  validateBrowsers,
  validateChoice,
  validateDuration,
  validateAmi,
  validateEnv,
  validateGrep,
  validateImage,
  validateReason,
  validateRef,
  validateRunId,
  validateRunOrEnv,
  validateVerb,
} from './validate.ts';

type Mode = 'full' | 'pr';

const HELP_FLAGS = new Set(['--help', '-h']);
const PR_USAGE = '`/e2e [env] [flags]`, `/e2e cancel`, `/e2e retest [browser]`, `/e2e images [image]`, `/e2e bake <image>`, `/e2e promote <image> --to=latest|stable` or `/e2e help`';

/** A verb's words sorted into arguments and flags, syntax checked, values not yet validated. */
interface Scanned {
  spec: VerbSpec;
  args: Map<string, string>;
  /** Flag name -> its value, or null for a switch or a flag standing alone. */
  flags: Map<string, string | null>;
}

function usage(spec: VerbSpec, mode: Mode): string {
  return mode === 'pr' ? `\`/e2e ${usageLine(spec, 'pr')}\`` : `\`${usageLine(spec)}\``;
}

function unknownFlag(spec: VerbSpec, typed: string): CommandError {
  const shown = echo(typed.split('=')[0] ?? typed);
  if (spec.flags.length === 0) return new CommandError(`unknown flag ${shown}; ${spec.verb} takes no flags`);
  const names = spec.flags.map((f) => f.name);
  const takes = `${spec.verb} takes ${spec.flags.map((f) => `--${f.name}`).join(', ')}`;
  const hint = didYouMean(typed.replace(/^-+/, '').split('=')[0] ?? '', names, (n) => `--${n}`);
  return new CommandError(hint ? `unknown flag ${shown} for ${spec.verb} — ${hint} (${takes})` : `unknown flag ${shown} for ${spec.verb}; ${takes}`);
}

function exampleArg(arg: ArgSpec, ctx: CommandContext): string {
  if (arg.kind === 'browser') return ctx.browsers[0] ?? 'chrome';
  if (arg.kind === 'image') return ctx.images?.[0] ?? 'mentor-app';
  if (arg.kind === 'ami') return 'candidate';
  return arg.kind === 'run' ? RUN_ID_EXAMPLE : (ctx.environments[0] ?? 'stg1');
}

/** Sorts `words` (after the verb) by the grammar; returns null when `--help` asks for the verb's help instead. */
function scan(spec: VerbSpec, words: readonly string[], argSpecs: readonly ArgSpec[], ctx: CommandContext, mode: Mode): Scanned | null {
  const flags = new Map<string, string | null>();
  const positionals: { word: string; afterText: FlagSpec | null }[] = [];
  let lastText: FlagSpec | null = null;
  for (let i = 0; i < words.length; i += 1) {
    const word = words[i] ?? '';
    const afterText = lastText;
    lastText = null;
    if (HELP_FLAGS.has(word)) return null;
    if (word === '--') throw new CommandError('`--` on its own is not a flag; flags look like `--name` or `--name=value`');
    if (!(word.startsWith('-') && word.length > 1)) {
      positionals.push({ word, afterText });
      continue;
    }
    const eq = word.indexOf('=');
    const name = word.startsWith('--') && !word.startsWith('---') ? word.slice(2, eq < 0 ? undefined : eq).toLowerCase() : '';
    const flag = spec.flags.find((f) => f.name === name);
    if (!flag) throw unknownFlag(spec, word);
    if (flags.has(flag.name)) throw new CommandError(`\`--${flag.name}\` is given twice; give it once`);
    let value: string | null = eq < 0 ? null : word.slice(eq + 1);
    if (flag.value === 'none') {
      if (value !== null) throw new CommandError(`\`--${flag.name}\` takes no value; write just \`--${flag.name}\``);
    } else if (value === null) {
      const next = words[i + 1];
      // `--keep` may stand alone, so it takes the next word only when that word can be a duration.
      const takesNext = flag.optionalValue
        ? next !== undefined && /^\d/.test(next) && !ctx.environments.includes(next)
        : next !== undefined && !next.startsWith('-');
      if (takesNext) {
        value = next ?? null;
        i += 1;
        if (flag.value === 'text') lastText = flag;
      } else if (!flag.optionalValue) {
        throw new CommandError(`\`--${flag.name}\` needs a value, e.g. \`${flag.example}\``);
      }
    } else if (value === '' && flag.value !== 'browsers') {
      throw new CommandError(`\`--${flag.name}=\` has no value; give one, e.g. \`${flag.example}\``);
    }
    flags.set(flag.name, value);
  }

  const extra = positionals[argSpecs.length];
  if (extra) {
    const quoteHint = extra.afterText ? `; quote a value with spaces, e.g. \`${extra.afterText.example}\`` : '';
    throw new CommandError(`unexpected argument ${echo(extra.word)}; usage: ${usage(spec, mode)}${quoteHint}`);
  }
  const args = new Map<string, string>();
  for (const [index, arg] of argSpecs.entries()) {
    const given = positionals[index];
    if (given) args.set(arg.name, given.word);
    else if (arg.required) {
      throw new CommandError(`${spec.verb} needs ${arg.noun}, e.g. \`${spec.verb} ${exampleArg(arg, ctx)}\``);
    }
  }
  for (const flag of spec.flags) {
    if (flag.required && !flags.has(flag.name)) {
      throw new CommandError(`${spec.verb} needs \`--${flag.name}\`, e.g. \`${spec.examples[0] ?? flag.example}\``);
    }
    const rivals = spec.flags.filter((f) => f.group && f.group === flag.group && flags.has(f.name));
    if (rivals.length > 1) {
      throw new CommandError(`${spec.verb} takes ${orList(rivals.map((f) => `\`--${f.name}\``))}, not both`);
    }
  }
  for (const flag of spec.flags) {
    if (flag.requires && flags.has(flag.name) && !flags.has(flag.requires)) {
      throw new CommandError(`\`--${flag.name}\` only goes with \`--${flag.requires}\`, e.g. \`${spec.verb} ${flag.example}\``);
    }
  }
  return { spec, args, flags };
}

/** Validates the scanned values into the verb's Command. */
function build(scanned: Scanned, ctx: CommandContext, mode: Mode): Command {
  const { spec, args, flags } = scanned;
  const arg = (name: string): string | undefined => args.get(name);
  const value = (name: string): string | undefined => flags.get(name) ?? undefined;
  const keepMax = ctx.keepMaxMs === undefined ? {} : { maxMs: ctx.keepMaxMs };
  switch (spec.verb) {
    case 'launch': {
      const env = arg('env');
      const browsers = value('browsers');
      const ref = value('ref');
      const keep = flags.has('keep') ? (flags.get('keep') ?? null) : undefined;
      return {
        verb: 'launch',
        env: env === undefined ? null : validateEnv(env, ctx),
        browsers: browsers === undefined ? null : validateBrowsers(browsers, ctx),
        keepMs:
          keep === undefined
            ? null
            : keep === null
              ? 'default'
              : validateDuration('keep', keep, { ...keepMax, zeroHint: 'leave --keep out to tear down right after the tests' }),
        ref: ref === undefined ? null : validateRef(ref),
        dryRun: flags.has('dry-run'),
        ...(value('ami') === undefined ? {} : { ami: validateAmi(value('ami')!) }),
      };
    }
    case 'status': {
      const target = arg('run|env');
      return { verb: 'status', ...(target === undefined ? { run: null, env: null } : validateRunOrEnv(target, ctx)) };
    }
    case 'list':
      return { verb: 'list' };
    case 'cancel': {
      const run = arg('run');
      // In a PR comment `cancel` names no run: it means the pull request's own.
      return { verb: 'cancel', run: mode === 'pr' || run === undefined ? null : validateRunId(run) };
    }
    case 'teardown':
      return { verb: 'teardown', run: validateRunId(arg('run') ?? '') };
    case 'extend':
      return { verb: 'extend', run: validateRunId(arg('run') ?? ''), byMs: validateDuration('by', value('by') ?? '', keepMax) };
    case 'retest': {
      const run = arg('run');
      const browser = arg('browser');
      const browsers = value('browsers');
      const grep = value('grep');
      if (browser !== undefined && browsers !== undefined) throw new CommandError('name the browser once: `retest firefox` or `retest --browsers=firefox`');
      const chosen = browser ?? browsers;
      return {
        verb: 'retest',
        // In a PR comment `retest` names no run: it means the pull request's own.
        run: mode === 'pr' || run === undefined ? null : validateRunId(run),
        browsers: chosen === undefined ? null : validateBrowsers(chosen, ctx),
        grep: grep === undefined ? null : validateGrep(grep),
      };
    }
    case 'assets':
      return { verb: 'assets', run: validateRunId(arg('run') ?? '') };
    case 'sweep':
      return { verb: 'sweep', mode: flags.has('reap') ? 'reap' : 'dry-run', confirm: flags.has('confirm') };
    case 'cost': {
      const since = value('since');
      const by = value('by');
      return {
        verb: 'cost',
        sinceMs: since === undefined ? null : validateDuration('since', since),
        by: by === undefined ? null : validateChoice('by', by, COST_GROUPS),
      };
    }
    case 'lock': {
      const reason = value('reason');
      return { verb: 'lock', env: validateEnv(arg('env') ?? '', ctx), reason: reason === undefined ? null : validateReason(reason) };
    }
    case 'unlock':
      return { verb: 'unlock', env: validateEnv(arg('env') ?? '', ctx) };
    case 'images': {
      const image = arg('image');
      return { verb: 'images', image: image === undefined ? null : validateImage(image, ctx) };
    }
    case 'bake': {
      const ref = value('ref');
      return { verb: 'bake', image: validateImage(arg('image') ?? '', ctx), ref: ref === undefined ? null : validateRef(ref), dryRun: flags.has('dry-run') };
    }
    case 'promote': {
      const source = arg('ami|candidate');
      return {
        verb: 'promote',
        image: validateImage(arg('image') ?? '', ctx),
        source: source === undefined ? 'candidate' : validateAmi(source),
        to: validateChoice('to', value('to') ?? '', PROMOTE_CHANNELS),
      };
    }
    case 'help': {
      const topic = arg('command');
      return { verb: 'help', topic: topic === undefined ? null : validateVerb(topic, mode === 'pr' ? PR_VERBS : undefined) };
    }
  }
}

function parseVerb(verb: Verb, words: readonly string[], ctx: CommandContext, mode: Mode): Command {
  const spec = verbSpec(verb);
  const argSpecs = mode === 'pr' ? (spec.pr?.args ?? []) : spec.args;
  const scanned = scan(spec, words, argSpecs, ctx, mode);
  return scanned ? build(scanned, ctx, mode) : { verb: 'help', topic: verb };
}

/** Words that start with the verb (Slack text, argv, any typed command line). */
function parseWords(words: readonly string[], ctx: CommandContext): Command {
  const [first, ...rest] = words;
  if (first === undefined) return { verb: 'help', topic: null };
  if (HELP_FLAGS.has(first)) return rest.length === 0 ? { verb: 'help', topic: null } : parseWords(['help', ...rest], ctx);
  if (!isVerb(first.toLowerCase()) && ctx.environments.includes(first)) {
    throw new CommandError(`${echo(first)} is an environment, not a command; did you mean \`launch ${first}\`?`);
  }
  return parseVerb(validateVerb(first), rest, ctx, 'full');
}

/**
 * A command typed as one line of text, e.g. `launch stg4 --keep=2h` (no `/stage`, no program name).
 * Quotes, typographic quotes and a typed `—` for `--` are understood; empty text means `help`.
 */
export function parseText(text: string, ctx: CommandContext): Command {
  checkHygiene(text, { allowLineBreaks: true });
  return parseWords(tokenize(text, { smartDashes: true }), ctx);
}

/** Slack slash-command text (Slack strips `/stage` and escapes `&`, `<` and `>` as HTML entities). */
export function parseSlackText(text: string, ctx: CommandContext): Command {
  return parseText(text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&'), ctx);
}

/** Arguments already split by a shell (without the program name). Empty means `help`. */
export function parseArgv(argv: readonly string[], ctx: CommandContext): Command {
  const total = argv.reduce((sum, a) => sum + a.length + 1, 0) - 1;
  if (total > MAX_INPUT_LENGTH) {
    throw new CommandError(`the command is ${total} characters long; the limit is ${MAX_INPUT_LENGTH}`);
  }
  for (const word of argv) checkHygiene(word, { allowLineBreaks: false });
  return parseWords(argv, ctx);
}

/** A command as text (see parseText) or as argv (see parseArgv). */
export function parseCommand(input: string | readonly string[], ctx: CommandContext): Command {
  return typeof input === 'string' ? parseText(input, ctx) : parseArgv(input, ctx);
}

const PR_COMMAND = /^ {0,3}\/e2e(?:[ \t]+(.*))?$/;

/**
 * A pull-request comment. Only its first line counts, and only when that line starts with `/e2e`
 * (then a space or the end); any other comment is not a command and gives null. Allowed there:
 * `/e2e [env] [flags]` (launch on the repository's pool), `/e2e cancel` (this PR's run) and `/e2e help`.
 */
export function parsePrComment(body: string, ctx: CommandContext): Command | null {
  const firstLine = body.split(/\r\n|\n|\r/, 1)[0] ?? '';
  const match = PR_COMMAND.exec(firstLine);
  if (!match) return null;
  checkHygiene(firstLine, { allowLineBreaks: true });
  const words = tokenize(match[1] ?? '');
  const [first, ...rest] = words;
  if (first === undefined || first.startsWith('-') || ctx.environments.includes(first)) {
    if (first !== undefined && HELP_FLAGS.has(first)) return { verb: 'help', topic: null };
    return parseVerb('launch', words, ctx, 'pr');
  }
  const word = first.toLowerCase();
  if (isVerb(word)) {
    if (!PR_VERBS.includes(word)) {
      throw new CommandError(`${echo(`/e2e ${word}`)} is not available in pull-request comments; use ${PR_USAGE}`);
    }
    if (word === 'cancel' && rest.length > 0) {
      throw new CommandError(`\`/e2e cancel\` takes no run id: it cancels this pull request's run`);
    }
    return parseVerb(word, rest, ctx, 'pr');
  }
  if (closest(first, PR_VERBS).length > 0 && closest(first, ctx.environments).length === 0) {
    throw unknownValue('command', first, PR_VERBS, 'in a pull request');
  }
  return parseVerb('launch', words, ctx, 'pr');
}
