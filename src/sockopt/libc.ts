/**
 * The C library calls Node does not expose, bound once through koffi (an FFI whose
 * npm package ships prebuilt binaries). Loaded on first use: a platform without it
 * (not Linux, no koffi binary, a big-endian host) gets `SockoptUnavailableError`
 * with the reason, and callers decide whether that is fatal.
 */
import { createRequire } from 'node:module';
import { constants, endianness, platform } from 'node:os';
import type * as Koffi from 'koffi';

export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, length: number): number;
  getsockopt(fd: number, level: number, name: number, value: Buffer, length: Buffer): number;
  bind(fd: number, address: Buffer, length: number): number;
  connect(fd: number, address: Buffer, length: number): number;
  poll(fds: Buffer, count: number, timeoutMs: number): number;
  close(fd: number): number;
  if_nametoindex(name: string): number;
  sendto(
    fd: number,
    data: Buffer,
    length: number,
    flags: number,
    to: Buffer,
    toLength: number,
  ): number;
  /** `message` is native memory (see `native`): the msghdr's pointers must stay put. */
  recvmsg(fd: number, message: unknown, flags: number): number;
  read(fd: number, data: Buffer, length: number): number;
  write(fd: number, data: Buffer, length: number): number;
  eventfd(initial: number, flags: number): number;
  gettid(): number;
  setpriority(which: number, who: number, priority: number): number;
  /** Native memory that outlives a call: the pointer, its address and a Buffer over it. */
  native(bytes: number): NativeMemory;
  /** errno of the last call on this thread. */
  errno(): number;
}

export interface NativeMemory {
  readonly pointer: unknown;
  readonly address: bigint;
  readonly bytes: Buffer;
  /** Gives the memory back; `bytes` must not be used after. */
  free(): void;
}

/** Socket options cannot be set here; `reason` says why. */
export class SockoptUnavailableError extends Error {
  readonly code = 'sockopt.unavailable';
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`socket options (TCP-MD5, TTL security) are unavailable: ${reason}`, options);
    this.name = 'SockoptUnavailableError';
  }
}

/** A call failed; `errno` is the kernel's answer, `call` what we asked. */
export class SockoptCallError extends Error {
  readonly code = 'sockopt.call_failed';
  readonly errno: number;
  readonly call: string;
  constructor(call: string, errno: number) {
    super(`${call} failed: ${errnoName(errno)}`);
    this.name = 'SockoptCallError';
    this.call = call;
    this.errno = errno;
  }
}

let loaded: Libc | SockoptUnavailableError | undefined;

/** The bound calls, or why there are none. Loaded once. */
export function libc(): Libc | SockoptUnavailableError {
  loaded ??= load();
  return loaded;
}

/** The bound calls; throws SockoptUnavailableError. */
export function requireLibc(): Libc {
  const c = libc();
  if (c instanceof SockoptUnavailableError) throw c;
  return c;
}

function load(): Libc | SockoptUnavailableError {
  if (platform() !== 'linux') return new SockoptUnavailableError(`${platform()} is not Linux`);
  if (endianness() !== 'LE') return new SockoptUnavailableError('big-endian host');
  let koffi: typeof Koffi;
  try {
    koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
  } catch (error) {
    return new SockoptUnavailableError(
      `the koffi package cannot be loaded (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
  try {
    const lib = koffi.load('libc.so.6');
    // `void *` parameters take a Buffer's memory as is, so getsockopt and poll write into it.
    const f = {
      socket: lib.func('int socket(int, int, int)'),
      setsockopt: lib.func('int setsockopt(int, int, int, void *, uint32_t)'),
      getsockopt: lib.func('int getsockopt(int, int, int, void *, void *)'),
      bind: lib.func('int bind(int, void *, uint32_t)'),
      connect: lib.func('int connect(int, void *, uint32_t)'),
      poll: lib.func('int poll(void *, unsigned long, int)'),
      close: lib.func('int close(int)'),
      if_nametoindex: lib.func('unsigned int if_nametoindex(const char *)'),
      sendto: lib.func('long sendto(int, void *, unsigned long, int, void *, uint32_t)'),
      recvmsg: lib.func('long recvmsg(int, void *, int)'),
      read: lib.func('long read(int, void *, unsigned long)'),
      write: lib.func('long write(int, void *, unsigned long)'),
      eventfd: lib.func('int eventfd(unsigned int, int)'),
      gettid: lib.func('int gettid()'),
      setpriority: lib.func('int setpriority(int, unsigned int, int)'),
    };
    return {
      socket: (d, t, p) => f.socket(d, t, p) as number,
      setsockopt: (fd, l, n, v, len) => f.setsockopt(fd, l, n, v, len) as number,
      getsockopt: (fd, l, n, v, len) => f.getsockopt(fd, l, n, v, len) as number,
      bind: (fd, a, len) => f.bind(fd, a, len) as number,
      connect: (fd, a, len) => f.connect(fd, a, len) as number,
      poll: (fds, n, t) => f.poll(fds, n, t) as number,
      close: (fd) => f.close(fd) as number,
      if_nametoindex: (name) => f.if_nametoindex(name) as number,
      sendto: (fd, d, len, fl, to, toLen) => Number(f.sendto(fd, d, len, fl, to, toLen)),
      recvmsg: (fd, m, fl) => Number(f.recvmsg(fd, m, fl)),
      read: (fd, d, len) => Number(f.read(fd, d, len)),
      write: (fd, d, len) => Number(f.write(fd, d, len)),
      eventfd: (initial, flags) => f.eventfd(initial, flags) as number,
      gettid: () => f.gettid() as number,
      setpriority: (which, who, priority) => f.setpriority(which, who, priority) as number,
      native: (bytes) => {
        const pointer: unknown = koffi.alloc('uint8', bytes);
        return {
          pointer,
          address: koffi.address(pointer),
          bytes: Buffer.from(koffi.view(pointer, bytes)),
          free: () => koffi.free(pointer),
        };
      },
      errno: () => koffi.errno(),
    };
  } catch (error) {
    return new SockoptUnavailableError(
      `libc cannot be bound (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

const HINTS: Record<string, string> = {
  ENOPROTOOPT: 'the kernel lacks this option: TCP-MD5 needs CONFIG_TCP_MD5SIG',
  EPERM: 'not permitted',
  EACCES: 'permission denied',
};

/** An errno for messages: "ENOPROTOOPT (the kernel lacks …)", names from Node's table. */
export function errnoName(errno: number): string {
  const name = Object.entries(constants.errno).find(([, n]) => n === errno)?.[0];
  if (name === undefined) return `errno ${errno}`;
  const hint = HINTS[name];
  return hint === undefined ? name : `${name} (${hint})`;
}
