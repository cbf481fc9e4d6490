/**
 * Typed BGP errors. A protocol error carries the NOTIFICATION it must produce
 * (RFC 4271 section 6) and the RFC 7606 action: most UPDATE attribute faults no
 * longer reset the session.
 */
import {
  CeaseSubcode,
  ErrorCode,
  FsmSubcode,
  HeaderSubcode,
  OpenSubcode,
  UpdateSubcode,
} from './constants.js';
import type { NotificationMessage } from './types.js';

/** RFC 7606 section 2. */
export type ErrorAction = 'session-reset' | 'treat-as-withdraw' | 'attribute-discard';

export interface NotificationFields {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export class BgpProtocolError extends Error implements NotificationFields {
  readonly kind = 'bgp.protocol_error';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  readonly action: ErrorAction;

  constructor(
    code: number,
    subcode: number,
    message: string,
    options: { data?: Uint8Array; action?: ErrorAction; cause?: unknown } = {},
  ) {
    super(`${describeNotification(code, subcode)}: ${message}`, { cause: options.cause });
    this.name = 'BgpProtocolError';
    this.code = code;
    this.subcode = subcode;
    this.data = options.data ?? new Uint8Array(0);
    this.action = options.action ?? 'session-reset';
  }

  /** The NOTIFICATION this error sends (RFC 4271 section 4.5); every one we send is built here. */
  toNotification(): NotificationMessage {
    return { type: 'notification', code: this.code, subcode: this.subcode, data: this.data };
  }
}

/** A value that cannot be put on the wire (too long, out of range). A programming or config error, never a peer's. */
export class BgpEncodeError extends Error {
  readonly kind = 'bgp.encode_error';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BgpEncodeError';
  }
}

const codeNames: Record<number, string> = {
  [ErrorCode.MessageHeader]: 'Message Header Error',
  [ErrorCode.OpenMessage]: 'OPEN Message Error',
  [ErrorCode.UpdateMessage]: 'UPDATE Message Error',
  [ErrorCode.HoldTimerExpired]: 'Hold Timer Expired',
  [ErrorCode.FsmError]: 'Finite State Machine Error',
  [ErrorCode.Cease]: 'Cease',
  [ErrorCode.RouteRefreshMessage]: 'ROUTE-REFRESH Message Error',
  [ErrorCode.SendHoldTimerExpired]: 'Send Hold Timer Expired',
};

const subcodeNames: Record<number, Record<number, string>> = {
  [ErrorCode.MessageHeader]: {
    [HeaderSubcode.ConnectionNotSynchronized]: 'Connection Not Synchronized',
    [HeaderSubcode.BadMessageLength]: 'Bad Message Length',
    [HeaderSubcode.BadMessageType]: 'Bad Message Type',
  },
  [ErrorCode.OpenMessage]: {
    [OpenSubcode.UnsupportedVersionNumber]: 'Unsupported Version Number',
    [OpenSubcode.BadPeerAs]: 'Bad Peer AS',
    [OpenSubcode.BadBgpIdentifier]: 'Bad BGP Identifier',
    [OpenSubcode.UnsupportedOptionalParameter]: 'Unsupported Optional Parameter',
    [OpenSubcode.UnacceptableHoldTime]: 'Unacceptable Hold Time',
    [OpenSubcode.UnsupportedCapability]: 'Unsupported Capability',
  },
  [ErrorCode.UpdateMessage]: {
    [UpdateSubcode.MalformedAttributeList]: 'Malformed Attribute List',
    [UpdateSubcode.UnrecognizedWellKnownAttribute]: 'Unrecognized Well-known Attribute',
    [UpdateSubcode.MissingWellKnownAttribute]: 'Missing Well-known Attribute',
    [UpdateSubcode.AttributeFlagsError]: 'Attribute Flags Error',
    [UpdateSubcode.AttributeLengthError]: 'Attribute Length Error',
    [UpdateSubcode.InvalidOriginAttribute]: 'Invalid ORIGIN Attribute',
    [UpdateSubcode.InvalidNextHopAttribute]: 'Invalid NEXT_HOP Attribute',
    [UpdateSubcode.OptionalAttributeError]: 'Optional Attribute Error',
    [UpdateSubcode.InvalidNetworkField]: 'Invalid Network Field',
    [UpdateSubcode.MalformedAsPath]: 'Malformed AS_PATH',
  },
  [ErrorCode.FsmError]: {
    [FsmSubcode.UnexpectedMessageInOpenSent]: 'Unexpected Message in OpenSent',
    [FsmSubcode.UnexpectedMessageInOpenConfirm]: 'Unexpected Message in OpenConfirm',
    [FsmSubcode.UnexpectedMessageInEstablished]: 'Unexpected Message in Established',
  },
  [ErrorCode.Cease]: {
    [CeaseSubcode.MaximumPrefixesReached]: 'Maximum Number of Prefixes Reached',
    [CeaseSubcode.AdministrativeShutdown]: 'Administrative Shutdown',
    [CeaseSubcode.PeerDeconfigured]: 'Peer De-configured',
    [CeaseSubcode.AdministrativeReset]: 'Administrative Reset',
    [CeaseSubcode.ConnectionRejected]: 'Connection Rejected',
    [CeaseSubcode.OtherConfigurationChange]: 'Other Configuration Change',
    [CeaseSubcode.ConnectionCollisionResolution]: 'Connection Collision Resolution',
    [CeaseSubcode.OutOfResources]: 'Out of Resources',
    [CeaseSubcode.HardReset]: 'Hard Reset',
    [CeaseSubcode.BfdDown]: 'BFD Down',
  },
};

/** "Cease / Administrative Shutdown" style names for logs and status. */
export function describeNotification(code: number, subcode: number): string {
  const codeName = codeNames[code] ?? `Unknown error code ${code}`;
  if (subcode === 0) return codeName;
  const subName = subcodeNames[code]?.[subcode] ?? `subcode ${subcode}`;
  return `${codeName} / ${subName}`;
}
