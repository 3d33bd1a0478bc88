// How the AWS steps report an AWS refusal: what they were doing and AWS's own one-line reason
// (`RunInstances in subnet-0aa1…: InvalidGroup.NotFound: …`), as a UserError a person can act on.
import { awsErrorCode, describeAwsError } from '../../../aws/errors.ts';
import { UserError } from '../../../errors.ts';

export class AwsStepError extends UserError {
  override readonly name = 'AwsStepError';
  /** The AWS error code, e.g. `UnauthorizedOperation`. */
  readonly code: string | null;
  constructor(what: string, err: unknown) {
    super(`${what}: ${describeAwsError(err)}`, { cause: err });
    this.code = awsErrorCode(err);
  }
}

/**
 * The error to throw for a failed AWS call: AWS errors become an AwsStepError; our own UserErrors and
 * aborts pass through (an abort's reason is the signal's, and the step runner reports that one).
 */
export function stepError(what: string, err: unknown): unknown {
  if (err instanceof UserError) return err;
  if (err instanceof Error && err.name === 'AbortError') return err;
  if (awsErrorCode(err) === null) return err;
  return new AwsStepError(what, err);
}
