// NextToken pagination as EC2 and friends do it: a page size within AWS's range (an error outside it),
// an opaque token, and a cursor on the sort key so deletions between pages neither skip nor repeat items.

import type { AwsService } from '../../../src/aws/clients.ts';
import { awsError } from './errors.ts';

export interface PageLimits {
  /** The operation, baked into tokens so one operation's token is refused by another. */
  op: string;
  service: AwsService;
  min: number;
  max: number;
  /** Without a page size: this many (AWS's default), or everything when absent. */
  defaultSize?: number;
  /** AWS quietly returns `max` for larger sizes instead of refusing them (DescribeVolumes). */
  capAbove?: boolean;
  /** Name of the size parameter in error messages. */
  param?: string;
  /** The error code AWS uses for a bad value. */
  errorCode?: string;
}

export interface Page<T> {
  items: T[];
  nextToken: string | undefined;
}

interface Cursor {
  op: string;
  after: string;
}

function invalid(limits: PageLimits, message: string): Error {
  return awsError(limits.service, limits.errorCode ?? 'InvalidParameterValue', message);
}

function decode(token: string, limits: PageLimits): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (c.op === limits.op && typeof c.after === 'string') return c;
  } catch {
    // fall through to AWS's error
  }
  throw invalid(limits, `Invalid value '${token}' for NextToken`);
}

export function paginate<T>(all: readonly T[], key: (item: T) => string, size: number | undefined, token: string | undefined, limits: PageLimits): Page<T> {
  let pageSize = size ?? limits.defaultSize ?? Number.POSITIVE_INFINITY;
  if (size !== undefined) {
    const param = limits.param ?? 'MaxResults';
    if (!Number.isInteger(size) || size < limits.min || (size > limits.max && !limits.capAbove)) {
      throw invalid(limits, `Value (${size}) for parameter ${param} is invalid. Expecting a value between ${limits.min} and ${limits.max}.`);
    }
    pageSize = Math.min(size, limits.max);
  }
  const sorted = [...all].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  const after = token ? decode(token, limits).after : undefined;
  const start = after === undefined ? 0 : sorted.findIndex((item) => key(item) > after);
  const rest = start < 0 ? [] : sorted.slice(start);
  const items = rest.slice(0, pageSize);
  const last = items.at(-1);
  const nextToken =
    rest.length > items.length && last !== undefined
      ? Buffer.from(JSON.stringify({ op: limits.op, after: key(last) } satisfies Cursor)).toString('base64url')
      : undefined;
  return { items, nextToken };
}
