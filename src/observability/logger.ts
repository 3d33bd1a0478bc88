// JSON logs (pino) to stderr, so that stdout stays free for `--output json` documents.
import { pino, type Logger } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, wherever they sit in the logged object. */
export const REDACTED_KEYS = [
  'privateKey', 'private_key', 'password', 'secret', 'token', 'signingSecret', 'webhookSecret',
  'authorization', 'cookie', 'KeyMaterial', 'keyMaterial', 'databaseUrl', 'connectionString',
];

const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`, `req.headers.${k}`]);

/**
 * Credentials inside URLs (postgres://user:pass@host) are masked even in free text. A quote ends
 * the match (it cannot appear unencoded in a URL), so masking a JSON line keeps it valid JSON.
 */
export function maskUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:/@\s"]+):[^@\s"]+@/gi, '$1:***@');
}

export function createLogger(opts: { level?: string; destination?: NodeJS.WritableStream; name?: string } = {}): Logger {
  return pino(
    {
      name: opts.name ?? 'stagebot',
      level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
      // The whole line, not only the message: error messages, stacks and fields carry URLs too.
      hooks: { streamWrite: maskUrlCredentials },
    },
    (opts.destination ?? process.stderr) as pino.DestinationStream,
  );
}

/** A logger that drops everything, for tests and for `--output json` runs that must stay quiet. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
