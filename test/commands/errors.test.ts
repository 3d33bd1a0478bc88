import { describe, expect, it } from 'vitest';
import { parseArgv, parseSlackText } from '../../src/commands/index.ts';
import { CommandError } from '../../src/errors.ts';
import { ctx, RUN } from './context.ts';

/** The message of the CommandError that parsing `text` throws; fails if it does not throw one. */
function error(text: string | string[]): string {
  try {
    if (typeof text === 'string') parseSlackText(text, ctx);
    else parseArgv(text, ctx);
  } catch (err) {
    expect(err).toBeInstanceOf(CommandError);
    const message = (err as Error).message;
    expect(message).not.toMatch(/[\r\n]/);
    return message;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const COMMANDS = 'launch, status, list, cancel, teardown, extend, retest, assets, sweep, cost, lock, unlock, images, bake, promote, help';
const ENVS = 'stg1, stg2, stg3, stg4';
const BROWSERS = 'chrome, firefox, safari, edge';
const REF_HINT = 'use a branch, tag or commit SHA made of letters, digits and . _ - /';
const DURATION = 'use a duration like 90m, 2h, 1d or 1h30m';

describe('exact error messages', () => {
  it.each([
    // unknown verb
    ['lanch stg4', `unknown command \`lanch\` — did you mean \`launch\`? (commands: ${COMMANDS})`],
    ['deploy', `unknown command \`deploy\`; commands: ${COMMANDS}`],
    ['tear-down x', `unknown command \`tear-down\` — did you mean \`teardown\`? (commands: ${COMMANDS})`],
    ['stg4 --keep=2h', '`stg4` is an environment, not a command; did you mean `launch stg4`?'],
    ['help lanch', `unknown command \`lanch\` — did you mean \`launch\`? (commands: ${COMMANDS})`],
    // unknown environment
    ['launch stg9', `unknown environment \`stg9\`; known: ${ENVS}`],
    ['launch sgt4', `unknown environment \`sgt4\` — did you mean \`stg4\`? (known: ${ENVS})`],
    ['launch stg', 'unknown environment `stg` — did you mean `stg1`, `stg2`, `stg3` or `stg4`?'],
    ['lock prod', `unknown environment \`prod\`; known: ${ENVS}`],
    ['unlock stg44', `unknown environment \`stg44\` — did you mean \`stg4\`? (known: ${ENVS})`],
    ['status prod', `\`prod\` is neither an environment nor a run id (environments: ${ENVS}; run ids look like \`${RUN}\`)`],
    ['status sgt2', `\`sgt2\` is neither an environment nor a run id — did you mean \`stg2\`? (environments: ${ENVS}; run ids look like \`${RUN}\`)`],
    // browsers
    ['launch --browsers=chrom', `unknown browser \`chrom\` — did you mean \`chrome\`? (known: ${BROWSERS})`],
    ['launch --browsers=chrome,opera', `unknown browser \`opera\`; known: ${BROWSERS}`],
    ['launch --browsers=opera,firefx,opera', `unknown browsers \`opera\`, \`firefx\` (did you mean \`firefox\`?); known: ${BROWSERS}`],
    ['launch --browsers=', `\`--browsers\` is empty; name one or more of: ${BROWSERS}`],
    ['launch --browsers=chrome,,firefox', '`--browsers=chrome,,firefox` has an empty browser name; separate names with single commas, e.g. `--browsers=chrome,firefox`'],
    ['launch --browsers=chrome,', '`--browsers=chrome,` has an empty browser name; separate names with single commas, e.g. `--browsers=chrome,firefox`'],
    // flags
    ['launch --browser=chrome', 'unknown flag `--browser` for launch — did you mean `--browsers`? (launch takes --browsers, --keep, --ref, --dry-run, --ami)'],
    ['launch --force', 'unknown flag `--force` for launch; launch takes --browsers, --keep, --ref, --dry-run, --ami'],
    ['launch ---browsers=chrome', 'unknown flag `---browsers` for launch — did you mean `--browsers`? (launch takes --browsers, --keep, --ref, --dry-run, --ami)'],
    ['launch -b chrome', 'unknown flag `-b` for launch; launch takes --browsers, --keep, --ref, --dry-run, --ami'],
    ['list --all', 'unknown flag `--all`; list takes no flags'],
    ['cost --dry-run', 'unknown flag `--dry-run` for cost; cost takes --since, --by'],
    ['launch --keep=2h --keep=3h', '`--keep` is given twice; give it once'],
    ['launch --dry-run --dry-run', '`--dry-run` is given twice; give it once'],
    ['launch --browsers', '`--browsers` needs a value, e.g. `--browsers=chrome,firefox`'],
    ['launch --ref --dry-run', '`--ref` needs a value, e.g. `--ref=main`'],
    ['launch --ref=', '`--ref=` has no value; give one, e.g. `--ref=main`'],
    ['launch --keep=', '`--keep=` has no value; give one, e.g. `--keep=2h`'],
    ['lock stg1 --reason', '`--reason` needs a value, e.g. `--reason="db migration test"`'],
    ['launch --dry-run=true', '`--dry-run` takes no value; write just `--dry-run`'],
    ['sweep --reap=now', '`--reap` takes no value; write just `--reap`'],
    ['sweep --dry-run --reap', 'sweep takes `--dry-run` or `--reap`, not both'],
    ['sweep --confirm', '`--confirm` only goes with `--reap`, e.g. `sweep --reap --confirm`'],
    ['sweep --dry-run --confirm', '`--confirm` only goes with `--reap`, e.g. `sweep --reap --confirm`'],
    ['sweep --reap --confirm=yes', '`--confirm` takes no value; write just `--confirm`'],
    ['sweep --reap --confirm --confirm', '`--confirm` is given twice; give it once'],
    ['sweep --reap --confrim', 'unknown flag `--confrim` for sweep — did you mean `--confirm`? (sweep takes --dry-run, --reap, --confirm)'],
    ['launch --', '`--` on its own is not a flag; flags look like `--name` or `--name=value`'],
    ['cost --by=team', '`--by=team` must be env or user'],
    ['cost --by=usr', '`--by=usr` must be env or user — did you mean `user`?'],
    // missing and extra arguments
    ['cancel', `cancel needs a run id, e.g. \`cancel ${RUN}\``],
    ['teardown', `teardown needs a run id, e.g. \`teardown ${RUN}\``],
    ['assets', `assets needs a run id, e.g. \`assets ${RUN}\``],
    ['extend --by=1h', `extend needs a run id, e.g. \`extend ${RUN}\``],
    [`extend ${RUN}`, `extend needs \`--by\`, e.g. \`extend ${RUN} --by=2h\``],
    ['lock', 'lock needs an environment, e.g. `lock stg1`'],
    ['unlock', 'unlock needs an environment, e.g. `unlock stg1`'],
    ['list stg1', 'unexpected argument `stg1`; usage: `list`'],
    ['launch stg1 stg2', 'unexpected argument `stg2`; usage: `launch [env] [--browsers=a,b] [--keep[=DURATION]] [--ref=REF] [--dry-run] [--ami=candidate|AMI]`'],
    [`cancel ${RUN} now`, 'unexpected argument `now`; usage: `cancel <run>`'],
    [
      'lock stg1 --reason db migration',
      'unexpected argument `migration`; usage: `lock <env> [--reason=TEXT]`; quote a value with spaces, e.g. `--reason="db migration test"`',
    ],
    // durations
    ['launch --keep=2x', `\`--keep=2x\` is not a duration; ${DURATION}`],
    ['launch --keep 2x', `\`--keep=2x\` is not a duration; ${DURATION}`],
    ['launch --keep=0', `\`--keep=0\` is zero; ${DURATION} (leave --keep out to tear down right after the tests)`],
    ['launch --keep=0h0m', `\`--keep=0h0m\` is zero; ${DURATION} (leave --keep out to tear down right after the tests)`],
    ['launch --keep=25h', '`--keep=25h` is longer than the maximum, 1d'],
    ['launch --keep=2d', '`--keep=2d` is longer than the maximum, 1d'],
    [`extend ${RUN} --by=36h`, '`--by=36h` is longer than the maximum, 1d'],
    [`extend ${RUN} --by=soon`, `\`--by=soon\` is not a duration; ${DURATION}`],
    ['cost --since=yesterday', `\`--since=yesterday\` is not a duration; ${DURATION}`],
    ['cost --since=-1d', `\`--since=-1d\` is not a duration; ${DURATION}`],
    ['cost --since -1d', '`--since` needs a value, e.g. `--since=7d`'],
    // run ids
    ['cancel 42', `\`42\` is not a run id; a run id looks like \`${RUN}\``],
    ['teardown stg4-20261121-A1B2C3', `\`stg4-20261121-A1B2C3\` is not a run id; a run id looks like \`${RUN}\``],
    ['assets stg4-20261321-a1b2c3', `\`stg4-20261321-a1b2c3\` is not a run id; a run id looks like \`${RUN}\``],
    ['status stg4-2026112-a1b2c3', `\`stg4-2026112-a1b2c3\` is not a run id; a run id looks like \`${RUN}\``],
    // refs
    ['launch --ref=main;reboot', `\`--ref=main;reboot\` is not a safe git ref (\`;\` is not allowed); ${REF_HINT}`],
    ['launch --ref=-rf', `\`--ref=-rf\` is not a safe git ref (it starts with \`-\`); ${REF_HINT}`],
    ['launch --ref=feature/../../etc', `\`--ref=feature/../../etc\` is not a safe git ref (it contains \`..\`); ${REF_HINT}`],
    ['launch --ref=feature//x', `\`--ref=feature//x\` is not a safe git ref (it contains \`//\`); ${REF_HINT}`],
    ['launch --ref=/main', `\`--ref=/main\` is not a safe git ref (it starts or ends with \`/\`); ${REF_HINT}`],
    ['launch --ref=main.', `\`--ref=main.\` is not a safe git ref (it ends with \`.\`); ${REF_HINT}`],
    ['launch --ref=feature/.hidden', `\`--ref=feature/.hidden\` is not a safe git ref (a part of it starts with \`.\`); ${REF_HINT}`],
    ['launch --ref=main.lock', `\`--ref=main.lock\` is not a safe git ref (a part of it ends with \`.lock\`); ${REF_HINT}`],
    ['launch --ref="main branch"', `\`--ref=main branch\` is not a safe git ref (it contains a space); ${REF_HINT}`],
    ['launch --ref=HEAD@{1}', `\`--ref=HEAD@{1}\` is not a safe git ref (\`@\` is not allowed); ${REF_HINT}`],
    [`launch --ref=${'a'.repeat(201)}`, '`--ref` is 201 characters long; a ref is at most 200'],
    // reason
    [`lock stg1 --reason="${'x'.repeat(201)}"`, '`--reason` is 201 characters long; keep it to 200'],
    ['lock stg1 --reason=""', '`--reason=` has no value; give one, e.g. `--reason="db migration test"`'],
    ['lock stg1 --reason="   "', '`--reason` is empty; say why, e.g. `--reason="db migration test"`'],
    ['lock stg1 --reason="a\tb"', '`--reason` contains a tab or control character; write it as plain text on one line'],
    // tokenizer
    ['lock stg1 --reason="db migration', 'the quote in `--reason="db migration` is never closed; end the value with a matching quote'],
    ['lock stg1 --reason=\u201cdb\nmigration\u201d', 'the quoted value in `--reason=\u201cdb` runs onto the next line; close the quote on the same line'],
    // hygiene
    ['launch stg1\u0000', 'the command contains a control character (U+0000) at position 12; retype it without hidden characters'],
    ['launch stg1\u007f', 'the command contains a control character (U+007F) at position 12; retype it without hidden characters'],
    ['launch \u202estg1', 'the command contains an invisible text-direction character (U+202E) at position 8; retype it without hidden characters'],
    ['launch stg\u200b1', 'the command contains an invisible zero-width character (U+200B) at position 11; retype it without hidden characters'],
    ['\ufefflaunch', 'the command contains an invisible zero-width character (U+FEFF) at position 1; retype it without hidden characters'],
    ['launch stg1 \u{e0041}', 'the command contains an invisible formatting character (U+E0041) at position 13; retype it without hidden characters'],
    [`launch ${'x'.repeat(1000)}`, 'the command is 1007 characters long; the limit is 1000'],
  ])('%s', (text, message) => {
    expect(error(text)).toBe(message);
  });

  it('argv: control characters and line breaks inside one argument', () => {
    expect(error(['lock', 'stg1', '--reason', 'a\nb'])).toBe(
      'the command contains a tab or line break (U+000A) at position 2; retype it without hidden characters',
    );
    expect(error(['launch', `stg1${'\u0007'}`])).toBe(
      'the command contains a control character (U+0007) at position 5; retype it without hidden characters',
    );
  });

  it('argv: total length counts the separating spaces', () => {
    expect(error(['launch', 'x'.repeat(994)])).toBe('the command is 1001 characters long; the limit is 1000');
    expect(error(['launch', 'x'.repeat(993)])).toMatch(/^unknown environment/);
  });
});

describe('echoing what was typed', () => {
  it('cuts long tokens to 40 characters', () => {
    const message = error(`launch ${'a'.repeat(100)}`);
    expect(message).toBe(`unknown environment \`${'a'.repeat(39)}…\`; known: ${ENVS}`);
  });

  it('turns backticks into quotes so the code span cannot be broken', () => {
    expect(error('launch `rm`')).toBe(`unknown environment \`'rm'\`; known: ${ENVS}`);
    expect(error('launch --ref=`id`')).toBe(`\`--ref='id'\` is not a safe git ref (\`'\` is not allowed); ${REF_HINT}`);
  });
});
