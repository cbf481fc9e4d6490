/**
 * The BFD worker thread: the engine (engine.ts) against real UDP sockets, in a loop of
 * its own that waits in poll() until a packet, a command from the main thread (an
 * eventfd it signals) or the next timer. Nothing the main thread does (checks, GC of
 * its heap, a large UPDATE batch) delays a packet here; only the process being stopped
 * does, and that is what BFD is for.
 *
 * RFC 5881: control packets to port 3784 (section 4), from a source port in
 * 49152-65535 unique per session (section 4), with TTL / hop limit 255 and received
 * packets with any other TTL dropped (section 5, read per packet: see sockopt/udp.ts).
 */
import { performance } from 'node:perf_hooks';
import { receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import {
  closeFd,
  drainWakeup,
  familyOf,
  openUdp,
  pollReadable,
  sendUdp,
  setThreadNice,
  SockoptCallError,
  UdpReceiver,
  type AddressFamily,
} from '../sockopt/index.js';
import { BFD_TTL, BfdEngine } from './engine.js';
import type { ToMain, ToWorker } from './messages.js';

export interface WorkerData {
  readonly port: MessagePort;
  readonly wakeFd: number;
  /** Where control packets are received and sent to: 3784 (tests of one host use others). */
  readonly bfdPort: number;
}

const FIRST_SOURCE_PORT = 49152;
const LAST_SOURCE_PORT = 65535;
const EADDRINUSE = 98;
/** Longest poll: how soon a lost wakeup would still be noticed. */
const LONGEST_WAIT_MS = 1000;
/** The worker's nice value: ahead of the main thread and other work when the host is busy. */
const WORKER_NICE = -10;
/** Woken this much after a deadline: the thread was not scheduled (a frozen or overloaded host). */
const LATE_MS = 50;

interface Sender {
  readonly fd: number;
  readonly family: AddressFamily;
  readonly peer: string;
}

function run(data: WorkerData): void {
  const { port, wakeFd, bfdPort } = data;
  const post = (message: ToMain): void => port.postMessage(message);
  const senders = new Map<string, Sender>();
  const receivers = new Map<AddressFamily, UdpReceiver>();
  const sendErrors = new Map<string, string>();
  const engine = new BfdEngine({
    send: (id, packet) => {
      const sender = senders.get(id);
      if (sender === undefined) return;
      try {
        sendUdp(sender.fd, packet, sender.peer, bfdPort, sender.family);
        if (sendErrors.delete(id)) post({ type: 'send-error', id, message: undefined });
      } catch (error) {
        // A link that is down answers ENETUNREACH: the session's timers say the rest.
        const message = error instanceof Error ? error.message : String(error);
        if (sendErrors.get(id) !== message) {
          sendErrors.set(id, message);
          post({ type: 'send-error', id, message });
        }
      }
    },
    report: (id, view, changes) => post({ type: 'state', id, view, changes: [...changes] }),
  });

  const receiverFor = (family: AddressFamily): void => {
    if (receivers.has(family)) return;
    const fd = openUdp({ family, port: bfdPort, receiveTtl: true });
    receivers.set(family, new UdpReceiver(fd));
  };

  const openSender = (peer: string, localAddress: string | undefined): Sender => {
    const family = familyOf(peer);
    // A random start, then the next free one: unique per session (RFC 5881 section 4).
    const span = LAST_SOURCE_PORT - FIRST_SOURCE_PORT + 1;
    const start = Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const sourcePort = FIRST_SOURCE_PORT + ((start + i) % span);
      try {
        const fd = openUdp({
          family,
          port: sourcePort,
          ttl: BFD_TTL,
          ...(localAddress === undefined ? {} : { address: localAddress }),
        });
        return { fd, family, peer };
      } catch (error) {
        if (error instanceof SockoptCallError && error.errno === EADDRINUSE) continue;
        throw error;
      }
    }
    throw new Error('no free source port in 49152-65535');
  };

  const closeSender = (id: string): void => {
    const sender = senders.get(id);
    if (sender === undefined) return;
    senders.delete(id);
    closeFd(sender.fd);
  };

  let running = true;
  const handle = (message: ToWorker): void => {
    const now = performance.now();
    switch (message.type) {
      case 'add':
        try {
          engine.remove(message.id, now, false);
          closeSender(message.id);
          receiverFor(familyOf(message.peer));
          senders.set(message.id, openSender(message.peer, message.localAddress));
          engine.add(
            message.id,
            {
              peer: message.peer,
              timers: message.timers,
              ...(message.localAddress === undefined ? {} : { localAddress: message.localAddress }),
            },
            now,
          );
        } catch (error) {
          post({
            type: 'error',
            id: message.id,
            message: error instanceof Error ? error.message : String(error),
          });
        }
        return;
      case 'update':
        engine.update(message.id, message.timers, now);
        return;
      case 'remove':
        engine.remove(message.id, now);
        closeSender(message.id);
        return;
      case 'stop':
        for (const id of [...senders.keys()]) {
          engine.remove(id, now);
          closeSender(id);
        }
        running = false;
        return;
    }
  };

  let reportedDrops = '';
  let lastDropReport = 0;
  let niceProblem: string | undefined;
  try {
    setThreadNice(WORKER_NICE);
  } catch (error) {
    niceProblem = error instanceof Error ? error.message : String(error);
  }
  post({ type: 'ready', nice: niceProblem === undefined ? WORKER_NICE : 0, niceProblem });
  while (running) {
    const now = performance.now();
    const due = engine.nextDeadline();
    if (due !== undefined && now - due > LATE_MS) post({ type: 'late', ms: Math.round(now - due) });
    engine.tick(now);
    const deadline = engine.nextDeadline();
    const wait = deadline === undefined ? LONGEST_WAIT_MS : Math.ceil(deadline - performance.now());
    const rx = [...receivers.values()];
    const ready = pollReadable(
      [wakeFd, ...rx.map((r) => r.fd)],
      Math.min(Math.max(wait, 0), LONGEST_WAIT_MS),
    );
    if (ready[0] === true) {
      drainWakeup(wakeFd);
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port))
        handle(m.message as ToWorker);
    }
    rx.forEach((receiver, i) => {
      if (ready[i + 1] !== true) return;
      for (let d = receiver.receive(); d !== undefined; d = receiver.receive())
        engine.receive(d.data, d.address, d.ttl, performance.now());
    });
    if (performance.now() - lastDropReport >= 1000) {
      lastDropReport = performance.now();
      const drops = Object.fromEntries(engine.dropped);
      const key = JSON.stringify(drops);
      if (key !== reportedDrops) {
        reportedDrops = key;
        post({ type: 'dropped', counts: drops });
      }
    }
  }
  for (const receiver of receivers.values()) receiver.close();
  post({ type: 'stopped' });
  port.close();
}

run(workerData as WorkerData);
