// `stagebot doctor` from the real executable, on a machine without AWS credentials.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linesOf, stagebot, tempDir, writeExampleConfig, type Result } from './support.ts';

interface Check {
  check: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
}

let tmp: ReturnType<typeof tempDir>;
let configPath: string;
let json: Result;
let text: Result;

const SECRETS = { SLACK_BOT_TOKEN: 'xoxb-doctor-secret-1', SLACK_SIGNING_SECRET: 'doctor-signing-secret-2', STAGEBOT_SSH_KEY: '-----BEGIN OPENSSH PRIVATE KEY-----doctor-key-3' };

beforeAll(async () => {
  tmp = tempDir();
  configPath = writeExampleConfig(tmp.dir);
  [json, text] = await Promise.all([
    stagebot(['doctor', '--output', 'json'], { cwd: tmp.dir, env: { AWS_ACCESS_KEY_ID: undefined, AWS_PROFILE: undefined } }),
    stagebot(['doctor'], { cwd: tmp.dir, env: SECRETS }),
  ]);
}, 60_000);

afterAll(() => tmp.remove());

function byName(checks: Check[], name: string): Check {
  const found = checks.find((c) => c.check === name);
  if (!found) throw new Error(`no check ${name} in ${checks.map((c) => c.check).join(', ')}`);
  return found;
}

describe('stagebot doctor --output json without AWS credentials', () => {
  it('fails fast: exit 1 with one JSON document on stdout and nothing on stderr', () => {
    expect(json.code).toBe(1);
    expect(json.stderr).toBe('');
    const doc = JSON.parse(json.stdout) as { ok: boolean; command: string; result: { checks: Check[] }; errors: string[] };
    expect(doc.ok).toBe(false);
    expect(doc.command).toBe('doctor');
    expect(doc.result.checks.length).toBeGreaterThan(5);
    for (const c of doc.result.checks) expect(['ok', 'warn', 'fail']).toContain(c.status);
    // Each failed check is one error line, by name.
    expect(doc.errors).toEqual(doc.result.checks.filter((c) => c.status === 'fail').map((c) => `${c.check}: ${c.detail}`));
  });

  it('lists the config and the store as fine, the AWS credentials as failing with what to set', () => {
    const { checks } = (JSON.parse(json.stdout) as { result: { checks: Check[] } }).result;
    expect(byName(checks, 'config')).toEqual({ check: 'config', status: 'ok', detail: configPath });
    expect(byName(checks, 'store')).toEqual({ check: 'store', status: 'ok', detail: `sqlite at ${join(tmp.dir, 'store', 'stagebot.db')}` });
    const aws = byName(checks, 'aws credentials');
    expect(aws.status).toBe('fail');
    expect(aws.detail).toContain('AWS_ACCESS_KEY_ID');
    expect(aws.detail).toContain('AWS_PROFILE');
    expect(aws.detail.split('\n')).toHaveLength(1);
  });

  it('names the SSH key variable the non-ephemeral environments need', () => {
    const { checks } = (JSON.parse(json.stdout) as { result: { checks: Check[] } }).result;
    expect(byName(checks, 'ssh key STAGEBOT_SSH_KEY')).toMatchObject({ status: 'fail', detail: expect.stringContaining('stg3, stg4') });
  });

  it('says who may open the dashboard (the example: this machine, read-only)', () => {
    const { checks } = (JSON.parse(json.stdout) as { result: { checks: Check[] } }).result;
    expect(byName(checks, 'dashboard')).toEqual({ check: 'dashboard', status: 'ok', detail: 'read without sign-in from 127.0.0.0/8, ::1/128; sign-in off, so read-only' });
  });

  it('reports the Slack and GitHub fronts as disabled with the variables to set', () => {
    const { checks } = (JSON.parse(json.stdout) as { result: { checks: Check[] } }).result;
    const slack = byName(checks, 'slack');
    expect(slack.status).toBe('warn');
    expect(slack.detail).toMatch(/^front disabled: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/);
    const github = byName(checks, 'github');
    expect(github.status).toBe('warn');
    expect(github.detail).toBe('front disabled: set APP_ID, PRIVATE_KEY (or PRIVATE_KEY_PATH), WEBHOOK_SECRET');
  });
});

describe('stagebot doctor (text) with the Slack secrets and the SSH key set', () => {
  it('one line per check, the count of problems last, exit 1 (AWS still missing)', () => {
    expect(text.code).toBe(1);
    const lines = linesOf(text.stdout);
    expect(lines.at(-1)).toBe('1 problem to fix before stagebot can run');
    expect(lines).toContainEqual(expect.stringMatching(/^✗ aws credentials +.*AWS_ACCESS_KEY_ID/));
    expect(lines).toContainEqual(expect.stringMatching(/^✓ slack +front enabled \(http\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^✓ ssh key STAGEBOT_SSH_KEY +set \(stg3, stg4\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^! github +front disabled: set APP_ID/));
  });

  it('never prints a secret value', () => {
    for (const value of Object.values(SECRETS)) {
      expect(text.stdout).not.toContain(value);
      expect(text.stderr).not.toContain(value);
    }
  });
});

describe('stagebot doctor with a broken or doubtful config', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeAll(() => {
    dir = tempDir();
  });
  afterAll(() => dir.remove());

  it('lists every problem by path, and counts them', async () => {
    const file = writeExampleConfig(dir.dir, 'broken.yml', (t) =>
      t.replace('installation: acme-staging', 'installation: acme staging').replace('timeZone: Europe/Berlin', 'timeZone: Mars/Olympus'),
    );
    const res = await stagebot(['doctor', '--config', file, '--output', 'json'], { cwd: dir.dir });
    expect(res.code).toBe(1);
    const { checks } = (JSON.parse(res.stdout) as { result: { checks: Check[] } }).result;
    expect(checks.filter((c) => c.check === 'config')).toEqual([
      { check: 'config', status: 'fail', detail: 'broken.yml has 2 problems' },
      { check: 'config', status: 'fail', detail: expect.stringMatching(/^installation: expected a tag-safe name/) },
      { check: 'config', status: 'fail', detail: 'sweeper.timeZone: unknown time zone "Mars/Olympus" (expected an IANA time zone like Europe/Berlin or UTC)' },
    ]);
    const text = await stagebot(['doctor', '--config', file], { cwd: dir.dir });
    expect(linesOf(text.stdout)).toContainEqual(expect.stringMatching(/^✗ config +sweeper\.timeZone: unknown time zone "Mars\/Olympus"/));
    expect(linesOf(text.stdout).at(-1)).toBe('2 problems to fix before stagebot can run');
  });

  it('warns about an instance type the price table does not know', async () => {
    const file = writeExampleConfig(dir.dir, 'typo.yml', (t) => t.replace(/(stg4:\n(?: {4}.*\n)*? {4}instanceType: )t3\.2xlarge/, '$1t3.2xlargee'));
    const res = await stagebot(['doctor', '--config', file, '--output', 'json'], { cwd: dir.dir });
    const { checks } = (JSON.parse(res.stdout) as { result: { checks: Check[] } }).result;
    expect(checks.filter((c) => c.check === 'config' && c.status === 'warn')).toEqual([
      { check: 'config', status: 'warn', detail: expect.stringMatching(/^environments\.stg4\.instanceType: unknown instance type "t3\.2xlargee" \(did you mean t3\.2xlarge\?\)/) },
    ]);
  });
});
