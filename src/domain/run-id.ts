// Run ids name a run everywhere it shows: the `asset-id` tag, chat, URLs, ClientTokens.
// Shape: `<env>-<yyyymmdd UTC>-<6 hex>`, e.g. `stg4-20261121-a1b2c3`. Kept short and shell-inert on purpose.

/** Environment (and browser) names: lowercase letters, digits and inner hyphens, at most 32 characters. */
export const ENV_NAME_PATTERN = /^[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

export const RUN_ID_PATTERN = /^([a-z](?:[a-z0-9-]{0,30}[a-z0-9])?)-(\d{4})(\d{2})(\d{2})-([0-9a-f]{6})$/;

export const RUN_ID_EXAMPLE = 'stg4-20261121-a1b2c3';

const SUFFIX = /^[0-9a-f]{6}$/;

/** True for a well-formed run id whose date is a real calendar day. */
export function isRunId(text: string): boolean {
  const m = RUN_ID_PATTERN.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[2]), Number(m[3]), Number(m[4])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** The environment a run id was made for, or null when it is not a run id. */
export function runIdEnv(text: string): string | null {
  return isRunId(text) ? (RUN_ID_PATTERN.exec(text)?.[1] ?? null) : null;
}

/**
 * A fresh run id for `env`, dated `now` in UTC. `random` returns the 6 hex characters (tests pass a fixed one).
 * Throws a plain Error on a bad env or suffix: that is a bug in the caller, not user input.
 */
export function newRunId(env: string, now: Date, random: () => string = randomSuffix): string {
  if (!ENV_NAME_PATTERN.test(env)) throw new Error(`newRunId: environment name ${JSON.stringify(env)} does not match ${ENV_NAME_PATTERN}`);
  if (Number.isNaN(now.getTime())) throw new Error('newRunId: invalid date');
  const suffix = random();
  if (!SUFFIX.test(suffix)) throw new Error(`newRunId: random suffix ${JSON.stringify(suffix)} is not 6 lowercase hex characters`);
  const ymd = `${now.getUTCFullYear()}${String(now.getUTCMonth() + 1).padStart(2, '0')}${String(now.getUTCDate()).padStart(2, '0')}`;
  if (!/^\d{8}$/.test(ymd)) throw new Error(`newRunId: year ${now.getUTCFullYear()} does not fit a run id`);
  return `${env}-${ymd}-${suffix}`;
}

/** 6 hex characters from the platform's CSPRNG (Web Crypto: nothing to load until a run id is made). */
function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0')).join('');
}
