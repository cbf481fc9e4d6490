/**
 * The embedded BGP speaker as an announcer: routes go straight into its table and from
 * there to every peer's Adj-RIB-Out (src/bgp). Nothing outlives the process (no
 * graceful restart), so reconciling at start has nothing to remove.
 *
 * Each peer's password_file is read at start and on every reload (even one where the
 * file's [bgp] did not change), so a new password re-establishes that peer only. A
 * reload that changes only a peer's `bfd` keeps its BGP session up.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import {
  type BgpConfig,
  BgpSpeaker,
  type PeerOptions,
  type PeerStatus,
  withPasswordFromFile,
} from '../bgp/index.js';
import type { Clock } from '../clock/index.js';
import type { AnnouncedRoute, Announcer, AnnouncerStatus, RouteRef } from './types.js';

/** A change of `bfd` alone is made on the running session (RFC 5880 6.8.3: a Poll Sequence). */
function onlyBfdDiffers(a: PeerOptions, b: PeerOptions): boolean {
  return (
    !isDeepStrictEqual(a.bfd, b.bfd) &&
    isDeepStrictEqual({ ...a, bfd: undefined }, { ...b, bfd: undefined })
  );
}

export class BgpAnnouncer implements Announcer {
  readonly kind = 'bgp' as const;
  private speaker: BgpSpeaker | undefined;
  private config: BgpConfig;
  /** The peers as the speaker has them: password files read. */
  private peers: readonly PeerOptions[] = [];
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly wanted = new Map<string, AnnouncedRoute>();

  constructor(config: BgpConfig, options: { logger: Logger; clock: Clock }) {
    this.config = config;
    this.log = options.logger;
    this.clock = options.clock;
  }

  async start(): Promise<void> {
    if (this.speaker !== undefined) return;
    this.peers = this.readPasswords(this.config);
    this.speaker = await this.startSpeaker(this.config, this.peers);
    // Routes asked for before start (a reload that adds [bgp]) go out now.
    this.reconcile();
  }

  setKnown(): void {
    // The speaker's table dies with the process: there is nothing stale to find.
  }

  announce(route: AnnouncedRoute): void {
    this.wanted.set(route.prefix, route);
    this.speaker?.announce(route.prefix, route.attributes);
  }

  withdraw(route: RouteRef): void {
    this.wanted.delete(route.prefix);
    this.speaker?.withdraw(route.prefix);
  }

  reconcile(): void {
    for (const route of this.wanted.values())
      this.speaker?.announce(route.prefix, route.attributes);
  }

  async flushed(): Promise<void> {
    await this.speaker?.flushed();
  }

  async stop(reason: string): Promise<void> {
    this.wanted.clear();
    await this.speaker?.stop(reason);
    this.speaker = undefined;
  }

  status(): AnnouncerStatus {
    const peers = this.peerStatus();
    const established = peers.filter((p) => p.state === 'established').length;
    return {
      kind: 'bgp',
      state: this.speaker === undefined ? 'stopped' : 'in-sync',
      wanted: this.wanted.size,
      applied: this.speaker === undefined ? 0 : this.wanted.size,
      failures: 0,
      detail: { peers: peers.length, established },
    };
  }

  peerStatus(): PeerStatus[] {
    return this.speaker?.peerStatus() ?? [];
  }

  /** To how many peers `prefix` is announced right now, of how many (see BgpSpeaker). */
  announcedTo(prefix: string): { readonly sent: number; readonly of: number } | undefined {
    return this.speaker?.announcedTo(prefix);
  }

  /**
   * A reload: touch only the peers that changed where possible (a password file's new
   * content counts). A password file that cannot be read throws before anything changes.
   */
  async reload(next: BgpConfig): Promise<void> {
    const previous = this.config;
    const speaker = this.speaker;
    if (speaker === undefined) {
      this.config = next;
      return;
    }
    const peers = this.readPasswords(next);
    const previousPeers = this.peers;
    this.config = next;
    this.peers = peers;
    const sameIdentity =
      previous.asn === next.asn &&
      previous.routerId === next.routerId &&
      previous.holdTime === next.holdTime &&
      isDeepStrictEqual(previous.listen, next.listen);
    if (sameIdentity) {
      // Only peers changed: touch those, keep every other session up.
      const before = new Map(previousPeers.map((p) => [p.address, p]));
      const after = new Map(peers.map((p) => [p.address, p]));
      for (const [address, peer] of before) {
        const now = after.get(address);
        if (now !== undefined && onlyBfdDiffers(peer, now)) speaker.setPeerBfd(address, now.bfd);
        else if (!isDeepStrictEqual(now, peer))
          await speaker.removePeer(address, 'peer configuration changed');
      }
      for (const [address, peer] of after) {
        const was = before.get(address);
        if (!isDeepStrictEqual(was, peer) && !(was !== undefined && onlyBfdDiffers(was, peer)))
          speaker.addPeer(peer);
      }
      return;
    }
    this.log.warn(
      { event: 'announcer.speaker_restarting' },
      'BGP identity or listener changed: restarting the speaker',
    );
    await speaker.stop('anycast-guard configuration changed');
    this.speaker = await this.startSpeaker(next, peers);
    this.reconcile();
  }

  private readPasswords(bgp: BgpConfig): PeerOptions[] {
    return bgp.peers.map((peer, i) => withPasswordFromFile(peer, ['bgp', 'peers', i], this.log));
  }

  private async startSpeaker(bgp: BgpConfig, peers: readonly PeerOptions[]): Promise<BgpSpeaker> {
    const speaker = new BgpSpeaker({
      asn: bgp.asn,
      routerId: bgp.routerId,
      ...(bgp.holdTime === undefined ? {} : { holdTime: bgp.holdTime }),
      ...(bgp.listen === undefined ? {} : { listen: bgp.listen }),
      peers,
      logger: this.log,
      clock: this.clock,
    });
    await speaker.start();
    return speaker;
  }
}
