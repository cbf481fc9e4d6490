/**
 * The pidfd watcher's thread (pidfd.ts): blocks in poll(2) on the wake eventfd and
 * every watched pidfd; posts `{ exited: fd }` when one becomes readable. Commands come
 * as messages, read synchronously after each wake-up (this thread never returns to its
 * event loop while it watches). It closes the pidfds it was given once told to forget
 * them, and everything when stopped.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { EINTR, POLLIN, pidfdCalls, type WatcherCommand } from './pidfd.js';

interface Data {
  readonly wakeFd: number;
  readonly stop: Int32Array;
}

function main(): void {
  const port = parentPort;
  if (port === null) return;
  const { wakeFd, stop } = workerData as Data;
  const calls = pidfdCalls();
  /** Polled: their processes have not been seen to exit. */
  const watched = new Set<number>();
  /** Reported exited, not yet forgotten by the main thread. */
  const parked = new Set<number>();
  const scratch = Buffer.alloc(8);
  for (;;) {
    for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
      const command = m.message as WatcherCommand;
      if ('add' in command) watched.add(command.add);
      else if (watched.delete(command.remove) || parked.delete(command.remove))
        calls.close(command.remove);
    }
    if (Atomics.load(stop, 0) !== 0) break;
    const fds = [wakeFd, ...watched];
    const entries = Buffer.alloc(8 * fds.length);
    fds.forEach((fd, i) => {
      entries.writeInt32LE(fd, 8 * i);
      entries.writeInt16LE(POLLIN, 8 * i + 4);
    });
    const n = calls.poll(entries, fds.length, -1);
    if (n < 0) {
      if (calls.errno() === EINTR) continue;
      break;
    }
    fds.forEach((fd, i) => {
      if (entries.readInt16LE(8 * i + 6) === 0) return;
      if (fd === wakeFd) {
        calls.read(wakeFd, scratch, 8);
        return;
      }
      watched.delete(fd);
      parked.add(fd);
      port.postMessage({ exited: fd });
    });
  }
  for (const fd of [...watched, ...parked, wakeFd]) calls.close(fd);
}

main();
