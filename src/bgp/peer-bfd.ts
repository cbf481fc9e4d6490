/**
 * BFD for the speaker's peers (RFC 5882, the client side): one BFD session per peer
 * with `bfd` set, run by src/bfd's manager off the main thread. When BFD holds a peer
 * down (it was Up and failed, or `required` and not Up) the BGP session is closed at
 * once with Cease / BFD Down (RFC 9384) and not started again until BFD is Up.
 * A router that never answers BFD leaves BGP alone unless `required`.
 */
import type { Logger } from 'pino';
import { BfdManager, type BfdOptions, type BfdPeerStatus } from '../bfd/index.js';
import type { PeerSession, PeerStatus } from './peer-session.js';

export class SpeakerBfd {
  private manager: BfdManager | undefined;
  private readonly log: Logger;
  private readonly peers = new Map<string, { session: PeerSession; options: BfdOptions }>();
  private started = false;

  constructor(logger: Logger) {
    this.log = logger;
  }

  /** A peer's BFD, before its session starts (the hold applies from the start with `required`). */
  attach(key: string, session: PeerSession, options: BfdOptions | undefined): void {
    if (options === undefined) return;
    this.peers.set(key, { session, options });
    if (this.started) this.run(key, session, options);
  }

  detach(key: string): void {
    if (!this.peers.delete(key)) return;
    this.manager?.remove(key);
  }

  /** A reload that changes only `bfd`: new timers go by Poll Sequence, BGP stays up. */
  change(key: string, session: PeerSession, options: BfdOptions | undefined): void {
    const known = this.peers.get(key);
    if (options === undefined) {
      this.detach(key);
      session.holdDown(false);
      return;
    }
    this.peers.set(key, { session, options });
    if (!this.started) return;
    if (known === undefined) this.run(key, session, options);
    else {
      this.managerFor().update(key, specOf(session, options));
      session.holdDown(this.managerFor().holdsDown(key));
    }
  }

  start(): void {
    this.started = true;
    for (const [key, { session, options }] of this.peers) this.run(key, session, options);
  }

  async stop(): Promise<void> {
    this.started = false;
    const manager = this.manager;
    this.manager = undefined;
    await manager?.stop();
  }

  withStatus(key: string, status: PeerStatus): PeerStatus {
    const bfd = this.manager?.status(key);
    return bfd === undefined ? status : { ...status, bfd };
  }

  private run(key: string, session: PeerSession, options: BfdOptions): void {
    const manager = this.managerFor();
    manager.add(key, specOf(session, options));
    session.holdDown(manager.holdsDown(key));
  }

  private managerFor(): BfdManager {
    if (this.manager !== undefined) return this.manager;
    const manager = new BfdManager({ logger: this.log });
    manager.on('change', (key: string, status: BfdPeerStatus, gateChanged: boolean) => {
      if (!gateChanged) return;
      this.peers.get(key)?.session.holdDown(status.holdsBgpDown);
    });
    this.manager = manager;
    return manager;
  }
}

function specOf(session: PeerSession, options: BfdOptions) {
  return {
    peer: session.config.address,
    ...(session.config.localAddress === undefined
      ? {}
      : { localAddress: session.config.localAddress }),
    options,
  };
}
