// The real server (`stagebot serve`, a child process) against moto: a run launched by a signed Slack
// `/stage` command, and a CLI run whose process is killed with SIGKILL mid-run, adopted and torn down by
// the server. Both share one store (SQLite file) and one AWS (moto behind the suite's proxy).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServe, killServers, type ServeChild } from '../app/support.ts';
import { blockText, startFakeSlack, type FakeSlack } from '../bot/slack/support/fake-slack.ts';
import { sendSlashCommand } from '../bot/slack/support/signed.ts';
import { untaggedCreations } from './support/leftovers.ts';
import { expectAllowedByPolicy, expectNothingLeft, findRun, jsonOf, runIdIn, startBlockedLaunch, waitFor } from './support/runs.ts';
import { describeWithMoto } from './support/suite.ts';
import { buildWorld, type EmuWorld } from './support/world.ts';

const SECRET = 'emulator-suite-signing-secret';
const CHANNEL = 'C0STAGING';

let w: EmuWorld;
let slack: FakeSlack;
let server: ServeChild;

/** The run's state as the CLI reads it from the shared store. */
async function stateOf(runId: string): Promise<{ state: string; error: string | null }> {
  const run = findRun(jsonOf(await w.stagebot(['status', runId, '--output', 'json'])), runId);
  return { state: run?.state ?? 'missing', error: run?.error ?? null };
}

describeWithMoto('the pipeline through the server, against moto', { timeout: 120_000 }, () => {
  beforeAll(async () => {
    w = await buildWorld({
      edit: (d) => {
        d.slack = { channels: [CHANNEL], admins: { users: ['U0ADMIN'], userGroups: [] } };
      },
    });
    await w.moto.startRecording();
    slack = await startFakeSlack();
    server = await startServe({
      cwd: w.dir,
      env: w.env({ STAGEBOT_CONFIG: w.configPath, SLACK_BOT_TOKEN: 'xoxb-emulator', SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, LOG_LEVEL: 'info' }),
      timeoutMs: 30_000,
    });
  }, 90_000);
  afterAll(async () => {
    killServers();
    await slack?.close();
    await w?.close();
  });

  it('a signed Slack `/stage launch` runs the whole pipeline in the server and reports it in the thread', async () => {
    const res = await sendSlashCommand(`${server.url}/slack/events`, SECRET, { text: 'launch stg2 --browsers=chrome', response_url: slack.responseUrl('launch'), user_id: 'U0ALICE', channel_id: CHANNEL });
    expect(res.status).toBe(200);
    const parent = await slack.waitFor('the run thread', () => slack.parents()[0]);
    const runId = runIdIn(blockText(parent.blocks))!;
    expect(runId).toMatch(/^stg2-/);
    const text = await slack.waitFor('the final result', () => {
      const t = blockText(slack.current(parent.ts)?.blocks);
      return /succeeded|failed|cancelled/.test(t) && t.includes('torn down') ? t : undefined;
    }, 60_000);
    expect(text).toContain('succeeded');
    expect(await stateOf(runId)).toMatchObject({ state: 'succeeded' });
    await expectNothingLeft(w, runId);
  });

  it('a CLI run killed with SIGKILL mid-run is adopted by the server and torn down', async () => {
    const { runId, launch, unblock } = await startBlockedLaunch(w, 'stg3');
    try {
      launch.child.kill('SIGKILL');
      await launch.exited;
      // The lease (4 s) lapses, the server's engine adopts the run and tears it down (runs.onAdopt: teardown).
      const end = await waitFor('the run to end', async () => {
        const s = await stateOf(runId);
        return ['succeeded', 'failed', 'cancelled'].includes(s.state) ? s : undefined;
      }, 60_000);
      expect(end.state).toBe('failed');
      expect(end.error).toMatch(/stopped|adopt/i);
      await expectNothingLeft(w, runId);
    } finally {
      launch.child.kill('SIGKILL');
      unblock();
    }
  });

  it('every create call carried the run tags, and every call is allowed by the generated IAM policy', async () => {
    expect(untaggedCreations(await w.moto.recording())).toEqual([]);
    expect((await expectAllowedByPolicy(w)).calls).toBeGreaterThan(30);
  });
});
