/**
 * UDP sockets whose received TTL / hop limit can be read, for BFD (RFC 5881 section 5:
 * send with 255, drop anything received with less). Node's dgram cannot read a
 * received packet's TTL, and this kernel does not apply IP_MINTTL / IPV6_MINHOPCOUNT
 * to UDP (checked: a TTL 254 datagram is delivered), so the socket asks for the TTL
 * as a control message (IP_RECVTTL, IPV6_RECVHOPLIMIT) and recvmsg() reads it.
 *
 * Everything here is synchronous and non-blocking, and meant for a thread of its own
 * (the BFD worker) that waits in poll(): Node's event loop cannot watch a foreign fd.
 */
import {
  AF_INET,
  AF_INET6,
  EAGAIN,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  EINTR,
  IP_RECVTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_HOPLIMIT,
  IPV6_RECVHOPLIMIT,
  IPV6_V6ONLY,
  POLLIN,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
} from './constants.js';
import { requireLibc, SockoptCallError, type NativeMemory } from './libc.js';
import { encodeSockaddr, type AddressFamily } from './sockaddr.js';
import { setTtl } from './socket-options.js';

export interface UdpSocketOptions {
  readonly family: AddressFamily;
  /** Local address; the wildcard of the family when absent. */
  readonly address?: string;
  readonly port: number;
  /** TTL / hop limit of what is sent. */
  readonly ttl?: number;
  /** Ask for each received packet's TTL / hop limit. */
  readonly receiveTtl?: boolean;
}

/** A bound, non-blocking UDP socket; throws SockoptCallError (errno EADDRINUSE on a taken port). */
export function openUdp(options: UdpSocketOptions): number {
  const c = requireLibc();
  const { family } = options;
  const fd = c.socket(
    family === 4 ? AF_INET : AF_INET6,
    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
    0,
  );
  if (fd < 0) throw new SockoptCallError('socket(SOCK_DGRAM)', c.errno());
  try {
    // An IPv6 socket for IPv6 only: IPv4 has a socket of its own on the same port.
    if (family === 6) setInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, 'IPV6_V6ONLY');
    if (options.ttl !== undefined) setTtl(fd, family, options.ttl);
    if (options.receiveTtl === true) {
      if (family === 4) setInt(fd, IPPROTO_IP, IP_RECVTTL, 1, 'IP_RECVTTL');
      else setInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, 'IPV6_RECVHOPLIMIT');
    }
    const local = encodeSockaddr(
      options.address ?? (family === 4 ? '0.0.0.0' : '::'),
      options.port,
      family,
    );
    if (c.bind(fd, local, local.length) !== 0)
      throw new SockoptCallError(`bind(udp ${options.address ?? '*'}:${options.port})`, c.errno());
    return fd;
  } catch (error) {
    c.close(fd);
    throw error;
  }
}

/** Sends one datagram; false when the socket buffer is full (EAGAIN), throws on other errors. */
export function sendUdp(
  fd: number,
  data: Buffer,
  address: string,
  port: number,
  family: AddressFamily,
): boolean {
  const c = requireLibc();
  const to = encodeSockaddr(address, port, family);
  if (c.sendto(fd, data, data.length, 0, to, to.length) >= 0) return true;
  const errno = c.errno();
  if (errno === EAGAIN || errno === EINTR) return false;
  throw new SockoptCallError(`sendto(${address}:${port})`, errno);
}

export function closeFd(fd: number): void {
  requireLibc().close(fd);
}

export interface Datagram {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
  /** The TTL / hop limit it arrived with; undefined when the kernel gave none. */
  readonly ttl: number | undefined;
}

// The one native block of a receiver: msghdr, iovec, sockaddr, control, payload.
const MSGHDR = 0;
const IOVEC = 56;
const NAME = 72;
const NAME_SIZE = 128;
const CONTROL = NAME + NAME_SIZE;
const CONTROL_SIZE = 64;
const PAYLOAD = CONTROL + CONTROL_SIZE;
const PAYLOAD_SIZE = 512;

/**
 * recvmsg() into native memory that stays put (the msghdr holds pointers into it), with
 * the TTL read from the control message. One per socket; `close` frees it.
 */
export class UdpReceiver {
  private readonly memory: NativeMemory;
  readonly fd: number;

  constructor(fd: number) {
    this.fd = fd;
    this.memory = requireLibc().native(PAYLOAD + PAYLOAD_SIZE);
    const b = this.memory.bytes;
    const base = this.memory.address;
    b.writeBigUInt64LE(base + BigInt(NAME), MSGHDR);
    b.writeBigUInt64LE(base + BigInt(IOVEC), MSGHDR + 16);
    b.writeBigUInt64LE(1n, MSGHDR + 24);
    b.writeBigUInt64LE(base + BigInt(CONTROL), MSGHDR + 32);
    b.writeBigUInt64LE(base + BigInt(PAYLOAD), IOVEC);
    b.writeBigUInt64LE(BigInt(PAYLOAD_SIZE), IOVEC + 8);
  }

  /** The next datagram waiting, or undefined when there is none (EAGAIN). */
  receive(): Datagram | undefined {
    const c = requireLibc();
    const b = this.memory.bytes;
    b.writeUInt32LE(NAME_SIZE, MSGHDR + 8);
    b.writeBigUInt64LE(BigInt(CONTROL_SIZE), MSGHDR + 40);
    b.writeInt32LE(0, MSGHDR + 48);
    const n = c.recvmsg(this.fd, this.memory.pointer, 0);
    if (n < 0) {
      const errno = c.errno();
      if (errno === EAGAIN || errno === EINTR) return undefined;
      throw new SockoptCallError('recvmsg()', errno);
    }
    const data = Buffer.from(b.subarray(PAYLOAD, PAYLOAD + Math.min(n, PAYLOAD_SIZE)));
    const { address, port } = decodeSockaddr(b.subarray(NAME, NAME + NAME_SIZE));
    const controlLength = Number(b.readBigUInt64LE(MSGHDR + 40));
    return { data, address, port, ttl: receivedTtl(b.subarray(CONTROL, CONTROL + controlLength)) };
  }

  close(): void {
    closeFd(this.fd);
    this.memory.free();
  }
}

/** The IP_TTL or IPV6_HOPLIMIT value among control messages (struct cmsghdr, 64-bit). */
export function receivedTtl(control: Buffer): number | undefined {
  let offset = 0;
  while (offset + 16 <= control.length) {
    const length = Number(control.readBigUInt64LE(offset));
    if (length < 16) return undefined;
    const level = control.readInt32LE(offset + 8);
    const type = control.readInt32LE(offset + 12);
    if (offset + 20 <= control.length) {
      if (level === IPPROTO_IP && type === IP_TTL) return control.readInt32LE(offset + 16);
      if (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT) return control.readInt32LE(offset + 16);
    }
    offset += (length + 7) & ~7;
  }
  return undefined;
}

/** sockaddr_in / sockaddr_in6 back to text; a v4-mapped IPv6 address becomes IPv4. */
export function decodeSockaddr(b: Buffer): { address: string; port: number } {
  const family = b.readUInt16LE(0);
  const port = b.readUInt16BE(2);
  if (family === AF_INET) return { address: [...b.subarray(4, 8)].join('.'), port };
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(b.readUInt16BE(8 + 2 * i).toString(16));
  const text = words.join(':');
  if (text.startsWith('0:0:0:0:0:ffff:'))
    return { address: [...b.subarray(20, 24)].join('.'), port };
  return { address: compressIpv6(words), port };
}

function compressIpv6(words: string[]): string {
  // The longest run of two or more zero words becomes "::" (RFC 5952 section 4.2).
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === '0') j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (best < 0) return words.join(':');
  return `${words.slice(0, best).join(':')}::${words.slice(best + bestLength).join(':')}`;
}

/** Waits (blocking this thread) until one of `fds` is readable or `timeoutMs` passes; the readable ones. */
export function pollReadable(fds: readonly number[], timeoutMs: number): boolean[] {
  const c = requireLibc();
  const table = Buffer.alloc(8 * fds.length);
  fds.forEach((fd, i) => {
    table.writeInt32LE(fd, 8 * i);
    table.writeInt16LE(POLLIN, 8 * i + 4);
  });
  const ready = c.poll(table, fds.length, Math.max(0, Math.round(timeoutMs)));
  if (ready < 0) {
    const errno = c.errno();
    if (errno === EINTR) return fds.map(() => false);
    throw new SockoptCallError('poll()', errno);
  }
  return fds.map((_, i) => table.readInt16LE(8 * i + 6) !== 0);
}

/** An eventfd another thread can signal to wake a poll() (the fd number is process-wide). */
export function openWakeup(): number {
  const c = requireLibc();
  const fd = c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) throw new SockoptCallError('eventfd()', c.errno());
  return fd;
}

export function signalWakeup(fd: number): void {
  const one = Buffer.alloc(8);
  one.writeBigUInt64LE(1n);
  requireLibc().write(fd, one, 8);
}

export function drainWakeup(fd: number): void {
  requireLibc().read(fd, Buffer.alloc(8), 8);
}

function setInt(fd: number, level: number, name: number, value: number, label: string): void {
  const c = requireLibc();
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value);
  if (c.setsockopt(fd, level, name, buffer, 4) !== 0)
    throw new SockoptCallError(`setsockopt(${label}, ${value})`, c.errno());
}

/**
 * Gives the calling thread a nice value (Linux schedules threads on their own), so a
 * host with more runnable threads than CPUs still runs it soon after it wakes. Lowering
 * it below 0 needs root or CAP_SYS_NICE; the error says so and the thread runs as it was.
 */
export function setThreadNice(nice: number): void {
  const c = requireLibc();
  // PRIO_PROCESS with a thread id: this thread only.
  if (c.setpriority(0, c.gettid(), nice) !== 0)
    throw new SockoptCallError(`setpriority(thread, ${nice})`, c.errno());
}
