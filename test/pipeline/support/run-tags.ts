// The tags every asset of a test run must carry from creation (design.md section 3), as a record to
// compare a FakeCloud creation record with.
import { TAG, formatTagTime } from '../../../src/aws/tags.ts';
import type { TestRun } from './run-context.ts';

export function expectedRunTags(t: TestRun, name = `stagebot ${t.runId}`): Record<string, string> {
  return {
    [TAG.assetId]: t.runId,
    [TAG.managedBy]: t.config.installation,
    [TAG.env]: t.env.name,
    [TAG.requestedBy]: t.run.requester,
    [TAG.source]: t.run.source,
    [TAG.expiresAt]: formatTagTime(t.run.expiresAt!),
    [TAG.name]: name,
  };
}
