// moto's server as the suite uses it: started on a free loopback port (through the shim that patches its
// known differences from AWS, or plain), reset between tests, its request recorder, and a sure stop.
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../support/sshd.ts';
import { spawnTied, stopChild } from '../../support/tied-child.ts';
import { parseRecorded, type AwsRequest } from './aws-wire.ts';

export const MOTO_VERSION = '5.2.1';
const SHIM = join(import.meta.dirname, '..', 'moto', 'shim.py');
const PYTHON = process.env.STAGEBOT_TEST_PYTHON ?? 'python3';

export interface MotoAvailability {
  ok: boolean;
  /** Why not, in one line (what to install). */
  reason: string;
}

/** Whether `python3 -m moto.server` can run here: moto and its server extra (flask) importable. */
export function motoAvailability(): MotoAvailability {
  const probe = spawnSync(PYTHON, ['-c', 'import moto, flask, flask_cors; print(moto.__version__)'], { encoding: 'utf8', timeout: 20_000 });
  if (probe.error) return { ok: false, reason: `${PYTHON} could not be run (${probe.error.message})` };
  if (probe.status !== 0) {
    const last = probe.stderr.trim().split('\n').at(-1) || 'import failed';
    return { ok: false, reason: `moto's server is not installed for ${PYTHON} (${last}); install it with \`pip install 'moto[server]==${MOTO_VERSION}'\`` };
  }
  const version = probe.stdout.trim();
  if (version !== MOTO_VERSION) return { ok: true, reason: `moto ${version} (the suite is written against ${MOTO_VERSION})` };
  return { ok: true, reason: `moto ${version}` };
}

export interface Moto {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Forgets every resource (POST /moto-api/reset); the recording is kept. */
  reset(): Promise<void>;
  /** Starts recording every request moto receives, from an empty recording. */
  startRecording(): Promise<void>;
  /** The requests recorded since startRecording, parsed. */
  recording(): Promise<AwsRequest[]>;
  stop(): Promise<void>;
}

export interface MotoOptions {
  /** Plain moto, without the shim's patches (to show a difference). */
  plain?: boolean;
}

async function post(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(10_000) });
  const body = await res.text();
  if (!res.ok) throw new Error(`moto ${url}: ${res.status} ${body.slice(0, 200)}`);
  return body;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.ok;
  } catch {
    return false;
  }
}

export async function startMoto(opts: MotoOptions = {}): Promise<Moto> {
  const dir = mkdtempSync(join(tmpdir(), 'stagebot-moto-'));
  let lastLog = '';
  for (let attempt = 1; attempt <= 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawnTied(PYTHON, [SHIM, '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: {
        ...process.env,
        MOTO_SHIM_PATCHES: opts.plain ? 'none' : 'all',
        MOTO_RECORDER_FILEPATH: join(dir, 'recording.jsonl'),
        PYTHONUNBUFFERED: '1',
      },
    });
    let log = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      log = (log + d).slice(-4_000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    for (let i = 0; i < 200 && child.exitCode === null && child.signalCode === null; i++) {
      if (await answers(url)) {
        return {
          url,
          reset: async () => void (await post(`${url}/moto-api/reset`)),
          async startRecording() {
            await post(`${url}/moto-api/recorder/reset-recording`);
            await post(`${url}/moto-api/recorder/start-recording`);
          },
          async recording() {
            const res = await fetch(`${url}/moto-api/recorder/download-recording`, { signal: AbortSignal.timeout(10_000) });
            return parseRecorded(await res.text());
          },
          async stop() {
            // moto's threaded server finishes open requests slowly on SIGTERM; nothing of its state is kept.
            await stopChild(child, exited, 500);
            rmSync(dir, { recursive: true, force: true });
          },
        };
      }
      await sleep(50);
    }
    await stopChild(child, exited, 500);
    lastLog = log;
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`moto did not start: ${lastLog.trim().split('\n').slice(-5).join(' | ') || 'no output'}`);
}
