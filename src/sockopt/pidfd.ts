/**
 * Process descriptors (pidfd_open(2), Linux 5.3+) and a watcher told at once when a
 * process exits, for the `process` check.
 *
 * Why a pidfd: it refers to one process, not to a number, so a pid reused by another
 * process after ours exited can never be mistaken for ours; and it becomes readable
 * (poll(2) POLLIN) the moment the process exits, so nothing polls on a timer.
 *
 * Why a worker thread: Node cannot wait on an arbitrary descriptor, and a blocking
 * poll(2) on the main thread (or on libuv's small thread pool, as koffi's async calls
 * are) would stall the daemon or its file system calls. One worker thread blocks in
 * poll(2) on every watched pidfd plus an eventfd the main thread writes to when the
 * set changes; an exit is posted to the main thread as a message, so the latency is a
 * thread wake-up and one message (well under a millisecond idle; bench/README.md
 * "failover-events" measures it under load). The worker owns closing
 * the descriptors it watches, so one is never closed while it is being polled.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type * as Koffi from 'koffi';
import { SockoptCallError, SockoptUnavailableError, libc } from './libc.js';

/** syscall numbers and flags (asm-generic/unistd.h, linux/eventfd.h, poll.h). */
export const SYS_PIDFD_OPEN = 434;
export const EFD_CLOEXEC = 0o2000000;
export const EFD_NONBLOCK = 0o4000;
export const POLLIN = 0x1;
export const ESRCH = 3;
export const EINTR = 4;

export interface PidfdCalls {
  pidfdOpen(pid: number): number;
  eventfd(flags: number): number;
  read(fd: number, buffer: Buffer, length: number): number;
  write(fd: number, buffer: Buffer, length: number): number;
  poll(fds: Buffer, count: number, timeoutMs: number): number;
  close(fd: number): number;
  errno(): number;
}

let bound: PidfdCalls | SockoptUnavailableError | undefined;

/** The calls, bound once through koffi; throws SockoptUnavailableError. */
export function pidfdCalls(): PidfdCalls {
  bound ??= bind();
  if (bound instanceof SockoptUnavailableError) throw bound;
  return bound;
}

function bind(): PidfdCalls | SockoptUnavailableError {
  const c = libc(); // the platform and koffi checks
  if (c instanceof SockoptUnavailableError) return c;
  try {
    const koffi = createRequire(import.meta.url)('koffi') as typeof Koffi;
    const lib = koffi.load('libc.so.6');
    const f = {
      syscall: lib.func('long syscall(long, int, unsigned int)'),
      eventfd: lib.func('int eventfd(unsigned int, int)'),
      read: lib.func('long read(int, void *, unsigned long)'),
      write: lib.func('long write(int, void *, unsigned long)'),
    };
    return {
      pidfdOpen: (pid) => Number(f.syscall(SYS_PIDFD_OPEN, pid, 0)),
      eventfd: (flags) => f.eventfd(0, flags) as number,
      read: (fd, b, n) => Number(f.read(fd, b, n)),
      write: (fd, b, n) => Number(f.write(fd, b, n)),
      poll: (fds, n, t) => c.poll(fds, n, t),
      close: (fd) => c.close(fd),
      errno: () => c.errno(),
    };
  } catch (error) {
    return new SockoptUnavailableError(
      `pidfd calls cannot be bound (${error instanceof Error ? error.message : String(error)})`,
      { cause: error },
    );
  }
}

/**
 * A pidfd for `pid`, or undefined when no such process exists (ESRCH). Throws
 * SockoptCallError for anything else (EMFILE, ENOSYS on a kernel before 5.3).
 */
export function openPidfd(pid: number): number | undefined {
  const calls = pidfdCalls();
  const fd = calls.pidfdOpen(pid);
  if (fd >= 0) return fd;
  const errno = calls.errno();
  if (errno === ESRCH) return undefined;
  throw new SockoptCallError(`pidfd_open(${pid})`, errno);
}

/** Whether the process behind a pidfd has exited, without waiting. */
export function pidfdExited(fd: number): boolean {
  const calls = pidfdCalls();
  const entry = Buffer.alloc(8);
  entry.writeInt32LE(fd, 0);
  entry.writeInt16LE(POLLIN, 4);
  const n = calls.poll(entry, 1, 0);
  return n > 0 && (entry.readInt16LE(6) & POLLIN) !== 0;
}

/** Closes a pidfd that was not handed to a watcher. */
export function closePidfd(fd: number): void {
  pidfdCalls().close(fd);
}

/** Main → worker. */
export type WatcherCommand = { readonly add: number } | { readonly remove: number };
/** Worker → main. */
export interface WatcherEvent {
  readonly exited: number;
}

/**
 * One worker thread waiting on every watched pidfd. `watch` hands a pidfd over (the
 * watcher closes it once unwatched); `onExit` runs on the main thread when the process
 * exits. The worker stops when nothing is watched, and on process exit.
 */
export class PidfdWatcher {
  private worker: Worker | undefined;
  private wakeFd = -1;
  private stopFlag: Int32Array | undefined;
  private readonly listeners = new Map<number, () => void>();
  private readonly onProcessExit = (): void => this.stopWorker();

  get size(): number {
    return this.listeners.size;
  }

  /** Watches `fd` (a pidfd, now the watcher's); returns the unwatch, which closes it. */
  watch(fd: number, onExit: () => void): () => void {
    this.ensureWorker();
    this.listeners.set(fd, onExit);
    this.send({ add: fd });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.listeners.delete(fd);
      this.send({ remove: fd });
      if (this.listeners.size === 0) this.stopWorker();
    };
  }

  private ensureWorker(): void {
    if (this.worker !== undefined) return;
    const calls = pidfdCalls();
    const wakeFd = calls.eventfd(EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakeFd < 0) throw new SockoptCallError('eventfd()', calls.errno());
    const stop = new Int32Array(new SharedArrayBuffer(4));
    const worker = new Worker(new URL('./pidfd-worker.js', import.meta.url), {
      workerData: { wakeFd, stop },
    });
    worker.unref();
    worker.on('message', (event: WatcherEvent) => {
      this.listeners.get(event.exited)?.();
    });
    worker.on('error', (error) => {
      process.emitWarning(`pidfd watcher failed: ${error.message}`);
    });
    this.worker = worker;
    this.wakeFd = wakeFd;
    this.stopFlag = stop;
    process.on('exit', this.onProcessExit);
  }

  private send(command: WatcherCommand): void {
    this.worker?.postMessage(command);
    this.poke();
  }

  private poke(): void {
    if (this.wakeFd < 0) return;
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    pidfdCalls().write(this.wakeFd, one, 8);
  }

  /** The worker closes the descriptors it still holds, and the eventfd, as it ends. */
  private stopWorker(): void {
    if (this.worker === undefined || this.stopFlag === undefined) return;
    Atomics.store(this.stopFlag, 0, 1);
    this.poke();
    process.off('exit', this.onProcessExit);
    this.worker = undefined;
    this.stopFlag = undefined;
    this.wakeFd = -1;
  }
}

/** The daemon's one watcher. */
export const pidfdWatcher = new PidfdWatcher();
