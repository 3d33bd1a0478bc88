// Entry point of `stagebot` (bin/stagebot.js) and `npm start` (`node src/main.ts serve`).
import { runCli } from './app/cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
