// POSIX shell quoting for values that reach a remote shell. Values from chat (git ref, user
// names, run id) travel only through these functions: inside single quotes a POSIX shell
// expands nothing, so the one character to handle is the single quote itself.

import { UserError } from '../errors.ts';

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;

/** A value or variable name that no shell can carry safely. */
export class ShellQuoteError extends UserError {
  override readonly name = 'ShellQuoteError';
}

/** `it's` -> `'it'\''s'`: a single shell word whose value is exactly `value`, byte for byte. */
export function shellQuote(value: string): string {
  // A NUL ends a C string: the shell would silently cut the value there.
  if (value.includes('\0')) throw new ShellQuoteError('a value for the remote shell contains a NUL byte, which no shell can carry');
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

export function isValidEnvName(name: string): boolean {
  return ENV_NAME.test(name);
}

/**
 * `export A='1' B='2'` for the start of a remote command line, or '' for no variables.
 * Names are checked rather than quoted: a name is code, not data.
 */
export function exportLine(env: Readonly<Record<string, string>>): string {
  const assignments = Object.entries(env).map(([name, value]) => {
    if (!isValidEnvName(name)) {
      throw new ShellQuoteError(`environment variable name ${JSON.stringify(name)} is invalid (valid: A-Z, 0-9 and _, not starting with a digit)`);
    }
    if (value.includes('\0')) throw new ShellQuoteError(`the value of ${name} contains a NUL byte, which no shell can carry`);
    return `${name}=${shellQuote(value)}`;
  });
  return assignments.length === 0 ? '' : `export ${assignments.join(' ')}`;
}
