// One SDK v3 client per service and region, built once and reused (each holds its own connection pool
// and its own adaptive-retry rate limiter, which is what we want: a throttled region slows only itself).
//
// No `endpoint` is passed on purpose: the SDK itself honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>
// (e.g. AWS_ENDPOINT_URL_EC2), like every AWS tool, so stagebot can be pointed at any AWS-compatible endpoint.

import { EC2Client, type EC2ClientConfig } from '@aws-sdk/client-ec2';
import { ElasticLoadBalancingV2Client, type ElasticLoadBalancingV2ClientConfig } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PricingClient, type PricingClientConfig } from '@aws-sdk/client-pricing';
import { ResourceGroupsTaggingAPIClient, type ResourceGroupsTaggingAPIClientConfig } from '@aws-sdk/client-resource-groups-tagging-api';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SSMClient, type SSMClientConfig } from '@aws-sdk/client-ssm';
import { STSClient, type STSClientConfig } from '@aws-sdk/client-sts';
import { ConfigError } from '../errors.ts';

export const AWS_SERVICES = ['ec2', 'elbv2', 'tagging', 'sts', 'pricing', 's3'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

export type AnyAwsClient = EC2Client | ElasticLoadBalancingV2Client | ResourceGroupsTaggingAPIClient | STSClient | PricingClient | S3Client | SSMClient;

export interface AwsClients {
  ec2(region: string): EC2Client;
  elbv2(region: string): ElasticLoadBalancingV2Client;
  tagging(region: string): ResourceGroupsTaggingAPIClient;
  sts(region: string): STSClient;
  /** The Pricing API lives in a few regions only; prices are the same whichever one answers. */
  pricing(): PricingClient;
  /** The artifact bucket's region. */
  s3(region: string): S3Client;
  /**
   * Systems Manager, for AWS's public parameters only (an image's `base.ssm`, read with GetParameter).
   * Not one of AWS_SERVICES: `onClient` does not see it (the fake cloud does not model SSM; tests mock
   * this client or use the emulator).
   */
  ssm(region: string): SSMClient;
  /** Closes every client built so far (their sockets); the next call builds fresh ones. */
  destroy(): void;
}

export interface AwsClientOptions {
  /** Attempts per call including the first, handled by the SDK's adaptive retry strategy. Default 5. */
  maxAttempts?: number;
  /** Default: the SDK's default credential chain (env, profile, SSO, web identity, instance role...). */
  credentials?: EC2ClientConfig['credentials'];
  /** Replaces the adaptive strategy; tests use it to retry without wall-clock back-off. */
  retryStrategy?: EC2ClientConfig['retryStrategy'];
  /** Region the Pricing client talks to (us-east-1, eu-central-1 or ap-south-1). Default us-east-1. */
  pricingRegion?: string;
  /**
   * S3 requests name the bucket in the path instead of the host name: for S3-compatible stores
   * without virtual-host buckets (`artifacts.s3.forcePathStyle`).
   */
  s3ForcePathStyle?: boolean;
  /** Called once for every client built, e.g. to add middleware (the fake cloud mounts itself this way). */
  onClient?: (client: AnyAwsClient, info: { service: AwsService; region: string }) => void;
}

export const DEFAULT_MAX_ATTEMPTS = 5;

const REGION = /^[a-z]{2,4}(?:-[a-z]+)+-\d{1,2}$/;

export function createAwsClients(opts: AwsClientOptions = {}): AwsClients {
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new ConfigError(`AWS maxAttempts ${maxAttempts} is invalid (a whole number of at least 1)`);
  }
  const cache = new Map<string, AnyAwsClient>();

  function get<C extends AnyAwsClient>(service: AwsService | 'ssm', region: string, build: (config: EC2ClientConfig) => C): C {
    if (!REGION.test(region)) throw new ConfigError(`AWS region ${JSON.stringify(region)} is not a region name (like us-east-1)`);
    const key = `${service}/${region}`;
    const cached = cache.get(key);
    if (cached) return cached as C;
    const client = build({
      region,
      maxAttempts,
      retryMode: 'adaptive',
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      ...(opts.retryStrategy ? { retryStrategy: opts.retryStrategy } : {}),
    });
    if (service !== 'ssm') opts.onClient?.(client, { service, region });
    cache.set(key, client);
    return client;
  }

  return {
    ec2: (region) => get('ec2', region, (c) => new EC2Client(c)),
    // The services' config types differ only in details we do not set (credentials are the same chain).
    elbv2: (region) => get('elbv2', region, (c) => new ElasticLoadBalancingV2Client(c as ElasticLoadBalancingV2ClientConfig)),
    tagging: (region) => get('tagging', region, (c) => new ResourceGroupsTaggingAPIClient(c as ResourceGroupsTaggingAPIClientConfig)),
    sts: (region) => get('sts', region, (c) => new STSClient(c as STSClientConfig)),
    pricing: () => get('pricing', opts.pricingRegion ?? 'us-east-1', (c) => new PricingClient(c as PricingClientConfig)),
    s3: (region) => get('s3', region, (c) => new S3Client({ ...(c as S3ClientConfig), ...(opts.s3ForcePathStyle ? { forcePathStyle: true } : {}) })),
    ssm: (region) => get('ssm', region, (c) => new SSMClient(c as SSMClientConfig)),
    destroy() {
      for (const client of cache.values()) client.destroy();
      cache.clear();
    },
  };
}
