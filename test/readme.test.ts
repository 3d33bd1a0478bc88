// The README's command reference must say what the grammar accepts: a new verb or flag that is
// not documented, or a documented one that no longer exists, fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GRAMMAR, usageLine } from '../src/commands/index.ts';

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const documented = [...readme.matchAll(/^- `([a-z]+(?: [^`]*)?)`: (.+)$/gm)].map((m) => ({ usage: m[1]!, summary: m[2]! }));

describe('README command reference', () => {
  it('lists every verb with its exact usage line, in grammar order', () => {
    const verbs = new Set(GRAMMAR.map((s) => s.verb));
    const listed = documented.filter((d) => verbs.has(d.usage.split(' ')[0] as never));
    expect(listed.map((d) => d.usage)).toEqual(GRAMMAR.map((s) => usageLine(s)));
  });

  it("gives each verb the grammar's own summary", () => {
    for (const spec of GRAMMAR) {
      const entry = documented.find((d) => d.usage === usageLine(spec));
      expect(entry?.summary.toLowerCase(), spec.verb).toBe(spec.summary.toLowerCase().replace(/\.$/, '').concat('.'));
    }
  });

  it('shows the two quick-start commands', () => {
    expect(readme).toContain('```sh\nnpm ci && npm start\n```');
    expect(readme).toContain('```sh\nnpm test\n```');
  });
});

describe('deployment facts', () => {
  const dockerfile = readFileSync(join(import.meta.dirname, '..', 'Dockerfile'), 'utf8');

  it('the image listens on every interface, while the default stays 127.0.0.1', () => {
    expect(dockerfile).toMatch(/^ENV .*\bHOST=0\.0\.0\.0\b/m);
    expect(readme).toContain('bind address (default `127.0.0.1`');
  });

  it('README and Dockerfile say how to give a teardown in flight more than docker stop\'s 10 s', () => {
    expect(dockerfile).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(dockerfile).toContain('--stop-timeout');
    expect(readme).toContain('docker run --stop-timeout');
  });
});

describe('CLI exit codes', () => {
  it('the README table lists exactly the codes the CLI uses', async () => {
    const { EXIT_CODES } = await import('../src/errors.ts');
    const table = readme.slice(readme.indexOf('Exit codes (every command):'));
    const rows = [...table.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => Number(m[1]));
    expect(rows).toEqual(Object.values(EXIT_CODES));
  });
});

describe('CLI exit codes in --help', () => {
  it('the help names every exit code the CLI uses', async () => {
    const { EXIT_CODES } = await import('../src/errors.ts');
    const { cliHelp } = await import('../src/bot/cli/help.ts');
    const line = cliHelp().slice(cliHelp().indexOf('Exit codes:'), cliHelp().indexOf('\n\n', cliHelp().indexOf('Exit codes:')));
    expect([...line.matchAll(/\b(\d+) /g)].map((m) => Number(m[1]))).toEqual(Object.values(EXIT_CODES));
  });
});
