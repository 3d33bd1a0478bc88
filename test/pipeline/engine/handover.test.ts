// Graceful handover (issue 10.3): a replica that stops on purpose (SIGTERM in a rolling restart) hands
// its runs over; the next replica resumes them from where they were, whatever runs.onAdopt says for
// crashes, and says so. The SSH door does not stay open while nobody drives the run, and an ephemeral
// key crosses over only sealed with the operator's key.
import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/observability/metrics.ts';
import type { Engine } from '../../../src/pipeline/engine.ts';
import type { PipelineStep } from '../../../src/pipeline/run-context.ts';
import { EPHEMERAL_KEY_SECRET } from '../../../src/pipeline/step-outputs.ts';
import { launchStep } from '../../../src/pipeline/steps/launch.ts';
import { teardownStep } from '../../../src/pipeline/steps/teardown.ts';
import { sealSecrets, unsealSecrets } from '../../../src/pipeline/handover-seal.ts';
import { createWorld, fakeTestRunner, useWorlds, waitForEnd, type World } from './harness.ts';

const world = useWorlds(createWorld);

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 1_000; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function adoptedEvent(w: World, runId: string) {
  return (await w.timeline(runId)).filter((e) => e.type === 'run.adopted').map((e) => e.data);
}

describe('graceful handover', () => {
  it('a stopping replica hands its run over mid-tests; the next one resumes it (onAdopt: teardown notwithstanding) and it succeeds', async () => {
    const w = await world();
    expect(w.config.runs.onAdopt).toBe('teardown');
    const metricsA = createMetrics({ defaultMetrics: false });
    const a = w.engine({ testRunner: fakeTestRunner({ ms: 60_000 }), metrics: metricsA });
    const { run } = await a.launch(w.request());
    await until(async () => (await w.store.getStep(run.id, 'tests'))?.state === 'running', 'the tests to start');
    const sshRules = () => w.live(run.id).filter((x) => x.kind === 'security-group-rule');
    expect(sshRules()).toHaveLength(1);

    await a.stop(1_000);
    const handed = (await w.store.getRun(run.id))!;
    expect(handed).toMatchObject({ state: 'running', leaseOwner: null, handoverFrom: a.ownerId });
    // Nobody drives it now: port 22 is closed until the resumer opens it again.
    expect(sshRules()).toEqual([]);
    expect((await w.store.getStep(run.id, 'open-ssh'))?.state).toBe('pending');
    expect((await metricsA.runRecoveries.get()).values).toEqual([expect.objectContaining({ labels: { event: 'handed-over' }, value: 1 })]);

    const metricsB = createMetrics({ defaultMetrics: false });
    const b = w.engine({ metrics: metricsB });
    await b.tick();
    const done = await waitForEnd(b, run.id);
    expect(done.state).toBe('succeeded');
    expect(await adoptedEvent(w, run.id)).toEqual([expect.objectContaining({ previousOwner: null, action: 'resume', reason: `handed over from replica ${a.ownerId} during a restart` })]);
    expect(w.cloud.callCount('RunInstances')).toBe(1);
    expect(w.cloud.callCount('AuthorizeSecurityGroupIngress')).toBe(2);
    expect(w.live(run.id)).toEqual([]);
    expect((await w.store.getRun(run.id))!.handoverFrom).toBeNull();
    expect((await metricsB.runRecoveries.get()).values).toEqual([expect.objectContaining({ labels: { event: 'handover-resumed' }, value: 1 })]);
  });

  it('a restart of the only replica: the same store, a new engine, the run resumes', async () => {
    const w = await world();
    const a = w.engine({ testRunner: fakeTestRunner({ ms: 60_000 }) });
    const { run } = await a.launch(w.request({ browsers: ['chrome', 'firefox'] }));
    await until(async () => (await w.store.getStep(run.id, 'tests'))?.state === 'running', 'the tests to start');
    await a.stop(0);
    const again = w.engine();
    await again.tick();
    expect((await waitForEnd(again, run.id)).state).toBe('succeeded');
  });

  it('a step not safe to repeat is let finish before the handover, within the grace', async () => {
    const w = await world({ recipe: () => [{ name: 'slow migration', run: 'sleep 0.4; echo migrated' }] });
    const a = w.engine();
    const { run } = await a.launch(w.request());
    await until(async () => (await w.store.getStep(run.id, 'service-update'))?.state === 'running', 'service-update to start');
    await a.stop(20_000);
    expect((await w.store.getStep(run.id, 'service-update'))?.state).toBe('succeeded');
    const b = w.engine();
    await b.tick();
    expect((await waitForEnd(b, run.id)).state).toBe('succeeded');
    expect(await adoptedEvent(w, run.id)).toEqual([expect.objectContaining({ action: 'resume' })]);
  });

  it('a step not safe to repeat cut short when the grace runs out: the next replica tears the run down and says why', async () => {
    const w = await world({ recipe: () => [{ name: 'long migration', run: 'sleep 5' }] });
    const a = w.engine();
    const { run } = await a.launch(w.request());
    await until(async () => (await w.store.getStep(run.id, 'service-update'))?.state === 'running', 'service-update to start');
    await a.stop(50);
    const b = w.engine();
    await b.tick();
    const done = await waitForEnd(b, run.id);
    expect(done.state).toBe('failed');
    expect(done.error).toContain(`handed over from replica ${a.ownerId} during a restart, while service-update (not safe to repeat) was cut short`);
    expect((await w.store.getStep(run.id, 'service-update'))?.state).toBe('interrupted');
    expect(w.live(run.id)).toEqual([]);
  });
});

describe('an ephemeral key across a handover', () => {
  /** launch (ephemeral key), then a step that notes whether this process holds the key and, on the first engine, waits. */
  function pipeline(seen: boolean[], block: boolean) {
    const probe: PipelineStep = {
      name: 'tests',
      safeToRepeat: true,
      run: async (ctx) => {
        seen.push(ctx.secrets.has(EPHEMERAL_KEY_SECRET));
        if (block) await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason), { once: true }));
        return { outputs: {} };
      },
    };
    return { parallel: [], chain: [launchStep], after: [probe], teardown: teardownStep };
  }

  async function handOver(w: World, keyA: string | null, keyB: string | null): Promise<{ a: Engine; runId: string; seen: boolean[] }> {
    const seen: boolean[] = [];
    const a = w.engine({ pipeline: pipeline(seen, true), handoverKey: keyA });
    const { run } = await a.launch(w.request());
    await until(() => seen.length === 1, 'the probe step');
    await a.stop(0);
    const b = w.engine({ pipeline: pipeline(seen, false), handoverKey: keyB });
    await b.tick();
    expect((await waitForEnd(b, run.id)).state).toBe('succeeded');
    return { a, runId: run.id, seen };
  }

  const ephemeral = { configure: (c: World['config']) => Object.values(c.environments).forEach((e) => (e.keyPair = 'ephemeral')) };

  it('with STAGEBOT_HANDOVER_KEY on both replicas the key is handed over sealed: the same instance goes on', async () => {
    const w = await world(ephemeral);
    const key = 'correct horse battery staple';
    const { seen } = await handOver(w, key, key);
    expect(seen).toEqual([true, true]);
    expect(w.cloud.callCount('RunInstances')).toBe(1);
    expect(w.cloud.callCount('CreateKeyPair')).toBe(1);
  });

  it('without it the key is not stored: the resume replaces the unreachable instance, and says so', async () => {
    const w = await world(ephemeral);
    const { runId } = await handOver(w, null, null);
    expect(w.cloud.callCount('RunInstances')).toBe(2);
    expect((await adoptedEvent(w, runId))[0]).toMatchObject({
      action: 'resume',
      reason: expect.stringContaining('its ephemeral SSH key was not handed over (no STAGEBOT_HANDOVER_KEY on the replica that stopped), so its instance is replaced'),
    });
    expect(w.live(runId)).toEqual([]);
  });

  it('sealed secrets open only with the same key and for the same run, and never hold the key in plain text', () => {
    const secrets = new Map([[EPHEMERAL_KEY_SECRET, '-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----']]);
    const sealed = sealSecrets('a long operator secret', 'stg1-20261121-a1b2c3', secrets);
    expect(sealed).not.toContain('PRIVATE KEY');
    expect(unsealSecrets('a long operator secret', 'stg1-20261121-a1b2c3', sealed)).toEqual(secrets);
    expect(unsealSecrets('another operator secret', 'stg1-20261121-a1b2c3', sealed)).toBeInstanceOf(Error);
    expect(unsealSecrets('a long operator secret', 'stg2-20261121-a1b2c3', sealed)).toBeInstanceOf(Error);
    // Flip one bit of the ciphertext itself: editing the base64 text's last characters may only touch
    // padding bits and leave the bytes as they were.
    const parts = sealed.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    const tampered = [...parts.slice(0, 4), body.toString('base64url')].join('.');
    expect(tampered).not.toBe(sealed);
    expect(unsealSecrets('a long operator secret', 'stg1-20261121-a1b2c3', tampered)).toBeInstanceOf(Error);
  });
});
