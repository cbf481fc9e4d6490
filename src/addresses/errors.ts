/**
 * Errors of the addresses area. Every message names the address, the device and
 * the reason, so an operator can act on the log line alone.
 */

export type AddressErrorCode =
  /** An `addresses` entry is not a usable interface address. */
  | 'ADDRESS_INVALID'
  /** Two services give the same address different devices or management modes. */
  | 'ADDRESS_CONFLICT'
  /** Management (auto/on) was asked for on a system without iproute2's netlink (not Linux). */
  | 'ADDRESS_UNSUPPORTED_PLATFORM'
  /** The `ip` command could not be run at all (not installed, not on PATH). */
  | 'ADDRESS_IP_UNAVAILABLE'
  /** The kernel refused a change: the process lacks CAP_NET_ADMIN. */
  | 'ADDRESS_PERMISSION_DENIED'
  /** The configured device does not exist. */
  | 'ADDRESS_DEVICE_NOT_FOUND'
  /** `device = "auto"` could not be resolved to a device. */
  | 'ADDRESS_DEVICE_UNRESOLVED'
  /** `ip` failed for another reason (its stderr is in the message). */
  | 'ADDRESS_COMMAND_FAILED'
  /** `ip -j` printed something that is not the JSON it documents. */
  | 'ADDRESS_BAD_OUTPUT'
  /** One or more addresses could not be removed at release. */
  | 'ADDRESS_RELEASE_FAILED'
  /** setServiceUp() named a service the manager was not given. */
  | 'ADDRESS_UNKNOWN_SERVICE';

/** The stable kind of each code, for logs and programs (`<area>.<what>`). */
const ADDRESS_ERROR_KINDS = {
  ADDRESS_INVALID: 'address.invalid',
  ADDRESS_CONFLICT: 'address.conflict',
  ADDRESS_UNSUPPORTED_PLATFORM: 'address.unsupported_platform',
  ADDRESS_IP_UNAVAILABLE: 'address.ip_unavailable',
  ADDRESS_PERMISSION_DENIED: 'address.permission_denied',
  ADDRESS_DEVICE_NOT_FOUND: 'address.device_not_found',
  ADDRESS_DEVICE_UNRESOLVED: 'address.device_unresolved',
  ADDRESS_COMMAND_FAILED: 'address.command_failed',
  ADDRESS_BAD_OUTPUT: 'address.bad_output',
  ADDRESS_RELEASE_FAILED: 'address.release_failed',
  ADDRESS_UNKNOWN_SERVICE: 'address.unknown_service',
} as const satisfies Record<AddressErrorCode, string>;
export type AddressErrorKind = (typeof ADDRESS_ERROR_KINDS)[AddressErrorCode];

export interface AddressErrorDetails {
  /** The interface address concerned ("203.0.113.53/32"), when there is one. */
  readonly address?: string;
  /** The device concerned ("lo"), when there is one. */
  readonly device?: string;
  readonly cause?: unknown;
}

export class AddressError extends Error {
  readonly code: AddressErrorCode;
  readonly kind: AddressErrorKind;
  readonly address: string | undefined;
  readonly device: string | undefined;

  constructor(code: AddressErrorCode, message: string, details: AddressErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'AddressError';
    this.code = code;
    this.kind = ADDRESS_ERROR_KINDS[code];
    this.address = details.address;
    this.device = details.device;
  }
}

/** A non-zero exit (or a failure to start) of one `ip` invocation. */
export class IpCommandError extends Error {
  readonly code = 'IP_COMMAND_FAILED';
  readonly kind = 'address.ip_command_failed';
  readonly argv: readonly string[];
  /** Exit status, or undefined when the command did not run to an exit (spawn error, timeout). */
  readonly exitCode: number | undefined;
  readonly stderr: string;
  /** errno-style code of a spawn failure ("ENOENT"), when that is what happened. */
  readonly spawnError: string | undefined;

  constructor(
    argv: readonly string[],
    exitCode: number | undefined,
    stderr: string,
    reason: string,
    options: { spawnError?: string; cause?: unknown } = {},
  ) {
    const detail = stderr.trim() === '' ? reason : `${reason}: ${stderr.trim()}`;
    super(
      `${argv.join(' ')}: ${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = 'IpCommandError';
    this.argv = argv;
    this.exitCode = exitCode;
    this.stderr = stderr;
    this.spawnError = options.spawnError;
  }
}
