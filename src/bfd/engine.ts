/**
 * All sessions of one BFD worker and the reception path shared by them, without
 * sockets: a datagram comes in with its source and TTL, is checked (RFC 5881 section
 * 5: TTL / hop limit 255; RFC 5880 6.8.6 via the codec), demultiplexed (6.8.6: by Your
 * Discriminator, or by the source address while it is zero) and handed to its session.
 * Packets to send go out through `send`, what the main thread must hear through
 * `report`. worker.ts runs it against real sockets; tests run it against each other.
 */
import ipaddr from 'ipaddr.js';
import { decodeBfd, encodeBfd, type DecodeProblem } from './codec.js';
import { BfdSession, type BfdSessionView, type BfdStateChange, type BfdTimers } from './session.js';

export const BFD_PORT = 3784;
/** RFC 5881 section 5: what a single-hop session sends and requires. */
export const BFD_TTL = 255;

export interface EngineSessionConfig {
  readonly peer: string;
  readonly localAddress?: string;
  readonly timers: BfdTimers;
}

export type DropReason = DecodeProblem | 'ttl' | 'unknown-session';

export interface EngineOutput {
  send(id: string, packet: Buffer): void;
  report(id: string, view: BfdSessionView, changes: readonly BfdStateChange[]): void;
}

interface Entry {
  readonly id: string;
  readonly peer: string;
  readonly session: BfdSession;
  lastView: string;
}

export class BfdEngine {
  private readonly byId = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  private readonly byPeer = new Map<string, Entry>();
  readonly dropped = new Map<DropReason, number>();
  private readonly output: EngineOutput;
  private readonly random: () => number;

  constructor(output: EngineOutput, random: () => number = Math.random) {
    this.output = output;
    this.random = random;
  }

  get size(): number {
    return this.byId.size;
  }

  add(id: string, config: EngineSessionConfig, now: number): void {
    this.remove(id, now, false);
    const session = new BfdSession(
      { ...config.timers, localDiscr: this.newDiscriminator(), random: this.random },
      now,
    );
    const entry: Entry = { id, peer: normalizeAddress(config.peer), session, lastView: '' };
    this.byId.set(id, entry);
    this.byDiscr.set(session.localDiscr, entry);
    this.byPeer.set(entry.peer, entry);
    this.flush(entry);
  }

  update(id: string, timers: BfdTimers, now: number): void {
    const entry = this.byId.get(id);
    if (entry === undefined) return;
    entry.session.setTimers(timers, now);
    this.flush(entry);
  }

  /** Ends a session; `tell` says AdminDown to the peer first (6.8.16) so it does not count a failure. */
  remove(id: string, now: number, tell = true): void {
    const entry = this.byId.get(id);
    if (entry === undefined) return;
    if (tell) {
      entry.session.adminDown(now);
      this.flush(entry);
    }
    this.byId.delete(id);
    this.byDiscr.delete(entry.session.localDiscr);
    if (this.byPeer.get(entry.peer) === entry) this.byPeer.delete(entry.peer);
  }

  /** One datagram from `source` that arrived with `ttl` (undefined: the kernel did not say). */
  receive(data: Uint8Array, source: string, ttl: number | undefined, now: number): void {
    // RFC 5881 section 5: anything but 255 may come from further than one hop.
    if (ttl !== BFD_TTL) {
      this.drop('ttl');
      return;
    }
    const decoded = decodeBfd(data);
    if (!decoded.ok) {
      this.drop(decoded.problem);
      return;
    }
    const packet = decoded.packet;
    const entry =
      packet.yourDiscriminator !== 0
        ? this.byDiscr.get(packet.yourDiscriminator)
        : this.byPeer.get(normalizeAddress(source));
    // 6.8.6: no session for the discriminator, or one for another peer: discard.
    if (entry === undefined || entry.peer !== normalizeAddress(source)) {
      this.drop('unknown-session');
      return;
    }
    entry.session.receive(packet, now);
    this.flush(entry);
  }

  tick(now: number): void {
    for (const entry of this.byId.values()) {
      const due = entry.session.nextDeadline();
      if (due !== undefined && due <= now) {
        entry.session.tick(now);
        this.flush(entry);
      }
    }
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const entry of this.byId.values()) {
      const due = entry.session.nextDeadline();
      if (due !== undefined && (next === undefined || due < next)) next = due;
    }
    return next;
  }

  view(id: string): BfdSessionView | undefined {
    return this.byId.get(id)?.session.view();
  }

  private flush(entry: Entry): void {
    for (const packet of entry.session.takePackets()) this.output.send(entry.id, encodeBfd(packet));
    const changes = entry.session.takeChanges();
    const view = entry.session.view();
    const key = viewKey(view);
    if (changes.length > 0 || key !== entry.lastView) {
      entry.lastView = key;
      this.output.report(entry.id, view, changes);
    }
  }

  private drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /** Random (6.8.1: unique, and hard to guess), stepping past any in use. */
  private newDiscriminator(): number {
    let discr = 1 + Math.floor(this.random() * 0xfffffffe);
    while (this.byDiscr.has(discr)) discr = discr === 0xffffffff ? 1 : discr + 1;
    return discr;
  }
}

/** What operators see change: state, discriminators, agreed intervals. */
function viewKey(view: BfdSessionView): string {
  return [
    view.state,
    view.remoteState,
    view.remoteDiscr,
    view.localDiag,
    view.txInterval,
    view.detectionTime,
    view.remoteDetectMult,
    view.pollActive,
  ].join('/');
}

/** One spelling per address: "::ffff:198.18.0.1" is "198.18.0.1", IPv6 in RFC 5952 form. */
export function normalizeAddress(address: string): string {
  try {
    const parsed = ipaddr.parse(address.split('%')[0] ?? address);
    if (parsed.kind() === 'ipv6' && (parsed as ipaddr.IPv6).isIPv4MappedAddress())
      return (parsed as ipaddr.IPv6).toIPv4Address().toString();
    return parsed.toString();
  } catch {
    return address.toLowerCase();
  }
}
