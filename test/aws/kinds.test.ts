// The asset-kind registry: every kind has its descriptor, every kind the sweeper lists can be re-checked
// and reaped, the create calls tag what they create, and the deploy policy allows what the kinds need.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ASSET_KIND_DESCRIPTORS, descriptorOf, iamActionsOfKinds, resourceTypesCreatedBy } from '../../src/aws/kinds/index.ts';
import { ASSET_KINDS } from '../../src/domain/asset.ts';

interface Statement {
  Effect: string;
  Action: string | string[];
}

const policy = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'deploy', 'iam-policy.json'), 'utf8')) as { Statement: Statement[] };
const allowed = new Set(policy.Statement.filter((s) => s.Effect === 'Allow').flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));

describe('asset kind registry', () => {
  it('has one descriptor per kind, in ASSET_KINDS order, each under its own name', () => {
    expect(ASSET_KIND_DESCRIPTORS.map((d) => d.kind)).toEqual([...ASSET_KINDS]);
    for (const kind of ASSET_KINDS) expect(descriptorOf(kind).kind).toBe(kind);
  });

  it('can re-check and reap every kind the sweeper lists or reads from target groups', () => {
    const reapable = ASSET_KIND_DESCRIPTORS.filter((d) => d.reap).map((d) => d.kind);
    expect(ASSET_KIND_DESCRIPTORS.filter((d) => d.swept && !d.reap)).toEqual([]);
    expect(reapable).toEqual(['instance', 'volume', 'image', 'snapshot', 'security-group-rule', 'key-pair', 'target', 'artifact']);
  });

  it('tags at creation every resource type each create call makes', () => {
    expect(resourceTypesCreatedBy('RunInstances')).toEqual(['instance', 'volume', 'network-interface']);
    expect(resourceTypesCreatedBy('CreateKeyPair')).toEqual(['key-pair']);
    expect(resourceTypesCreatedBy('AuthorizeSecurityGroupIngress')).toEqual(['security-group-rule']);
  });

  it('keeps the sweeper marks of what carries no tags in the store, and retags a kept run only where EC2 takes tags', () => {
    expect(ASSET_KIND_DESCRIPTORS.filter((d) => d.marks === 'store').map((d) => d.kind)).toEqual(['target', 'artifact']);
    for (const d of ASSET_KIND_DESCRIPTORS) if (d.retagOnKeep) expect(d.ec2ResourceType, d.kind).not.toBeNull();
  });

  it('needs no IAM action that deploy/iam-policy.json does not allow', () => {
    const actions = iamActionsOfKinds();
    expect(actions).toContain('ec2:TerminateInstances');
    expect(actions).toEqual(expect.arrayContaining(['s3:PutObject', 's3:PutObjectTagging', 's3:ListBucket', 's3:DeleteObject']));
    // The example keeps artifacts in a local directory: S3 actions are in the policy of an S3 config
    // only (test/aws/iam-policy.test.ts).
    expect(actions.filter((a) => !allowed.has(a) && !a.startsWith('s3:'))).toEqual([]);
  });
});
