// The SSH adapter's public surface (design.md section 1: adapters).

export { connectSsh, connectFailureReason, type ConnectOptions } from './connect.ts';
export { waitForSsh, type SshAttempt, type WaitForSshOptions } from './wait-ssh.ts';
export { SshSession, type RemoteExec, type SshTarget } from './session.ts';
export { describeExit, type ExecOptions, type ExecResult, type OutputStream } from './exec.ts';
export { waitForHttp, curlCommand, type HttpAttempt, type HttpOutcome, type HttpWaitOptions, type HttpWaitResult } from './http-wait.ts';
export { shellQuote, exportLine, isValidEnvName, ShellQuoteError } from './shell-quote.ts';
export { fingerprintOfKeyBlob, fingerprintOfPublicKeyLine, normalizeFingerprint } from './fingerprint.ts';
export { HostKeyMismatchError, SshAuthRefusedError, SshConnectError, SshError, SshExecError, SshUnreachableError } from './errors.ts';
export { abortableSleep, type Sleep } from './sleep.ts';
