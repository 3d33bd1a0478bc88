// `stagebot --help`, `--version`, `help <verb>` and usage errors, from the real executable.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAMMAR, usageLine } from '../../../src/commands/index.ts';
import { linesOf, REPO, STACK_TRACE, stagebot, tempDir, type Result } from './support.ts';

const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

let cwd: ReturnType<typeof tempDir>;
let help: Result;
let versionOut: Result;
let launchHelp: Result;
let typo: Result;
let unknownEnv: Result;

beforeAll(async () => {
  // A directory without stagebot.yml: usage errors and help must not need one, nor create ./data.
  cwd = tempDir();
  const run = (args: string[]) => stagebot(args, { cwd: cwd.dir });
  [help, versionOut, launchHelp, typo, unknownEnv] = await Promise.all([
    run(['--help']),
    run(['--version']),
    run(['help', 'launch']),
    run(['lauch', 'stg1']),
    run(['launch', 'stg9']),
  ]);
}, 60_000);

afterAll(() => cwd?.remove());

describe('stagebot --help', () => {
  it('exits 0 with the help on stdout and nothing on stderr', () => {
    expect(help.code).toBe(0);
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: stagebot <command> \[arguments\] \[--config FILE\] \[--output text\|json\]$/m);
  });

  it('lists the process commands and the global options', () => {
    expect(help.stdout).toMatch(/^ {2}serve +run the bot/m);
    expect(help.stdout).toMatch(/^ {2}config check +validate the configuration/m);
    expect(help.stdout).toMatch(/^ {2}doctor +check everything/m);
    for (const option of ['--config FILE', '--output text|json', '-h, --help', '-V, --version']) expect(help.stdout).toContain(option);
    expect(help.stdout).toContain('$STAGEBOT_CONFIG');
  });

  it('lists every verb of the command grammar with its usage and summary', () => {
    const lines = linesOf(help.stdout);
    for (const spec of GRAMMAR) {
      expect(lines, spec.verb).toContain(`  stagebot ${usageLine(spec)}`);
      expect(help.stdout).toContain(spec.summary);
    }
  });
});

describe('stagebot --version', () => {
  it('prints the package version and exits 0', () => {
    expect(versionOut).toMatchObject({ code: 0, stdout: `stagebot ${version}\n`, stderr: '' });
  });
});

describe('stagebot help launch', () => {
  it("shows launch's usage, every flag and the examples with the stagebot prefix", () => {
    const spec = GRAMMAR.find((s) => s.verb === 'launch')!;
    expect(launchHelp.code).toBe(0);
    expect(launchHelp.stderr).toBe('');
    expect(linesOf(launchHelp.stdout)[0]).toBe(`Usage: stagebot ${usageLine(spec)}`);
    for (const flag of spec.flags) expect(launchHelp.stdout).toContain(flag.description);
    for (const example of spec.examples) expect(linesOf(launchHelp.stdout)).toContain(`  stagebot ${example}`);
  });
});

describe('usage errors', () => {
  it('an unknown verb is one line on stderr with a did-you-mean, exit 2, no stack trace', () => {
    expect(typo.code).toBe(2);
    expect(typo.stdout).toBe('');
    expect(linesOf(typo.stderr)).toEqual([expect.stringMatching(/^stagebot: unknown command `lauch` — did you mean `launch`\?/)]);
    expect(typo.stderr).not.toMatch(STACK_TRACE);
  });

  it('an unknown environment is one line listing the known ones, exit 2', () => {
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stdout).toBe('');
    expect(linesOf(unknownEnv.stderr)).toEqual(['stagebot: unknown environment `stg9`; known: stg1, stg2, stg3, stg4']);
  });

  it('neither help nor a usage error creates a store in the working directory', async () => {
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(cwd.dir)).toEqual([]);
  });
});
