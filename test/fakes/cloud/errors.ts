// Errors shaped the way the SDK hands AWS's errors to callers (checked against real responses parsed by
// the SDK): EC2 -> EC2ServiceException with `name` and `Code` = the AWS code; ELBv2 and the Tagging API ->
// their typed `<Code>Exception` classes; `$metadata.httpStatusCode` set, so the SDK's retry classifies them.

import { EC2ServiceException } from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing-v2';
import * as tagging from '@aws-sdk/client-resource-groups-tagging-api';
import { STSServiceException } from '@aws-sdk/client-sts';
import { PricingServiceException } from '@aws-sdk/client-pricing';
import type { AwsService } from '../../../src/aws/clients.ts';
import { newHex } from './ids.ts';

export interface FakeErrorOptions {
  status?: number;
  fault?: 'client' | 'server';
  /** Marks the error retryable the way the SDK's modeled retryable errors are. */
  retryable?: { throttling: boolean };
}

type ExceptionClass = new (opts: Record<string, unknown>) => Error;

function typedClass(module: Record<string, unknown>, code: string): ExceptionClass | undefined {
  const candidate = module[code.endsWith('Exception') ? code : `${code}Exception`];
  return typeof candidate === 'function' ? (candidate as ExceptionClass) : undefined;
}

/** An AWS error as the SDK would throw it for `service`. */
export function awsError(service: AwsService, code: string, message: string, opts: FakeErrorOptions = {}): Error {
  const status = opts.status ?? (opts.fault === 'server' ? 500 : 400);
  const fault = opts.fault ?? (status >= 500 ? 'server' : 'client');
  const $metadata = { httpStatusCode: status, requestId: newHex(8) + '-fake' };
  let err: Error & Record<string, unknown>;
  const typed =
    service === 'elbv2' ? typedClass(elb, code) : service === 'tagging' ? typedClass(tagging, code) : undefined;
  if (typed) {
    err = new typed({ $metadata, message, Message: message }) as Error & Record<string, unknown>;
    err.Code = code.replace(/Exception$/, '');
  } else {
    const Base =
      service === 'ec2' ? EC2ServiceException
      : service === 'elbv2' ? elb.ElasticLoadBalancingV2ServiceException
      : service === 'tagging' ? tagging.ResourceGroupsTaggingAPIServiceException
      : service === 'sts' ? STSServiceException
      : PricingServiceException;
    err = new Base({ name: code, $fault: fault, $metadata, message }) as unknown as Error & Record<string, unknown>;
    err.Code = code;
  }
  if (opts.retryable) err.$retryable = opts.retryable;
  return err;
}

export const ec2Error = (code: string, message: string, opts?: FakeErrorOptions): Error => awsError('ec2', code, message, opts);

/** Throttling as each service spells it: EC2 `RequestLimitExceeded` (HTTP 503), others `ThrottlingException`. */
export function throttle(service: AwsService = 'ec2'): Error {
  if (service === 'ec2') return awsError('ec2', 'RequestLimitExceeded', 'Request limit exceeded.', { status: 503, retryable: { throttling: true } });
  if (service === 'tagging') return awsError('tagging', 'ThrottledException', 'Rate exceeded', { status: 400, retryable: { throttling: true } });
  return awsError(service, 'Throttling', 'Rate exceeded', { status: 400, retryable: { throttling: true } });
}

/** A 5xx: transient, retried by the SDK. */
export function serverError(service: AwsService = 'ec2', status = 503): Error {
  const code = status === 503 ? 'ServiceUnavailable' : 'InternalError';
  return awsError(service, code, status === 503 ? 'The service is unavailable. Please try again shortly.' : 'An internal error has occurred', { status, fault: 'server' });
}

export function insufficientCapacity(instanceType: string, az: string): Error {
  return ec2Error(
    'InsufficientInstanceCapacity',
    `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${az}). Our system will be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing a different Availability Zone.`,
    { status: 500, fault: 'server' },
  );
}

export function unauthorized(command: string, service: AwsService, accountId: string): Error {
  const action = `${service === 'elbv2' ? 'elasticloadbalancing' : service}:${command}`;
  const text = `You are not authorized to perform this operation. User: arn:aws:iam::${accountId}:user/stagebot is not authorized to perform: ${action} because no identity-based policy allows the ${action} action. Encoded authorization failure message: ${newHex(64)}`;
  if (service === 'ec2') return ec2Error('UnauthorizedOperation', text, { status: 403 });
  return awsError(service, 'AccessDenied', text, { status: 403 });
}

export function dryRunOk(): Error {
  return ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', { status: 412 });
}

/** A fresh copy, so the SDK's bookkeeping on one thrown error (attempts, retry delay) never leaks into the next. */
export function cloneError(err: Error): Error {
  const copy = Object.assign(Object.create(Object.getPrototypeOf(err) as object) as Error, err);
  copy.message = err.message;
  copy.name = err.name;
  const meta = (err as { $metadata?: object }).$metadata;
  if (meta) (copy as { $metadata?: object }).$metadata = { ...meta };
  return copy;
}
