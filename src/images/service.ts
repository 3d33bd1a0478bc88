// The image lifecycle behind the `images`, `bake` and `promote` verbs: one object the composition
// root builds from the config, the store and the AWS clients.
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import type { Prices } from '../cost/prices.ts';
import type { Clock } from '../domain/clock.ts';
import type { Store } from '../store/index.ts';
import type { ManifestBackend } from './manifest.ts';
import { manifestBackend } from './manifest-backend.ts';
import { imagesReport, type ImagesReport } from './report.ts';
import { resolveBaseAmi } from './base.ts';
import { checkAccount } from '../aws/account.ts';
import { newRunId } from '../domain/run-id.ts';
import type { Requester, Source } from '../domain/run.ts';
import { NotFoundError } from '../errors.ts';
import { dryRunLaunch, type DryRunReport } from '../pipeline/dry-run.ts';
import { errorLine } from '../pipeline/run-errors.ts';
import { builderEnvironment } from '../pipeline/run-environment.ts';

export interface ImagesServiceDeps {
  config: Config;
  store: Store;
  aws: AwsClients;
  prices: Prices;
  clock: Clock;
  /** Tests hand their own backend. */
  manifest?: ManifestBackend;
}

export interface ImagesService {
  readonly manifest: ManifestBackend;
  report(image: string | null): Promise<{ data: ImagesReport; text: string; problems: string[] }>;
  /** `bake --dry-run`: the base AMI found, and DryRun RunInstances, CreateKeyPair and the SSH rule for the builder. */
  dryRunBake(image: string, actor: { requester: Requester; source: Source }): Promise<DryRunReport>;
}

export function createImagesService(deps: ImagesServiceDeps): ImagesService {
  const manifest = deps.manifest ?? manifestBackend(deps.config, deps.store);
  return {
    manifest,
    report: (image) => imagesReport({ config: deps.config, aws: deps.aws, prices: deps.prices, manifest, now: () => deps.clock.now() }, image),
    async dryRunBake(name, actor) {
      const { config, aws } = deps;
      const image = config.images[name];
      if (!image) throw new NotFoundError(`no image ${name}`);
      const env = builderEnvironment(image);
      const now = deps.clock.now();
      let base;
      try {
        base = await resolveBaseAmi(aws, image);
      } catch (err) {
        return { ok: false, checks: [{ check: 'base', ok: false, detail: errorLine(err) }] };
      }
      const report = await dryRunLaunch({
        config,
        aws,
        env: { ...env, ami: base.ami },
        runId: newRunId(`bake-${name}`.slice(0, 32).replace(/-+$/, ''), now),
        now,
        requester: actor.requester,
        source: actor.source,
        checkAccount: (region) => checkAccount(aws.sts(region), config.aws.accountAllowlist),
      });
      const checks = [{ check: 'base', ok: true, detail: `${base.ami} from ${base.from}` }, ...report.checks];
      // CreateImage, StopInstances and CopyImage act on an instance or image that a dry run has not made.
      checks.push({ check: 'create-image', ok: true, detail: 'CreateImage and StopInstances need the builder itself: allowed by the IAM policy (stagebot iam-policy), not dry-run' });
      return { ok: checks.every((c) => c.ok), checks };
    },
  };
}
