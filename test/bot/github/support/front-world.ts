// The GitHub front end to end: stagebot's real HTTP server with the front mounted, the services
// (engine, store, command runner) on the engine harness' fake cloud and loopback sshd, and the
// fake GitHub API the front talks to.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { Services } from '../../../../src/app/open-services.ts';
import { createGithubFront, type GithubFront } from '../../../../src/bot/github/index.ts';
import type { Run } from '../../../../src/domain/run.ts';
import { silentLogger, type Logger } from '../../../../src/observability/logger.ts';
import type { RunningServer } from '../../../../src/web/server.ts';
import { createWorld, type Fixtures, type World, type WorldOptions } from '../../../pipeline/engine/harness.ts';
import { serveFront } from '../../../support/served-front.ts';
import { FakeGithub } from './fake-github.ts';
import { deliver, prClosedPayload, prCommentPayload, pullRequest, REPO, type CommentOptions, type Delivered } from './webhooks.ts';

export const APP_ID = '424242';
export const SECRET = 'stagebot-test-webhook-secret';

let keys: { privateKey: string; publicKey: KeyObject } | null = null;

/** One RSA key pair per test file (generating one takes a while on 2 cores). */
export function appKeys(): { privateKey: string; publicKey: KeyObject } {
  if (!keys) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    keys = { privateKey: pair.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), publicKey: pair.publicKey };
  }
  return keys;
}

export interface FrontWorldOptions extends WorldOptions {
  /** The pool of Codertocat/Hello-World; default the first environment only. */
  repoPool?: string[];
  allowForks?: boolean;
  logger?: Logger;
  /** The server's port (default: any free one), for a config whose dashboard.publicUrl must name it. */
  port?: number;
}

export interface FrontWorld {
  world: World;
  services: Services;
  front: GithubFront;
  github: FakeGithub;
  server: RunningServer;
  webhookUrl: string;
  /** Delivers a PR comment; returns the delivery and the comment's id. */
  comment(opts: CommentOptions, delivery?: { id?: string; signature?: string }): Promise<Delivered & { commentId: number }>;
  closePr(pr: number, opts?: { login?: string; repository?: string; delivery?: string }): Promise<Delivered>;
  /** Waits for background work and pending GitHub updates. */
  settle(): Promise<void>;
  /** The only run in the store (fails when there is not exactly one). */
  onlyRun(): Promise<Run>;
  /** Waits until `predicate` holds (bounded), settling in between. */
  until(what: string, predicate: () => boolean | Promise<boolean>, withinMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startFrontWorld(fx: Fixtures, opts: FrontWorldOptions = {}): Promise<FrontWorld> {
  const { privateKey, publicKey } = appKeys();
  const world = await createWorld(fx, {
    ...opts,
    configData: (data) => {
      data.github = {
        // Lowercase on purpose: GitHub sends `Codertocat/Hello-World`.
        repositories: { [REPO.toLowerCase()]: { pool: opts.repoPool ?? [data.pool[0]], allowForks: opts.allowForks ?? false } },
      };
      opts.configData?.(data);
    },
  });
  const github = await new FakeGithub({ appId: APP_ID, publicKey }).start();
  const logger = opts.logger ?? silentLogger();
  const served = await serveFront(world, { logger, port: opts.port }, (services) =>
    createGithubFront({
      commands: services.commands,
      memory: services.store,
      logger,
      settings: { enabled: true, appId: APP_ID, privateKey, privateKeyPath: undefined, webhookSecret: SECRET, apiUrl: github.url },
      octokit: { retry: false, throttle: false },
      coalesceMs: 5,
    }),
  );
  const { services, front, server } = served;
  const webhookUrl = `${server.url}/api/github/webhooks`;
  github.pulls.set(1, pullRequest({ pr: 1 }));
  github.permissions.set('Codertocat', 'admin');

  const fw: FrontWorld = {
    world,
    services,
    front,
    github,
    server,
    webhookUrl,
    async comment(c, d = {}) {
      const { payload, commentId } = prCommentPayload(c);
      const delivered = await deliver(webhookUrl, 'issue_comment', payload, { secret: SECRET, ...(d.id ? { delivery: d.id } : {}), ...(d.signature ? { signature: d.signature } : {}) });
      return { ...delivered, commentId };
    },
    closePr(pr, o = {}) {
      const payload = prClosedPayload({ pr, ...(o.login ? { login: o.login } : {}), ...(o.repository ? { repository: o.repository } : {}) });
      return deliver(webhookUrl, 'pull_request', payload, { secret: SECRET, ...(o.delivery ? { delivery: o.delivery } : {}) });
    },
    async settle() {
      await front.flush();
      await services.engine.flush();
    },
    async onlyRun() {
      const runs = await services.store.listRuns();
      if (runs.length !== 1) throw new Error(`expected one run, found ${runs.length}`);
      return runs[0]!;
    },
    async until(what, predicate, withinMs = 15_000) {
      const deadline = performance.now() + withinMs;
      while (!(await predicate())) {
        if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await delay(10);
        await front.flush();
      }
    },
    async close() {
      await served.close();
      await world.close();
      await github.stop();
    },
  };
  return fw;
}
