/**
 * A peer's settings after validation: what a session runs on. speaker.ts turns
 * the user-facing `PeerOptions` into this.
 */
import type { PeerAttributes } from './export-policy.js';
import type { Family } from './prefix.js';

export interface PeerConfig extends PeerAttributes {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly asn: number;
  readonly localAddress?: string;
  readonly passive: boolean;
  readonly holdTime: number;
  readonly connectRetry: number;
  readonly maxConnectRetry: number;
  readonly openHoldTime: number;
  readonly families: readonly Family[];
  readonly nextHopIpv4?: string;
  readonly nextHopIpv6?: string;
  readonly linkLocalNextHopIpv6?: string;
  /** TCP-MD5 key (RFC 2385). Never logged or shown. */
  readonly password?: string;
  /** GTSM (RFC 5082): TTL 255 out, nothing below 255 in. */
  readonly ttlSecurity: boolean;
}
