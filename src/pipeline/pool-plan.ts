// What the warm pool's replenish job has to do for one environment, decided from the store's members
// alone (no AWS): which members to evict and why, and how many to prepare. Claimed members are the
// claiming runs' and evicting ones are already on their way out: neither counts nor is touched.
import { formatDuration } from '../domain/duration.ts';
import type { PoolMember } from '../domain/pool.ts';

export interface PoolPlanInput {
  members: readonly PoolMember[];
  /** The environment's AMI now (config or manifest). */
  ami: string;
  size: number;
  maxAgeMs: number;
  /** False outside the pool's `hours`: it drains. */
  inHours: boolean;
  /** A member still preparing after this long was abandoned (its replenish died or hangs). */
  prepareTimeoutMs: number;
  now: Date;
}

export interface PoolPlan {
  evict: { id: string; reason: string }[];
  prepare: number;
}

export function planPool(input: PoolPlanInput): PoolPlan {
  const evict: PoolPlan['evict'] = [];
  const kept: PoolMember[] = [];
  const now = input.now.getTime();
  for (const m of input.members) {
    if (m.state !== 'ready' && m.state !== 'preparing') continue;
    const reason =
      m.ami !== input.ami
        ? `built from ${m.ami}, but the environment's AMI is now ${input.ami}`
        : m.state === 'ready' && m.builtAt && now - m.builtAt.getTime() > input.maxAgeMs
          ? `older than maxAge ${formatDuration(input.maxAgeMs)} (ready since ${m.builtAt.toISOString()})`
          : m.state === 'preparing' && now - m.createdAt.getTime() > input.prepareTimeoutMs
            ? `its preparation did not finish within ${formatDuration(input.prepareTimeoutMs)} (abandoned)`
            : null;
    if (reason) evict.push({ id: m.id, reason });
    else kept.push(m);
  }
  const wanted = input.inHours ? input.size : 0;
  if (kept.length > wanted) {
    // Shed what has cost least so far first: members still preparing (newest first), then the
    // oldest ready ones, which would age out soonest anyway.
    const preparing = kept.filter((m) => m.state === 'preparing').sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const ready = kept.filter((m) => m.state === 'ready').sort((a, b) => (a.builtAt?.getTime() ?? 0) - (b.builtAt?.getTime() ?? 0));
    const why = input.inHours ? `in excess of the pool's size ${input.size}` : "outside the pool's hours";
    for (const m of [...preparing, ...ready].slice(0, kept.length - wanted)) evict.push({ id: m.id, reason: why });
  }
  return { evict, prepare: Math.max(0, wanted - kept.length) };
}
