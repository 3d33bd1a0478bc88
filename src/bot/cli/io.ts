// Where a CLI invocation reads and writes: stdout for results, stderr for logs and progress.
export interface CliIo {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Ends the process now (a launch that stopped waiting for a teardown still in flight); absent in tests. */
  exit?: (code: number) => void;
}

export const defaultIo: CliIo = { stdout: process.stdout, stderr: process.stderr, env: process.env, exit: (code) => process.exit(code) };
