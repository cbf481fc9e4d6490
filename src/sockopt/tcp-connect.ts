/**
 * A TCP connection whose options are set before its SYN: Node's net.connect sets
 * none before connect(), and TCP-MD5 (RFC 2385) must sign the SYN itself, GTSM
 * (RFC 5082) must see 255 on the SYN-ACK. So we make the socket (non-blocking),
 * set the options, bind and connect it here, and hand the connected fd to
 * net.Socket.
 *
 * Completion is learnt without blocking the event loop: a zero-timeout poll() of
 * the fd on a short timer (2 ms, doubling to 50 ms), then SO_ERROR says how it went.
 * A connect is rare (one per session attempt), so the timer costs nothing that
 * matters, and it needs no thread: a blocking poll in koffi's worker could not
 * be cancelled.
 */
import { Socket } from 'node:net';
import {
  AF_INET,
  AF_INET6,
  EINPROGRESS,
  POLLERR,
  POLLHUP,
  POLLOUT,
  SO_ERROR,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  SOL_SOCKET,
} from './constants.js';
import { errnoName, requireLibc, SockoptCallError, type Libc } from './libc.js';
import { encodeSockaddr, familyOf } from './sockaddr.js';
import { setGtsm, setMd5Key } from './socket-options.js';

export interface TcpConnectOptions {
  readonly host: string;
  readonly port: number;
  readonly localAddress?: string;
  /** TCP-MD5 key for this peer (RFC 2385); the SYN is already signed. */
  readonly md5Key?: Uint8Array;
  /** RFC 5082: send with TTL 255 and drop anything that arrives with less. */
  readonly gtsm?: boolean;
}

export interface PendingConnect {
  /** The connected socket, or the connect's error (`code` is the errno name). */
  readonly done: Promise<Socket>;
  /** Gives up: closes the fd; `done` never settles after this. */
  cancel(): void;
}

const FIRST_POLL_MS = 2;
const LONGEST_POLL_MS = 50;

/** Throws SockoptUnavailableError or SockoptCallError when the socket cannot be set up. */
export function connectTcp(options: TcpConnectOptions): PendingConnect {
  const c = requireLibc();
  const family = familyOf(options.host);
  const fd = c.socket(
    family === 4 ? AF_INET : AF_INET6,
    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
    0,
  );
  if (fd < 0) throw new SockoptCallError('socket()', c.errno());
  let started = false;
  try {
    if (options.md5Key !== undefined) setMd5Key(fd, family, options.host, options.md5Key);
    if (options.gtsm === true) setGtsm(fd, family);
    if (options.localAddress !== undefined) {
      const local = encodeSockaddr(
        options.localAddress,
        0,
        family,
        scopeOf(c, options.localAddress),
      );
      if (c.bind(fd, local, local.length) !== 0)
        throw new SockoptCallError(`bind to ${options.localAddress}`, c.errno());
    }
    const remote = encodeSockaddr(options.host, options.port, family, scopeOf(c, options.host));
    if (c.connect(fd, remote, remote.length) !== 0) {
      const errno = c.errno();
      if (errno !== EINPROGRESS) throw connectError(errno, options.host, options.port);
    }
    started = true;
  } finally {
    if (!started) c.close(fd);
  }
  return waitConnected(c, fd, options);
}

function waitConnected(c: Libc, fd: number, options: TcpConnectOptions): PendingConnect {
  let timer: NodeJS.Timeout | undefined;
  let open = true;
  const pollfd = Buffer.alloc(8);
  const done = new Promise<Socket>((resolve, reject) => {
    const check = (wait: number): void => {
      timer = undefined;
      if (!open) return;
      pollfd.writeInt32LE(fd, 0);
      pollfd.writeInt16LE(POLLOUT, 4);
      pollfd.writeInt16LE(0, 6);
      const ready = c.poll(pollfd, 1, 0);
      if (ready === 0 || (pollfd.readInt16LE(6) & (POLLOUT | POLLERR | POLLHUP)) === 0) {
        timer = setTimeout(() => check(Math.min(wait * 2, LONGEST_POLL_MS)), wait);
        return;
      }
      open = false;
      const error = socketError(c, fd);
      if (error !== 0) {
        c.close(fd);
        reject(connectError(error, options.host, options.port));
        return;
      }
      // From here Node owns the fd (and closes it with the socket).
      resolve(new Socket({ fd, readable: true, writable: true }));
    };
    check(FIRST_POLL_MS);
  });
  return {
    done,
    cancel: () => {
      if (!open) return;
      open = false;
      if (timer !== undefined) clearTimeout(timer);
      c.close(fd);
    },
  };
}

function socketError(c: Libc, fd: number): number {
  const value = Buffer.alloc(4);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(4);
  if (c.getsockopt(fd, SOL_SOCKET, SO_ERROR, value, length) !== 0) return c.errno();
  return value.readInt32LE(0);
}

/** Shaped like Node's own connect errors: "connect ECONNREFUSED 198.18.0.1:179". */
function connectError(errno: number, host: string, port: number): Error {
  const name = errnoName(errno).split(' ')[0] ?? String(errno);
  return Object.assign(new Error(`connect ${name} ${host}:${port}`), { code: name, errno });
}

/** The interface index of a "fe80::1%eth0" address, else 0. */
function scopeOf(c: Libc, address: string): number {
  const zone = address.split('%')[1];
  if (zone === undefined || zone === '') return 0;
  return /^\d+$/.test(zone) ? Number(zone) : c.if_nametoindex(zone);
}
