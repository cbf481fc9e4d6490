/**
 * Whole-message decode and encode: header check, then dispatch by type.
 *
 * RFC 4271 section 4 (message formats) and section 6.1 (header errors), RFC 2918
 * and RFC 7313 (ROUTE-REFRESH). Everything the peer can get wrong surfaces as
 * BgpProtocolError; everything we could get wrong as BgpEncodeError.
 */
import { ErrorCode, HeaderSubcode, MessageType } from '../constants.js';
import { BgpProtocolError } from '../errors.js';
import type { BgpMessage, CodecContext } from '../types.js';
import { checkHeader } from './header.js';
import { encodeKeepalive } from './notification.js';
import { decodeNotification, encodeNotification } from './notification.js';
import { decodeOpen, encodeOpen } from './open.js';
import { decodeRouteRefresh, encodeRouteRefresh } from './route-refresh.js';
import { decodeUpdate, encodeUpdate } from './update.js';

/**
 * Decodes one whole message (header included), as MessageFramer returns it.
 * Throws BgpProtocolError for faults that need a NOTIFICATION; UPDATE faults
 * that RFC 7606 softens come back in UpdateMessage.treatAsWithdraw / .discarded.
 */
export function decodeMessage(frame: Uint8Array, ctx: CodecContext): BgpMessage {
  const { length, type } = checkHeader(frame);
  if (frame.length !== length) {
    throw new BgpProtocolError(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      `Length field says ${length} but the message has ${frame.length} bytes`,
      { data: frame.slice(16, 18) },
    );
  }
  switch (type) {
    case MessageType.Open:
      return decodeOpen(frame);
    case MessageType.Update:
      return decodeUpdate(frame, ctx);
    case MessageType.Notification:
      return decodeNotification(frame);
    case MessageType.Keepalive:
      return { type: 'keepalive' };
    default:
      // checkHeader admits no other type.
      return decodeRouteRefresh(frame);
  }
}

/** Encodes a message; throws BgpEncodeError for values out of range or over 4096 bytes. */
export function encodeMessage(msg: BgpMessage, ctx: CodecContext): Uint8Array {
  switch (msg.type) {
    case 'open':
      return encodeOpen(msg);
    case 'update':
      return encodeUpdate(msg, ctx);
    case 'notification':
      return encodeNotification(msg);
    case 'keepalive':
      return encodeKeepalive();
    case 'route-refresh':
      return encodeRouteRefresh(msg);
  }
}
