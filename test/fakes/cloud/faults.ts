// Injected failures: the next N calls of a command fail with a given error (throttling, 5xx, capacity...),
// optionally only in one region or only for inputs a predicate picks; and permissions the fake refuses.

import type { AwsService } from '../../../src/aws/clients.ts';
import { cloneError } from './errors.ts';

export interface FailOptions {
  /** How many matching calls fail. Default 1. */
  times?: number;
  region?: string;
  service?: AwsService;
  /** Only calls whose input this accepts. */
  match?: (input: Record<string, unknown>) => boolean;
  /**
   * The call takes effect in the cloud, then fails anyway (a 5xx or timeout after AWS acted): what
   * idempotency (ClientToken) exists for. Default false: the call fails before changing anything.
   */
  afterApplying?: boolean;
}

interface FaultRule {
  /** Command name without the `Command` suffix (`RunInstances`), or `*` for every command. */
  command: string;
  error: Error;
  left: number;
  region: string | undefined;
  service: AwsService | undefined;
  match: ((input: Record<string, unknown>) => boolean) | undefined;
  afterApplying: boolean;
}

export interface CallKey {
  service: AwsService;
  region: string;
  command: string;
  input: Record<string, unknown>;
}

export class FaultBook {
  #rules: FaultRule[] = [];
  #denied: { command: string; region: string | undefined }[] = [];

  failNext(command: string, error: Error, opts: FailOptions = {}): void {
    const times = opts.times ?? 1;
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext: times must be a positive integer, got ${times}`);
    this.#rules.push({ command, error, left: times, region: opts.region, service: opts.service, match: opts.match, afterApplying: opts.afterApplying ?? false });
  }

  /** The error this call must fail with, if a rule says so (and uses up one of that rule's failures). */
  take(call: CallKey, afterApplying = false): Error | undefined {
    const rule = this.#rules.find(
      (r) =>
        r.left > 0 &&
        r.afterApplying === afterApplying &&
        (r.command === '*' || r.command === call.command) &&
        (r.region === undefined || r.region === call.region) &&
        (r.service === undefined || r.service === call.service) &&
        (r.match === undefined || r.match(call.input)),
    );
    if (!rule) return undefined;
    rule.left--;
    if (rule.left === 0) this.#rules = this.#rules.filter((r) => r !== rule);
    return cloneError(rule.error);
  }

  /** Failures still waiting to happen (a test can assert they were all consumed). */
  pending(): number {
    return this.#rules.reduce((n, r) => n + r.left, 0);
  }

  deny(command: string, region?: string): void {
    this.#denied.push({ command, region });
  }

  allow(command: string): void {
    this.#denied = this.#denied.filter((d) => d.command !== command);
  }

  isDenied(command: string, region: string): boolean {
    return this.#denied.some((d) => d.command === command && (d.region === undefined || d.region === region));
  }

  clear(): void {
    this.#rules = [];
    this.#denied = [];
  }
}
