import { describe, expect, it } from 'vitest';
import { parseArgv, parseCommand, parseSlackText, parseText, type Command } from '../../src/commands/index.ts';
import { CommandError } from '../../src/errors.ts';
import { ctx, RUN } from './context.ts';

const H = 3_600_000;

// Each line is written with `--flag=value`; the test also feeds it as `--flag value`, and both as
// Slack text and as argv, and all four must give the same Command.
const CASES: [string, Command][] = [
  ['launch', { verb: 'launch', env: null, browsers: null, keepMs: null, ref: null, dryRun: false }],
  ['launch stg4', { verb: 'launch', env: 'stg4', browsers: null, keepMs: null, ref: null, dryRun: false }],
  [
    'launch stg4 --browsers=chrome,firefox --keep=2h --ref=release/2.4 --dry-run',
    { verb: 'launch', env: 'stg4', browsers: ['chrome', 'firefox'], keepMs: 2 * H, ref: 'release/2.4', dryRun: true },
  ],
  ['launch --keep=1h30m stg2', { verb: 'launch', env: 'stg2', browsers: null, keepMs: 1.5 * H, ref: null, dryRun: false }],
  ['launch --keep=90s', { verb: 'launch', env: null, browsers: null, keepMs: 90_000, ref: null, dryRun: false }],
  ['launch --keep=1d', { verb: 'launch', env: null, browsers: null, keepMs: 24 * H, ref: null, dryRun: false }],
  [
    'launch --ref=0123456789abcdef0123456789abcdef01234567',
    { verb: 'launch', env: null, browsers: null, keepMs: null, ref: '0123456789abcdef0123456789abcdef01234567', dryRun: false },
  ],
  ['status', { verb: 'status', run: null, env: null }],
  ['status stg3', { verb: 'status', run: null, env: 'stg3' }],
  [`status ${RUN}`, { verb: 'status', run: RUN, env: null }],
  ['list', { verb: 'list' }],
  [`cancel ${RUN}`, { verb: 'cancel', run: RUN }],
  [`teardown ${RUN}`, { verb: 'teardown', run: RUN }],
  [`extend ${RUN} --by=90m`, { verb: 'extend', run: RUN, byMs: 1.5 * H }],
  [`extend --by=2h ${RUN}`, { verb: 'extend', run: RUN, byMs: 2 * H }],
  [`assets ${RUN}`, { verb: 'assets', run: RUN }],
  ['sweep', { verb: 'sweep', mode: 'dry-run', confirm: false }],
  ['sweep --dry-run', { verb: 'sweep', mode: 'dry-run', confirm: false }],
  ['sweep --reap', { verb: 'sweep', mode: 'reap', confirm: false }],
  ['sweep --reap --confirm', { verb: 'sweep', mode: 'reap', confirm: true }],
  ['sweep --confirm --reap', { verb: 'sweep', mode: 'reap', confirm: true }],
  ['cost', { verb: 'cost', sinceMs: null, by: null }],
  ['cost --since=7d --by=user', { verb: 'cost', sinceMs: 7 * 24 * H, by: 'user' }],
  ['cost --by=env', { verb: 'cost', sinceMs: null, by: 'env' }],
  ['lock stg3', { verb: 'lock', env: 'stg3', reason: null }],
  ['lock stg3 --reason=migration', { verb: 'lock', env: 'stg3', reason: 'migration' }],
  ['unlock stg3', { verb: 'unlock', env: 'stg3' }],
  ['help', { verb: 'help', topic: null }],
  ['help extend', { verb: 'help', topic: 'extend' }],
];

function spaced(text: string): string {
  return text.replace(/(--[a-z-]+)=(\S+)/g, '$1 $2');
}

describe('every verb, every flag form, every front', () => {
  it.each(CASES)('%s', (text, expected) => {
    expect(parseSlackText(text, ctx)).toEqual(expected);
    expect(parseSlackText(spaced(text), ctx)).toEqual(expected);
    expect(parseArgv(text.split(' '), ctx)).toEqual(expected);
    expect(parseArgv(spaced(text).split(' '), ctx)).toEqual(expected);
    expect(parseCommand(text, ctx)).toEqual(expected);
    expect(parseCommand(text.split(' '), ctx)).toEqual(expected);
  });

  it('the spaced form really differs from the = form for flags with values', () => {
    expect(spaced('launch --keep=2h --dry-run')).toBe('launch --keep 2h --dry-run');
  });
});

describe('launch details', () => {
  it('removes duplicate browsers and keeps their order', () => {
    expect(parseSlackText('launch --browsers=safari,chrome,safari', ctx)).toMatchObject({ browsers: ['safari', 'chrome'] });
  });

  it('--keep alone means the configured default, before an env or at the end', () => {
    expect(parseSlackText('launch --keep', ctx)).toMatchObject({ keepMs: 'default', env: null });
    expect(parseSlackText('launch --keep stg4', ctx)).toMatchObject({ keepMs: 'default', env: 'stg4' });
    expect(parseSlackText('launch stg4 --keep --dry-run', ctx)).toMatchObject({ keepMs: 'default', dryRun: true });
    expect(parseArgv(['launch', '--keep', 'stg1'], ctx)).toMatchObject({ keepMs: 'default', env: 'stg1' });
  });

  it('--keep takes the next word when it is a duration', () => {
    expect(parseSlackText('launch --keep 45m stg4', ctx)).toMatchObject({ keepMs: 45 * 60_000, env: 'stg4' });
  });

  it('accepts keep up to keepMaxMs and no limit without one', () => {
    expect(parseSlackText('launch --keep=24h', ctx)).toMatchObject({ keepMs: 24 * H });
    expect(parseSlackText('launch --keep=30d', { ...ctx, keepMaxMs: undefined })).toMatchObject({ keepMs: 30 * 24 * H });
  });

  it('verbs are case-insensitive (phones capitalise the first word), names are not', () => {
    expect(parseSlackText('Launch stg4', ctx)).toMatchObject({ verb: 'launch', env: 'stg4' });
    expect(() => parseSlackText('launch STG4', ctx)).toThrow(CommandError);
  });
});

describe('quotes', () => {
  it.each([
    ['double', 'lock stg1 --reason="db migration test"'],
    ['double, spaced form', 'lock stg1 --reason "db migration test"'],
    ['single', "lock stg1 --reason='db migration test'"],
    ['Slack smart double', 'lock stg1 --reason=\u201cdb migration test\u201d'],
    ['Slack smart single', 'lock stg1 --reason=\u2018db migration test\u2019'],
    ['closing-only smart quotes', 'lock stg1 --reason=\u201ddb migration test\u201d'],
    ['quoted whole word', 'lock stg1 "--reason=db migration test"'],
  ])('%s', (_name, text) => {
    expect(parseSlackText(text, ctx)).toEqual({ verb: 'lock', env: 'stg1', reason: 'db migration test' });
  });

  it('keeps the other kind of quote inside a quoted value', () => {
    expect(parseSlackText('lock stg1 --reason="don\u2019t touch"', ctx)).toMatchObject({ reason: 'don\u2019t touch' });
    expect(parseSlackText(`lock stg1 --reason='say "hi"'`, ctx)).toMatchObject({ reason: 'say "hi"' });
  });

  it('argv values arrive already unquoted, spaces included', () => {
    expect(parseArgv(['lock', 'stg1', '--reason', 'db migration test'], ctx)).toMatchObject({ reason: 'db migration test' });
  });
});

describe('Slack specifics', () => {
  it('empty or blank text means help', () => {
    expect(parseSlackText('', ctx)).toEqual({ verb: 'help', topic: null });
    expect(parseSlackText('   \t ', ctx)).toEqual({ verb: 'help', topic: null });
    expect(parseArgv([], ctx)).toEqual({ verb: 'help', topic: null });
  });

  it('reads a typed em or en dash (Slack autocorrect of --) as --', () => {
    expect(parseSlackText('launch stg4 \u2014browsers=chrome \u2013dry-run', ctx)).toMatchObject({ browsers: ['chrome'], dryRun: true });
  });

  it('decodes the three HTML entities Slack escapes', () => {
    expect(parseSlackText('lock stg1 --reason="R&amp;D &lt;3"', ctx)).toMatchObject({ reason: 'R&D <3' });
  });

  it('tolerates non-breaking spaces between words', () => {
    expect(parseSlackText('launch\u00a0stg2', ctx)).toMatchObject({ env: 'stg2' });
  });

  it('parseText is parseSlackText without entity decoding', () => {
    expect(parseText('lock stg1 --reason="R&amp;D"', ctx)).toMatchObject({ reason: 'R&amp;D' });
  });
});

describe('--help', () => {
  it('asks for the verb help anywhere after the verb', () => {
    expect(parseArgv(['launch', 'stg4', '--help'], ctx)).toEqual({ verb: 'help', topic: 'launch' });
    expect(parseSlackText('sweep -h', ctx)).toEqual({ verb: 'help', topic: 'sweep' });
    expect(parseArgv(['--help'], ctx)).toEqual({ verb: 'help', topic: null });
    expect(parseArgv(['--help', 'cost'], ctx)).toEqual({ verb: 'help', topic: 'cost' });
  });
});

describe('flags before the verb', () => {
  it('are not a command', () => {
    expect(() => parseSlackText('--browsers=chrome launch', ctx)).toThrow('unknown command `--browsers=chrome`');
  });
});
