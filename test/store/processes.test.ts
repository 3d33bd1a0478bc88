// Two OS processes on one SQLite file: the embedded default must hold up when, say, the CLI runs
// next to the bot. They open a brand-new file at once (racing the migrations), then race claims.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, test } from 'vitest';
import { openStore } from '../../src/store/index.ts';

const WORKER = new URL('./fixtures/claim-worker.ts', import.meta.url).pathname;
const COUNT = 200;

interface Won {
  locks: number[];
  deliveries: number[];
  cron: number[];
}

function startWorker(sqlitePath: string, name: string, direction: 'up' | 'down') {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [WORKER, sqlitePath, name, String(COUNT), direction], {
    stdio: 'pipe',
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`worker ${name} exited early: ${stderr}`);
    return value;
  };
  return { child, nextLine };
}

describe('two processes on one SQLite file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'stagebot-store-procs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('both migrate a new file at once, and each claim is won by exactly one process', { timeout: 30_000 }, async () => {
    const sqlitePath = join(dir, 'shared.db');
    const workers = [startWorker(sqlitePath, 'proc-a', 'up'), startWorker(sqlitePath, 'proc-b', 'down')];
    try {
      for (const w of workers) expect(await w.nextLine()).toBe('ready');
      for (const w of workers) w.child.stdin.write('go\n');
      const [a, b] = (await Promise.all(workers.map(async (w) => JSON.parse(await w.nextLine()) as Won))) as [Won, Won];

      for (const kind of ['locks', 'deliveries', 'cron'] as const) {
        const both = [...a[kind], ...b[kind]].sort((x, y) => x - y);
        expect(both, kind).toEqual(Array.from({ length: COUNT }, (_, i) => i));
      }

      const store = await openStore({ sqlitePath });
      try {
        for (const i of a.locks) expect((await store.getLock(`env-${i}`))!.holder).toBe('proc-a');
        for (const i of b.locks) expect((await store.getLock(`env-${i}`))!.holder).toBe('proc-b');
      } finally {
        await store.close();
      }
    } finally {
      for (const w of workers) w.child.kill();
    }
  });
});
