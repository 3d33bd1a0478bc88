// The list of all commands, from the grammar: what `stagebot --help` shows. Apart from help.ts (one
// verb's help, which validates the verb and so loads the did-you-mean), so that `--help` loads no more.
import { DURATION_HINT } from '../domain/duration.ts';
import { RUN_ID_EXAMPLE } from '../domain/run-id.ts';
import { GRAMMAR, usageLine } from './grammar.ts';

/** `stagebot launch`, or the text alone without a prefix. */
export function join(prefix: string, text: string): string {
  return [prefix, text].filter((p) => p !== '').join(' ');
}

/** The list of every command (or of what a pull-request comment accepts), with its usage and summary. */
export function overviewText(prefix: string, pr = false): string {
  const specs = pr ? GRAMMAR.filter((s) => s.pr) : GRAMMAR;
  const lines = [pr ? 'Commands in a pull-request comment (only its first line counts):' : 'Commands:'];
  for (const spec of specs) {
    lines.push(`  ${join(prefix, usageLine(spec, pr ? 'pr' : 'full'))}`, `      ${pr && spec.pr ? spec.pr.summary : spec.summary}`);
  }
  lines.push('');
  if (!pr) lines.push(`DURATION is ${DURATION_HINT}. A run id looks like ${RUN_ID_EXAMPLE}. Quote values that contain spaces.`);
  lines.push(`${join(prefix, 'help <command>')} shows a command's flags and examples.`);
  return lines.join('\n');
}
