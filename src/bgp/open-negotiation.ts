/**
 * The OPEN we send and the check of the OPEN we receive, agreeing on the session.
 *
 * RFC 4271 sections 4.2 and 6.2 (OPEN and its errors), RFC 5492 (capabilities;
 * section 3 for Unsupported Capability data), RFC 6793 (4-octet AS, AS_TRANS),
 * RFC 4760 section 8 (no multiprotocol capability: IPv4 unicast only), RFC 6286
 * section 2.2 (BGP Identifier within an AS), RFC 2918 (route refresh capability).
 */
import {
  AS_TRANS,
  BGP_VERSION,
  CapabilityCode,
  ErrorCode,
  OpenSubcode,
  Safi,
} from './constants.js';
import { afiOf, unicastFamily } from './codec/index.js';
import { BgpProtocolError } from './errors.js';
import type { FsmConfig, Negotiated } from './fsm-types.js';
import type { Family } from './prefix.js';
import type { Capability, OpenMessage } from './types.js';

/** Our OPEN: the configured families, route refresh and the 4-octet AS capability. */
export function localOpen(
  families: readonly Family[],
  localAsn: number,
  holdTime: number,
  routerId: string,
): OpenMessage {
  const capabilities: Capability[] = families.map((family) => ({
    kind: 'multiprotocol',
    afi: afiOf(family),
    safi: Safi.Unicast,
  }));
  capabilities.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: localAsn });
  return {
    type: 'open',
    version: BGP_VERSION,
    myAs: localAsn > 0xffff ? AS_TRANS : localAsn,
    holdTime,
    routerId,
    capabilities,
  };
}

function openError(subcode: number, message: string, data?: Uint8Array): BgpProtocolError {
  return new BgpProtocolError(
    ErrorCode.OpenMessage,
    subcode,
    message,
    data === undefined ? {} : { data },
  );
}

/** Checks a received OPEN against our settings (RFC 4271 section 6.2) and agrees on the session. */
export function negotiate(open: OpenMessage, config: FsmConfig): Negotiated | BgpProtocolError {
  if (open.version !== BGP_VERSION) {
    return openError(
      OpenSubcode.UnsupportedVersionNumber,
      `peer speaks BGP version ${open.version}, we speak ${BGP_VERSION}`,
      Uint8Array.of(0, BGP_VERSION),
    );
  }
  let fourOctet: number | undefined;
  let routeRefresh = false;
  const offered = new Set<Family>();
  let sawMultiprotocol = false;
  for (const capability of open.capabilities) {
    if (capability.kind === 'four-octet-as') fourOctet = capability.asn;
    else if (capability.kind === 'route-refresh') routeRefresh = true;
    else if (capability.kind === 'multiprotocol') {
      sawMultiprotocol = true;
      const family = unicastFamily(capability.afi, capability.safi);
      if (family !== undefined) offered.add(family);
    }
  }
  // RFC 6793 section 4.1: the capability carries the real AS; My AS is AS_TRANS when it needs 4 octets.
  const peerAsn = fourOctet ?? open.myAs;
  if (peerAsn !== config.peerAsn) {
    return openError(
      OpenSubcode.BadPeerAs,
      `peer says AS ${peerAsn}, configured AS ${config.peerAsn}`,
    );
  }
  if (fourOctet === undefined && open.myAs === AS_TRANS && config.peerAsn !== AS_TRANS) {
    return openError(OpenSubcode.BadPeerAs, 'peer sent AS_TRANS without the 4-octet AS capability');
  }
  // Section 6.2: hold time 1 or 2 seconds MUST be rejected.
  if (open.holdTime === 1 || open.holdTime === 2) {
    return openError(
      OpenSubcode.UnacceptableHoldTime,
      `peer proposes a hold time of ${open.holdTime} s`,
    );
  }
  if (open.routerId === '0.0.0.0') {
    return openError(OpenSubcode.BadBgpIdentifier, 'peer BGP Identifier is 0.0.0.0');
  }
  // RFC 6286 section 2.2: identifiers must differ within an AS (iBGP); eBGP may share one.
  if (config.peerAsn === config.localAsn && open.routerId === config.routerId) {
    return openError(
      OpenSubcode.BadBgpIdentifier,
      `peer uses our own BGP Identifier ${open.routerId}`,
    );
  }
  // RFC 4760 section 8: a peer that sends no multiprotocol capability speaks IPv4 unicast only.
  if (!sawMultiprotocol) offered.add('ipv4');
  const families = config.families.filter((f) => offered.has(f));
  if (families.length === 0) {
    return openError(
      OpenSubcode.UnsupportedCapability,
      `no address family in common (we offer ${config.families.join(', ')}, peer offers ${[...offered].join(', ') || 'none'})`,
      multiprotocolCapabilityBytes(config.families),
    );
  }
  const holdTime = Math.min(config.holdTime, open.holdTime);
  return {
    peerAsn,
    peerRouterId: open.routerId,
    holdTime,
    keepaliveTime: Math.floor(holdTime / 3),
    families,
    fourOctetAs: fourOctet !== undefined,
    routeRefresh,
    peerCapabilities: open.capabilities,
  };
}

/** RFC 5492 section 3: Unsupported Capability data lists the capabilities we need. */
function multiprotocolCapabilityBytes(families: readonly Family[]): Uint8Array {
  const out = new Uint8Array(families.length * 6);
  families.forEach((family, i) => {
    out.set([CapabilityCode.Multiprotocol, 4, 0, afiOf(family), 0, Safi.Unicast], i * 6);
  });
  return out;
}
