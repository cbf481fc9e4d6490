/**
 * ROUTE-REFRESH messages.
 *
 * RFC 2918 section 3 (AFI, reserved, SAFI); RFC 7313 section 3 (the reserved
 * octet becomes the Message Subtype: 0 request, 1 BoRR, 2 EoRR) and section 5
 * (a message whose body is not 4 octets is ROUTE-REFRESH Message Error /
 * Invalid Message Length, data = the whole message).
 * Gaps: RFC 7313 says to ignore subtypes other than 0, 1 and 2; the codec
 * returns them and the session ignores them.
 */
import { ErrorCode, HEADER_LENGTH, MessageType, RouteRefreshSubcode } from '../constants.js';
import { BgpProtocolError } from '../errors.js';
import type { RouteRefreshMessage } from '../types.js';
import { allocMessage } from './header.js';
import { MAX_U16, MAX_U8, checkInt, put16, u16 } from './wire.js';

const ROUTE_REFRESH_LENGTH = HEADER_LENGTH + 4;

export function decodeRouteRefresh(frame: Uint8Array): RouteRefreshMessage {
  if (frame.length !== ROUTE_REFRESH_LENGTH) {
    // RFC 7313 section 5: "the Data field of the NOTIFICATION message MUST contain the complete ROUTE-REFRESH message".
    throw new BgpProtocolError(
      ErrorCode.RouteRefreshMessage,
      RouteRefreshSubcode.InvalidMessageLength,
      `ROUTE-REFRESH length ${frame.length}, expected ${ROUTE_REFRESH_LENGTH}`,
      { data: frame.slice() },
    );
  }
  return {
    type: 'route-refresh',
    afi: u16(frame, HEADER_LENGTH),
    subtype: frame[HEADER_LENGTH + 2]!,
    safi: frame[HEADER_LENGTH + 3]!,
  };
}

export function encodeRouteRefresh(msg: RouteRefreshMessage): Uint8Array {
  const out = allocMessage(ROUTE_REFRESH_LENGTH, MessageType.RouteRefresh);
  put16(out, HEADER_LENGTH, checkInt('ROUTE-REFRESH AFI', msg.afi, 0, MAX_U16));
  out[HEADER_LENGTH + 2] = checkInt('ROUTE-REFRESH subtype', msg.subtype, 0, MAX_U8);
  out[HEADER_LENGTH + 3] = checkInt('ROUTE-REFRESH SAFI', msg.safi, 0, MAX_U8);
  return out;
}
