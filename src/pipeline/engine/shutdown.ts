// How an engine stops. A server hands its runs over (a planned restart, not a crash): each stops at a
// step boundary — a step not safe to repeat gets `graceMs` to finish — and is released marked for
// handover, so another replica (or this one, restarted) resumes it at once. A short-lived engine gives
// its runs `graceMs`, then lets go of what is left. A teardown under way always finishes, with its lease.
import type { EngineServices } from '../engine-services.ts';
import type { DriverPool } from './drivers.ts';
import { handOverRun } from './handover.ts';

/** Hands every run this server drives over to the next replica. */
export async function handOver(svc: EngineServices, pool: DriverPool, graceMs: number): Promise<void> {
  // abandon() before stop() is a crash (tests): nothing of it is handed over.
  const handing = [...pool.entries()]
    .filter(([, driver]) => !driver.tearingDown && !driver.wasAbandoned)
    .map(([runId, driver]) => ({ runId, driver, drive: pool.driveOf(runId) }));
  for (const h of handing) h.driver.handOver();
  if (handing.length > 0) {
    await Promise.race([Promise.allSettled(handing.map((h) => h.drive)), graceOf(graceMs)]);
    for (const h of handing) h.driver.forceHandOver();
    await Promise.allSettled(handing.map((h) => h.drive));
  }
  for (const h of handing) {
    if (h.driver.fencedBy) continue;
    await handOverRun(svc, h.runId, h.driver.leaseEpoch).catch((err) =>
      svc.logger.error({ err, runId: h.runId }, 'handover failed; the run is adopted when its lease lapses'),
    );
  }
}

/** A short-lived engine's stop: its runs get `graceMs`, then their leases are released for adoption. */
export async function letGo(svc: EngineServices, pool: DriverPool, graceMs: number): Promise<void> {
  const inFlight = pool.inFlight();
  if (inFlight.length > 0) await Promise.race([Promise.allSettled(inFlight), graceOf(graceMs)]);
  for (const [runId, driver] of pool.entries()) {
    // A teardown under way finishes here, with its lease, rather than being handed over half done.
    if (driver.tearingDown) continue;
    driver.abandon();
    await svc.store.releaseLease(runId, svc.ownerId).catch(() => undefined);
  }
}

function graceOf(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
