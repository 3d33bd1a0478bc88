// A command a step ran (on the host or locally) failed: the message is the one line of the report,
// the tail is the end of the command's output that the report shows under it (step-runner.ts reads
// `tail` off whatever a step throws).
import { UserError } from '../../../errors.ts';

export class CommandFailed extends UserError {
  override readonly name = 'CommandFailed';
  readonly tail: string | null;
  constructor(message: string, tail: string | null) {
    super(message);
    this.tail = tail;
  }
}
