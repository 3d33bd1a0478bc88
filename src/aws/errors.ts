// Classifying AWS errors. SDK v3 puts the AWS error code in `name` (EC2 also copies it to `Code`);
// ELBv2 errors are typed classes named `<Code>Exception`, so both spellings are listed.

const NOT_FOUND = new Set([
  'InvalidInstanceID.NotFound',
  'InvalidVolume.NotFound',
  'InvalidAMIID.NotFound',
  'InvalidAMIID.Unavailable',
  'InvalidSnapshot.NotFound',
  'InvalidKeyPair.NotFound',
  'InvalidGroup.NotFound',
  'InvalidPermission.NotFound',
  'InvalidSecurityGroupRuleId.NotFound',
  'InvalidNetworkInterfaceID.NotFound',
  'TargetGroupNotFound',
  'TargetGroupNotFoundException',
  // Deregistering a target that is no longer there (its instance is gone): the work is done.
  'InvalidTarget',
  'InvalidTargetException',
  // S3: an object or bucket that is not there.
  'NoSuchKey',
  'NotFound',
]);

// The SDK's own list of throttling codes (service-error-classification), plus what it checks besides names.
const THROTTLE = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
]);

const CAPACITY = new Set([
  'InsufficientInstanceCapacity',
  'InsufficientCapacity',
  'InsufficientHostCapacity',
  'InsufficientReservedInstanceCapacity',
]);

const ACCESS_DENIED = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'InvalidClientTokenId',
  'ExpiredToken',
  'ExpiredTokenException',
  'SignatureDoesNotMatch',
  'CredentialsProviderError',
]);

interface AwsErrorLike {
  name?: unknown;
  Code?: unknown;
  code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** The AWS error code (`InvalidInstanceID.NotFound`), or null for something that is not an AWS error. */
export function awsErrorCode(err: unknown): string | null {
  if (typeof err !== 'object' || err === null) return null;
  const e = err as AwsErrorLike;
  for (const candidate of [e.Code, e.name, e.code]) {
    if (typeof candidate === 'string' && candidate !== '' && candidate !== 'Error') return candidate;
  }
  return null;
}

function message(err: unknown): string {
  if (typeof err === 'object' && err !== null && typeof (err as AwsErrorLike).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** The thing is already gone: for teardown and reaping that counts as done. */
export function isNotFound(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== null && NOT_FOUND.has(code);
}

export function isThrottle(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as AwsErrorLike;
  const code = awsErrorCode(err);
  return (code !== null && THROTTLE.has(code)) || e.$metadata?.httpStatusCode === 429 || e.$retryable?.throttling === true;
}

/** No capacity for this instance type here: another subnet (availability zone) may have some. */
export function isCapacity(err: unknown): boolean {
  const code = awsErrorCode(err);
  if (code === null) return false;
  if (CAPACITY.has(code)) return true;
  // "Your requested instance type (x) is not supported in your requested Availability Zone (y)."
  return code === 'Unsupported' && /availability zone/i.test(message(err));
}

/** A DryRun call whose permission check passed ("Request would have succeeded, but DryRun flag is set"). */
export function isDryRunOk(err: unknown): boolean {
  return awsErrorCode(err) === 'DryRunOperation';
}

/**
 * The SDK's credential chain found nothing to sign with (no profile, no keys in the environment, no
 * instance, task or web-identity role). AWS never saw the request.
 */
export function isMissingCredentials(err: unknown): boolean {
  return awsErrorCode(err) === 'CredentialsProviderError';
}

/** What a person sees for missing credentials, wherever they were missed: what is wrong and how to fix it. */
export const NO_CREDENTIALS =
  'no AWS credentials found (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with an instance or task role)';

/** The credentials are missing, wrong, expired, or lack the permission. */
export function isAccessDenied(err: unknown): boolean {
  const code = awsErrorCode(err);
  return code !== null && ACCESS_DENIED.has(code);
}

const MAX_DESCRIPTION = 300;

/**
 * One line a person can read: `RequestLimitExceeded: Request limit exceeded.`. EC2's authorization
 * failures end in a kilobyte of encoded policy detail that helps nobody in chat; it is cut off.
 */
export function describeAwsError(err: unknown): string {
  // The chain's own words ("Could not load credentials from any providers") do not say what to do.
  if (isMissingCredentials(err)) return NO_CREDENTIALS;
  const code = awsErrorCode(err);
  let text = message(err)
    .replace(/\s*Encoded authorization failure message:[\s\S]*$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (code && !text.startsWith(code)) text = text ? `${code}: ${text}` : code;
  if (!text) text = 'unknown AWS error';
  return text.length > MAX_DESCRIPTION ? `${text.slice(0, MAX_DESCRIPTION - 1)}…` : text;
}
