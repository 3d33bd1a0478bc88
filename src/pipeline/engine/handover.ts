// A planned stop's part for each run this replica drives: the run is left at a step boundary (or where a
// step safe to repeat was), its SSH door closed (no replica may be back soon; the resumer opens it
// again), its secrets sealed for the resumer when the operator gave a key, and its lease released
// with the handover mark, so the next replica resumes it instead of treating it as a crash.
import { environmentOfRun } from '../run-environment.ts';
import { RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { isNotFound } from '../../aws/errors.ts';
import { fencedAwsClients } from '../../aws/fenced-clients.ts';
import { isFinished } from '../../domain/run.ts';
import type { EngineServices } from '../engine-services.ts';
import { sealSecrets } from '../handover-seal.ts';
import { RunFenced, errorLine } from '../run-errors.ts';
import type { OpenSshOutputs } from '../step-outputs.ts';

/** Hands one run over (its driver has stopped). False when it is no longer this replica's to hand over. */
export async function handOverRun(svc: EngineServices, runId: string, epoch: number): Promise<boolean> {
  const { store, ownerId, logger, clock } = svc;
  const run = await store.getRun(runId);
  if (!run || isFinished(run.state) || run.state === 'kept' || run.leaseOwner !== ownerId || run.leaseEpoch !== epoch) return false;
  await closeSsh(svc, runId, epoch).catch((err) =>
    logger.warn({ runId, err: errorLine(err) }, `run ${runId}: could not close its SSH rule before the handover; the resumer or teardown revokes it`),
  );
  const secrets = svc.secretsOf(runId);
  const sealed = svc.handoverKey !== null && secrets.size > 0 ? sealSecrets(svc.handoverKey, runId, secrets) : null;
  if (!(await store.handOver(runId, ownerId, ownerId, sealed))) return false;
  logger.info({ runId, replica: ownerId, at: clock.now().toISOString(), sealedSecrets: sealed !== null }, `run ${runId} handed over for a restart; the next replica resumes it`);
  svc.metrics?.runRecoveries.inc({ event: 'handed-over' });
  return true;
}

/**
 * Revokes the SSH rules the run's open-ssh step made and marks the step to be done again: a replica that
 * stops for good must not leave port 22 open until the run's expiry. Fenced like the driver's calls.
 */
async function closeSsh(svc: EngineServices, runId: string, epoch: number): Promise<void> {
  const { store, ownerId, clock, config } = svc;
  const run = await store.getRun(runId);
  const env = run ? environmentOfRun(config, run) : undefined;
  const step = await store.getStep(runId, 'open-ssh');
  if (!env || step?.state !== 'succeeded') return;
  const ruleIds = (step.outputs as OpenSshOutputs).ruleIds ?? [];
  if (ruleIds.length === 0) return;
  const aws = fencedAwsClients(svc.aws, async (operation) => {
    if (!(await store.holdsLease(runId, ownerId, epoch, clock.now()))) throw new RunFenced(runId, epoch, operation);
  });
  try {
    await aws.ec2(env.region).send(new RevokeSecurityGroupIngressCommand({ GroupId: env.securityGroup, SecurityGroupRuleIds: ruleIds }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  for (const id of ruleIds) await store.markAssetDeleted('security-group-rule', id, clock.now());
  await store.upsertStep({ ...step, state: 'pending', startedAt: null, finishedAt: null, outputs: {}, error: null });
  svc.emitLog(runId, 'open-ssh', `closed SSH (${ruleIds.join(', ')}) for the handover; the replica that resumes the run opens it again`);
}
