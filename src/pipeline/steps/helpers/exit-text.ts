// How a finished command reads in a report: `exit code 3`, `timed out after 5m`, `killed by SIGKILL`.
import { formatDuration } from '../../../domain/duration.ts';

export interface Exit {
  code: number | null;
  signal?: string | null | undefined;
  timedOut: boolean;
}

export function exitText(exit: Exit, timeoutMs?: number): string {
  if (exit.timedOut) return timeoutMs === undefined || !Number.isFinite(timeoutMs) ? 'timed out' : `timed out after ${formatDuration(timeoutMs)}`;
  if (exit.code !== null) return `exit code ${exit.code}`;
  if (exit.signal) return `killed by ${exit.signal}`;
  return 'ended without an exit status';
}

export function succeeded(exit: Exit): boolean {
  return !exit.timedOut && exit.code === 0;
}
