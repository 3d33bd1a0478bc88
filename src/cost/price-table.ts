// The bundled price table: on-demand USD prices for the instance types and regions staging
// fleets commonly use. Config (`pricing:`) overrides it, and the AWS Pricing API can refresh it
// (cached in the store). Figures are list prices; they do not know about savings plans or
// reserved instances, so they are an upper bound on what a run really costs.

export const PRICE_TABLE_SOURCE =
  'AWS public price list: EC2 on-demand, Linux, shared tenancy; EBS and public IPv4 list prices';
export const PRICE_TABLE_DATE = '2025-06-01';

/** USD per instance-hour, by region then instance type. */
export const INSTANCE_HOURLY: Record<string, Record<string, number>> = {
  'us-east-1': {
    't3.micro': 0.0104, 't3.small': 0.0208, 't3.medium': 0.0416, 't3.large': 0.0832, 't3.xlarge': 0.1664, 't3.2xlarge': 0.3328,
    't3a.large': 0.0752, 't3a.xlarge': 0.1504, 't3a.2xlarge': 0.3008,
    'm5.large': 0.096, 'm5.xlarge': 0.192, 'm5.2xlarge': 0.384, 'm5.4xlarge': 0.768,
    'm6i.large': 0.096, 'm6i.xlarge': 0.192, 'm6i.2xlarge': 0.384, 'm6i.4xlarge': 0.768,
    'm7i.large': 0.1008, 'm7i.xlarge': 0.2016, 'm7i.2xlarge': 0.4032,
    'c5.xlarge': 0.17, 'c5.2xlarge': 0.34, 'c6i.xlarge': 0.17, 'c6i.2xlarge': 0.34,
    'r5.large': 0.126, 'r5.xlarge': 0.252, 'r5.2xlarge': 0.504,
  },
  'us-east-2': {
    't3.micro': 0.0104, 't3.small': 0.0208, 't3.medium': 0.0416, 't3.large': 0.0832, 't3.xlarge': 0.1664, 't3.2xlarge': 0.3328,
    'm5.large': 0.096, 'm5.xlarge': 0.192, 'm5.2xlarge': 0.384, 'm6i.large': 0.096, 'm6i.xlarge': 0.192, 'm6i.2xlarge': 0.384,
    'c5.xlarge': 0.17, 'c5.2xlarge': 0.34,
  },
  'us-west-2': {
    't3.micro': 0.0104, 't3.small': 0.0208, 't3.medium': 0.0416, 't3.large': 0.0832, 't3.xlarge': 0.1664, 't3.2xlarge': 0.3328,
    'm5.large': 0.096, 'm5.xlarge': 0.192, 'm5.2xlarge': 0.384, 'm6i.large': 0.096, 'm6i.xlarge': 0.192, 'm6i.2xlarge': 0.384,
    'c5.xlarge': 0.17, 'c5.2xlarge': 0.34,
  },
  'eu-west-1': {
    't3.micro': 0.0114, 't3.small': 0.0228, 't3.medium': 0.0456, 't3.large': 0.0912, 't3.xlarge': 0.1824, 't3.2xlarge': 0.3648,
    't3a.large': 0.0816, 't3a.xlarge': 0.1632, 't3a.2xlarge': 0.3264,
    'm5.large': 0.107, 'm5.xlarge': 0.214, 'm5.2xlarge': 0.428, 'm6i.large': 0.107, 'm6i.xlarge': 0.214, 'm6i.2xlarge': 0.428,
    'c5.xlarge': 0.192, 'c5.2xlarge': 0.384, 'r5.large': 0.141, 'r5.xlarge': 0.282,
  },
  'eu-central-1': {
    't3.micro': 0.012, 't3.small': 0.024, 't3.medium': 0.048, 't3.large': 0.096, 't3.xlarge': 0.192, 't3.2xlarge': 0.384,
    'm5.large': 0.115, 'm5.xlarge': 0.23, 'm5.2xlarge': 0.46, 'm6i.large': 0.115, 'm6i.xlarge': 0.23, 'm6i.2xlarge': 0.46,
    'c5.xlarge': 0.194, 'c5.2xlarge': 0.388,
  },
};

/** USD per GB-month of EBS, by region then volume type. */
export const EBS_GB_MONTH: Record<string, Record<string, number>> = {
  'us-east-1': { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 },
  'us-east-2': { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 },
  'us-west-2': { gp3: 0.08, gp2: 0.1, io1: 0.125, io2: 0.125, st1: 0.045, sc1: 0.015, standard: 0.05 },
  'eu-west-1': { gp3: 0.088, gp2: 0.11, io1: 0.138, io2: 0.138, st1: 0.05, sc1: 0.0168, standard: 0.055 },
  'eu-central-1': { gp3: 0.0952, gp2: 0.119, io1: 0.149, io2: 0.149, st1: 0.054, sc1: 0.018, standard: 0.059 },
};

/** USD per GB-month of snapshot storage (standard tier). */
export const SNAPSHOT_GB_MONTH: Record<string, number> = {
  'us-east-1': 0.05, 'us-east-2': 0.05, 'us-west-2': 0.05, 'eu-west-1': 0.05, 'eu-central-1': 0.054,
};

/** USD per GB-month of S3 Standard storage (the first 50 TB tier), where test artifacts are kept. */
export const S3_STANDARD_GB_MONTH: Record<string, number> = {
  'us-east-1': 0.023, 'us-east-2': 0.023, 'us-west-2': 0.023, 'eu-west-1': 0.023, 'eu-central-1': 0.0245,
};

/** USD per hour of a public IPv4 address (charged since 2024-02, in use or idle). */
export const PUBLIC_IPV4_HOURLY = 0.005;

/** AWS bills GB-months over 730 hours. */
export const HOURS_PER_MONTH = 730;

/** Every instance type the bundled table prices, in any region, sorted. */
export function bundledInstanceTypes(): string[] {
  return [...new Set(Object.values(INSTANCE_HOURLY).flatMap((byType) => Object.keys(byType)))].sort();
}
