// The layers of design.md section 1, enforced: dependency-cruiser reads every import under src/
// (type-only ones included) and checks the rules of .dependency-cruiser.mjs — no import up a layer,
// no front reaching an adapter or the core except through src/commands, no cycle. The second test
// runs the same rules over a small tree that breaks each of them, so a rule that stopped matching
// (a renamed folder, a broken pattern) fails here instead of passing silently.
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cli = join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruiser.mjs');

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

async function cruise(cwd: string): Promise<{ violations: Violation[]; modules: number }> {
  // Exit code 1 means "violations found"; the JSON on stdout says which.
  const run = promisify(execFile)(process.execPath, [cli, 'src', '--config', join(cwd, '.dependency-cruiser.mjs'), '--output-type', 'json'], {
    cwd,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err: { stdout?: string; code?: number }) => {
    if (err.code === 1 && err.stdout) return { stdout: err.stdout };
    throw err;
  });
  const result = JSON.parse((await run).stdout) as { summary: { violations: Violation[]; totalCruised: number } };
  return { violations: result.summary.violations, modules: result.summary.totalCruised };
}

function describeViolation(v: Violation): string {
  const cycle = v.cycle?.length ? ` (cycle: ${[v.from, ...v.cycle.map((c) => c.name)].join(' → ')})` : '';
  return `${v.rule.name}: ${v.from} → ${v.to}${cycle}`;
}

describe('architecture', () => {
  it('src/ has no upward import, no front reaching past src/commands, and no cycle', async () => {
    const { violations, modules } = await cruise(root);
    expect(modules).toBeGreaterThan(150);
    expect(violations.map(describeViolation)).toEqual([]);
  });

  describe('the rules catch what they are for', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stagebot-arch-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const file = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };

    it('flags an upward import, a front reaching an adapter or the core, and a cycle', async () => {
      cpSync(join(root, '.dependency-cruiser.mjs'), join(dir, '.dependency-cruiser.mjs'));
      cpSync(join(root, 'tsconfig.json'), join(dir, 'tsconfig.json'));
      file('src/domain/run.ts', "import { open } from '../store/db.ts';\nexport const run = open;\n");
      file('src/store/db.ts', 'export const open = 1;\n');
      file('src/bot/slack/thread.ts', "import { open } from '../../store/db.ts';\nimport { engine } from '../../pipeline/engine.ts';\nexport const t = [open, engine];\n");
      file('src/pipeline/engine.ts', "import { parse } from '../commands/parse.ts';\nexport const engine = parse;\n");
      file('src/commands/parse.ts', 'export const parse = 1;\n');
      file('src/commands/a.ts', "import { b } from './b.ts';\nexport const a = b;\n");
      file('src/commands/b.ts', "import { a } from './a.ts';\nexport const b = () => a;\n");
      file('src/audit/sweep.ts', "import { engine } from '../pipeline/engine.ts';\nexport const s = engine;\n");
      file('src/cost/x.ts', "import { serve } from '../app/serve.ts';\nexport const x = serve;\n");
      file('src/app/serve.ts', 'export const serve = 1;\n');
      file('src/web/dashboard/page.ts', "import { t } from '../../bot/slack/thread.ts';\nexport const p = t;\n");
      file('src/bot/github/links.ts', "import { p } from '../../web/dashboard/page.ts';\nimport type { H } from '../../web/routes.ts';\nexport const l: [typeof p, H?] = [p];\n");
      file('src/web/routes.ts', 'export type H = 1;\n');

      const found = (await cruise(dir)).violations.map((v) => `${v.rule.name} ${v.from} ${v.to}`);
      expect(found).toEqual(
        expect.arrayContaining([
          'no-upward-base src/domain/run.ts src/store/db.ts',
          'no-upward-base src/cost/x.ts src/app/serve.ts',
          'no-front-to-adapter src/bot/slack/thread.ts src/store/db.ts',
          'no-front-to-core src/bot/slack/thread.ts src/pipeline/engine.ts',
          'no-upward-core src/pipeline/engine.ts src/commands/parse.ts',
          'no-audit-to-pipeline src/audit/sweep.ts src/pipeline/engine.ts',
          'no-front-to-other-front src/web/dashboard/page.ts src/bot/slack/thread.ts',
          'no-chat-to-dashboard src/bot/github/links.ts src/web/dashboard/page.ts',
        ]),
      );
      // The route types are the one thing of src/web a chat front may use.
      expect(found.filter((f) => f.endsWith('src/web/routes.ts'))).toEqual([]);
      expect(found.some((f) => f.startsWith('no-circular src/commands/'))).toBe(true);
    });
  });
});
