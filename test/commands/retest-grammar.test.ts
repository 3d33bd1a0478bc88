// `retest` in the one grammar: Slack and the CLI name the run; a pull request's `/e2e retest [browser]` means its own kept run.
import { describe, expect, it } from 'vitest';
import { helpText, parsePrComment, parseText } from '../../src/commands/index.ts';
import { parseArgv } from '../../src/commands/parse.ts';
import { ctx, RUN } from './context.ts';

describe('retest', () => {
  it.each([
    [`retest ${RUN}`, { verb: 'retest', run: RUN, browsers: null, grep: null }],
    [`retest ${RUN} --browsers=firefox,chrome --grep="checkout flow"`, { verb: 'retest', run: RUN, browsers: ['firefox', 'chrome'], grep: 'checkout flow' }],
    [`retest ${RUN} --grep '@smoke|login'`, { verb: 'retest', run: RUN, browsers: null, grep: '@smoke|login' }],
  ])('%s', (text, expected) => {
    expect(parseText(text, ctx)).toEqual(expected);
  });

  it('the CLI takes the pattern as one argv word, shell characters and all, as data', () => {
    expect(parseArgv(['retest', RUN, '--grep', '$(rm -rf /); `x` "y"'], ctx)).toEqual({ verb: 'retest', run: RUN, browsers: null, grep: '$(rm -rf /); `x` "y"' });
  });

  it.each([
    ['retest', 'retest needs a run id, e.g. `retest stg4-20261121-a1b2c3`'],
    [`retest ${RUN} --browsers=opera`, 'opera'],
    [`retest ${RUN} --grep=`, '`--grep=` has no value'],
    [`retest ${RUN} --grep="${'x'.repeat(201)}"`, '`--grep` is 201 characters long; keep it to 200'],
    [`retest ${RUN} --keep=2h`, 'unknown flag `--keep` for retest'],
  ])('%s is refused in one line', (text, message) => {
    expect(() => parseText(text, ctx)).toThrow(message);
  });

  it('in a pull request: `/e2e retest` and `/e2e retest firefox`, the PR\'s own run', () => {
    expect(parsePrComment('/e2e retest', ctx)).toEqual({ verb: 'retest', run: null, browsers: null, grep: null });
    expect(parsePrComment('/e2e retest firefox', ctx)).toEqual({ verb: 'retest', run: null, browsers: ['firefox'], grep: null });
    expect(parsePrComment('/e2e retest firefox --grep=checkout', ctx)).toEqual({ verb: 'retest', run: null, browsers: ['firefox'], grep: 'checkout' });
    expect(() => parsePrComment('/e2e retest opera', ctx)).toThrow('opera');
  });

  it('help explains it in every front', () => {
    expect(helpText('retest')).toContain('retest <run> [--browsers=a,b] [--grep=PATTERN]');
    expect(helpText(null, { prComment: true, context: ctx })).toContain('retest [browser]');
  });
});
