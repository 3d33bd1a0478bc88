// Hostile or garbled input: every case is either rejected with a CommandError, or parses into a
// Command whose every string matches the strict allowlist of its field (nothing is evaluated).
import { describe, expect, it } from 'vitest';
import { FIELD_PATTERNS, RUN_ID_PATTERN, VERBS, parseArgv, parsePrComment, parseSlackText, type Command } from '../../src/commands/index.ts';
import { CommandError } from '../../src/errors.ts';
import { ctx } from './context.ts';

/** Fails unless every field of `cmd` is a known field holding an allowlisted value. */
function assertInert(cmd: Command): void {
  for (const [key, value] of Object.entries(cmd)) {
    if (value === null || typeof value === 'boolean') continue;
    const is = (ok: boolean): void => {
      expect(ok, `${key} = ${JSON.stringify(value)}`).toBe(true);
    };
    switch (key) {
      case 'verb':
      case 'topic':
        is((VERBS as readonly unknown[]).includes(value));
        break;
      case 'env':
        is(typeof value === 'string' && FIELD_PATTERNS.env.test(value) && ctx.environments.includes(value));
        break;
      case 'browsers':
        is(Array.isArray(value) && value.length > 0 && value.every((b) => FIELD_PATTERNS.browser.test(b) && ctx.browsers.includes(b)));
        break;
      case 'ref':
        is(typeof value === 'string' && FIELD_PATTERNS.ref.test(value));
        break;
      case 'run':
        is(typeof value === 'string' && RUN_ID_PATTERN.test(value));
        break;
      case 'reason':
        is(typeof value === 'string' && FIELD_PATTERNS.reason.test(value));
        break;
      case 'mode':
        is(value === 'dry-run' || value === 'reap');
        break;
      case 'by':
        is(value === 'env' || value === 'user');
        break;
      case 'keepMs':
      case 'byMs':
      case 'sinceMs':
        is(value === 'default' || (typeof value === 'number' && Number.isSafeInteger(value) && value > 0));
        break;
      default:
        throw new Error(`assertInert does not know the field ${key}: teach it the field's allowlist`);
    }
  }
}

type Outcome = 'reject' | Partial<Command>;

function check(parse: () => Command | null, outcome: Outcome): void {
  if (outcome === 'reject') {
    let thrown: unknown;
    try {
      parse();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CommandError);
    const message = (thrown as Error).message;
    expect(message).not.toMatch(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069\u200b-\u200d\ufeff]/);
    expect(message.length).toBeLessThan(400);
    return;
  }
  const cmd = parse();
  expect(cmd).not.toBeNull();
  assertInert(cmd as Command);
  expect(cmd).toMatchObject(outcome);
}

const SLACK: [string, string, Outcome][] = [
  ['command substitution in a ref', "launch stg1 --ref='$(rm -rf /)'", 'reject'],
  ['command substitution in an env', 'launch $(reboot)', 'reject'],
  ['variable', 'launch $HOME', 'reject'],
  ['variable in a ref', 'launch stg1 --ref=$HOME', 'reject'],
  ['semicolon after the env', 'launch stg1; rm -rf /', 'reject'],
  ['semicolon first', '; rm -rf /', 'reject'],
  ['semicolon in a ref', 'launch --ref=main;reboot', 'reject'],
  ['semicolon after a duration', 'launch --keep=1h; reboot', 'reject'],
  ['semicolon after a run id', 'cancel stg4-20261121-a1b2c3;reboot', 'reject'],
  ['backticks in a ref', 'launch stg1 --ref=`id`', 'reject'],
  ['backticks as the verb', '`launch`', 'reject'],
  ['pipe', 'launch stg1 | cat /etc/passwd', 'reject'],
  ['pipe in browsers', 'launch --browsers=chrome|sh', 'reject'],
  ['and-and', 'launch stg1 && reboot', 'reject'],
  ['redirect', 'launch stg1 > /tmp/x', 'reject'],
  ['redirect glued', 'status stg1>/tmp/x', 'reject'],
  ['background', 'launch stg1 &', 'reject'],
  ['comment', 'launch stg1 #--dry-run', 'reject'],
  ['newline then a command', 'launch stg1\nrm -rf /', 'reject'],
  ['CR then a command', 'launch stg1\r--ref=x;y', 'reject'],
  ['glob as env', 'launch *', 'reject'],
  ['glob in browsers', 'launch --browsers=*', 'reject'],
  ['glob in a ref', 'launch --ref=release/*', 'reject'],
  ['tilde as env', 'launch ~', 'reject'],
  ['tilde in a ref', 'launch --ref=~/x', 'reject'],
  ['brace expansion', 'launch stg{1,2}', 'reject'],
  ['path traversal as a run', 'status ../../etc/passwd', 'reject'],
  ['path after a run id', 'assets stg4-20261121-a1b2c3/../../x', 'reject'],
  ['option injection in a ref', 'launch --ref=-o', 'reject'],
  ['option injection in a ref (long)', 'launch --ref=--upload-pack=touch', 'reject'],
  ['flag as a ref value', 'launch --ref --upload-pack=touch', 'reject'],
  ['Cyrillic look-alike env', 'launch \u0455tg1', 'reject'],
  ['Cyrillic look-alike verb', 'l\u0430unch stg1', 'reject'],
  ['fullwidth verb', '\uff4c\uff41\uff55\uff4e\uff43\uff48', 'reject'],
  ['combining accent in an env', 'launch s\u0301tg1', 'reject'],
  ['RTL override', 'launch stg1 \u202e--dry-run', 'reject'],
  ['RTL isolate', 'launch \u2067stg1\u2069', 'reject'],
  ['zero-width space in an env', 'launch stg\u200b1', 'reject'],
  ['zero-width joiner in an env', 'launch stg\u200d1', 'reject'],
  ['NUL byte', 'launch stg1\u0000--ref=x', 'reject'],
  ['escape sequence', 'launch \u001b[31mstg1', 'reject'],
  ['10 kB input', `launch ${'A'.repeat(10_240)}`, 'reject'],
  ['1000 flags', `launch ${'--dry-run '.repeat(1000)}`, 'reject'],
  ['300 flags under the length limit', `status ${'-x '.repeat(300)}`, 'reject'],
  ['-- alone', '--', 'reject'],
  ['-- after the verb', 'launch --', 'reject'],
  ['---browsers', 'launch ---browsers=chrome', 'reject'],
  ['empty browsers', 'launch --browsers=', 'reject'],
  ['double comma', 'launch --browsers=chrome,,firefox', 'reject'],
  ['upper-case browser', 'launch --browsers=CHROME', 'reject'],
  ['emoji env', 'launch \u{1f680}', 'reject'],
  ['emoji flag', 'launch --\u{1f680}', 'reject'],
  ['emoji in a ref', 'launch --ref=main\u{1f680}', 'reject'],
  ['unclosed smart quote', 'lock stg1 --reason=\u201cforever', 'reject'],
  ['backslash env', 'launch \\', 'reject'],
  ['exponent duration', 'launch --keep=1e3', 'reject'],
  ['NaN duration', 'launch --keep=NaN', 'reject'],
  ['Infinity duration', 'cost --since=Infinity', 'reject'],
  ['negative duration', 'launch --keep=-1h', 'reject'],
  ['huge duration', 'launch --keep=999999d', 'reject'],
  ['prototype verb', '__proto__', 'reject'],
  ['prototype env', 'lock constructor', 'reject'],
  ['prototype flag', 'launch --__proto__=1', 'reject'],
  ['prototype help topic', 'help toString', 'reject'],
  ['HTML-escaped redirect', 'launch stg1 &gt; /tmp/x', 'reject'],
  ['Slack link markup', 'launch <http://stg1|stg1>', 'reject'],
  // inert: parsed, and nothing in the result can do harm
  ['empty', '', { verb: 'help', topic: null }],
  ['whitespace only', ' \t \u00a0 ', { verb: 'help', topic: null }],
  ['command substitution in a reason stays text', 'lock stg1 --reason="$(rm -rf /)"', { reason: '$(rm -rf /)' }],
  ['backticks in a reason stay text', "lock stg1 --reason='`whoami`'", { reason: '`whoami`' }],
  ['emoji reason', 'lock stg1 --reason=\u{1f680}\u{1f525}', { reason: '\u{1f680}\u{1f525}' }],
  ['Slack mention markup in a reason stays text', 'lock stg1 --reason="&lt;!channel&gt;"', { reason: '<!channel>' }],
  ['no-break space separator', 'launch\u00a0stg1', { env: 'stg1' }],
  ['full SHA', 'launch --ref=0123456789abcdef0123456789abcdef01234567', { ref: '0123456789abcdef0123456789abcdef01234567' }],
  ['ref path', 'launch --ref=refs/heads/release/2.4', { ref: 'refs/heads/release/2.4' }],
];

describe('adversarial Slack text', () => {
  it.each(SLACK)('%s', (_name, text, outcome) => {
    check(() => parseSlackText(text, ctx), outcome);
  });
});

describe('adversarial argv', () => {
  it.each([
    ['metacharacters inside one argument', ['launch', 'stg1; rm -rf /'], 'reject'],
    ['substitution as a ref', ['launch', '--ref', '$(id)'], 'reject'],
    ['newline inside one argument', ['lock', 'stg1', '--reason', 'a\nrm -rf /'], 'reject'],
    ['NUL inside one argument', ['launch', 'stg1\u0000'], 'reject'],
    ['1000 flags', Array.from({ length: 1000 }, () => '--dry-run'), 'reject'],
    ['empty argument', ['launch', ''], 'reject'],
    ['-- alone', ['--'], 'reject'],
    ['substitution in a reason stays text', ['lock', 'stg1', '--reason', '$(id) `id` ; | &&'], { reason: '$(id) `id` ; | &&' }],
    ['no arguments', [], { verb: 'help', topic: null }],
  ] as [string, string[], Outcome][])('%s', (_name, argv, outcome) => {
    check(() => parseArgv(argv, ctx), outcome);
  });
});

describe('adversarial PR comments', () => {
  it.each([
    ['semicolon', '/e2e stg1; rm -rf /', 'reject'],
    ['substitution', '/e2e --ref=$(id)', 'reject'],
    ['RTL override', '/e2e \u202estg1', 'reject'],
    ['NUL in the first line', '/e2e stg1\u0000', 'reject'],
    ['a hostile second line is ignored', '/e2e\n$(rm -rf /); `reboot`\u0000\u202e', { verb: 'launch', env: null }],
    ['a hostile comment that is not a command', '$(rm -rf /)\n/e2e', null],
  ] as [string, string, Outcome | null][])('%s', (_name, body, outcome) => {
    if (outcome === null) expect(parsePrComment(body, ctx)).toBeNull();
    else check(() => parsePrComment(body, ctx), outcome);
  });
});

describe('the inert check itself', () => {
  it('catches a value outside its allowlist', () => {
    expect(() => assertInert({ verb: 'launch', env: 'stg1', browsers: null, keepMs: null, ref: 'a;b', dryRun: false })).toThrow();
    expect(() => assertInert({ verb: 'lock', env: 'stg1', reason: 'x\u202ey' })).toThrow();
    expect(() => assertInert({ verb: 'status', run: 'stg1', env: null })).toThrow();
  });
});
