// An IAM policy decision, made by a real policy evaluator (@cloud-copilot/iam-simulate): statements,
// ARN matching, condition operators and context keys evaluated as AWS does, with the Service
// Authorization Reference's data on which resources and condition keys each action has.
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import type { IamPolicy } from '../../src/aws/iam-policy.ts';

export interface AuthCheck {
  /** `ec2:RunInstances` */
  action: string;
  /** The resource's ARN (`*` for actions without resource-level permissions). */
  resource: string;
  /** Request context: aws:RequestedRegion, aws:RequestTag/…, aws:TagKeys, aws:ResourceTag/…, ec2:CreateAction… */
  context: Record<string, string | string[]>;
  /** What a person reads when it goes wrong. */
  what: string;
}

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export const PRINCIPAL_ACCOUNT = '123456789012';

/** The decision for one check; a check the evaluator cannot read (bad ARN, unknown action) throws. */
export async function decide(policy: IamPolicy, check: AuthCheck, account = PRINCIPAL_ACCOUNT): Promise<Decision> {
  const simulation: Simulation = {
    identityPolicies: [{ name: 'stagebot', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      action: check.action,
      principal: `arn:aws:iam::${account}:role/stagebot`,
      resource: { resource: check.resource, accountId: account },
      contextVariables: check.context,
    },
  } as Simulation;
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`iam-simulate could not evaluate ${check.what}: ${JSON.stringify(result.errors)}`);
  return result.overallResult as Decision;
}

/** The checks that were not allowed, as `what: decision` lines (empty when every one is allowed). */
export async function notAllowed(policy: IamPolicy, checks: readonly AuthCheck[]): Promise<string[]> {
  const out: string[] = [];
  for (const c of checks) {
    const d = await decide(policy, c);
    if (d !== 'Allowed') out.push(`${c.what}: ${d}`);
  }
  return out;
}
