/**
 * A hand-rolled BGP peer for tests: builds messages byte by byte (independently
 * of the codec under test) and reads back what the speaker sends, so malformed
 * input and exact replies can be checked over a real socket.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

export function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

export function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

export function message(type: number, body: number[], lengthOverride?: number): Buffer {
  const length = lengthOverride ?? 19 + body.length;
  return Buffer.from([...new Array<number>(16).fill(0xff), ...u16(length), type, ...body]);
}

export interface RawOpen {
  version?: number;
  myAs: number;
  holdTime: number;
  routerId: number[];
  /** Capability TLVs as raw bytes (code, length, value...). */
  capabilities?: number[][];
}

export const capMpIpv4 = [1, 4, 0, 1, 0, 1];
export const capMpIpv6 = [1, 4, 0, 2, 0, 1];
export const capRouteRefresh = [2, 0];
export function capFourOctet(asn: number): number[] {
  return [65, 4, ...u32(asn)];
}

export function openMessage(open: RawOpen): Buffer {
  const caps = (open.capabilities ?? []).flat();
  const params = caps.length > 0 ? [2, caps.length, ...caps] : [];
  return message(1, [
    open.version ?? 4,
    ...u16(open.myAs),
    ...u16(open.holdTime),
    ...open.routerId,
    params.length,
    ...params,
  ]);
}

export const keepalive = message(4, []);

export function updateMessage(withdrawn: number[], attributes: number[], nlri: number[]): Buffer {
  return message(2, [
    ...u16(withdrawn.length),
    ...withdrawn,
    ...u16(attributes.length),
    ...attributes,
    ...nlri,
  ]);
}

/** A well-formed eBGP attribute set: ORIGIN IGP, AS_PATH [asn], NEXT_HOP. */
export function basicAttributes(asn: number, nextHop: number[]): number[] {
  return [
    0x40,
    1,
    1,
    0, // ORIGIN IGP
    0x40,
    2,
    6,
    2,
    1,
    ...u32(asn), // AS_PATH: one AS_SEQUENCE of one 4-octet ASN
    0x40,
    3,
    4,
    ...nextHop, // NEXT_HOP
  ];
}

export interface ReceivedMessage {
  type: number;
  body: Buffer;
}

export class RawPeer {
  private buffer = Buffer.alloc(0);
  readonly messages: ReceivedMessage[] = [];
  private closed = false;
  private waiters: (() => void)[] = [];

  /** Takes over a socket accepted elsewhere (see RawListener). */
  static wrap(socket: Socket): RawPeer {
    return new RawPeer(socket);
  }

  /**
   * This end's port and the other end's, to tell two connections between the same
   * addresses apart; taken when connected, so still known after the close.
   */
  readonly ports: { readonly local: number; readonly remote: number };

  private constructor(readonly socket: Socket) {
    this.ports = { local: socket.localPort ?? -1, remote: socket.remotePort ?? -1 };
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 19) {
        const length = this.buffer.readUInt16BE(16);
        if (length < 19 || this.buffer.length < length) break;
        this.messages.push({ type: this.buffer[18] ?? 0, body: this.buffer.subarray(19, length) });
        this.buffer = this.buffer.subarray(length);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  static connect(port: number, localAddress: string, host = '127.0.0.1'): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port, localAddress });
      socket.once('connect', () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Waits for a message of `type` (1 OPEN, 2 UPDATE, 3 NOTIFICATION, 4 KEEPALIVE) not yet taken. */
  async next(type: number, timeoutMs = 5000): Promise<ReceivedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.messages.findIndex((m) => m.type === type);
      if (index !== -1) return this.messages.splice(index, 1)[0] as ReceivedMessage;
      if (this.closed)
        throw new Error(
          `connection closed before a message of type ${type} arrived (got types ${this.messages.map((m) => m.type).join(',') || 'none'})`,
        );
      if (Date.now() > deadline)
        throw new Error(`no message of type ${type} within ${timeoutMs} ms`);
      await this.wait(deadline - Date.now());
    }
  }

  /** Waits for the NOTIFICATION the speaker must send, and for the close that follows. */
  async notification(timeoutMs = 5000): Promise<{ code: number; subcode: number; data: number[] }> {
    const message = await this.next(3, timeoutMs);
    await this.closedWithin(timeoutMs);
    return {
      code: message.body[0] ?? -1,
      subcode: message.body[1] ?? -1,
      data: [...message.body.subarray(2)],
    };
  }

  async closedWithin(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error(`connection still open after ${timeoutMs} ms`);
      await this.wait(deadline - Date.now());
    }
  }

  /** Completes the handshake: reads the speaker's OPEN, sends ours and a KEEPALIVE, waits for its KEEPALIVE. */
  async establish(open: RawOpen): Promise<ReceivedMessage> {
    const theirs = await this.next(1);
    this.send(openMessage(open));
    this.send(keepalive);
    await this.next(4);
    return theirs;
  }

  close(): void {
    this.socket.destroy();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(1, ms));
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A listening raw peer: each connection the speaker opens to it arrives as a RawPeer. */
export class RawListener {
  private readonly accepted: RawPeer[] = [];
  private waiters: (() => void)[] = [];

  private constructor(private readonly server: Server) {
    server.on('connection', (socket) => {
      this.accepted.push(RawPeer.wrap(socket));
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    });
  }

  /** Listens on `host`, on a port of the kernel's choosing. */
  static listen(host: string): Promise<RawListener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, host, () => resolve(new RawListener(server)));
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address !== null ? address.port : -1;
  }

  /** The next connection not yet taken. */
  async accept(timeoutMs = 5000): Promise<RawPeer> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const next = this.accepted.shift();
      if (next !== undefined) return next;
      if (Date.now() > deadline) throw new Error(`no connection within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): Promise<void> {
    for (const peer of this.accepted) peer.close();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** Polls `probe` (sync or async) every 10 ms until it gives something other than undefined/false. */
export async function eventually<T>(
  probe: () => T | undefined | false | PromiseLike<T | undefined | false>,
  what: string,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined | false;
  for (;;) {
    last = await probe();
    if (last !== undefined && last !== false) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
