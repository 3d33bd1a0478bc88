import { describe, expect, it } from 'vitest';
import { GRAMMAR, PR_VERBS, VERBS, helpText, parseSlackText, usageLine } from '../../src/commands/index.ts';
import { CommandError } from '../../src/errors.ts';
import { ctx } from './context.ts';

describe('help text from the grammar', () => {
  it('the overview names every verb and every flag of the grammar', () => {
    const text = helpText();
    for (const spec of GRAMMAR) {
      expect(text).toContain(usageLine(spec));
      expect(text).toContain(spec.summary);
      for (const flag of spec.flags) expect(text).toContain(`--${flag.name}`);
    }
    expect(VERBS.every((v) => new RegExp(`^  ${v}\\b`, 'm').test(text))).toBe(true);
  });

  it.each(VERBS)('help %s shows its usage, every flag with its description, and examples that parse', (verb) => {
    const spec = GRAMMAR.find((s) => s.verb === verb)!;
    const text = helpText(verb);
    expect(text.split('\n')[0]).toBe(`Usage: ${usageLine(spec)}`);
    for (const flag of spec.flags) {
      expect(text).toContain(`--${flag.name}`);
      expect(text).toContain(flag.description);
    }
    for (const arg of spec.args) expect(text).toContain(arg.description);
    expect(spec.examples.length).toBeGreaterThan(0);
    for (const example of spec.examples) {
      expect(text).toContain(`  ${example}`);
      // The documented examples are real commands: each one parses, into the verb it documents.
      expect(parseSlackText(example, ctx).verb).toBe(verb);
    }
  });

  it('each flag example parses as written', () => {
    for (const spec of GRAMMAR) {
      const args = spec.args.filter((a) => a.required).map((a) => (a.kind === 'run' ? 'stg4-20261121-a1b2c3' : a.kind === 'image' ? 'mentor-app' : 'stg1'));
      const required = spec.flags.filter((f) => f.required).map((f) => f.example);
      for (const flag of spec.flags) {
        const words = [spec.verb, ...args, ...new Set([...required, flag.example])].join(' ');
        expect(() => parseSlackText(words, ctx), words).not.toThrow();
      }
    }
  });

  it('renders usage lines as the issue writes them', () => {
    const usage = Object.fromEntries(GRAMMAR.map((s) => [s.verb, usageLine(s)]));
    expect(usage).toMatchObject({
      launch: 'launch [env] [--browsers=a,b] [--keep[=DURATION]] [--ref=REF] [--dry-run] [--ami=candidate|AMI]',
      status: 'status [run|env]',
      cancel: 'cancel <run>',
      extend: 'extend <run> --by=DURATION',
      sweep: 'sweep [--dry-run|--reap [--confirm]]',
      cost: 'cost [--since=DURATION] [--by=env|user]',
      lock: 'lock <env> [--reason=TEXT]',
      help: 'help [command]',
    });
  });

  it.each([
    ['/stage', '/stage launch [env]'],
    ['stagebot', 'stagebot launch [env]'],
  ])('prefix %s is written before every command', (prefix, start) => {
    expect(helpText('launch', { prefix })).toContain(`Usage: ${start}`);
    expect(helpText('launch', { prefix })).toContain(`  ${prefix} launch stg4 --browsers=chrome,firefox --keep=2h`);
    const overview = helpText(null, { prefix });
    for (const verb of VERBS) expect(overview).toContain(`  ${prefix} ${verb}`);
    expect(overview).toContain(`${prefix} help <command>`);
  });

  it('the PR-comment form lists only what a PR comment accepts, written as /e2e', () => {
    const text = helpText(null, { prComment: true });
    expect(text).toContain('/e2e [env] [--browsers=a,b] [--keep[=DURATION]] [--ref=REF] [--dry-run]');
    expect(text).toContain('/e2e cancel\n');
    expect(text).toContain('/e2e help [command]');
    for (const verb of VERBS.filter((v) => !PR_VERBS.includes(v))) expect(text).not.toContain(`/e2e ${verb}`);
    expect(helpText('cancel', { prComment: true })).toContain("Cancel this pull request's run");
    expect(() => helpText('status', { prComment: true })).toThrow(CommandError);
  });

  it('says which flag a dependent flag goes with', () => {
    const text = helpText('sweep');
    expect(text).toContain('  (--confirm only with --reap)');
    expect(text).toContain('  sweep --reap --confirm');
    expect(helpText()).toContain('  sweep [--dry-run|--reap [--confirm]]\n');
  });

  it('lists the configured names when given the context', () => {
    const text = helpText('launch', { context: ctx });
    expect(text).toContain('environments: stg1, stg2, stg3, stg4');
    expect(text).toContain('browsers: chrome, firefox, safari, edge');
    expect(helpText('launch')).not.toContain('stg1, stg2');
  });

  it('unknown topics fail with a suggestion, topics are case-insensitive', () => {
    expect(() => helpText('lanch')).toThrow('unknown command `lanch` — did you mean `launch`?');
    expect(helpText('LAUNCH')).toBe(helpText('launch'));
  });

  it('is plain text with no line longer than a terminal can take', () => {
    for (const verb of [undefined, ...VERBS]) {
      for (const line of helpText(verb, { prefix: '/stage' }).split('\n')) expect(line.length).toBeLessThanOrEqual(140);
    }
  });
});
