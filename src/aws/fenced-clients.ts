// AWS clients that ask before they change anything: a run's driver makes every AWS call through these,
// so a driver that lost its run to another engine (a paused process, a frozen container) cannot touch
// AWS again, whichever step, waiter, teardown part or kind's `remove` the call comes from. Reads go
// through unchecked: they change nothing.
import type { AwsClients, AnyAwsClient } from './clients.ts';

/** Describe*, List*, Get*: the calls that only read. Everything else (Run, Create, Delete, Terminate, Authorize, Revoke, Register, Deregister, Tag...) mutates. */
const READ_ONLY = /^(Describe|List|Get)/;

/** The AWS operation a command object stands for (`RunInstancesCommand` -> `RunInstances`). */
export function operationOf(command: unknown): string {
  const name = (command as { constructor?: { name?: string } } | null)?.constructor?.name ?? 'Unknown';
  return name.endsWith('Command') ? name.slice(0, -'Command'.length) : name;
}

export function isMutating(operation: string): boolean {
  return !READ_ONLY.test(operation);
}

/**
 * A proxy of `client` whose `send` awaits `check(operation)` before any mutating command (and sends
 * nothing when it throws). The proxy keeps the client's prototype, so `instanceof EC2Client` (the SDK's
 * paginators check it) still holds; every other member is the client's own, bound to it.
 */
export function fenceClient<C extends AnyAwsClient>(client: C, check: (operation: string) => Promise<void>): C {
  const send = async (command: unknown, ...rest: unknown[]) => {
    const operation = operationOf(command);
    if (isMutating(operation)) await check(operation);
    return (client.send as (...args: unknown[]) => Promise<unknown>).call(client, command, ...rest);
  };
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'send') return send;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * The run's view of AWS: the same (shared, cached) clients, each fenced by `check`. `destroy` is a no-op:
 * the clients belong to the engine, not to one run.
 */
export function fencedAwsClients(aws: AwsClients, check: (operation: string) => Promise<void>): AwsClients {
  const cache = new Map<AnyAwsClient, AnyAwsClient>();
  const fenced = <C extends AnyAwsClient>(client: C): C => {
    let proxy = cache.get(client);
    if (!proxy) cache.set(client, (proxy = fenceClient(client, check)));
    return proxy as C;
  };
  return {
    ec2: (region) => fenced(aws.ec2(region)),
    elbv2: (region) => fenced(aws.elbv2(region)),
    tagging: (region) => fenced(aws.tagging(region)),
    sts: (region) => fenced(aws.sts(region)),
    pricing: () => fenced(aws.pricing()),
    s3: (region) => fenced(aws.s3(region)),
    ssm: (region) => fenced(aws.ssm(region)),
    destroy: () => undefined,
  };
}
