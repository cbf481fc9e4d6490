/**
 * BGP message values: what the codec decodes to and encodes from.
 * RFC 4271 section 4, RFC 4760, RFC 6793, RFC 1997, RFC 8092, RFC 2918.
 */
import type { BgpProtocolError } from './errors.js';
import type { Prefix } from './prefix.js';

export type BgpMessage =
  OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

export type Capability =
  | { readonly kind: 'multiprotocol'; readonly afi: number; readonly safi: number }
  | { readonly kind: 'route-refresh' }
  | { readonly kind: 'four-octet-as'; readonly asn: number }
  /** Any other capability, kept as raw bytes (graceful restart, add-path, FQDN, ...). */
  | { readonly kind: 'unknown'; readonly code: number; readonly value: Uint8Array };

export interface OpenMessage {
  readonly type: 'open';
  readonly version: number;
  /** The 2-octet "My Autonomous System" field: AS_TRANS when the real AS needs 4 octets. */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier in dotted-quad form. */
  readonly routerId: string;
  readonly capabilities: readonly Capability[];
}

export type Origin = 'igp' | 'egp' | 'incomplete';

export type AsPathSegmentType = 'set' | 'sequence' | 'confed-sequence' | 'confed-set';

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

export interface MpReach {
  /** 1 (IPv4) or 2 (IPv6); SAFI is always unicast here. */
  readonly afi: number;
  readonly safi: number;
  /** Global next hop: 4 bytes for IPv4, 16 for IPv6, as text. */
  readonly nextHop: string;
  /** RFC 2545: optional IPv6 link-local next hop (the 32-byte form). */
  readonly linkLocalNextHop?: string;
  readonly nlri: readonly Prefix[];
}

export interface MpUnreach {
  readonly afi: number;
  readonly safi: number;
  readonly withdrawn: readonly Prefix[];
}

/** An attribute the codec does not interpret; kept so optional transitive ones survive. */
export interface RawAttribute {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Uint8Array;
}

export interface PathAttributes {
  readonly origin?: Origin;
  /**
   * The full path with 4-octet ASNs. On a 2-octet session the decoder merges AS4_PATH
   * into it (RFC 6793 section 4.2.3) and the encoder writes AS_TRANS plus AS4_PATH.
   */
  readonly asPath?: readonly AsPathSegment[];
  /** IPv4 NEXT_HOP attribute (type 3), dotted quad. */
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { readonly asn: number; readonly address: string };
  /** RFC 1997 communities as 32-bit values (high 16 bits: ASN). */
  readonly communities?: readonly number[];
  readonly largeCommunities?: readonly LargeCommunity[];
  readonly originatorId?: string;
  readonly clusterList?: readonly string[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly unknown?: readonly RawAttribute[];
}

export interface UpdateMessage {
  readonly type: 'update';
  /** IPv4 withdrawn routes field. */
  readonly withdrawn: readonly Prefix[];
  readonly attributes: PathAttributes;
  /** IPv4 NLRI field. */
  readonly nlri: readonly Prefix[];
  /**
   * Set by the decoder only: RFC 7606 treat-as-withdraw applied. Every prefix of the
   * message has been moved to `withdrawn` / `attributes.mpUnreach`.
   */
  readonly treatAsWithdraw?: BgpProtocolError;
  /** Set by the decoder only: attributes dropped under RFC 7606 attribute-discard. */
  readonly discarded?: readonly BgpProtocolError[];
}

export interface NotificationMessage {
  readonly type: 'notification';
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: 'keepalive';
}

export interface RouteRefreshMessage {
  readonly type: 'route-refresh';
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype (0 = normal request). */
  readonly subtype: number;
}

/** Settings negotiated for a session that change how messages are encoded. */
export interface CodecContext {
  /** Both sides sent the 4-octet AS capability (RFC 6793). */
  readonly fourOctetAs: boolean;
  /**
   * The peer is in another AS (eBGP): LOCAL_PREF, ORIGINATOR_ID and CLUSTER_LIST from
   * it are discarded (RFC 7606 7.5, 7.9, 7.10). Absent means internal.
   */
  readonly external?: boolean;
}
