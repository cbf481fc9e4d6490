/**
 * NOTIFICATION helpers around the session: the Cease we send, the record status
 * keeps of each NOTIFICATION sent and received, and refusing a socket that no
 * session will own. The message itself is always built by
 * `BgpProtocolError.toNotification()`.
 *
 * RFC 4271 sections 4.5 and 6.7 (Cease), RFC 4486 (Cease subcodes), RFC 8203 and
 * RFC 9003 (shutdown communication in subcodes 2 and 4).
 */
import type { Socket } from 'node:net';
import { decodeShutdownCommunication, encodeMessage } from './codec/index.js';
import { CeaseSubcode, ErrorCode } from './constants.js';
import { BgpProtocolError, describeNotification, type NotificationFields } from './errors.js';
import type { NotificationMessage } from './types.js';

/** How long a refused socket may linger for the peer to read our Cease. */
const REJECT_GRACE_MS = 2000;

/** What status keeps of a NOTIFICATION: names, and the RFC 8203 message of a shutdown. */
export interface ErrorRecord {
  readonly code: number;
  readonly subcode: number;
  readonly description: string;
  readonly shutdownMessage?: string;
  readonly at: number;
}

export function errorRecord(notification: NotificationFields, at: number): ErrorRecord {
  const shutdownMessage = isShutdown(notification)
    ? decodeShutdownCommunication(notification.data)
    : undefined;
  return {
    code: notification.code,
    subcode: notification.subcode,
    description: describeNotification(notification.code, notification.subcode),
    ...(shutdownMessage === undefined ? {} : { shutdownMessage }),
    at,
  };
}

/** RFC 8203 section 2: only these two Cease subcodes carry a shutdown communication. */
export function isShutdown(notification: NotificationFields): boolean {
  return (
    notification.code === ErrorCode.Cease &&
    (notification.subcode === CeaseSubcode.AdministrativeShutdown ||
      notification.subcode === CeaseSubcode.AdministrativeReset)
  );
}

export function ceaseNotification(
  subcode: number,
  data: Uint8Array = new Uint8Array(0),
): NotificationMessage {
  return new BgpProtocolError(ErrorCode.Cease, subcode, 'closing the session', {
    data,
  }).toNotification();
}

/** Sends a Cease and closes a socket that no session will own. */
export function rejectSocket(socket: Socket, subcode: number): void {
  socket.on('error', () => socket.destroy());
  // Read and drop whatever the peer sends, or its FIN is never seen and the socket never closes.
  socket.resume();
  socket.end(encodeMessage(ceaseNotification(subcode), { fourOctetAs: false }));
  setTimeout(() => socket.destroy(), REJECT_GRACE_MS).unref();
}
