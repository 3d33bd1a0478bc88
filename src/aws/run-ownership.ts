// Whether an AWS resource belongs to this run of this installation, judged by its tags alone: the
// AWS steps and teardown never delete, revoke or adopt anything that does not carry both.
import type { Filter, Tag } from '@aws-sdk/client-ec2';
import { managedByFilter, parseManagedTags, readTags, runFilter, sanitizeTagValue } from './tags.ts';

export interface RunIdentity {
  installation: string;
  runId: string;
}

export function isRunResource(tags: readonly Tag[] | undefined, who: RunIdentity): boolean {
  const managed = parseManagedTags(readTags(tags), who.installation);
  return managed !== null && managed.runId === sanitizeTagValue(who.runId);
}

/** EC2 Describe* filters matching this run's resources (asset-id AND managed-by). */
export function runTagFilters(who: RunIdentity): Filter[] {
  return [runFilter(who.runId), managedByFilter(who.installation)];
}
