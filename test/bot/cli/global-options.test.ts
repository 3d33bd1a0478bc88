import { describe, expect, it } from 'vitest';
import { splitGlobalOptions } from '../../../src/bot/cli/global-options.ts';
import { CommandError } from '../../../src/errors.ts';

describe('splitGlobalOptions', () => {
  it('takes --config and --output out of argv wherever they stand, in both spellings', () => {
    const { options, rest } = splitGlobalOptions(['lock', '--config', 'a.yml', 'stg2', '--output=json', '--reason=db migration']);
    expect(options).toEqual({ configPath: 'a.yml', output: 'json', help: false, version: false });
    expect(rest).toEqual(['lock', 'stg2', '--reason=db migration']);
  });

  it('defaults: no config path, text output', () => {
    expect(splitGlobalOptions(['list'])).toEqual({
      options: { configPath: undefined, output: 'text', help: false, version: false },
      rest: ['list'],
    });
  });

  it('recognises -h/--help and -V/--version and leaves the verb for the caller', () => {
    expect(splitGlobalOptions(['launch', '-h'])).toMatchObject({ options: { help: true, version: false }, rest: ['launch'] });
    expect(splitGlobalOptions(['--help'])).toMatchObject({ options: { help: true }, rest: [] });
    expect(splitGlobalOptions(['-V']).options.version).toBe(true);
    expect(splitGlobalOptions(['--version']).options.version).toBe(true);
  });

  it('keeps the command language\'s own flags untouched', () => {
    const argv = ['launch', 'stg4', '--browsers=chrome,firefox', '--keep', '--dry-run', '--ref=main'];
    expect(splitGlobalOptions(argv).rest).toEqual(argv);
  });

  it('stops at -- and passes everything after it on', () => {
    const { options, rest } = splitGlobalOptions(['lock', '--', '--config', 'x.yml']);
    expect(options.configPath).toBeUndefined();
    expect(rest).toEqual(['lock', '--', '--config', 'x.yml']);
  });

  it.each([
    [['list', '--config'], '--config needs a value'],
    [['list', '--config='], '--config needs a value'],
    [['list', '--config', '--output', 'json'], '--config needs a value'],
    [['list', '--output'], '--output needs a value'],
  ])('%j is a usage error that says what a value looks like', (argv, message) => {
    let caught: unknown;
    try {
      splitGlobalOptions(argv);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(CommandError);
    expect((caught as CommandError).exitCode).toBe(2);
    expect((caught as Error).message).toContain(message);
    expect((caught as Error).message).toMatch(/e\.g\. --(config stagebot\.yml|output json)/);
  });

  it('rejects an unknown output format, naming the valid ones and echoing a bounded value', () => {
    const long = `yaml${'x'.repeat(500)}`;
    expect(() => splitGlobalOptions(['list', '--output', 'yaml'])).toThrow('--output must be text or json, got `yaml`');
    let message = '';
    try {
      splitGlobalOptions(['list', `--output=${long}`]);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^--output must be text or json/);
    expect(message.length).toBeLessThan(100);
  });
});
