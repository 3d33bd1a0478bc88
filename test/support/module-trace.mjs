// Loaded with `node --import` (NODE_OPTIONS) in a child process: writes the URL of every module the
// process loaded, ESM and CommonJS alike, one per line, to $STAGEBOT_MODULE_TRACE when it exits.
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';

const loaded = [];
registerHooks({
  load(url, context, nextLoad) {
    loaded.push(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => {
  if (process.env.STAGEBOT_MODULE_TRACE) writeFileSync(process.env.STAGEBOT_MODULE_TRACE, `${loaded.join('\n')}\n`);
});
