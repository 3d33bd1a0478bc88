// Runs outliving their process (issue 10), across real processes against moto:
// - fencing: a `stagebot launch` frozen with SIGSTOP (a sleeping laptop, a frozen container) past its
//   lease; another `stagebot` command, finding no server, adopts the run and tears it down; let go with
//   SIGCONT, the stale process makes no mutating AWS call (moto's recording, by the key that signed it)
//   and nothing of the run is left;
// - graceful handover: a rolling restart of two `stagebot serve` replicas on Postgres under a running
//   run hands it over twice; it resumes each time and succeeds with one instance, although
//   runs.onAdopt (the crash policy) says teardown.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRunId } from '../../src/domain/run-id.ts';
import { isFinished } from '../../src/domain/run.ts';
import type { Store } from '../../src/store/index.ts';
import { killServers, startServe, type ServeChild } from '../app/support.ts';
import { freshDatabase, type StoreHandle } from '../pipeline/engine/harness.ts';
import { expectNothingLeft, startBlockedLaunch, waitFor } from './support/runs.ts';
import { describeWithMoto } from './support/suite.ts';
import { STAGEBOT_KEY, buildWorld, type EmuWorld } from './support/world.ts';

const FAKE_PLAYWRIGHT = join(import.meta.dirname, '..', 'pipeline', 'test-runners', 'support', 'fake-playwright.mjs');
const ALL_PASSED = join(import.meta.dirname, '..', 'pipeline', 'test-runners', 'fixtures', 'all-passed.json');
const ADOPTER_KEY = 'AKIAADOPTINGCOMMAND1';

const isMutating = (action: string) => !/^(Describe|List|Get)/.test(action);

let w: EmuWorld;

describeWithMoto('runs that outlive their process, against moto', { timeout: 180_000 }, () => {
  beforeAll(async () => {
    w = await buildWorld({
      edit: (d) => {
        d.runs.leaseTtl = '3s';
        d.runs.onAdopt = 'teardown';
      },
    });
  }, 120_000);
  afterAll(async () => {
    killServers();
    await w?.close();
  });

  it('a CLI launch paused (SIGSTOP) past its lease wakes after another command adopted its run: 0 AWS mutations from it', async () => {
    const { runId, launch, unblock } = await startBlockedLaunch(w, 'stg3');
    try {
      launch.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 4_500)); // past the 3 s lease
      unblock();
      const adopter = await w.stagebot(['list'], { env: { AWS_ACCESS_KEY_ID: ADOPTER_KEY } });
      expect(adopter.code).toBe(0);
      expect(adopter.stderr).toContain(`stagebot: run ${runId} was left running`);
      expect(adopter.stderr).toMatch(new RegExp(`stagebot: run ${runId} finished at .*: failed — interrupted`));
      await expectNothingLeft(w, runId);

      await w.moto.startRecording();
      launch.child.kill('SIGCONT');
      const { code } = await waitFor('the woken launch to exit', () => Promise.race([launch.exited, new Promise<null>((r) => setTimeout(() => r(null), 200))]), 30_000);
      expect(code).toBe(1);
      const mine = (await w.moto.recording()).filter((c) => c.accessKey === STAGEBOT_KEY && isMutating(c.action)).map((c) => c.action);
      expect(mine).toEqual([]);
      await expectNothingLeft(w, runId);
      expect(launch.stdout()).toContain(`run ${runId} on stg3: failed — interrupted`);
    } finally {
      unblock();
      launch.child.kill('SIGCONT');
      launch.child.kill('SIGKILL');
    }
  });

  describe.skipIf(!process.env.TEST_DATABASE_URL)('with Postgres', () => {
    let db: StoreHandle;
    let store: Store;
    beforeAll(async () => {
      db = await freshDatabase('postgres-if-available');
      store = await db.open();
      // A tests step long enough to restart replicas under it.
      w.writeConfig((d) => {
        d.tests.runner.command = `"${process.execPath}" "${FAKE_PLAYWRIGHT}" --fixture "${ALL_PASSED}" --sleep 5000`;
      });
    });
    afterAll(async () => {
      await db?.dispose();
    });

    const serve = (name: string): Promise<ServeChild> =>
      startServe({ cwd: w.dir, env: w.env({ STAGEBOT_CONFIG: w.configPath, DATABASE_URL: db.options.databaseUrl, LOG_LEVEL: 'info', AWS_ACCESS_KEY_ID: `AKIASERVE${name}` }), timeoutMs: 30_000 });

    const testsRunningUnder = async (runId: string, notOwner?: string) => {
      const [run, tests] = await Promise.all([store.getRun(runId), store.getStep(runId, 'tests')]);
      return run?.leaseOwner && run.leaseOwner !== notOwner && tests?.state === 'running' ? run.leaseOwner : null;
    };

    it('a rolling restart of two serve replicas hands the run over twice; it resumes and succeeds with one instance', async () => {
      const a = await serve('A');
      const now = new Date();
      // What a chat front's launch leaves for the replicas: a queued run nobody holds.
      const run = await store.createRun({ id: newRunId('stg4', now), env: 'stg4', requester: 'slack:U0ROLL', source: 'slack', options: { browsers: ['chrome'] }, createdAt: now });
      await w.moto.startRecording();
      const ownerA = await waitFor('replica A to run the tests', () => testsRunningUnder(run.id), 60_000);

      const b = await serve('B');
      a.child.kill('SIGTERM');
      expect((await a.exited).code).toBe(0);
      expect(a.logLines().some((l) => l.msg === `run ${run.id} handed over for a restart; the next replica resumes it`)).toBe(true);
      const ownerB = await waitFor('replica B to resume the tests', () => testsRunningUnder(run.id, ownerA), 60_000);
      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      expect(metrics).toContain('stagebot_run_recoveries_total{event="handover-resumed"} 1');

      const a2 = await serve('A2');
      b.child.kill('SIGTERM');
      expect((await b.exited).code).toBe(0);
      const done = await waitFor('the run to finish', async () => {
        const r = await store.getRun(run.id);
        return r && isFinished(r.state) && r.leaseOwner === null ? r : null;
      }, 60_000);
      expect(done.state, done.error ?? '').toBe('succeeded');

      const adopted = (await store.getEvents(run.id)).filter((e) => e.type === 'run.adopted').map((e) => e.data);
      expect(adopted).toEqual([
        expect.objectContaining({ action: 'resume', reason: `handed over from replica ${ownerA} during a restart` }),
        expect.objectContaining({ action: 'resume', reason: `handed over from replica ${ownerB} during a restart` }),
      ]);
      expect(a2.logLines().some((l) => String(l.msg).startsWith(`run ${run.id} taken over (resume)`))).toBe(true);
      const calls = await w.moto.recording();
      expect(calls.filter((c) => c.action === 'RunInstances')).toHaveLength(1);
      // The SSH door closed at each handover and opened again by each resumer: three opens, all revoked.
      expect(calls.filter((c) => c.action === 'AuthorizeSecurityGroupIngress')).toHaveLength(3);
      await expectNothingLeft(w, run.id);
      a2.child.kill('SIGTERM');
      expect((await a2.exited).code).toBe(0);
    });
  });
});
