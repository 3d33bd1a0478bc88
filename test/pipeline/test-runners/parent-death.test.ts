// Test processes die with their bot (issue 10.5): a bot killed with SIGKILL cannot stop its test
// command itself, so the command's watchdog does, within about a second.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { processesMatching, uniqueSleep, waitUntilGone } from '../../support/processes.ts';

const BOT = fileURLToPath(new URL('./fixtures/runner-bot.ts', import.meta.url));

it('a test command (and what it started) dies when its bot is killed -9', async () => {
  const sleep = uniqueSleep(120);
  // The command starts a background child too: the whole group goes.
  const bot = spawn(process.execPath, [BOT, `${sleep.command} & ${sleep.command}; wait`], { stdio: 'ignore' });
  const exited = new Promise((r) => bot.once('exit', r));
  try {
    for (let i = 0; i < 200 && processesMatching(`^${sleep.pattern}$`).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    expect(processesMatching(`^${sleep.pattern}$`)).toHaveLength(2);
    bot.kill('SIGKILL');
    await exited;
    expect(await waitUntilGone(sleep.pattern, 5_000)).toEqual([]);
  } finally {
    bot.kill('SIGKILL');
  }
});
