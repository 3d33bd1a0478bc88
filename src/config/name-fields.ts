// Names: of environments and browsers, of the installation, of environment variables, repositories, Slack ids.

import * as z from 'zod';
import { matching } from './fields.ts';

const SIMPLE_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** Environment and browser names: they appear in chat commands, run ids and tags. */
export function simpleName(example: string) {
  return matching(SIMPLE_NAME, `a name like ${example} (a-z, 0-9 and -, starting with a letter, at most 32)`);
}

/** Goes into the `stagebot:managed-by` tag value and into key pair names. */
export function installationName() {
  return matching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/, 'a tag-safe name like acme-staging (letters, digits, . _ -, at most 63)');
}

/** Never echoes the value: a key or password pasted here by mistake must not land in logs. */
export function envVarName(example: string) {
  const error = (iss: { input?: unknown }) =>
    iss.input === undefined
      ? `missing (expected the name of an environment variable, like ${example})`
      : `expected the name of an environment variable like ${example} (the secret itself never belongs in this file)`;
  return z.string({ error }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error });
}

/** `owner/name` of a GitHub repository. */
export function repositoryName() {
  return matching(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/, 'a GitHub repository like acme/webapp');
}

export const slackUserId = () => matching(/^[UW][A-Z0-9]{2,}$/, 'a Slack user id like U0PLATFORM1');
export const slackUserGroupId = () => matching(/^S[A-Z0-9]{2,}$/, 'a Slack user group id like S0PLATFORM');
export const slackChannelId = () => matching(/^[CG][A-Z0-9]{2,}$/, 'a Slack channel id like C0123STAGING');
