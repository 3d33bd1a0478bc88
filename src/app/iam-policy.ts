// `stagebot iam-policy`: the least-privilege policy for a configuration (the generator lives with the
// AWS adapter, which knows the tag schema and ARNs; the CLI reaches it through the app like every front).
import { iamPolicyText } from '../aws/iam-policy.ts';
import type { Config } from '../config/index.ts';

export function iamPolicyFor(config: Config): string {
  return iamPolicyText(config);
}
