/**
 * Errors of the checks area. A failing probe is never an error (it is a
 * CheckResult with ok: false); these are programming or configuration mistakes.
 */

export type CheckErrorCode =
  /** The scheduler was asked to do something impossible (same check twice, interval ≤ 0). */
  'CHECK_SCHEDULER_MISUSE';

/** The stable kind of each code, for logs and programs (`<area>.<what>`). */
const CHECK_ERROR_KINDS = {
  CHECK_SCHEDULER_MISUSE: 'check.scheduler_misuse',
} as const satisfies Record<CheckErrorCode, string>;
export type CheckErrorKind = (typeof CHECK_ERROR_KINDS)[CheckErrorCode];

export class CheckError extends Error {
  readonly code: CheckErrorCode;
  readonly kind: CheckErrorKind;

  constructor(code: CheckErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CheckError';
    this.code = code;
    this.kind = CHECK_ERROR_KINDS[code];
  }
}
