// `promote` in the one grammar: what parses, what is refused in one line, and that only admins may
// promote (the executor's rule and Slack's permission rules); an admin's promotion is a run.
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/index.ts';
import { CommandExecutor, type ExecutorDeps } from '../../src/commands/executor.ts';
import { PermissionError } from '../../src/errors.ts';
import { ctx } from '../commands/context.ts';

describe('promote', () => {
  it('parses the image, the AMI (candidate by default) and the channel', () => {
    expect(parseCommand('promote mentor-app --to=latest', ctx)).toEqual({ verb: 'promote', image: 'mentor-app', source: 'candidate', to: 'latest' });
    expect(parseCommand('promote mentor-app ami-0a1b2c3d4e5f60718 --to stable', ctx)).toEqual({ verb: 'promote', image: 'mentor-app', source: 'ami-0a1b2c3d4e5f60718', to: 'stable' });
  });

  it('refuses what is not a promotion in one line', () => {
    expect(() => parseCommand('promote mentor-app', ctx)).toThrow('promote needs `--to`, e.g. `promote mentor-app --to=latest`');
    expect(() => parseCommand('promote mentor-app --to=candidate', ctx)).toThrow('`--to=candidate` must be latest or stable');
    expect(() => parseCommand('promote mentor-app ami-12 --to=stable', ctx)).toThrow('`ami-12` is not an AMI; give `candidate` or an AMI id like `ami-0a1b2c3d4e5f60001`');
    expect(() => parseCommand('promote nope --to=stable', ctx)).toThrow(/unknown image `nope`/);
  });

  it('is for admins only: the executor refuses anyone else before touching anything; an admin queues a run of kind promote', async () => {
    const asked: unknown[] = [];
    const run = { id: 'promote-mentor-app-20261204-a1b2c3', kind: 'promote' };
    const deps = {
      engine: {
        config: {},
        promote: async (req: unknown) => {
          asked.push(req);
          return { run, position: null };
        },
      },
      store: {},
    } as unknown as ExecutorDeps;
    const exec = new CommandExecutor(deps);
    const cmd = parseCommand('promote mentor-app --to=stable', ctx);
    await expect(exec.execute(cmd, { requester: 'slack:U0QA', source: 'slack', admin: false })).rejects.toThrow(PermissionError);
    expect(asked).toEqual([]);
    const result = await exec.execute(cmd, { requester: 'cli:ops', source: 'cli', admin: true });
    expect(result).toEqual({ kind: 'launched', run, position: null });
    expect(asked).toEqual([{ image: 'mentor-app', source: 'candidate', to: 'stable', requester: 'cli:ops', source_: 'cli' }]);
  });
});
