/**
 * Errors of the announcers. Each names the routing daemon, what was tried and why it
 * failed, so a status line or a log record alone tells the operator what to fix.
 */

export type AnnouncerFailureCode =
  /** The control program (birdc, vtysh, gobgp) is not installed at the configured path. */
  | 'ANNOUNCER_COMMAND_NOT_FOUND'
  /** The control program could not be started for another reason (EACCES, …). */
  | 'ANNOUNCER_COMMAND_UNAVAILABLE'
  /** The control program ran longer than its timeout and was killed. */
  | 'ANNOUNCER_COMMAND_TIMEOUT'
  /** The control program exited non-zero (its stderr is in the message). */
  | 'ANNOUNCER_COMMAND_FAILED'
  /** The routing daemon is not running or its control socket refused us. */
  | 'ANNOUNCER_DAEMON_UNREACHABLE'
  /** The routing daemon answered, and the answer says it did not do what was asked. */
  | 'ANNOUNCER_REJECTED'
  /** The routing daemon answered in a way we do not understand. */
  | 'ANNOUNCER_BAD_OUTPUT'
  /** A file we own (prefix list, state) could not be written or read. */
  | 'ANNOUNCER_FILE'
  /** Settings that cannot work at all (found at start, not retried). */
  | 'ANNOUNCER_CONFIG';

export class AnnouncerFailure extends Error {
  readonly code: AnnouncerFailureCode;
  constructor(code: AnnouncerFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AnnouncerFailure';
    this.code = code;
  }
}

export function failureCode(error: unknown): string {
  return error instanceof AnnouncerFailure ? error.code : 'ANNOUNCER_UNEXPECTED';
}
