/**
 * The Adj-RIB-In of one peer, kept in collector mode only: what the peer
 * announced to us, for status, tests and the demo. Never installed anywhere.
 *
 * RFC 4271 section 3.2 (Adj-RIB-In), section 9 (an UPDATE's withdrawals, then its
 * announcements), RFC 4760 (MP_REACH_NLRI / MP_UNREACH_NLRI), RFC 1997 and
 * RFC 8092 (communities, shown in their text forms).
 */
import { formatCommunity, formatLargeCommunity } from './codec/index.js';
import { formatPrefix, prefixKey, type Family, type Prefix } from './prefix.js';
import type { PathAttributes, UpdateMessage } from './types.js';

export interface ReceivedRoute {
  readonly peer: string;
  readonly prefix: string;
  readonly nextHop?: string;
  readonly asPath: number[];
  readonly communities: string[];
  readonly largeCommunities: string[];
  readonly med?: number;
  readonly localPref?: number;
}

export class AdjRibIn {
  private readonly received = new Map<string, ReceivedRoute>();

  /** `peer` is the address each route is labelled with. */
  constructor(private readonly peer: string) {}

  get size(): number {
    return this.received.size;
  }

  routes(): ReceivedRoute[] {
    return [...this.received.values()];
  }

  clear(): void {
    this.received.clear();
  }

  /** Applies one UPDATE; routes of a family not negotiated are ignored. */
  apply(update: UpdateMessage, families: readonly Family[]): void {
    const negotiated = new Set(families);
    const attributes = update.attributes;
    const withdraw = (prefix: Prefix): void => {
      this.received.delete(prefixKey(prefix));
    };
    const learn = (prefix: Prefix, nextHop: string | undefined): void => {
      if (!negotiated.has(prefix.family)) return;
      this.received.set(
        prefixKey(prefix),
        describeReceived(this.peer, prefix, nextHop, attributes),
      );
    };
    update.withdrawn.forEach(withdraw);
    attributes.mpUnreach?.withdrawn.forEach(withdraw);
    for (const prefix of update.nlri) learn(prefix, attributes.nextHop);
    for (const prefix of attributes.mpReach?.nlri ?? []) learn(prefix, attributes.mpReach?.nextHop);
  }
}

function describeReceived(
  peer: string,
  prefix: Prefix,
  nextHop: string | undefined,
  attributes: PathAttributes,
): ReceivedRoute {
  return {
    peer,
    prefix: formatPrefix(prefix),
    ...(nextHop === undefined ? {} : { nextHop }),
    asPath: (attributes.asPath ?? []).flatMap((segment) => segment.asns),
    communities: (attributes.communities ?? []).map(formatCommunity),
    largeCommunities: (attributes.largeCommunities ?? []).map(formatLargeCommunity),
    ...(attributes.med === undefined ? {} : { med: attributes.med }),
    ...(attributes.localPref === undefined ? {} : { localPref: attributes.localPref }),
  };
}
