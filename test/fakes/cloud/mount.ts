// How the fake cloud sits behind the real SDK clients.
//
// Why not aws-sdk-client-mock: it replaces `client.send`, so nothing of the SDK runs — no retry
// strategy (a faked throttle reaches the caller on the first try, which production would have retried;
// test/fakes/mount.test.ts proves it), no input serialization, no endpoint resolution. Instead the fake is
// a middleware at the `deserialize` step of each client's own stack: below the retry middleware, so
// throttles and 5xx are retried by the SDK's real retry middleware and classifier, and after
// serialization and signing, so the request was built exactly as for AWS. Each client is built by
// stagebot's own createAwsClients for one region, so the region of a call is the client's region.

import {
  createAwsClients,
  type AnyAwsClient,
  type AwsClientOptions,
  type AwsClients,
  type AwsService,
} from '../../../src/aws/clients.ts';
import { CredentialsProviderError } from '@smithy/core/config';
import type { RetryStrategyV2, RetryErrorInfo, StandardRetryToken } from '@smithy/types';
import type { FakeCloud } from './world.ts';

type AnyMiddleware = (next: unknown, context: { commandName?: string }) => (args: { input: object; request?: { body?: unknown } }) => Promise<unknown>;
interface Stack {
  add(mw: AnyMiddleware, opts: { step: 'deserialize'; name: string; priority: 'high'; override: boolean }): void;
}

/** RunInstances' ClientToken as the SDK sent it (it generates one when the caller gave none). */
function sentClientToken(request: { body?: unknown } | undefined): string | undefined {
  return typeof request?.body === 'string' ? (new URLSearchParams(request.body).get('ClientToken') ?? undefined) : undefined;
}

export function mountFakeCloud(cloud: FakeCloud, client: AnyAwsClient, service: AwsService, region: string): void {
  (client.middlewareStack as unknown as Stack).add(
    (_next, context) => async (args) => {
      const command = (context.commandName ?? '').replace(/Command$/, '');
      // Without a caller's ClientToken the SDK sends one it generated, reused by its own retries (so those
      // are idempotent, as on AWS). `cloud.calls` still shows the caller's input: whether stagebot passed
      // its own token is what tests check.
      const sdkToken = command === 'RunInstances' ? sentClientToken(args.request) : undefined;
      const output = await cloud.dispatch(service, region, command, args.input, sdkToken ? { sdkClientToken: sdkToken } : {});
      return { output: { ...output, $metadata: { httpStatusCode: 200, requestId: `fake-${cloud.calls.length}` } }, response: { statusCode: 200, headers: {} } };
    },
    { step: 'deserialize', name: 'stagebotFakeCloud', priority: 'high', override: true },
  );
}

/**
 * Retries what the SDK classified as throttling or transient, up to `maxAttempts`, without back-off
 * delays (the production adaptive strategy waits up to seconds per throttle and then rate-limits the
 * client). Classification stays the SDK's own: it hands us `errorType`.
 */
export function instantRetryStrategy(maxAttempts: number): RetryStrategyV2 {
  const token = (count: number): StandardRetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0, getRetryTokenCount: () => 0 } as unknown as StandardRetryToken);
  return {
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (t: StandardRetryToken, info: RetryErrorInfo) => {
      const next = t.getRetryCount() + 1;
      if ((info.errorType === 'THROTTLING' || info.errorType === 'TRANSIENT') && next < maxAttempts) return token(next);
      throw info.error;
    },
    recordSuccess: () => {},
  };
}

/** The last link of the SDK's default chain (@aws-sdk/credential-provider-node), when every other link found nothing. */
async function noCredentials(): Promise<never> {
  throw new CredentialsProviderError('Could not load credentials from any providers', { tryNextLink: false });
}

export interface FakeAwsClientOptions {
  /** Default 5, as in production. */
  maxAttempts?: number;
  /**
   * `none`: a machine without AWS credentials. Every call fails in the SDK's signing step, before it
   * reaches the fake, with the error the default credential chain ends in.
   */
  credentials?: 'static' | 'none';
  /** `instant` (default): SDK retries without back-off. `sdk`: the production adaptive strategy, real delays. */
  retry?: 'instant' | 'sdk';
}

/** stagebot's AwsClients, every client acting on `cloud` (its region's world). */
export function createFakeAwsClients(cloud: FakeCloud, opts: FakeAwsClientOptions = {}): AwsClients {
  const maxAttempts = opts.maxAttempts ?? 5;
  const options: AwsClientOptions = {
    maxAttempts,
    // Static fake credentials: the default chain would go looking for real ones (and IMDS) first.
    credentials: opts.credentials === 'none' ? noCredentials : { accessKeyId: 'AKIAFAKECLOUD0000000', secretAccessKey: 'fake-cloud-secret' },
    onClient: (client, { service, region }) => mountFakeCloud(cloud, client, service, region),
  };
  if ((opts.retry ?? 'instant') === 'instant') options.retryStrategy = instantRetryStrategy(maxAttempts);
  return createAwsClients(options);
}
