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

/** The stable kind of each code, for logs and programs (`<area>.<what>`). */
const ANNOUNCER_FAILURE_KINDS = {
  ANNOUNCER_COMMAND_NOT_FOUND: 'announcer.command_not_found',
  ANNOUNCER_COMMAND_UNAVAILABLE: 'announcer.command_unavailable',
  ANNOUNCER_COMMAND_TIMEOUT: 'announcer.command_timeout',
  ANNOUNCER_COMMAND_FAILED: 'announcer.command_failed',
  ANNOUNCER_DAEMON_UNREACHABLE: 'announcer.daemon_unreachable',
  ANNOUNCER_REJECTED: 'announcer.rejected',
  ANNOUNCER_BAD_OUTPUT: 'announcer.bad_output',
  ANNOUNCER_FILE: 'announcer.file',
  ANNOUNCER_CONFIG: 'announcer.config',
} as const satisfies Record<AnnouncerFailureCode, string>;
export type AnnouncerFailureKind = (typeof ANNOUNCER_FAILURE_KINDS)[AnnouncerFailureCode];

export class AnnouncerFailure extends Error {
  readonly code: AnnouncerFailureCode;
  readonly kind: AnnouncerFailureKind;
  constructor(code: AnnouncerFailureCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'AnnouncerFailure';
    this.code = code;
    this.kind = ANNOUNCER_FAILURE_KINDS[code];
  }
}

export function failureCode(error: unknown): string {
  return error instanceof AnnouncerFailure ? error.code : 'ANNOUNCER_UNEXPECTED';
}
