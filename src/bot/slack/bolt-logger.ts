// Bolt and its Web API client log through this, into stagebot's JSON log. Bolt's own messages are
// mostly debug chatter; its warnings (a request that failed signature verification) stay warnings.
import { LogLevel, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../observability/logger.ts';

export function boltLogger(logger: Logger): BoltLogger {
  const log = logger.child({ component: 'bolt' });
  let level: LogLevel = LogLevel.INFO;
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === 'string' ? m : m instanceof Error ? m.message : JSON.stringify(m))).join(' ');
  return {
    debug: (...msg) => log.debug(line(msg)),
    info: (...msg) => log.info(line(msg)),
    warn: (...msg) => log.warn(line(msg)),
    error: (...msg) => log.error(line(msg)),
    setLevel: (l) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
