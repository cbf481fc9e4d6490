/**
 * NOTIFICATION and KEEPALIVE messages, and the Shutdown Communication carried
 * in a Cease NOTIFICATION.
 *
 * RFC 4271 sections 4.4, 4.5 and 6.1; RFC 9003 (Shutdown Communication, up to
 * 255 octets of UTF-8; updates RFC 8203) for Cease subcodes 2 and 4.
 * Gaps: the codec does not judge whether code/subcode pairs are known; the
 * session logs them with describeNotification.
 */
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from '../constants.js';
import { BgpEncodeError } from '../errors.js';
import type { NotificationMessage } from '../types.js';
import { allocMessage } from './header.js';
import { MAX_U8, checkInt } from './wire.js';

export function decodeNotification(frame: Uint8Array): NotificationMessage {
  return {
    type: 'notification',
    code: frame[HEADER_LENGTH]!,
    subcode: frame[HEADER_LENGTH + 1]!,
    data: frame.slice(HEADER_LENGTH + 2),
  };
}

export function encodeNotification(msg: NotificationMessage): Uint8Array {
  checkInt('NOTIFICATION code', msg.code, 0, MAX_U8);
  checkInt('NOTIFICATION subcode', msg.subcode, 0, MAX_U8);
  const total = HEADER_LENGTH + 2 + msg.data.length;
  if (total > MAX_MESSAGE_LENGTH) {
    throw new BgpEncodeError(
      `NOTIFICATION data of ${msg.data.length} bytes exceeds the ${MAX_MESSAGE_LENGTH}-byte message limit`,
    );
  }
  const out = allocMessage(total, MessageType.Notification);
  out[HEADER_LENGTH] = msg.code;
  out[HEADER_LENGTH + 1] = msg.subcode;
  out.set(msg.data, HEADER_LENGTH + 2);
  return out;
}

const KEEPALIVE = allocMessage(HEADER_LENGTH, MessageType.Keepalive);

/** A KEEPALIVE (RFC 4271 4.4): the bare 19-byte header. Each call returns a fresh copy. */
export function encodeKeepalive(): Uint8Array {
  return KEEPALIVE.slice();
}

/** RFC 9003 section 2: the Shutdown Communication is at most 255 octets. */
const MAX_SHUTDOWN_COMMUNICATION = 255;

/**
 * Data for a Cease / Administrative Shutdown or Administrative Reset
 * NOTIFICATION: one length octet and the UTF-8 text, cut to 255 octets without
 * splitting a character.
 */
export function encodeShutdownCommunication(text: string): Uint8Array {
  const utf8 = Buffer.from(text, 'utf8');
  let length = Math.min(utf8.length, MAX_SHUTDOWN_COMMUNICATION);
  // Step back over continuation octets (10xxxxxx) so the cut lands on a character start.
  if (length < utf8.length) {
    while (length > 0 && (utf8[length]! & 0xc0) === 0x80) length--;
  }
  const out = new Uint8Array(1 + length);
  out[0] = length;
  out.set(utf8.subarray(0, length), 1);
  return out;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a Shutdown Communication, or undefined when there is none or it is
 * malformed (RFC 9003 section 2: an invalid length or UTF-8 is only logged).
 * Bytes after the announced length are ignored.
 */
export function decodeShutdownCommunication(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const length = data[0]!;
  if (length === 0 || 1 + length > data.length) return undefined;
  try {
    return strictUtf8.decode(data.subarray(1, 1 + length));
  } catch {
    return undefined;
  }
}
