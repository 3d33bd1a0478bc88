// A real SSH server on a loopback port for tests: Debian's OpenSSH when it is installed
// (`apt-get install -y openssh-server`), else ssh2's in-process server running commands
// with `sh -c`, so the same tests run either way. `kind` says which one answered.
//
// STAGEBOT_TEST_SSHD=ssh2 forces the fallback.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect as tcpConnect, type Server as NetServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import ssh2 from 'ssh2';
import { fingerprintOfPublicKeyLine } from '../../src/ssh/fingerprint.ts';
import { generateKey } from '../fakes/cloud/keys.ts';
import { spawnTied, stopChild } from './tied-child.ts';

export type SshdKind = 'openssh' | 'ssh2';

export interface TestSshd {
  kind: SshdKind;
  host: '127.0.0.1';
  port: number;
  username: string;
  /** The client's private key (OpenSSH format) that the server accepts. */
  privateKey: string;
  /** Its public key line (`ssh-ed25519 AAAA…`). */
  publicKey: string;
  /** `SHA256:...` of the server's only host key. */
  hostKeyFingerprint: string;
  /** Accepts one more client key from now on (an `ssh-ed25519 AAAA…` line), as cloud-init does for a launch's key pair. */
  authorize(publicKeyLine: string): Promise<void>;
  /**
   * The arguments of every `shutdown` a session ran, one string each. The test host's PATH starts
   * with a `shutdown` that only records its call (and a `sudo` that runs its command): nothing a
   * test sends, as root or not, can power off the machine the tests run on.
   */
  shutdownCalls(): Promise<string[]>;
  /** From now on `shutdown` fails with this on stderr (null: works again), like a host without sudo rights. */
  failShutdown(stderr: string | null): Promise<void>;
  stop(): Promise<void>;
}

export const OPENSSH_SSHD = '/usr/sbin/sshd';

export function availableSshdKind(): SshdKind {
  if (process.env.STAGEBOT_TEST_SSHD === 'ssh2') return 'ssh2';
  return existsSync(OPENSSH_SSHD) ? 'openssh' : 'ssh2';
}

interface Keys {
  hostPrivate: string;
  hostPublic: string;
  clientPrivate: string;
  clientPublic: string;
}

// The fake cloud's generator, which throws away the ~1 in 256 ed25519 keys ssh2 writes malformed
// (OpenSSH then refuses the host key with "error in libcrypto" and sshd never starts).
function generateKeys(): Keys {
  const host = generateKey('ed25519');
  const client = generateKey('ed25519');
  return { hostPrivate: host.privateKey, hostPublic: host.publicKey, clientPrivate: client.privateKey, clientPublic: client.publicKey };
}

export interface SshdOptions {
  kind?: SshdKind;
  /**
   * Shell text the login shell runs before every command, like a host's chatty ~/.bashrc.
   */
  loginScript?: string;
}

export async function startSshd(opts: SshdOptions = {}): Promise<TestSshd> {
  const kind = opts.kind ?? availableSshdKind();
  const keys = generateKeys();
  const username = userInfo().username;
  const host = await fakeHostBin();
  const server = kind === 'openssh' ? await startOpenSsh(keys, username, opts.loginScript, host.path) : await startSsh2Server(keys, username, opts.loginScript, host.path);
  return {
    kind,
    host: '127.0.0.1',
    port: server.port,
    username,
    privateKey: keys.clientPrivate,
    publicKey: keys.clientPublic,
    hostKeyFingerprint: fingerprintOfPublicKeyLine(keys.hostPublic),
    authorize: server.authorize,
    shutdownCalls: host.shutdownCalls,
    failShutdown: host.failShutdown,
    async stop() {
      await server.stop();
      await host.remove();
    },
  };
}

/** The PATH of the test host's sessions: the fake power switch first, then the machine's own. */
const HOST_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A directory with a recording `shutdown` and a pass-through `sudo`, put first on the sessions' PATH. */
async function fakeHostBin(): Promise<{ path: string; shutdownCalls(): Promise<string[]>; failShutdown(stderr: string | null): Promise<void>; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'stagebot-host-'));
  const bin = join(dir, 'bin');
  await mkdir(bin);
  const log = join(dir, 'shutdown.log');
  const fail = join(dir, 'shutdown.fail');
  await writeFile(
    join(bin, 'shutdown'),
    [
      '#!/bin/sh',
      '# Stands in for shutdown(8) on the test host: records the call, powers nothing off.',
      `if [ -f '${fail}' ]; then cat '${fail}' >&2; exit 1; fi`,
      `printf '%s\\n' "$*" >> '${log}'`,
      'echo "Shutdown scheduled (test host: recorded only)" >&2',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  await writeFile(join(bin, 'sudo'), ['#!/bin/sh', '# The test host grants every sudo without a password.', '[ "$1" = "-n" ] && shift', 'exec "$@"', ''].join('\n'), { mode: 0o755 });
  return {
    path: `${bin}:${HOST_PATH}`,
    async shutdownCalls() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    },
    async failShutdown(stderr) {
      if (stderr === null) await rm(fail, { force: true });
      else await writeFile(fail, `${stderr}\n`);
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A port nothing listens on right now (the kernel's choice, released at once). */
export async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', resolve);
  });
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not pick a free port');
  return address.port;
}

/** Resolves true once the port sends an SSH banner. */
async function answersSsh(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('SSH-')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
  });
}

// --- OpenSSH ---------------------------------------------------------------------------

interface StartedServer {
  port: number;
  authorize(publicKeyLine: string): Promise<void>;
  stop(): Promise<void>;
}

async function startOpenSsh(keys: Keys, username: string, loginScript: string | undefined, path: string): Promise<StartedServer> {
  // Privilege separation directory; Debian creates it only when the service starts.
  if (process.getuid?.() === 0) await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(join(tmpdir(), 'stagebot-sshd-'));
  await writeFile(join(dir, 'host_ed25519'), keys.hostPrivate, { mode: 0o600 });
  await writeFile(join(dir, 'authorized_keys'), `${keys.clientPublic}\n`, { mode: 0o600 });
  if (loginScript !== undefined) await writeFile(join(dir, 'login.sh'), loginScript);

  let lastLog = '';
  // A free port can be taken between probing and binding: a few tries, each with a new port.
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const config = join(dir, 'sshd_config');
    await writeFile(config, sshdConfig(dir, port, username, loginScript !== undefined, path));
    const child = spawnSshd(config);
    let log = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-4_000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    if (await waitForBanner(port, child)) {
      return {
        port,
        authorize: (line) => appendFile(join(dir, 'authorized_keys'), `${line.trim()}\n`),
        stop: () => stopOpenSsh(child, exited, dir),
      };
    }
    await stopChild(child, exited);
    lastLog = log;
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`test sshd did not start: ${lastLog.trim() || 'no output'}`);
}

function spawnSshd(config: string): ChildProcess {
  return spawnTied(OPENSSH_SSHD, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
}

function sshdConfig(dir: string, port: number, username: string, withLoginScript: boolean, path: string): string {
  return [
    // bash run by sshd reads ~/.bashrc and ignores BASH_ENV: a forced command stands in for it,
    // running the requested command with eval in the same shell, so `$$` is unchanged.
    ...(withLoginScript ? [`ForceCommand . ${join(dir, 'login.sh')}; eval "$SSH_ORIGINAL_COMMAND"`] : []),
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    // Overrides sshd's default PATH for every session (OpenSSH applies SetEnv last).
    `SetEnv PATH=${path}`,
    `HostKey ${join(dir, 'host_ed25519')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    `AllowUsers ${username}`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

async function waitForBanner(port: number, child: ChildProcess): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (await answersSsh(port)) return true;
    await sleep(50);
  }
  return false;
}

async function stopOpenSsh(child: ChildProcess, exited: Promise<void>, dir: string): Promise<void> {
  await stopChild(child, exited);
  await rm(dir, { recursive: true, force: true });
}

// --- ssh2 fallback -----------------------------------------------------------------------

async function startSsh2Server(keys: Keys, username: string, loginScript: string | undefined, path: string): Promise<StartedServer> {
  const parse = (line: string) => {
    const key = ssh2.utils.parseKey(line);
    if (key instanceof Error) throw key;
    return key;
  };
  const allowedKeys = [parse(keys.clientPublic)];
  const clients = new Set<ssh2.Connection>();
  const children = new Set<ChildProcess>();

  const server = new ssh2.Server({ hostKeys: [keys.hostPrivate] }, (client) => {
    clients.add(client);
    client.on('close', () => clients.delete(client));
    client.on('error', () => {});
    client.on('authentication', (ctx) => {
      const allowed = ctx.method === 'publickey' ? allowedKeys.find((k) => ctx.key.algo === k.type && ctx.key.data.equals(k.getPublicSSH())) : undefined;
      if (ctx.method === 'publickey' && ctx.username === username && allowed) {
        // Without a signature the client only asks whether this key would do.
        if (ctx.signature === undefined) return ctx.accept();
        if (ctx.blob !== undefined && allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
      }
      ctx.reject(['publickey']);
    });
    client.on('ready', () => {
      client.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, _reject, info) => {
          const channel = acceptExec();
          // detached = setsid(), as sshd does for a pty-less session: the shell leads its process group.
          const script = loginScript === undefined ? info.command : `${loginScript}\n${info.command}`;
          const child = spawn('sh', ['-c', script], { detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, PATH: path } });
          children.add(child);
          child.stdout.pipe(channel, { end: false });
          child.stderr.pipe(channel.stderr, { end: false });
          channel.pipe(child.stdin);
          child.stdin.on('error', () => {});
          child.on('close', (code, signal) => {
            children.delete(child);
            if (signal !== null) channel.exit(signal.replace(/^SIG/, ''), false, '');
            else channel.exit(code ?? 0);
            channel.end();
          });
        });
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = (server as unknown as NetServer).address();
  if (address === null || typeof address === 'string') throw new Error('ssh2 test server has no port');

  return {
    port: address.port,
    async authorize(line) {
      allowedKeys.push(parse(line));
    },
    async stop() {
      for (const child of children) {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      for (const client of clients) client.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
