/**
 * One TCP connection carrying BGP messages: framing on the way in, backpressure
 * and the RFC 9687 send hold timer on the way out. It knows nothing of the FSM;
 * the peer session decides what the messages mean.
 */
import type { Socket } from 'node:net';
import type { Clock, TimerHandle } from '../clock/index.js';
import { MessageFramer, decodeMessage } from './codec/index.js';
import { BgpProtocolError } from './errors.js';
import type { BgpMessage, CodecContext } from './types.js';

export interface ConnectionHandlers {
  message(connection: Connection, message: BgpMessage): void;
  protocolError(connection: Connection, error: BgpProtocolError): void;
  closed(connection: Connection, reason: string): void;
  drained(connection: Connection): void;
  sendHoldExpired(connection: Connection): void;
}

/** How long we wait for the peer to close after our FIN before resetting the socket. */
const CLOSE_GRACE_MS = 2000;

export class Connection {
  readonly initiatedLocally: boolean;
  readonly socket: Socket;
  context: CodecContext = { fourOctetAs: false };
  private readonly framer = new MessageFramer();
  private detached = false;
  private sendHoldTimer: TimerHandle | undefined;
  /** Seconds; 0 disables. Set once the hold time is negotiated. */
  sendHoldTime = 0;

  constructor(
    socket: Socket,
    initiatedLocally: boolean,
    private readonly handlers: ConnectionHandlers,
    private readonly clock: Clock,
  ) {
    this.socket = socket;
    this.initiatedLocally = initiatedLocally;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => {
      this.stopSendHold();
      if (!this.detached) handlers.drained(this);
    });
    socket.on('error', (error) => this.onClosed(error.message));
    socket.on('close', () => this.onClosed('connection closed by peer'));
  }

  get localAddress(): string | undefined {
    return normalizeAddress(this.socket.localAddress);
  }

  get remoteAddress(): string | undefined {
    return normalizeAddress(this.socket.remoteAddress);
  }

  /** Both ports, for logs that must tell two connections with the same addresses apart. */
  get ports(): { localPort?: number; remotePort?: number } {
    const { localPort, remotePort } = this.socket;
    return {
      ...(localPort === undefined ? {} : { localPort }),
      ...(remotePort === undefined ? {} : { remotePort }),
    };
  }

  get isOpen(): boolean {
    return !this.detached && !this.socket.destroyed;
  }

  /** True when the kernel buffer is full and the caller should wait for `drained`. */
  get needsDrain(): boolean {
    return this.socket.writableNeedDrain;
  }

  get pendingBytes(): number {
    return this.socket.writableLength;
  }

  write(bytes: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const ok = this.socket.write(bytes);
    if (!ok) this.startSendHold();
    return ok;
  }

  /** Sends the last bytes (a NOTIFICATION) if any, then closes; events stop now. */
  close(lastBytes?: Uint8Array): void {
    if (this.detached) return;
    this.detached = true;
    this.stopSendHold();
    const socket = this.socket;
    if (socket.destroyed) return;
    if (lastBytes !== undefined && socket.writable) socket.end(lastBytes);
    else socket.end();
    // A peer that never closes its side must not hold the socket forever.
    const timer = this.clock.setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
    socket.once('close', () => this.clock.clearTimeout(timer));
  }

  private onData(chunk: Buffer): void {
    if (this.detached) return;
    try {
      this.framer.push(chunk);
      for (;;) {
        const frame = this.framer.next();
        if (frame === null) break;
        const message = decodeMessage(frame, this.context);
        this.handlers.message(this, message);
        if (this.detached) return;
      }
    } catch (error) {
      if (error instanceof BgpProtocolError) {
        this.handlers.protocolError(this, error);
        return;
      }
      throw error;
    }
  }

  private onClosed(reason: string): void {
    this.stopSendHold();
    if (this.detached) return;
    this.detached = true;
    this.socket.destroy();
    this.handlers.closed(this, reason);
  }

  private startSendHold(): void {
    if (this.sendHoldTime <= 0 || this.sendHoldTimer !== undefined) return;
    this.sendHoldTimer = this.clock.setTimeout(() => {
      this.sendHoldTimer = undefined;
      if (!this.detached) this.handlers.sendHoldExpired(this);
    }, this.sendHoldTime * 1000);
  }

  private stopSendHold(): void {
    if (this.sendHoldTimer !== undefined) {
      this.clock.clearTimeout(this.sendHoldTimer);
      this.sendHoldTimer = undefined;
    }
  }
}

/** "::ffff:198.18.0.1" → "198.18.0.1", so dual-stack listeners match IPv4 peers. */
export function normalizeAddress(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
