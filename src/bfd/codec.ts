/**
 * The BFD Control packet (RFC 5880 section 4.1), encoded and decoded without I/O.
 * The decoder applies the field checks of section 6.8.6 that need no session (version,
 * length, Detect Mult, Multipoint, My Discriminator, a zero Your Discriminator only in
 * Down/AdminDown) and reports a bad packet as a value: nothing a peer sends can throw.
 *
 * Known gap: no authentication (sections 4.2-4.4, 6.7). A packet with the A bit set is
 * reported as `authentication` and dropped, as 6.8.6 says for a session without it.
 */

/** bfd.SessionState and the packet's State field (section 4.1). */
export const BfdState = { AdminDown: 0, Down: 1, Init: 2, Up: 3 } as const;
export type BfdStateValue = (typeof BfdState)[keyof typeof BfdState];
export type BfdStateName = 'admin-down' | 'down' | 'init' | 'up';
export const STATE_NAMES: readonly BfdStateName[] = ['admin-down', 'down', 'init', 'up'];

/** Diagnostic codes (section 4.1). */
export const BfdDiag = {
  None: 0,
  ControlDetectionTimeExpired: 1,
  EchoFunctionFailed: 2,
  NeighborSignaledSessionDown: 3,
  ForwardingPlaneReset: 4,
  PathDown: 5,
  ConcatenatedPathDown: 6,
  AdministrativelyDown: 7,
  ReverseConcatenatedPathDown: 8,
} as const;
export type BfdDiagValue = (typeof BfdDiag)[keyof typeof BfdDiag];
export const DIAG_NAMES: readonly string[] = [
  'none',
  'control detection time expired',
  'echo function failed',
  'neighbor signaled session down',
  'forwarding plane reset',
  'path down',
  'concatenated path down',
  'administratively down',
  'reverse concatenated path down',
];

/** The name of a diagnostic code; codes 9-31 are reserved. */
export function diagName(diag: number): string {
  return DIAG_NAMES[diag] ?? `reserved (${diag})`;
}

export const BFD_VERSION = 1;
/** The mandatory section; 26 and more with authentication. */
export const BFD_HEADER_LENGTH = 24;

export interface BfdPacket {
  readonly version: number;
  readonly diag: number;
  readonly state: BfdStateValue;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  readonly desiredMinTx: number;
  readonly requiredMinRx: number;
  readonly requiredMinEchoRx: number;
}

export type DecodeProblem =
  | 'short'
  | 'version'
  | 'length'
  | 'authentication'
  | 'detect-mult'
  | 'multipoint'
  | 'my-discriminator'
  | 'your-discriminator';

export type DecodeResult =
  | { readonly ok: true; readonly packet: BfdPacket }
  | { readonly ok: false; readonly problem: DecodeProblem; readonly detail: string };

/** Encodes a packet without authentication (A = 0, length 24). */
export function encodeBfd(packet: BfdPacket): Buffer {
  const out = Buffer.alloc(BFD_HEADER_LENGTH);
  out.writeUInt8(((packet.version & 0x07) << 5) | (packet.diag & 0x1f), 0);
  out.writeUInt8(
    ((packet.state & 0x03) << 6) |
      (packet.poll ? 0x20 : 0) |
      (packet.final ? 0x10 : 0) |
      (packet.controlPlaneIndependent ? 0x08 : 0) |
      (packet.demand ? 0x02 : 0),
    1,
  );
  out.writeUInt8(packet.detectMult & 0xff, 2);
  out.writeUInt8(BFD_HEADER_LENGTH, 3);
  out.writeUInt32BE(packet.myDiscriminator >>> 0, 4);
  out.writeUInt32BE(packet.yourDiscriminator >>> 0, 8);
  out.writeUInt32BE(packet.desiredMinTx >>> 0, 12);
  out.writeUInt32BE(packet.requiredMinRx >>> 0, 16);
  out.writeUInt32BE(packet.requiredMinEchoRx >>> 0, 20);
  return out;
}

/** Decodes one UDP payload; a packet 6.8.6 says to discard comes back as a problem. */
export function decodeBfd(data: Uint8Array): DecodeResult {
  const bad = (problem: DecodeProblem, detail: string): DecodeResult => ({
    ok: false,
    problem,
    detail,
  });
  if (data.length < BFD_HEADER_LENGTH)
    return bad('short', `${data.length} bytes, a Control packet has at least 24`);
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const first = b.readUInt8(0);
  const flags = b.readUInt8(1);
  const version = first >> 5;
  if (version !== BFD_VERSION) return bad('version', `version ${version}, not 1`);
  const length = b.readUInt8(3);
  const auth = (flags & 0x04) !== 0;
  // Section 6.8.6: Length below 24 (26 with the A bit) or beyond the payload: discard.
  if (length < (auth ? 26 : BFD_HEADER_LENGTH) || length > data.length)
    return bad('length', `Length field ${length} with ${data.length} bytes received`);
  if (auth) return bad('authentication', 'authentication present, and none is configured');
  const detectMult = b.readUInt8(2);
  if (detectMult === 0) return bad('detect-mult', 'Detect Mult is zero');
  if ((flags & 0x01) !== 0) return bad('multipoint', 'Multipoint bit set');
  const myDiscriminator = b.readUInt32BE(4);
  if (myDiscriminator === 0) return bad('my-discriminator', 'My Discriminator is zero');
  const yourDiscriminator = b.readUInt32BE(8);
  const state = (flags >> 6) as BfdStateValue;
  if (yourDiscriminator === 0 && state !== BfdState.Down && state !== BfdState.AdminDown)
    return bad('your-discriminator', `Your Discriminator is zero in state ${STATE_NAMES[state]}`);
  return {
    ok: true,
    packet: {
      version,
      diag: first & 0x1f,
      state,
      poll: (flags & 0x20) !== 0,
      final: (flags & 0x10) !== 0,
      controlPlaneIndependent: (flags & 0x08) !== 0,
      demand: (flags & 0x02) !== 0,
      detectMult,
      myDiscriminator,
      yourDiscriminator,
      desiredMinTx: b.readUInt32BE(12),
      requiredMinRx: b.readUInt32BE(16),
      requiredMinEchoRx: b.readUInt32BE(20),
    },
  };
}
