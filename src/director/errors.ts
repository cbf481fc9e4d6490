/** Director errors, each with a stable code an operator or a test can match on. */

export type DirectorErrorCode =
  /** An ad (or its envelope) is not of the expected shape. */
  | 'AD_INVALID'
  /** No trusted key may sign for this origin in this role. */
  | 'AD_UNTRUSTED'
  /** The signature does not verify with any trusted key for the origin. */
  | 'AD_BAD_SIGNATURE'
  /** The ad has expired (after clock-skew correction) or its lifetime is out of bounds. */
  | 'AD_EXPIRED'
  /** A key file or the trusted keys file cannot be read or is not valid. */
  | 'KEY_INVALID'
  /** The director's configuration file is not valid. */
  | 'DIRECTOR_CONFIG'
  /** A request to a director or a discovery document failed. */
  | 'DIRECTOR_UNREACHABLE'
  /** A withdrawal permit request (POST /v1/permits) is not of the expected shape. */
  | 'PERMIT_INVALID'
  /** No trusted node key may sign for the permit request's origin. */
  | 'PERMIT_UNTRUSTED'
  /** The permit request's signature does not verify with the origin's trusted node keys. */
  | 'PERMIT_BAD_SIGNATURE'
  /** The permit request's issuedAt is further from the director's clock than clock_skew. */
  | 'PERMIT_CLOCK';

/** The stable kind of each code, for logs and programs (`<area>.<what>`). */
const DIRECTOR_ERROR_KINDS = {
  AD_INVALID: 'director.ad_invalid',
  AD_UNTRUSTED: 'director.ad_untrusted',
  AD_BAD_SIGNATURE: 'director.ad_bad_signature',
  AD_EXPIRED: 'director.ad_expired',
  KEY_INVALID: 'director.key_invalid',
  DIRECTOR_CONFIG: 'director.config',
  DIRECTOR_UNREACHABLE: 'director.unreachable',
  PERMIT_INVALID: 'director.permit_invalid',
  PERMIT_UNTRUSTED: 'director.permit_untrusted',
  PERMIT_BAD_SIGNATURE: 'director.permit_bad_signature',
  PERMIT_CLOCK: 'director.permit_clock',
} as const satisfies Record<DirectorErrorCode, string>;
export type DirectorErrorKind = (typeof DIRECTOR_ERROR_KINDS)[DirectorErrorCode];

export class DirectorError extends Error {
  readonly code: DirectorErrorCode;
  readonly kind: DirectorErrorKind;
  constructor(code: DirectorErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectorError';
    this.code = code;
    this.kind = DIRECTOR_ERROR_KINDS[code];
  }
}
