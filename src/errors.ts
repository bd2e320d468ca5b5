// The one error type for problems in the user's input: a file, a feature or a request, and why.
// The CLI prints it as one line; the server maps it to a 4xx. Anything else is a bug.

export class InputError extends Error {
  /** What the problem is in: a file path, `file:feature 12`, or a request path. */
  readonly subject: string;
  /** HTTP status when the input was a request. */
  readonly status: number;

  constructor(subject: string, reason: string, status = 400) {
    super(subject ? `${subject}: ${reason}` : reason);
    this.name = 'InputError';
    this.subject = subject;
    this.status = status;
  }
}

export function isInputError(error: unknown): error is InputError {
  return error instanceof InputError;
}

/** The message of anything thrown, for logs and one-line reports. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
