import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportLine, isValidEnvName, shellQuote, ShellQuoteError } from '../../src/ssh/shell-quote.ts';
import { evilValues } from '../support/evil-values.ts';

let canaryDir: string;
beforeAll(async () => {
  canaryDir = await mkdtemp(join(tmpdir(), 'stagebot-canary-'));
});
afterAll(async () => {
  await rm(canaryDir, { recursive: true, force: true });
});

function runShell(shell: string, script: string): Buffer {
  // stdin not a socket: bash would take itself for an rsh session and read ~/.bashrc.
  return execFileSync(shell, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
}

describe('shellQuote', () => {
  it('wraps in single quotes and escapes only the single quote', () => {
    expect(shellQuote('abc')).toBe("'abc'");
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('$(x) `y` "z"')).toBe(`'$(x) \`y\` "z"'`);
  });

  it('refuses a NUL byte, which a shell would silently cut', () => {
    expect(() => shellQuote('a\0b')).toThrow(ShellQuoteError);
  });

  for (const shell of ['sh', 'bash']) {
    it(`is inert and byte-exact through ${shell} -c, as an argument and as an exported variable`, () => {
      const values = evilValues(canaryDir);
      const expected = Buffer.concat(values.map((value) => Buffer.from(`${value}\0`, 'utf8')));
      // Each value printed NUL-terminated (NUL is the one byte no value can contain).
      const asArguments = runShell(shell, values.map((value) => `printf '%s\\0' ${shellQuote(value)}`).join('\n'));
      expect(asArguments.toString('utf8').split('\0').slice(0, -1)).toEqual(values);
      expect(asArguments.equals(expected)).toBe(true);

      const env = Object.fromEntries(values.map((value, i) => [`STAGEBOT_V${i}`, value]));
      const asEnv = runShell(shell, `${exportLine(env)}\nprintf '%s\\0' ${values.map((_, i) => `"$STAGEBOT_V${i}"`).join(' ')}`);
      expect(asEnv.toString('utf8').split('\0').slice(0, -1)).toEqual(values);
      expect(asEnv.equals(expected)).toBe(true);

      expect(existsSync(canaryDir)).toBe(true);
      expect(existsSync(join(canaryDir, 'touched'))).toBe(false);
    });
  }
});

describe('exportLine', () => {
  it('exports every variable in one quoted line', () => {
    expect(exportLine({ STAGEBOT_REF: 'main', STAGEBOT_RUN_ID: "a'b" })).toBe(`export STAGEBOT_REF='main' STAGEBOT_RUN_ID='a'\\''b'`);
  });

  it('is empty for no variables', () => {
    expect(exportLine({})).toBe('');
  });

  it.each(['lower', 'A-B', '1ABC', 'A B', 'A;B', '', 'A$B', 'ÄB', 'A\nB'])('refuses the name %j with a one-line reason', (name) => {
    expect(isValidEnvName(name)).toBe(false);
    expect(() => exportLine({ [name]: 'x' })).toThrow(/^environment variable name .* is invalid \(valid: A-Z, 0-9 and _, not starting with a digit\)$/);
  });

  it.each(['STAGEBOT_REF', '_X', 'A1', 'A'])('accepts the name %s', (name) => {
    expect(isValidEnvName(name)).toBe(true);
  });

  it('refuses a NUL byte in a value and names the variable', () => {
    expect(() => exportLine({ STAGEBOT_REF: 'a\0' })).toThrow('the value of STAGEBOT_REF contains a NUL byte, which no shell can carry');
  });
});
