// The GitHub front end to end: signed webhooks into stagebot's real server, the front answering
// through a fake GitHub API, runs on the fake cloud with a real sshd as the launched host.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isFinished } from '../../../src/domain/run.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import { fakeTestRunner, useWorlds, waitForEnd, waitForState } from '../../pipeline/engine/harness.ts';
import { commentMarker } from '../../../src/bot/github/render-comment.ts';
import { startFrontWorld, type FrontWorld, type FrontWorldOptions } from './support/front-world.ts';
import { HEAD_SHA, pullRequest } from './support/webhooks.ts';

const frontWorld = useWorlds(startFrontWorld);

function start(opts: FrontWorldOptions = {}): Promise<FrontWorld> {
  // DEBUG_FRONT=1 shows the front's log while a test is being investigated.
  return frontWorld({ ...(process.env['DEBUG_FRONT'] ? { logger: createLogger({ level: 'debug' }) } : {}), ...opts });
}

/** Tests that take `ms` per browser unless cancelled: room to act on a run mid-way. */
const slowTests = () => fakeTestRunner({ ms: 20_000 });

describe('GitHub front: /e2e', () => {
  it('runs a full /e2e: reactions 👀 → 🚀 → +1, one check run and one comment updated in place, ending with results, timings and cost', async () => {
    const w = await start({ repoPool: ['stg1', 'stg2'] });
    const sent = await w.comment({ body: '/e2e stg2 --browsers=chrome,firefox\nthanks!', pr: 1 });
    expect(sent.status).toBe(200);
    await w.until('the run to exist', async () => (await w.services.store.listRuns()).length === 1);
    const launched = await w.onlyRun();
    const run = await waitForEnd(w.services.engine, launched.id);
    await w.settle();

    expect(run.state).toBe('succeeded');
    expect(run.env).toBe('stg2');
    expect(run.options.ref).toBe(HEAD_SHA);
    expect(run.options.browsers).toEqual(['chrome', 'firefox']);
    expect(run.requester).toBe('github:Codertocat');
    expect(run.source).toBe('github');

    const gh = w.github;
    expect(gh.calls('GET', /\/collaborators\/Codertocat\/permission$/)).toHaveLength(1);
    expect(gh.calls('GET', /\/pulls\/1$/)).toHaveLength(1);
    // 👀 first, then 🚀, then +1; only the last one stays.
    const added = gh.reactions.filter((r) => r.commentId === sent.commentId).map((r) => r.content);
    expect(added).toEqual(['eyes', 'rocket', '+1']);
    expect(gh.reactionsOn(sent.commentId)).toEqual(['+1']);

    // One check run on the head SHA, in progress with the steps, then completed with the results.
    expect(gh.checkRuns.size).toBe(1);
    const check = [...gh.checkRuns.values()][0]!;
    expect(check.head_sha).toBe(HEAD_SHA);
    expect(check.external_id).toBe(run.id);
    expect(check.name).toBe('stagebot e2e (stg2)');
    expect(check.status).toBe('completed');
    expect(check.conclusion).toBe('success');
    const inProgress = check.history.filter((h) => h.status === 'in_progress');
    expect(inProgress.length).toBeGreaterThan(0);
    expect(inProgress.some((h) => /`service-update` \| (⏳ running|✅ succeeded)/.test(h.output.summary))).toBe(true);
    for (const text of ['| chrome | ✅ passed |', '| firefox | ✅ passed |', '### Timing', '`teardown` | ✅ succeeded', '**Total:**', '### Cost', '$']) {
      expect(check.output.summary).toContain(text);
    }
    // Coalesced: far fewer writes than the run had events.
    const events = await w.services.store.getEvents(run.id);
    expect(check.history.length).toBeLessThan(events.length);

    // One stagebot comment, edited in place to its final state.
    const comments = gh.commentsOn(1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.history.length).toBeGreaterThan(1);
    expect(comments[0]!.body).toContain(`<!-- stagebot:run:${run.id} -->`);
    expect(comments[0]!.body).toContain('✅ Passed');
    expect(comments[0]!.body).toContain('- ✅ chrome: 12 passed');
    expect(comments[0]!.body).toContain(`[Details in the check run](https://github.com/Codertocat/Hello-World/runs/${check.id})`);
    // Every call after the token exchange was made with the installation token.
    const apiCalls = gh.requests.filter((r) => !r.path.startsWith('/app/'));
    expect(apiCalls.every((r) => /^token ghs_fake_1_/.test(r.auth ?? ''))).toBe(true);
  });

  it('/e2e cancel cancels the pull request\'s running run: teardown runs, the check run, its tests row and the comment read cancelled (not failed), by whom; the command gets +1', async () => {
    const w = await start({ testRunner: slowTests() });
    const launch = await w.comment({ body: '/e2e', pr: 1 });
    await w.until('the run to exist', async () => (await w.services.store.listRuns()).length === 1);
    const run = await w.onlyRun();
    await w.until('the tests to start', async () => (await w.services.store.getStep(run.id, 'tests'))?.state === 'running');

    const cancel = await w.comment({ body: '/e2e cancel', pr: 1 });
    expect(cancel.status).toBe(200);
    const ended = await waitForEnd(w.services.engine, run.id);
    await w.settle();

    expect(ended.state).toBe('cancelled');
    expect(w.world.live(run.id)).toEqual([]);
    expect((await w.services.store.getStep(run.id, 'teardown'))?.state).toBe('succeeded');
    const check = [...w.github.checkRuns.values()][0]!;
    expect(check.status).toBe('completed');
    expect(check.conclusion).toBe('cancelled');
    expect(w.github.reactionsOn(cancel.commentId)).toEqual(['+1']);
    // A cancel is no verdict: the launch comment loses its 🚀 and gets no 👎.
    expect(w.github.reactionsOn(launch.commentId)).toEqual([]);
    // The run's own comment tells the story; the cancel gets no second comment.
    const comments = w.github.commentsOn(1);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain('🚫 Cancelled by @Codertocat');
    expect(comments[0]!.body).toContain('🚫 `tests`');
    expect(comments[0]!.body).not.toContain('❌');
    expect(check.output.summary).toContain('| `tests` | 🚫 cancelled |');
  });

  it('refuses a commenter with read permission, and one whose permission the API does not tell, saying why', async () => {
    const w = await start();
    w.github.permissions.set('reader', 'read');
    w.github.permissions.set('unlucky', 'error');
    const reader = await w.comment({ body: '/e2e', login: 'reader' });
    const unlucky = await w.comment({ body: '/e2e', login: 'unlucky' });
    expect([reader.status, unlucky.status]).toEqual([200, 200]);
    await w.settle();

    expect(await w.services.store.listRuns()).toEqual([]);
    expect(w.github.checkRuns.size).toBe(0);
    expect(w.github.calls('GET', /\/pulls\//)).toEqual([]);
    const bodies = w.github.commentsOn(1).map((c) => c.body);
    expect(bodies).toHaveLength(2);
    const toReader = bodies.find((b) => b.startsWith('@reader'))!;
    expect(toReader).toContain('🚫');
    expect(toReader).toContain('needs write, maintain or admin permission on Codertocat/Hello-World; @reader has read');
    const toUnlucky = bodies.find((b) => b.startsWith('@unlucky'))!;
    expect(toUnlucky).toContain('GitHub did not say what permission');
    expect(w.github.reactionsOn(reader.commentId)).toEqual(['confused']);
    expect(w.github.reactionsOn(unlucky.commentId)).toEqual(['confused']);
  });

  it('refuses a pull request from a fork unless the repository allows forks', async () => {
    const refused = await start();
    refused.github.pulls.set(2, pullRequest({ pr: 2, headRepo: 'mallory/Hello-World' }));
    const sent = await refused.comment({ body: '/e2e', pr: 2 });
    await refused.settle();
    expect(sent.status).toBe(200);
    expect(await refused.services.store.listRuns()).toEqual([]);
    expect(refused.github.checkRuns.size).toBe(0);
    const [reply] = refused.github.commentsOn(2);
    expect(reply?.body).toContain('pull requests from forks may not run `/e2e` on codertocat/hello-world');
    expect(reply?.body).toContain('allowForks');

    const allowed = await start({ allowForks: true });
    allowed.github.pulls.set(2, pullRequest({ pr: 2, headRepo: 'mallory/Hello-World', headSha: 'f'.repeat(40) }));
    await allowed.comment({ body: '/e2e', pr: 2 });
    await allowed.until('the fork\'s run to exist', async () => (await allowed.services.store.listRuns()).length === 1);
    const run = await allowed.onlyRun();
    expect(run.options.ref).toBe('f'.repeat(40));
    expect((await waitForEnd(allowed.services.engine, run.id)).state).toBe('succeeded');
  });

  it('answers a bad signature with an error status and does nothing; the same delivery correctly signed still counts', async () => {
    const w = await start();
    const forged = await w.comment({ body: '/e2e', commentId: 4242 }, { id: 'd-forged', signature: `sha256=${'0'.repeat(64)}` });
    const wrongSecret = await w.comment({ body: '/e2e', commentId: 4242 }, { id: 'd-forged', signature: 'sha256=5f1dd6a0f8b1b3a3e0c1d5d4d8c9f0b1a2c3d4e5f60718293a4b5c6d7e8f9012' });
    const unsigned = await w.comment({ body: '/e2e', commentId: 4242 }, { id: 'd-forged', signature: 'sha1=abc' });
    for (const r of [forged, wrongSecret, unsigned]) {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
    }
    await w.settle();
    expect(w.github.requests).toEqual([]);
    expect(await w.services.store.listRuns()).toEqual([]);

    const genuine = await w.comment({ body: '/e2e help', commentId: 4242 }, { id: 'd-forged' });
    expect(genuine.status).toBe(200);
    await w.settle();
    expect(w.github.commentsOn(1)).toHaveLength(1);
  });

  it('never starts a second run for a redelivered webhook, even delivered twice at once', async () => {
    const w = await start();
    const delivery = randomUUID();
    const [a, b] = await Promise.all([w.comment({ body: '/e2e', commentId: 777 }, { id: delivery }), w.comment({ body: '/e2e', commentId: 777 }, { id: delivery })]);
    const c = await w.comment({ body: '/e2e', commentId: 777 }, { id: delivery });
    expect([a.status, b.status, c.status]).toEqual([200, 200, 200]);
    await w.until('the run to exist', async () => (await w.services.store.listRuns()).length > 0);
    await w.settle();
    const run = await w.onlyRun();
    await waitForEnd(w.services.engine, run.id);
    await w.settle();
    expect(await w.services.store.listRuns()).toHaveLength(1);
    expect(w.github.checkRuns.size).toBe(1);
    expect(w.github.commentsOn(1)).toHaveLength(1);
    expect(w.github.calls('GET', /\/permission$/)).toHaveLength(1);
  });

  it('two /e2e deliveries at once on one pull request start one run; the other, and a later repeat, are pointed at it; after a cancel /e2e starts again', async () => {
    const w = await start({ testRunner: slowTests(), repoPool: ['stg1', 'stg2'] });
    // Two different comments (two deliveries), delivered at the same moment: the store decides.
    const [a, b] = await Promise.all([w.comment({ body: '/e2e', pr: 1 }), w.comment({ body: '/e2e --browsers=firefox', pr: 1 })]);
    expect([a.status, b.status]).toEqual([200, 200]);
    await w.until('one run and a reply to the other command', async () => (await w.services.store.listRuns()).length === 1 && w.github.commentsOn(1).some((c) => c.body.includes('already has a run going')));
    await w.settle();
    const first = await w.onlyRun();
    expect(first.concurrencyKey).toBe('github:codertocat/hello-world#1:launch');
    await w.until('its tests to start', async () => (await w.services.store.getStep(first.id, 'tests'))?.state === 'running');
    expect(w.github.checkRuns.size).toBe(1);
    expect(w.world.cloud.callCount('RunInstances')).toBe(1);

    const launched = [a, b].find((c) => w.github.reactionsOn(c.commentId).includes('rocket'))!;
    const repeated = [a, b].find((c) => c !== launched)!;
    expect(w.github.reactionsOn(repeated.commentId)).toEqual(['confused']);
    const runComment = w.github.commentsOn(1).find((c) => c.body.includes(commentMarker(first.id)))!;
    const check = [...w.github.checkRuns.values()][0]!;
    const pointer = (body: string) => {
      expect(body.startsWith('@Codertocat ⏳ this pull request already has a run going, so no second one was started:')).toBe(true);
      expect(body).toContain(`\`${first.id}\``);
      expect(body).toContain('requested by @Codertocat');
      expect(body).toContain('`/e2e cancel`');
      expect(body).toContain('comment `/e2e` again once it has stopped');
    };
    pointer(w.github.commentsOn(1).find((c) => c.body.includes('already has a run going'))!.body);

    // A repeat while the tests run links to the run's comment and its check run.
    const later = await w.comment({ body: '/e2e', pr: 1 });
    await w.until('the answer to the repeat', () => w.github.commentsOn(1).filter((c) => c.body.includes('already has a run going')).length === 2);
    await w.settle();
    const answer = w.github.commentsOn(1).filter((c) => c.body.includes('already has a run going'))[1]!.body;
    pointer(answer);
    expect(answer).toContain(`(running on stg`);
    expect(answer).toContain(`[its progress](https://github.com/Codertocat/Hello-World/pull/1#issuecomment-${runComment.id})`);
    expect(answer).toContain(`[check run](https://github.com/Codertocat/Hello-World/runs/${check.id})`);
    expect(w.github.reactionsOn(later.commentId)).toEqual(['confused']);
    expect(await w.services.store.listRuns()).toHaveLength(1);

    // Cancelled (the key is free once the run stops), a new /e2e starts a new run.
    await w.comment({ body: '/e2e cancel', pr: 1 });
    expect((await waitForEnd(w.services.engine, first.id)).state).toBe('cancelled');
    await w.comment({ body: '/e2e', pr: 1 });
    await w.until('a second run', async () => (await w.services.store.listRuns()).length === 2);
    const second = (await w.services.store.listRuns()).find((r) => r.id !== first.id)!;
    expect(second.concurrencyKey).toBe(first.concurrencyKey);
    expect(['queued', 'running']).toContain(second.state);
  });

  it('answers a bad command with the one-line error and the help, and launches nothing', async () => {
    const w = await start();
    const unknownEnv = await w.comment({ body: '/e2e stg9 --browsers=chrome' });
    const typo = await w.comment({ body: '/e2e lunch' });
    await w.settle();
    expect(await w.services.store.listRuns()).toEqual([]);
    const bodies = w.github.commentsOn(1).map((c) => c.body);
    expect(bodies).toHaveLength(2);
    const env = bodies.find((b) => b.includes('stg9'))!;
    expect(env.split('\n')[0]).toBe('@Codertocat ❌ unknown environment `stg9`; known: stg1');
    const lunch = bodies.find((b) => b.includes('lunch'))!;
    expect(lunch.split('\n')[0]).toContain('did you mean `launch`?');
    for (const b of bodies) {
      expect(b).toContain('```text\nCommands in a pull-request comment');
      expect(b).toContain('/e2e cancel');
    }
    expect(w.github.reactionsOn(unknownEnv.commentId)).toEqual(['confused']);
    expect(w.github.reactionsOn(typo.commentId)).toEqual(['confused']);
  });

  it('answers /e2e help with the pull-request help', async () => {
    const w = await start();
    const help = await w.comment({ body: '/e2e help launch' });
    await w.settle();
    const [reply] = w.github.commentsOn(1);
    expect(reply?.body).toContain('Usage: /e2e [env]');
    expect(reply?.body).toContain('(environments: stg1)');
    expect(w.github.reactionsOn(help.commentId)).toEqual(['eyes']);
  });

  it('ignores comments by bots, comments that are not commands, issues, and repositories outside the allowlist', async () => {
    const w = await start();
    const sent = [
      await w.comment({ body: '/e2e', login: 'stagebot[bot]', userType: 'Bot' }),
      await w.comment({ body: '/e2e', login: 'dependabot[bot]' }),
      await w.comment({ body: 'LGTM, but please run /e2e later' }),
      await w.comment({ body: '/e2e', onPullRequest: false }),
      await w.comment({ body: '/e2e', repository: 'someone/else' }),
    ];
    expect(sent.map((s) => s.status)).toEqual([200, 200, 200, 200, 200]);
    await w.settle();
    expect(w.github.requests).toEqual([]);
    expect(await w.services.store.listRuns()).toEqual([]);
  });

  it('a failing reaction API never fails the run', async () => {
    const w = await start();
    w.github.failReactions = true;
    await w.comment({ body: '/e2e' });
    await w.until('the run to exist', async () => (await w.services.store.listRuns()).length === 1);
    const run = await waitForEnd(w.services.engine, (await w.onlyRun()).id);
    await w.settle();
    expect(run.state).toBe('succeeded');
    const check = [...w.github.checkRuns.values()][0]!;
    expect(check.conclusion).toBe('success');
    expect(w.github.calls('POST', /\/reactions$/).length).toBeGreaterThan(0);
    expect(w.github.commentsOn(1)[0]?.body).toContain('✅ Passed');
  });
});

describe('GitHub front: pull request closed', () => {
  it('drops a closed PR\'s queued run and cancels a closed PR\'s running one (teardown runs); both end cancelled, saying by whom and why', async () => {
    const w = await start({ testRunner: slowTests() });
    w.github.pulls.set(2, pullRequest({ pr: 2, headSha: 'b'.repeat(40) }));
    await w.comment({ body: '/e2e', pr: 1 });
    await w.until('the first run to exist', async () => (await w.services.store.listRuns()).length === 1);
    const first = await w.onlyRun();
    await w.until('the first run\'s tests to start', async () => (await w.services.store.getStep(first.id, 'tests'))?.state === 'running');

    // The repository's pool is one environment: PR 2's run waits for PR 1's.
    await w.comment({ body: '/e2e', pr: 2 });
    await w.until('the second run to queue', async () => (await w.services.store.queuedRuns()).length === 1);
    const second = (await w.services.store.queuedRuns())[0]!;
    await w.until('the queued run\'s comment to say its position', () => w.github.commentsOn(2).some((c) => c.body.includes(second.id) && c.body.includes('Queued — position 1')));

    const closedSecond = await w.closePr(2);
    expect(closedSecond.status).toBe(200);
    const b = await waitForState(w.services.store, second.id, ['cancelled']);
    const closedFirst = await w.closePr(1);
    expect(closedFirst.status).toBe(200);
    const a = await waitForEnd(w.services.engine, first.id);
    await w.until('both check runs to complete', () => [...w.github.checkRuns.values()].every((c) => c.status === 'completed'));
    await w.settle();

    expect(a.state).toBe('cancelled');
    expect(a.error).toBe('cancelled by github:Codertocat (the pull request was closed)');
    expect(w.world.live(first.id)).toEqual([]);
    expect((await w.services.store.getStep(first.id, 'teardown'))?.state).toBe('succeeded');
    // The step the cancel stopped reads as cancelled, not failed.
    expect((await w.services.store.getStep(first.id, 'tests'))?.state).toBe('cancelled');
    expect(b.state).toBe('cancelled');
    expect(b.startedAt).toBeNull();
    expect(isFinished(b.state)).toBe(true);
    const checks = [...w.github.checkRuns.values()];
    expect(checks).toHaveLength(2);
    expect(checks.map((c) => c.conclusion)).toEqual(['cancelled', 'cancelled']);
    expect(checks.find((c) => c.external_id === second.id)?.history[0]?.status).toBe('queued');
    const firstCheck = checks.find((c) => c.external_id === first.id)!;
    expect(firstCheck.output.title).toBe('Cancelled by @Codertocat');
    expect(firstCheck.output.summary).toContain('🚫 **Cancelled** by @Codertocat (the pull request was closed).');
    expect(firstCheck.output.summary).toContain('| `tests` | 🚫 cancelled |');
    expect(firstCheck.output.summary).not.toContain('What went wrong');
    const comment = w.github.commentsOn(1).find((c) => c.body.includes(commentMarker(first.id)))!.body;
    expect(comment).toContain('🚫 Cancelled by @Codertocat (the pull request was closed)');
    expect(comment).toContain('🚫 `tests`');
    expect(comment).not.toContain('❌');
    expect(w.github.commentsOn(2).find((c) => c.body.includes(commentMarker(second.id)))!.body).toContain('🚫 Cancelled by @Codertocat (the pull request was closed)');
  });

  it('claims a close on an allowed repository once and ignores one outside the allowlist, calling GitHub for neither', async () => {
    const w = await start();
    const inside = await w.closePr(1, { delivery: 'close-inside' });
    const outside = await w.closePr(1, { delivery: 'close-outside', repository: 'someone/else' });
    expect([inside.status, outside.status]).toEqual([200, 200]);
    await w.settle();
    expect(w.github.requests).toEqual([]);
    const now = new Date();
    expect(await w.services.store.claimDelivery('github:close-inside', now)).toBe(false);
    expect(await w.services.store.claimDelivery('github:close-outside', now)).toBe(true);
  });
});
