// `launch --dry-run`: asks AWS whether a launch of the environment would go through — allowed account,
// AMI, security group, subnets, key pair, target group, and the permissions of every mutating call
// (EC2's DryRun) — without creating anything. Each check says what it found in one line.
import { manifestBackend } from '../images/manifest-backend.ts';
import type { ManifestBackend } from '../images/manifest.ts';
import { needsManifest, resolveAmi } from '../images/resolve.ts';
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateKeyPairCommand,
  DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { DescribeTargetGroupsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsClients } from '../aws/clients.ts';
import { awsErrorCode, describeAwsError, isAccessDenied, isDryRunOk } from '../aws/errors.ts';
import { runTags, tagSpecifications } from '../aws/tags.ts';
import { resourceTypesCreatedBy } from '../aws/kinds/index.ts';
import type { Config, EnvironmentConfig } from '../config/index.ts';
import type { Requester, Source } from '../domain/run.ts';
import { UserError } from '../errors.ts';
import { AwsStepError } from './steps/helpers/aws-step-error.ts';
import { describeLaunchImage, type LaunchImage } from './steps/helpers/launch-image.ts';
import { EPHEMERAL_KEY_PAIR, ephemeralKeyName, runInstancesRequest } from './steps/helpers/launch-request.ts';
import { errorLine } from './run-errors.ts';
import type { WarmPathOutlook } from './pool-readiness.ts';
import { formatDuration } from '../domain/duration.ts';

export interface DryRunCheck {
  /** `account`, `ami`, `warm-pool` (info), `security-group`, `run-instances subnet-…`, `open-ssh`, `key-pair`, `target-group`. */
  check: string;
  ok: boolean;
  detail: string;
  /** Informational (the warm pool's outlook): never fails the dry run; fronts mark it apart from a pass. */
  info?: true;
}

export interface DryRunReport {
  /** Every check passed. */
  ok: boolean;
  checks: DryRunCheck[];
}

export interface DryRunDeps {
  config: Config;
  aws: AwsClients;
  env: EnvironmentConfig;
  /** The id the launch would get: it goes into the tags AWS validates. */
  runId: string;
  requester: Requester;
  source: Source;
  /** Throws when the credentials are not of an allowed account (the engine's check). */
  checkAccount: (region: string) => Promise<unknown>;
  /** Default: the current time (for the expires-at tag). */
  now?: Date;
  /** The image manifest (for an environment on image:NAME@CHANNEL); default the configured file. */
  manifest?: ManifestBackend | undefined;
  /**
   * What the environment's warm pool holds for a launch now (the app wires pool-readiness's
   * warmPathOutlook over the store). Absent: no warm-pool line (a bake's dry run has none).
   */
  warmPath?: ((envName: string, now: Date) => Promise<WarmPathOutlook>) | undefined;
  /** Whether the engine that would drive the launch has STAGEBOT_HANDOVER_KEY (a member's sealed ephemeral key needs it). Default true. */
  handoverKey?: boolean | undefined;
}

export async function dryRunLaunch(deps: DryRunDeps): Promise<DryRunReport> {
  const { env, aws } = deps;
  const checks: DryRunCheck[] = [];
  const report = (): DryRunReport => ({ ok: checks.every((c) => c.ok), checks });

  try {
    await deps.checkAccount(env.region);
    checks.push({ check: 'account', ok: true, detail: `the AWS credentials belong to an allowed account` });
  } catch (err) {
    // Nothing more is asked of an account stagebot must not touch.
    checks.push({ check: 'account', ok: false, detail: errorLine(err) });
    return report();
  }

  const ec2 = aws.ec2(env.region);
  const now = deps.now ?? new Date();
  const name = `stagebot ${deps.runId}`;
  const tags = runTags({
    installation: deps.config.installation,
    runId: deps.runId,
    env: env.name,
    requester: deps.requester,
    source: deps.source,
    expiresAt: new Date(now.getTime() + deps.config.runs.timeout),
    name,
  });

  let image: LaunchImage | null = null;
  try {
    const manifest = needsManifest(env) ? await (deps.manifest ?? manifestBackend(deps.config, null)).read() : null;
    const ami = resolveAmi(env, manifest);
    image = await describeLaunchImage(ec2, { ...env, ami: ami.ami });
    const size = image.rootSnapshotGb !== null ? `, ${image.rootSnapshotGb} GB root snapshot` : '';
    const from = ami.from !== ami.ami ? ` (${ami.from})` : '';
    checks.push({ check: 'ami', ok: true, detail: `${ami.ami}${from} is available (root device ${image.rootDeviceName}${size})` });
  } catch (err) {
    checks.push({ check: 'ami', ok: false, detail: failure('ec2:DescribeImages', err) });
  }

  if (env.warmPool && deps.warmPath) checks.push(await warmPoolCheck(deps.warmPath, env, now, deps.handoverKey ?? true));

  checks.push(
    await describeCheck('security-group', 'ec2:DescribeSecurityGroups', async () => {
      await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [env.securityGroup] }));
      return `${env.securityGroup} exists`;
    }),
  );

  const ephemeral = env.keyPair === EPHEMERAL_KEY_PAIR;
  for (const subnetId of env.subnets) {
    const check = `run-instances ${subnetId}`;
    if (!image) {
      checks.push({ check, ok: false, detail: 'not checked: the launch needs an available AMI' });
      continue;
    }
    // An ephemeral key does not exist before the launch creates it; its own check is CreateKeyPair below.
    const request = runInstancesRequest({ env, image, subnetId, keyName: ephemeral ? null : env.keyPair, tags, dryRun: true });
    checks.push(await dryRunCheck(check, 'ec2:RunInstances', () => ec2.send(new RunInstancesCommand(request))));
  }

  if (env.ssh.allowFrom.length > 0) {
    checks.push(
      await dryRunCheck('open-ssh', 'ec2:AuthorizeSecurityGroupIngress', () =>
        ec2.send(
          new AuthorizeSecurityGroupIngressCommand({
            GroupId: env.securityGroup,
            IpPermissions: [
              { IpProtocol: 'tcp', FromPort: env.ssh.port, ToPort: env.ssh.port, IpRanges: env.ssh.allowFrom.map((CidrIp) => ({ CidrIp, Description: name })) },
            ],
            TagSpecifications: tagSpecifications(resourceTypesCreatedBy('AuthorizeSecurityGroupIngress'), tags),
            DryRun: true,
          }),
        ),
      ),
    );
  }

  if (ephemeral) {
    checks.push(
      await dryRunCheck('key-pair', 'ec2:CreateKeyPair', () =>
        ec2.send(
          new CreateKeyPairCommand({
            KeyName: ephemeralKeyName(deps.runId),
            KeyType: 'ed25519',
            TagSpecifications: tagSpecifications(resourceTypesCreatedBy('CreateKeyPair'), tags),
            DryRun: true,
          }),
        ),
      ),
    );
  } else {
    checks.push(
      await describeCheck('key-pair', 'ec2:DescribeKeyPairs', async () => {
        await ec2.send(new DescribeKeyPairsCommand({ KeyNames: [env.keyPair] }));
        return `key pair ${env.keyPair} exists`;
      }),
    );
  }

  // A bake's builder is behind no load balancer.
  if (env.targetGroupArn) checks.push(
    await describeCheck('target-group', 'elasticloadbalancing:DescribeTargetGroups', async () => {
      const out = await aws.elbv2(env.region).send(new DescribeTargetGroupsCommand({ TargetGroupArns: [env.targetGroupArn] }));
      const group = out.TargetGroups?.[0];
      // The load balancer has no DryRun: registering and deregistering can only be checked by doing it.
      return `${group?.TargetGroupName ?? env.targetGroupArn} exists (${group?.Protocol ?? '?'}:${group?.Port ?? '?'}); Register/DeregisterTargets permissions cannot be dry-run`;
    }),
  );

  return report();
}

/** Whether the launch would take the warm path now: a line to read, never a failure. */
async function warmPoolCheck(outlook: NonNullable<DryRunDeps['warmPath']>, env: EnvironmentConfig, now: Date, handoverKey: boolean): Promise<DryRunCheck> {
  const line = (detail: string): DryRunCheck => ({ check: 'warm-pool', ok: true, detail, info: true });
  try {
    const { member, unclaimable, preparing } = await outlook(env.name, now);
    if (member) {
      // To the minute: `built 2h13m ago`, not `2h13m` and the seconds the dry run took.
      const ageMs = member.builtAt ? Math.round((now.getTime() - member.builtAt.getTime()) / 60_000) * 60_000 : 0;
      const age = ageMs >= 60_000 ? `built ${formatDuration(ageMs)} ago` : 'built just now';
      const ready = `member ${member.id} ready (${age} from ${member.ami})`;
      // As the claim (steps/helpers/warm-claim.ts): a member's sealed ephemeral key opens only with the handover key.
      if (env.keyPair === EPHEMERAL_KEY_PAIR && !handoverKey) return line(`${ready}, but this engine has no STAGEBOT_HANDOVER_KEY to open its sealed SSH key; the launch would go cold`);
      return line(`${ready}, the launch would claim it`);
    }
    const held = [
      ...(unclaimable > 0 ? [`${unclaimable} ready but from another AMI or older than maxAge`] : []),
      preparing > 0 ? `${preparing} preparing` : 'none preparing',
    ].join(', ');
    return line(`no ready member (${held}); the launch would go cold`);
  } catch (err) {
    return line(`could not tell whether a member is ready (${errorLine(err)}); the launch claims one if it is`);
  }
}

/** A DryRun call: AWS answers DryRunOperation when the call would have been allowed. */
async function dryRunCheck(check: string, action: string, send: () => Promise<unknown>): Promise<DryRunCheck> {
  try {
    await send();
    // Only reachable if something ignored DryRun: say so loudly.
    return { check, ok: false, detail: `${action} was not treated as a dry run` };
  } catch (err) {
    if (isDryRunOk(err)) return { check, ok: true, detail: `${action} would be allowed` };
    return { check, ok: false, detail: failure(action, err) };
  }
}

async function describeCheck(check: string, action: string, run: () => Promise<string>): Promise<DryRunCheck> {
  try {
    return { check, ok: true, detail: await run() };
  } catch (err) {
    return { check, ok: false, detail: failure(action, err) };
  }
}

const NOT_AUTHORIZED = /not authorized to perform:? ([\w-]+:\w+)/i;

/** One line: which permission is missing, or what AWS said. */
function failure(action: string, thrown: unknown): string {
  const err = thrown instanceof AwsStepError ? thrown.cause : thrown;
  if (isAccessDenied(err)) {
    // RunInstances with tags also needs ec2:CreateTags: AWS names the action it refused.
    const missing = NOT_AUTHORIZED.exec(err instanceof Error ? err.message : '')?.[1] ?? action;
    return `missing permission ${missing} (${awsErrorCode(err)})`;
  }
  return thrown instanceof UserError ? errorLine(thrown) : describeAwsError(thrown);
}
