/**
 * OPEN messages and capabilities.
 *
 * RFC 4271 sections 4.2 and 6.2; RFC 5492 (capabilities optional parameter);
 * RFC 4760 section 8 (multiprotocol capability); RFC 2918 (route refresh
 * capability); RFC 6793 (4-octet AS capability); RFC 9072 (extended optional
 * parameters length).
 * The decoder checks structure only: peer AS, hold time, BGP identifier and
 * required capabilities are judged by the FSM (RFC 4271 6.2 subcodes 2, 3, 6, 7).
 * Gaps: capabilities other than codes 1, 2 and 65 are kept raw (`unknown`).
 */
import {
  BGP_VERSION,
  CapabilityCode,
  ErrorCode,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageType,
  OpenSubcode,
} from '../constants.js';
import { BgpEncodeError, BgpProtocolError } from '../errors.js';
import type { Capability, OpenMessage } from '../types.js';
import { allocMessage } from './header.js';
import {
  MAX_U16,
  MAX_U32,
  MAX_U8,
  checkInt,
  encodeAddress,
  ipv4Text,
  put16,
  put32,
  u16,
  u32,
} from './wire.js';

/** RFC 4271 6.2 has no subcode for a garbled OPEN layout; 0 is the unspecific one. */
const UNSPECIFIC = 0;
/** RFC 5492 section 4. */
const CAPABILITIES_PARAMETER = 2;
/** RFC 9072 section 2: the Non-Ext OP Type that announces the extended encoding. */
const EXTENDED_PARAMETERS = 255;

function openError(subcode: number, message: string, data?: Uint8Array): BgpProtocolError {
  return new BgpProtocolError(ErrorCode.OpenMessage, subcode, message, data ? { data } : {});
}

export function decodeOpen(frame: Uint8Array): OpenMessage {
  const end = frame.length;
  const version = frame[HEADER_LENGTH]!;
  if (version !== BGP_VERSION) {
    // RFC 4271 6.2: data is the largest supported version below the bid, or the smallest
    // supported one if the bid is lower; with only version 4 it is 4 either way.
    throw openError(
      OpenSubcode.UnsupportedVersionNumber,
      `version ${version} is not supported`,
      Uint8Array.of(0, BGP_VERSION),
    );
  }
  const myAs = u16(frame, 20);
  const holdTime = u16(frame, 22);
  const routerId = ipv4Text(frame, 24);
  const optLength = frame[28]!;
  let p = 29;
  let paramsEnd: number;
  let extended = false;
  // RFC 9072 section 2: a non-zero length followed by type 255 selects 2-octet lengths.
  if (optLength !== 0 && p < end && frame[p] === EXTENDED_PARAMETERS) {
    if (p + 3 > end)
      throw openError(UNSPECIFIC, 'extended optional parameters length is cut short');
    paramsEnd = p + 3 + u16(frame, p + 1);
    p += 3;
    extended = true;
  } else {
    paramsEnd = p + optLength;
  }
  if (paramsEnd !== end) {
    throw openError(
      UNSPECIFIC,
      `optional parameters end at byte ${paramsEnd} but the message has ${end}`,
    );
  }
  const capabilities: Capability[] = [];
  const headerSize = extended ? 3 : 2;
  while (p < end) {
    if (p + headerSize > end) throw openError(UNSPECIFIC, 'optional parameter header is cut short');
    const type = frame[p]!;
    const length = extended ? u16(frame, p + 1) : frame[p + 1]!;
    p += headerSize;
    if (p + length > end)
      throw openError(UNSPECIFIC, `optional parameter type ${type} overruns the message`);
    // RFC 4271 6.2: an unrecognized optional parameter is Unsupported Optional Parameter.
    if (type !== CAPABILITIES_PARAMETER)
      throw openError(OpenSubcode.UnsupportedOptionalParameter, `optional parameter type ${type}`);
    decodeCapabilities(frame, p, p + length, capabilities);
    p += length;
  }
  return { type: 'open', version, myAs, holdTime, routerId, capabilities };
}

function decodeCapabilities(b: Uint8Array, start: number, end: number, out: Capability[]): void {
  let p = start;
  while (p < end) {
    if (p + 2 > end) throw openError(UNSPECIFIC, 'capability header is cut short');
    const code = b[p]!;
    const length = b[p + 1]!;
    p += 2;
    if (p + length > end)
      throw openError(UNSPECIFIC, `capability ${code} overruns its optional parameter`);
    switch (code) {
      case CapabilityCode.Multiprotocol:
        // RFC 4760 section 8: AFI (2), reserved (1), SAFI (1).
        if (length !== 4)
          throw openError(UNSPECIFIC, `multiprotocol capability length ${length}, expected 4`);
        out.push({ kind: 'multiprotocol', afi: u16(b, p), safi: b[p + 3]! });
        break;
      case CapabilityCode.RouteRefresh:
        // RFC 2918 section 2: capability length 0.
        if (length !== 0)
          throw openError(UNSPECIFIC, `route refresh capability length ${length}, expected 0`);
        out.push({ kind: 'route-refresh' });
        break;
      case CapabilityCode.FourOctetAs:
        // RFC 6793 section 3: the 4-octet AS number.
        if (length !== 4)
          throw openError(UNSPECIFIC, `4-octet AS capability length ${length}, expected 4`);
        out.push({ kind: 'four-octet-as', asn: u32(b, p) });
        break;
      default:
        out.push({ kind: 'unknown', code, value: b.slice(p, p + length) });
    }
    p += length;
  }
}

function capabilityLength(c: Capability): number {
  switch (c.kind) {
    case 'multiprotocol':
    case 'four-octet-as':
      return 6;
    case 'route-refresh':
      return 2;
    case 'unknown':
      checkInt('capability code', c.code, 0, MAX_U8);
      checkInt(`capability ${c.code} value length`, c.value.length, 0, MAX_U8);
      return 2 + c.value.length;
  }
}

function writeCapability(out: Uint8Array, p: number, c: Capability): void {
  switch (c.kind) {
    case 'multiprotocol':
      out[p] = CapabilityCode.Multiprotocol;
      out[p + 1] = 4;
      put16(out, p + 2, checkInt('multiprotocol AFI', c.afi, 0, MAX_U16));
      out[p + 4] = 0;
      out[p + 5] = checkInt('multiprotocol SAFI', c.safi, 0, MAX_U8);
      return;
    case 'route-refresh':
      out[p] = CapabilityCode.RouteRefresh;
      out[p + 1] = 0;
      return;
    case 'four-octet-as':
      out[p] = CapabilityCode.FourOctetAs;
      out[p + 1] = 4;
      put32(out, p + 2, checkInt('4-octet AS capability', c.asn, 0, MAX_U32));
      return;
    case 'unknown':
      out[p] = c.code;
      out[p + 1] = c.value.length;
      out.set(c.value, p + 2);
      return;
  }
}

/**
 * Encodes an OPEN with all capabilities in one Capabilities optional parameter.
 * Past 255 bytes of parameters it switches to the RFC 9072 extended encoding.
 */
export function encodeOpen(msg: OpenMessage): Uint8Array {
  checkInt('OPEN version', msg.version, 0, MAX_U8);
  checkInt('OPEN My Autonomous System', msg.myAs, 0, MAX_U16);
  checkInt('OPEN hold time', msg.holdTime, 0, MAX_U16);
  const routerId = encodeAddress('OPEN BGP identifier', msg.routerId, 4);
  let capsLength = 0;
  for (const c of msg.capabilities) capsLength += capabilityLength(c);
  let paramsLength = 0;
  let extended = false;
  if (msg.capabilities.length > 0) {
    paramsLength = 2 + capsLength;
    // RFC 9072 section 2: used only when the one-octet lengths cannot hold the parameters.
    if (paramsLength > 255) {
      extended = true;
      paramsLength = 3 + 3 + capsLength;
    }
  }
  const total = HEADER_LENGTH + 10 + paramsLength;
  if (total > MAX_MESSAGE_LENGTH)
    throw new BgpEncodeError(`OPEN would be ${total} bytes, over ${MAX_MESSAGE_LENGTH}`);
  const out = allocMessage(total, MessageType.Open);
  out[19] = msg.version;
  put16(out, 20, msg.myAs);
  put16(out, 22, msg.holdTime);
  out.set(routerId, 24);
  let p = 29;
  if (extended) {
    out[28] = 255;
    out[p] = EXTENDED_PARAMETERS;
    put16(out, p + 1, paramsLength - 3);
    out[p + 3] = CAPABILITIES_PARAMETER;
    put16(out, p + 4, capsLength);
    p += 6;
  } else if (paramsLength > 0) {
    out[28] = paramsLength;
    out[p] = CAPABILITIES_PARAMETER;
    out[p + 1] = capsLength;
    p += 2;
  }
  for (const c of msg.capabilities) {
    writeCapability(out, p, c);
    p += capabilityLength(c);
  }
  return out;
}
