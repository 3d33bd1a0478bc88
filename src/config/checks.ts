// Rules that span several fields. They run even when other fields are invalid (fields.ts ALWAYS), so
// the values they see may be only partly parsed: every check looks before it trusts a shape.

import type * as z from 'zod';
import { formatDuration } from '../domain/duration.ts';
import { DEFAULTS } from './defaults.ts';
import { isRegion, parseTargetGroupArn } from './aws-fields.ts';
import { describeValue, unknownValue } from './messages.ts';

type Ctx = z.RefinementCtx;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function namesOf(value: unknown): string[] {
  return isRecord(value) ? Object.keys(value) : [];
}

/** Each entry of `list` (at `path`) must be one of `known`, and appear once. */
function checkReferences(list: unknown, path: PropertyKey[], what: string, known: string[], ctx: Ctx): void {
  if (!Array.isArray(list)) return;
  const seen = new Set<unknown>();
  list.forEach((entry, i) => {
    if (typeof entry !== 'string') return;
    if (!known.includes(entry)) {
      ctx.addIssue({ code: 'custom', path: [...path, i], message: unknownValue(what, entry, known, 'known'), input: entry });
    } else if (seen.has(entry)) {
      ctx.addIssue({ code: 'custom', path: [...path, i], message: `${describeValue(entry)} is listed twice`, input: entry });
    }
    seen.add(entry);
  });
}

/** pool, defaultBrowsers and the GitHub repositories name environments and browsers defined in the file. */
export function checkRootReferences(config: unknown, ctx: Ctx): void {
  if (!isRecord(config)) return;
  const envs = namesOf(config.environments);
  const browsers = namesOf(config.browsers);
  checkReferences(config.pool, ['pool'], 'environment', envs, ctx);
  checkReferences(config.defaultBrowsers, ['defaultBrowsers'], 'browser', browsers, ctx);
  const github = config.github;
  if (!isRecord(github) || !isRecord(github.repositories)) return;
  for (const [repo, settings] of Object.entries(github.repositories)) {
    if (!isRecord(settings)) continue;
    const path = ['github', 'repositories', repo];
    checkReferences(settings.pool, [...path, 'pool'], 'environment', envs, ctx);
    checkReferences(settings.browsers, [...path, 'browsers'], 'browser', browsers, ctx);
  }
}

/** A target group lives in one region; registering an instance from another region cannot work. */
export function checkTargetGroupRegion(env: unknown, ctx: Ctx): void {
  if (!isRecord(env) || typeof env.region !== 'string' || typeof env.targetGroupArn !== 'string') return;
  if (!isRegion(env.region)) return;
  const arn = parseTargetGroupArn(env.targetGroupArn);
  if (arn && arn.region !== env.region) {
    ctx.addIssue({
      code: 'custom',
      path: ['targetGroupArn'],
      message: `target group is in ${arn.region} but the environment is in ${env.region} (use a target group in ${env.region})`,
      input: env.targetGroupArn,
    });
  }
}

export function checkKeepLimits(runs: unknown, ctx: Ctx): void {
  // Defaults are filled in by now; a value that is not a number was itself invalid and is reported already.
  if (!isRecord(runs)) return;
  const { keepDefault, keepMax } = runs;
  if (typeof keepDefault !== 'number' || typeof keepMax !== 'number') return;
  if (keepDefault > keepMax) {
    ctx.addIssue({
      code: 'custom',
      path: ['keepDefault'],
      message: `${formatDuration(keepDefault)} is longer than runs.keepMax (${formatDuration(keepMax)}); make it at most that`,
      input: runs.keepDefault,
    });
  }
}

/** A recipe item either runs a command or waits for a URL; both or neither is ambiguous. */
export function checkRecipeAction(item: unknown, ctx: Ctx): void {
  if (!isRecord(item)) return;
  const has = ['run', 'waitHttp'].filter((k) => item[k] !== undefined);
  if (has.length === 1) return;
  ctx.addIssue({
    code: 'custom',
    path: [],
    message: has.length === 0 ? 'needs run (a command) or waitHttp (a URL to wait for)' : 'has both run and waitHttp (split it into two items)',
    input: item,
  });
}

export function checkNotEmpty(what: string, example: string) {
  return (value: unknown, ctx: Ctx): void => {
    if (isRecord(value) && Object.keys(value).length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: `define at least one ${what} (see ${example} in stagebot.example.yml)`, input: value });
    }
  };
}

/**
 * `ssh.authFailFast` only helps when it is shorter than the wait-ssh step timeout; otherwise the
 * timeout always ends the wait first and a wrong key costs the whole timeout again.
 */
export function checkAuthFailFast(config: unknown, ctx: Ctx): void {
  if (!isRecord(config) || !isRecord(config.environments) || !isRecord(config.runs) || !isRecord(config.runs.stepTimeouts)) return;
  const timeout = config.runs.stepTimeouts['wait-ssh'];
  if (typeof timeout !== 'number') return;
  for (const [name, env] of Object.entries(config.environments)) {
    if (!isRecord(env) || !isRecord(env.ssh) || typeof env.ssh.authFailFast !== 'number') continue;
    // Past the maximum it was reported already, for what it is.
    if (env.ssh.authFailFast < timeout || env.ssh.authFailFast > DEFAULTS.sshAuthFailFastMax) continue;
    ctx.addIssue({
      code: 'custom',
      path: ['environments', name, 'ssh', 'authFailFast'],
      message: `${formatDuration(env.ssh.authFailFast)} is not shorter than runs.stepTimeouts.wait-ssh (${formatDuration(timeout)}), so it would never end the wait early (make it shorter)`,
      input: env.ssh.authFailFast,
    });
  }
}

/**
 * Sign-in that lets anyone in is no sign-in: GitHub sign-in names the organizations or teams whose
 * members may enter (and the public URL GitHub sends them back to); proxy sign-in names the proxies
 * whose user header is believed.
 */
export function checkDashboardAccess(dashboard: unknown, ctx: Ctx): void {
  if (!isRecord(dashboard)) return;
  const listed = (v: unknown) => Array.isArray(v) && v.length > 0;
  if (dashboard.auth === 'github') {
    const gh = isRecord(dashboard.github) ? dashboard.github : {};
    if (!listed(gh.orgs) && !listed(gh.teams)) {
      ctx.addIssue({ code: 'custom', path: ['github'], message: 'auth: github needs github.orgs or github.teams (whose members may sign in), e.g. orgs: [acme]', input: dashboard.github });
    }
    if (dashboard.publicUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['publicUrl'], message: 'auth: github needs publicUrl, the address people open the dashboard at (GitHub sends them back to <publicUrl>/auth/github/callback)', input: undefined });
    }
  }
  if (dashboard.auth === 'proxy') {
    const proxy = isRecord(dashboard.proxy) ? dashboard.proxy : {};
    if (!listed(proxy.trustedProxies)) {
      ctx.addIssue({ code: 'custom', path: ['proxy', 'trustedProxies'], message: 'auth: proxy needs the addresses of the proxies whose user header is believed, e.g. ["10.0.0.5/32"]', input: proxy.trustedProxies });
    }
  }
}

/** S3 storage needs its bucket; a link that outlives the artifact it points at is a broken link. */
export function checkArtifacts(artifacts: unknown, ctx: Ctx): void {
  if (!isRecord(artifacts)) return;
  if (artifacts.storage === 's3' && !isRecord(artifacts.s3)) {
    ctx.addIssue({ code: 'custom', path: ['s3'], message: 'storage s3 needs s3.bucket and s3.region (like { bucket: acme-stagebot-artifacts, region: eu-west-1 })', input: artifacts.s3 });
  }
  const { retention, linkTtl } = artifacts;
  if (typeof retention === 'number' && typeof linkTtl === 'number' && linkTtl > retention) {
    ctx.addIssue({ code: 'custom', path: ['linkTtl'], message: `${formatDuration(linkTtl)} is longer than retention (${formatDuration(retention)}): links would outlive the artifacts`, input: linkTtl });
  }
}

/** A pool member is prepared at baseRef; a launch of another ref needs the warm recipe to move it there. */
export function checkWarmRecipe(env: unknown, ctx: Ctx): void {
  if (!isRecord(env) || !isRecord(env.warmPool)) return;
  const update = env.serviceUpdate;
  // Anything else is a broken serviceUpdate, which says so itself.
  const noWarm = Array.isArray(update) || (isRecord(update) && Array.isArray(update.full) && update.warm === undefined);
  if (!noWarm) return;
  ctx.addIssue({
    code: 'custom',
    path: ['serviceUpdate'],
    message: 'warmPool needs a warm recipe: write serviceUpdate as a map with full (the recipe of today) and warm (what a claimed member runs)',
    input: update,
  });
}
