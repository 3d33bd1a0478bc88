// `stagebot config check` from the real executable: summary, every problem by path, JSON, sources.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { EXAMPLE, linesOf, STACK_TRACE, stagebot, tempDir, writeExampleConfig } from './support.ts';

let tmp: ReturnType<typeof tempDir>;
let broken: string;

/** Five independent mistakes in an otherwise valid file, each expected on its own line by path. */
const MISTAKES: [string, (t: string) => string][] = [
  ['installation: ', (t) => t.replace('installation: acme-staging', 'installation: acme staging')],
  ['environments.stg2.instanceType: ', (t) => t.replace(/(stg2:\n(?: {4}.*\n)*? {4}instanceType: )t3\.2xlarge/, '$1huge')],
  ['pool.4: unknown environment "stg7"', (t) => t.replace('pool: [stg1, stg2, stg3, stg4]', 'pool: [stg1, stg2, stg3, stg4, stg7]')],
  ['sweeper.timeZone: unknown time zone "Mars/Olympus"', (t) => t.replace('timeZone: Europe/Berlin', 'timeZone: Mars/Olympus')],
  ['tests.wrokers: unknown key', (t) => t.replace('  workers: 3', '  wrokers: 3')],
];

beforeAll(() => {
  tmp = tempDir();
  broken = writeExampleConfig(tmp.dir, 'broken.yml', (text) => {
    let out = text;
    for (const [path, edit] of MISTAKES) {
      const next = edit(out);
      if (next === out) throw new Error(`the example changed: cannot introduce the mistake at ${path}`);
      out = next;
    }
    return out;
  });
});

afterAll(() => tmp.remove());

describe.concurrent('stagebot config check', () => {
  it('the example is valid: exit 0 and the summary on stdout, nothing on stderr', async ({ expect }) => {
    const res = await stagebot(['config', 'check', '--config', EXAMPLE], { cwd: tmp.dir });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    const lines = linesOf(res.stdout);
    expect(lines[0]).toBe(`config        ${EXAMPLE}`);
    expect(lines).toContain('installation  acme-staging');
    expect(lines).toContain('environments  4');
    for (const env of ['stg1', 'stg2', 'stg3', 'stg4']) expect(lines.some((l) => l.startsWith(`  ${env}  `))).toBe(true);
    expect(lines).toContain('pool          stg1, stg2, stg3, stg4');
  });

  it('a broken file: exit 1, a count, then each problem on its own line by path', async ({ expect }) => {
    const res = await stagebot(['config', 'check', '--config', broken], { cwd: tmp.dir });
    expect(res.code).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).not.toMatch(STACK_TRACE);
    const [head, ...problems] = linesOf(res.stderr);
    expect(head).toBe(`stagebot: broken.yml has ${MISTAKES.length} problems`);
    expect(problems).toHaveLength(MISTAKES.length);
    for (const [path] of MISTAKES) expect(problems.filter((p) => p.startsWith(`  ${path}`)), path).toHaveLength(1);
  });

  it('a broken file with --output json: one JSON document on stdout with every problem, stderr empty', async ({ expect }) => {
    const res = await stagebot(['config', 'check', '--config', broken, '--output', 'json'], { cwd: tmp.dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('');
    const doc = JSON.parse(res.stdout) as { ok: boolean; command: string; result: unknown; errors: string[] };
    expect(doc).toMatchObject({ ok: false, command: 'config check', result: null });
    // Every problem by path, one line each.
    expect(doc.errors).toHaveLength(MISTAKES.length);
    for (const [path] of MISTAKES) expect(doc.errors.some((p) => p.startsWith(path)), path).toBe(true);
  });

  it('a valid file with --output json: one JSON document naming the file and environments', async ({ expect }) => {
    const res = await stagebot(['--output=json', 'config', 'check', '--config', EXAMPLE], { cwd: tmp.dir });
    expect(res.code).toBe(0);
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual({
      ok: true,
      command: 'config check',
      result: { path: EXAMPLE, usingExample: false, environments: ['stg1', 'stg2', 'stg3', 'stg4'], warnings: [] },
      errors: [],
    });
  });

  it('a mistyped instance type is valid but warned about, with a did-you-mean (text and JSON)', async ({ expect }) => {
    const file = writeExampleConfig(tmp.dir, 'typo.yml', (t) => t.replace(/(stg2:\n(?: {4}.*\n)*? {4}instanceType: )t3\.2xlarge/, '$1t3.2xlargee'));
    const [text, json] = await Promise.all([
      stagebot(['config', 'check', '--config', file], { cwd: tmp.dir }),
      stagebot(['config', 'check', '--config', file, '--output', 'json'], { cwd: tmp.dir }),
    ]);
    const warning =
      'environments.stg2.instanceType: unknown instance type "t3.2xlargee" (did you mean t3.2xlarge?): not in the bundled price table; if it is right, price it under pricing.instances.us-east-1';
    expect(text.code).toBe(0);
    expect(linesOf(text.stderr)).toEqual([`stagebot: warning: ${warning}`]);
    expect(linesOf(text.stdout)[0]).toBe(`config        ${file}`);
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('');
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, result: { warnings: [warning] }, errors: [] });
  });

  it('an instance type priced under pricing.instances is not warned about', async ({ expect }) => {
    const file = writeExampleConfig(tmp.dir, 'priced.yml', (t) =>
      t
        .replace(/(stg2:\n(?: {4}.*\n)*? {4}instanceType: )t3\.2xlarge/, '$1m8g.large')
        .replace('    eu-west-1: { t3.2xlarge: 0.3648 }', '    eu-west-1: { t3.2xlarge: 0.3648 }\n    us-east-1: { m8g.large: 0.0898 }'),
    );
    const res = await stagebot(['config', 'check', '--config', file], { cwd: tmp.dir });
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^  stg2  us-east-1  m8g\.large /m);
    expect(res.stderr).toBe('');
  });

  it('a missing ${VAR} names the variable (text and JSON)', async ({ expect }) => {
    const file = join(tmp.dir, 'needs-var.yml');
    writeExampleConfig(tmp.dir, 'needs-var.yml', (t) => t.replace('installation: acme-staging', 'installation: ${STAGEBOT_TEST_INSTALLATION}'));
    const [text, json] = await Promise.all([
      stagebot(['config', 'check', '--config', file], { cwd: tmp.dir }),
      stagebot(['config', 'check', '--config', file, '--output', 'json'], { cwd: tmp.dir }),
    ]);
    expect(text.code).toBe(1);
    expect(linesOf(text.stderr)).toEqual([
      'stagebot: needs-var.yml has 1 problem: installation: environment variable STAGEBOT_TEST_INSTALLATION is not set (set it, or write ${STAGEBOT_TEST_INSTALLATION:-default})',
    ]);
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as { errors: string[] };
    expect(doc.errors).toEqual(['installation: environment variable STAGEBOT_TEST_INSTALLATION is not set (set it, or write ${STAGEBOT_TEST_INSTALLATION:-default})']);
  });

  it('STAGEBOT_CONFIG is honoured when there is no --config', async ({ expect }) => {
    const dir = tempDir();
    try {
      const file = writeExampleConfig(dir.dir, 'elsewhere.yml', (t) => t.replace('installation: acme-staging', 'installation: from-stagebot-config'));
      const res = await stagebot(['config', 'check'], { cwd: tmp.dir, env: { STAGEBOT_CONFIG: file } });
      expect(res.code).toBe(0);
      expect(res.stderr).toBe('');
      expect(linesOf(res.stdout)[0]).toBe(`config        ${file}`);
      expect(linesOf(res.stdout)).toContain('installation  from-stagebot-config');
    } finally {
      dir.remove();
    }
  });

  it('without ./stagebot.yml it falls back to the bundled example, with a warning on stderr', async ({ expect }) => {
    const dir = tempDir();
    try {
      const [text, json] = await Promise.all([
        stagebot(['config', 'check'], { cwd: dir.dir }),
        stagebot(['config', 'check', '--output', 'json'], { cwd: dir.dir }),
      ]);
      const warning = 'stagebot: no ./stagebot.yml; using the bundled stagebot.example.yml (cp stagebot.example.yml stagebot.yml to make your own)';
      expect(text.code).toBe(0);
      expect(linesOf(text.stderr)).toEqual([warning]);
      expect(linesOf(text.stdout)[0]).toBe(`config        ${EXAMPLE} (the bundled example; make your own with: cp stagebot.example.yml stagebot.yml)`);
      expect(json.code).toBe(0);
      expect(linesOf(json.stderr)).toEqual([warning]);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, result: { path: EXAMPLE, usingExample: true } });
    } finally {
      dir.remove();
    }
  });
});
