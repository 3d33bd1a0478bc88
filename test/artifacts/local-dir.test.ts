// The local artifact directory: files kept by run and name, names that could climb out refused, and
// retention enforced by prune (a run's folder goes once its newest file is older than the cutoff).
import { mkdtemp, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalArtifactDir } from '../../src/artifacts/local-dir.ts';
import { ArtifactNameError } from '../../src/artifacts/storage.ts';

let root: string;
let src: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'stagebot-local-artifacts-'));
  src = join(root, 'src.bin');
  await writeFile(src, 'hello');
});
afterEach(() => rm(root, { recursive: true, force: true }));

const text = async (body: NodeJS.ReadableStream) => {
  let s = '';
  for await (const c of body) s += String(c);
  return s;
};

describe('LocalArtifactDir', () => {
  it('keeps, lists and opens a run\'s files', async () => {
    const dir = new LocalArtifactDir(join(root, 'artifacts'));
    await dir.put('stg1-20261121-a1b2c3', 'chrome/report/index.html', { path: src });
    await dir.put('stg1-20261121-a1b2c3', 'chrome/report.json', { path: src });
    expect((await dir.list('stg1-20261121-a1b2c3')).map((f) => [f.name, f.size]).sort()).toEqual([
      ['chrome/report.json', 5],
      ['chrome/report/index.html', 5],
    ]);
    const opened = await dir.open('stg1-20261121-a1b2c3', 'chrome/report.json');
    expect(opened?.size).toBe(5);
    expect(await text(opened!.body)).toBe('hello');
    expect(await dir.open('stg1-20261121-a1b2c3', 'chrome/nothing.png')).toBeNull();
    expect(await dir.open('stg1-20261121-a1b2c3', 'chrome')).toBeNull();
    expect(await dir.list('stg1-20261121-ffffff')).toEqual([]);
  });

  it('refuses names that could leave the run\'s folder', async () => {
    const dir = new LocalArtifactDir(join(root, 'artifacts'));
    for (const [runId, name] of [['..', 'x'], ['run', '../../etc/passwd'], ['run', '/etc/passwd'], ['run', 'a//b'], ['run', 'a/./b'], ['run', ''], ['a/b', 'x']] as const) {
      await expect(dir.open(runId, name), `${runId} ${name}`).rejects.toBeInstanceOf(ArtifactNameError);
    }
    await expect(dir.put('run', '../escape', { path: src })).rejects.toBeInstanceOf(ArtifactNameError);
    await expect(stat(join(root, 'escape'))).rejects.toThrow();
  });

  it('prunes the runs whose newest file is older than the cutoff, and only those', async () => {
    const dir = new LocalArtifactDir(join(root, 'artifacts'));
    await dir.put('stg1-20261101-aaaaaa', 'chrome/report.json', { path: src });
    await dir.put('stg1-20261120-bbbbbb', 'chrome/report.json', { path: src });
    await dir.put('stg1-20261120-bbbbbb', 'firefox/report.json', { path: src });
    const old = new Date('2026-11-01T10:00:00Z');
    await utimes(join(root, 'artifacts', 'stg1-20261101-aaaaaa', 'chrome', 'report.json'), old, old);
    // One old file does not make a run old while it has a newer one.
    await utimes(join(root, 'artifacts', 'stg1-20261120-bbbbbb', 'chrome', 'report.json'), old, old);
    const pruned = await dir.prune(new Date('2026-11-07T00:00:00Z'));
    expect(pruned).toEqual({ runs: ['stg1-20261101-aaaaaa'], bytes: 5 });
    expect(await dir.list('stg1-20261101-aaaaaa')).toEqual([]);
    expect(await dir.list('stg1-20261120-bbbbbb')).toHaveLength(2);
    expect(await new LocalArtifactDir(join(root, 'never-made')).prune(new Date())).toEqual({ runs: [], bytes: 0 });
  });
});
