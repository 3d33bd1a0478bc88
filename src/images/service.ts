// The image lifecycle behind the `images`, `bake` and `promote` verbs: one object the composition
// root builds from the config, the store and the AWS clients.
import type { AwsClients } from '../aws/clients.ts';
import type { Config } from '../config/index.ts';
import type { Prices } from '../cost/prices.ts';
import type { Clock } from '../domain/clock.ts';
import type { Store } from '../store/index.ts';
import { manifestBackend, type ManifestBackend } from './manifest.ts';
import { imagesReport, type ImagesReport } from './report.ts';

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
}

export function createImagesService(deps: ImagesServiceDeps): ImagesService {
  const manifest = deps.manifest ?? manifestBackend(deps.config, deps.store);
  return {
    manifest,
    report: (image) => imagesReport({ config: deps.config, aws: deps.aws, prices: deps.prices, manifest, now: () => deps.clock.now() }, image),
  };
}
