// Options every `stagebot` invocation understands, taken out of argv before the command language
// sees the rest (the command language is shared with Slack and GitHub, where these make no sense).
import { CommandError } from '../../errors.ts';

export type OutputFormat = 'text' | 'json';

export interface GlobalOptions {
  configPath: string | undefined;
  output: OutputFormat;
  help: boolean;
  version: boolean;
}

const VALUE_OPTIONS = new Set(['--config', '--output']);

export function splitGlobalOptions(argv: readonly string[]): { options: GlobalOptions; rest: string[] } {
  const options: GlobalOptions = { configPath: undefined, output: 'text', help: false, version: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (arg === '-h' || arg === '--help') { options.help = true; continue; }
    if (arg === '--version' || arg === '-V') { options.version = true; continue; }
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (!VALUE_OPTIONS.has(name)) { rest.push(arg); continue; }
    let value: string | undefined;
    if (eq > 0) value = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) value = argv[++i];
    if (value === undefined || value === '') throw new CommandError(`${name} needs a value, e.g. ${name === '--config' ? '--config stagebot.yml' : '--output json'}`);
    if (name === '--config') options.configPath = value;
    else if (value === 'text' || value === 'json') options.output = value;
    else throw new CommandError(`--output must be text or json, got \`${value.slice(0, 40)}\``);
  }
  return { options, rest };
}

/**
 * Whether argv asks for JSON, read before the options are parsed: a mistake in them (`--config`
 * without a file) is still answered in the format asked for.
 */
export function wantsJson(argv: readonly string[]): boolean {
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--output=json' || (argv[i] === '--output' && argv[i + 1] === 'json')) return true;
  }
  return false;
}

/** The command a JSON document names: the verb (`config check` for the subcommand), `help` for none. */
export function commandName(rest: readonly string[]): string {
  const [verb, sub] = rest;
  if (verb === undefined || verb === '--') return 'help';
  if (verb === 'config' && sub === 'check') return 'config check';
  // Whatever was typed, as the first word and no longer than a verb can be.
  return verb.replace(/[^\w.:-]/g, '').slice(0, 40) || 'help';
}
