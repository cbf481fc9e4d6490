/**
 * Keeps looking for a next hop a session came up without, so the routes held back
 * for that family go out once the address returns, without a session restart.
 *
 * RFC 4760 section 3 and RFC 2545 section 3 (the IPv6 next hop must be a global
 * address of ours); RFC 4271 section 5.1.3 (NEXT_HOP for IPv4).
 *
 * Why: a link bounce can take the interface's global IPv6 address away for a few
 * seconds; a session that comes up (or stays up over IPv4) in that window once
 * never exported IPv6 at all until it restarted. Next hops already in use are kept
 * as they are (no re-announcement of what the peer has); only missing ones are filled.
 *
 * Known gap: a next hop that goes away while in use is not withdrawn or replaced.
 */
import type { Clock, TimerHandle } from '../clock/index.js';
import type { ExportContext } from './export-policy.js';
import {
  exportableFamilies,
  exportContextFor,
  NEXT_HOP_RETRY_MS,
  type AddressSource,
} from './next-hop.js';
import type { PeerConfig } from './peer-config.js';
import type { Family } from './prefix.js';

export interface ExportSettings {
  readonly context: ExportContext;
  /** Negotiated families that have a next hop. */
  readonly families: Set<Family>;
  /** One line per negotiated family without one, for status. */
  readonly problems: string[];
}

export interface NextHopFound extends ExportSettings {
  /** The families that have a next hop now and did not before, with it. */
  readonly found: readonly { readonly family: Family; readonly nextHop: string }[];
}

export interface NextHopWatchOptions {
  readonly config: PeerConfig;
  readonly localAsn: number;
  /** The session's local address. */
  readonly local: string | undefined;
  readonly negotiated: readonly Family[];
  readonly clock: Clock;
  readonly addresses?: AddressSource;
  readonly intervalMs?: number;
  readonly onFound: (found: NextHopFound) => void;
}

export class NextHopWatch {
  private settings: ExportSettings;
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(private readonly options: NextHopWatchOptions) {
    this.settings = this.derive(undefined);
    this.arm();
  }

  /** The export settings as of now. */
  get current(): ExportSettings {
    return this.settings;
  }

  /** True while a negotiated family still has no next hop and the watch looks again. */
  get watching(): boolean {
    return this.timer !== undefined;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.stopped || this.settings.problems.length === 0) return;
    this.timer = this.options.clock.setTimeout(() => {
      this.timer = undefined;
      this.look();
    }, this.options.intervalMs ?? NEXT_HOP_RETRY_MS);
  }

  private look(): void {
    const before = this.settings;
    const next = this.derive(before.context);
    const found: { family: Family; nextHop: string }[] = [];
    for (const family of next.families) {
      if (before.families.has(family)) continue;
      const nextHop = family === 'ipv4' ? next.context.nextHopIpv4 : next.context.nextHopIpv6;
      if (nextHop !== undefined) found.push({ family, nextHop });
    }
    this.settings = next;
    if (found.length > 0) this.options.onFound({ ...next, found });
    this.arm();
  }

  /** A fresh derivation, keeping every next hop `kept` already has. */
  private derive(kept: ExportContext | undefined): ExportSettings {
    const { config, localAsn, local, negotiated, addresses } = this.options;
    const fresh = exportContextFor(config, localAsn, local, addresses);
    const context: ExportContext =
      kept === undefined
        ? fresh
        : {
            ...kept,
            ...(kept.nextHopIpv4 === undefined && fresh.nextHopIpv4 !== undefined
              ? { nextHopIpv4: fresh.nextHopIpv4 }
              : {}),
            ...(kept.nextHopIpv6 === undefined && fresh.nextHopIpv6 !== undefined
              ? { nextHopIpv6: fresh.nextHopIpv6 }
              : {}),
          };
    return { context, ...exportableFamilies(negotiated, context, local) };
  }
}
