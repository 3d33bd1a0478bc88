// launch: one EC2 instance from the environment's AMI, tagged from the moment it exists, recorded as
// soon as AWS names it, and waited on until it runs. Repeating it (a resumed run) adopts the instance
// the run already has instead of launching a second one.
import {
  CreateKeyPairCommand,
  DeleteKeyPairCommand,
  DescribeKeyPairsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import { awsErrorCode, describeAwsError, isCapacity, isNotFound } from '../../aws/errors.ts';
import { tagSpecifications } from '../../aws/tags.ts';
import { resourceTypesCreatedBy } from '../../aws/kinds/index.ts';
import { UserError } from '../../errors.ts';
import type { PipelineStep, RunContext, StepResult } from '../run-context.ts';
import { stepError } from './helpers/aws-step-error.ts';
import { outputsOf, waitRunning } from './helpers/instance-outputs.ts';
import { claimWarm, resumeClaim } from './helpers/warm-claim.ts';
import { describeLaunchImage, type LaunchImage } from './helpers/launch-image.ts';
import { EPHEMERAL_KEY_PAIR, ephemeralKeyName, launchClientToken, runInstancesRequest } from './helpers/launch-request.ts';
import { EPHEMERAL_KEY_SECRET, type LaunchOutputs } from '../step-outputs.ts';
import { isRunResource, runTagFilters, type RunIdentity } from '../../aws/run-ownership.ts';
import { manifestBackend } from '../../images/manifest-backend.ts';
import { resolveBaseAmi } from '../../images/base.ts';
import { needsManifest, resolveAmi, type ResolvedAmi } from '../../images/resolve.ts';

/** States an instance of ours can be adopted from. */
const ADOPTABLE_STATES = ['pending', 'running'];

async function run(ctx: RunContext): Promise<StepResult<LaunchOutputs>> {
  const ec2 = ctx.aws.ec2(ctx.env.region);
  const ephemeral = ctx.env.keyPair === EPHEMERAL_KEY_PAIR;

  // A warm member claimed earlier (a resumed run, a crash mid-claim): the claim is finished, not redone.
  const resumed = ctx.run.kind === 'launch' ? await resumeClaim(ctx, ec2) : null;
  if (resumed) return { outputs: resumed };

  const existing = await findRunInstances(ctx, ec2);
  const first = existing[0];
  if (first) {
    // An ephemeral key lives only in the memory of the process that created it: an instance launched
    // with a key nobody holds any more cannot be reached, so it is replaced rather than adopted.
    if (!ephemeral || ctx.secrets.has(EPHEMERAL_KEY_SECRET)) return { outputs: await adopt(ctx, ec2, first, existing.length) };
    await replaceUnreachable(ctx, ec2, existing);
  }

  const ami = await launchAmi(ctx);
  if (ami.from !== ami.ami) ctx.log(`AMI ${ami.ami} (${ami.from})`);
  // The warm path: a prepared member of the environment's pool, built from this AMI, when one is ready.
  const warm = ctx.run.kind === 'launch' && ctx.env.warmPool && ctx.run.options.ami === undefined ? await claimWarm(ctx, ec2, ami.ami) : null;
  if (warm) return { outputs: warm };
  const image = await describeLaunchImage(ec2, { ...ctx.env, ami: ami.ami }, ctx.signal);
  const key = ephemeral ? await createEphemeralKey(ctx, ec2) : { keyName: ctx.env.keyPair, keyPairId: null };
  // Each instance this run ever had bumps the generation, so a new attempt never gets an old
  // (terminated) instance back for its ClientToken.
  const generation = (await ctx.records.assets()).filter((a) => a.kind === 'instance').length;
  const launched = await runInstance(ctx, ec2, image, key.keyName, generation);
  const instanceId = launched.instance.InstanceId!;
  // Recorded before anything else can fail: a crash from here on still leaves the store knowing it.
  await ctx.recordAsset('instance', instanceId);
  ctx.log(`launched ${instanceId} (${ctx.env.instanceType}) in ${launched.subnetId}; waiting until it runs`);

  const running = await waitRunning(ctx, ec2, instanceId);
  const outputs = await outputsOf(ctx, running, { keyName: key.keyName, keyPairId: key.keyPairId, ephemeralKey: ephemeral, adopted: false, subnetId: launched.subnetId });
  return { outputs: { ...outputs, ami: ami.ami } };
}

/** The AMI this run starts from: the environment's, an image of the manifest, or the launch's --ami. */
async function launchAmi(ctx: RunContext): Promise<ResolvedAmi> {
  // A bake's builder starts from its image's base (an id, the newest match of a name filter, or a public parameter).
  const baking = ctx.run.kind === 'bake' && ctx.run.options.image ? ctx.config.images[ctx.run.options.image] : undefined;
  if (baking) {
    try {
      return await resolveBaseAmi(ctx.aws, baking, ctx.signal);
    } catch (err) {
      if (err instanceof UserError) throw err;
      throw stepError(`${baking.base.ssm ? `GetParameter ${baking.base.ssm}` : 'DescribeImages'} (the base of ${baking.name})`, err);
    }
  }
  const override = ctx.run.options.ami;
  const manifest = needsManifest(ctx.env, override) ? await (ctx.manifest ?? manifestBackend(ctx.config, null)).read() : null;
  return resolveAmi(ctx.env, manifest, override);
}

export const launchStep: PipelineStep<'launch'> = { name: 'launch', safeToRepeat: true, run };

function identity(ctx: RunContext): RunIdentity {
  return { installation: ctx.config.installation, runId: ctx.run.id };
}

/** This run's pending or running instances, oldest first. */
async function findRunInstances(ctx: RunContext, ec2: EC2Client): Promise<Instance[]> {
  const found: Instance[] = [];
  try {
    const pages = paginateDescribeInstances(
      { client: ec2, pageSize: 100 },
      { Filters: [...runTagFilters(identity(ctx)), { Name: 'instance-state-name', Values: ADOPTABLE_STATES }] },
      { abortSignal: ctx.signal },
    );
    for await (const page of pages) {
      for (const r of page.Reservations ?? []) for (const i of r.Instances ?? []) if (isRunResource(i.Tags, identity(ctx))) found.push(i);
    }
  } catch (err) {
    throw stepError('DescribeInstances (looking for this run’s instance)', err);
  }
  return found.sort((a, b) => (a.LaunchTime?.getTime() ?? 0) - (b.LaunchTime?.getTime() ?? 0));
}

async function adopt(ctx: RunContext, ec2: EC2Client, instance: Instance, count: number): Promise<LaunchOutputs> {
  const instanceId = instance.InstanceId!;
  await ctx.recordAsset('instance', instanceId);
  ctx.log(`adopting ${instanceId}, launched for this run earlier (${instance.State?.Name ?? 'unknown state'})`);
  if (count > 1) ctx.log(`this run has ${count - 1} more instance(s); teardown terminates them`);
  const running = instance.State?.Name === 'running' ? instance : await waitRunning(ctx, ec2, instanceId);
  const ephemeral = ctx.env.keyPair === EPHEMERAL_KEY_PAIR;
  const keyPairId = ephemeral ? await runKeyPairId(ctx, ec2) : null;
  return outputsOf(ctx, running, {
    keyName: running.KeyName ?? null,
    keyPairId,
    ephemeralKey: ephemeral,
    adopted: true,
    subnetId: running.SubnetId ?? '',
  });
}

async function runKeyPairId(ctx: RunContext, ec2: EC2Client): Promise<string | null> {
  try {
    const out = await ec2.send(new DescribeKeyPairsCommand({ Filters: runTagFilters(identity(ctx)) }), { abortSignal: ctx.signal });
    const id = out.KeyPairs?.find((k) => isRunResource(k.Tags, identity(ctx)))?.KeyPairId ?? null;
    if (id) await ctx.recordAsset('key-pair', id);
    return id;
  } catch (err) {
    throw stepError('DescribeKeyPairs (this run’s key pair)', err);
  }
}

/** Terminates instances of this run whose ephemeral key died with an earlier process (teardown confirms them gone). */
async function replaceUnreachable(ctx: RunContext, ec2: EC2Client, instances: Instance[]): Promise<void> {
  for (const instance of instances) {
    const id = instance.InstanceId!;
    await ctx.recordAsset('instance', id);
    ctx.log(`${id} of this run was launched with an ephemeral key that was lost with its process; terminating it and launching a new one`);
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    } catch (err) {
      if (!isNotFound(err)) throw stepError(`TerminateInstances ${id}`, err);
    }
  }
}

/**
 * Creates the run's key pair, tagged at creation. One left by an earlier attempt of this run is
 * deleted and made anew (its private key is gone); one that is not this run's is never touched.
 */
async function createEphemeralKey(ctx: RunContext, ec2: EC2Client): Promise<{ keyName: string; keyPairId: string }> {
  const keyName = ephemeralKeyName(ctx.run.id);
  const create = () =>
    ec2.send(
      new CreateKeyPairCommand({
        KeyName: keyName,
        KeyType: 'ed25519',
        KeyFormat: 'pem',
        TagSpecifications: tagSpecifications(resourceTypesCreatedBy('CreateKeyPair'), ctx.tags(`stagebot ${ctx.run.id}`)),
      }),
    );
  let out;
  try {
    out = await create();
  } catch (err) {
    if (awsErrorCode(err) !== 'InvalidKeyPair.Duplicate') throw stepError(`CreateKeyPair ${keyName}`, err);
    await deleteEarlierKey(ctx, ec2, keyName);
    try {
      out = await create();
    } catch (again) {
      throw stepError(`CreateKeyPair ${keyName}`, again);
    }
  }
  if (!out.KeyPairId || !out.KeyMaterial) throw new Error(`CreateKeyPair ${keyName} returned no key pair id or key material`);
  await ctx.recordAsset('key-pair', out.KeyPairId);
  ctx.secrets.set(EPHEMERAL_KEY_SECRET, out.KeyMaterial);
  ctx.log(`created key pair ${keyName} (${out.KeyPairId})`);
  return { keyName, keyPairId: out.KeyPairId };
}

async function deleteEarlierKey(ctx: RunContext, ec2: EC2Client, keyName: string): Promise<void> {
  let pair;
  try {
    const out = await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [keyName] }), { abortSignal: ctx.signal });
    pair = out.KeyPairs?.[0];
  } catch (err) {
    // Gone in between: nothing to delete.
    if (isNotFound(err)) return;
    throw stepError(`DescribeKeyPairs ${keyName}`, err);
  }
  if (!pair?.KeyPairId) return;
  if (!isRunResource(pair.Tags, identity(ctx))) {
    throw new UserError(
      `key pair ${keyName} already exists in ${ctx.env.region} but is not tagged as run ${ctx.run.id}'s; stagebot leaves it alone (delete or rename it)`,
    );
  }
  await ctx.recordAsset('key-pair', pair.KeyPairId);
  try {
    await ec2.send(new DeleteKeyPairCommand({ KeyPairId: pair.KeyPairId }));
  } catch (err) {
    if (!isNotFound(err)) throw stepError(`DeleteKeyPair ${keyName}`, err);
  }
  await ctx.assetDeleted('key-pair', pair.KeyPairId);
  ctx.log(`deleted key pair ${keyName} (${pair.KeyPairId}) of an earlier attempt: its private key was lost`);
}

/** RunInstances in the environment's subnets in order, moving on when one has no capacity. */
async function runInstance(
  ctx: RunContext,
  ec2: EC2Client,
  image: LaunchImage,
  keyName: string,
  generation: number,
): Promise<{ instance: Instance; subnetId: string }> {
  const { env } = ctx;
  const tags = ctx.tags(`stagebot ${ctx.run.id}`);
  const tried: string[] = [];
  for (const [index, subnetId] of env.subnets.entries()) {
    ctx.signal.throwIfAborted();
    const request = runInstancesRequest({ env, image, subnetId, keyName, tags, clientToken: launchClientToken(ctx.run.id, ctx.run.leaseEpoch, generation, index) });
    try {
      // No abort signal: a RunInstances cut off mid-flight may still launch, and its id would be lost.
      const out = await ec2.send(new RunInstancesCommand(request));
      const instance = out.Instances?.[0];
      if (!instance?.InstanceId) throw new Error(`RunInstances in ${subnetId} returned no instance`);
      return { instance, subnetId };
    } catch (err) {
      if (!isCapacity(err)) throw stepError(`RunInstances in ${subnetId}`, err);
      tried.push(subnetId);
      const next = env.subnets[index + 1];
      // The person hears it: the environment ends up in another subnet (maybe another AZ), or not at all.
      ctx.warn(`no ${env.instanceType} capacity in ${subnetId} (${awsErrorCode(err) ?? describeAwsError(err)})${next ? `; trying ${next}` : ''}`);
    }
  }
  throw new UserError(
    `no ${env.instanceType} capacity for ${env.name} in ${env.region}: tried ${tried.join(', ')}; try again later, or add subnets in other availability zones`,
  );
}
