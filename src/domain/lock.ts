// Who holds an environment: a run while it uses it, or a person with a sticky manual lock.

export interface EnvLock {
  env: string;
  /** The run id, or the person (`slack:U123`) for a manual lock. */
  holder: string;
  holderKind: 'run' | 'person';
  reason: string | null;
  sticky: boolean;
  since: Date;
}
