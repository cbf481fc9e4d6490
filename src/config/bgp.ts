/**
 * The [bgp] section: the embedded speaker and its peers, checked by the rules
 * BgpSpeaker applies (RFC 4271 4.2 hold time, address families, communities)
 * plus the mistakes a speaker cannot see (a next hop of a family the peer does
 * not carry, LOCAL_PREF for an eBGP peer). Finally the speaker itself is built
 * from the result, without starting it, so its own validation has the last word.
 */
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { BgpSpeaker, SpeakerConfigError, type PeerOptions } from '../bgp/index.js';
import {
  isLinkLocal,
  isTable,
  validate,
  type IssueList,
  type KeyPath,
} from '../validation/index.js';
import { bgpSchema, peerSchema, type RawPeer } from './schema.js';
import type { BgpConfig } from './types.js';

/** BgpSpeaker's defaults, repeated for the checks that compare against them. */
const DEFAULT_CONNECT_RETRY = 5;

export function buildBgp(raw: unknown, issues: IssueList): BgpConfig | undefined {
  const path: KeyPath = ['bgp'];
  if (!isTable(raw)) {
    issues.add(path, 'must be a table ([bgp])');
    return undefined;
  }
  const before = issues.count;
  let section = validate(bgpSchema, isTable(raw.peers) ? { ...raw, peers: [] } : raw, path, issues);
  if (isTable(raw.peers)) {
    // [bgp.peers] (one table) where [[bgp.peers]] (an array of tables) was meant.
    issues.add(
      [...path, 'peers'],
      'must be an array of tables: write each peer as [[bgp.peers]] (double brackets)',
    );
    section = undefined;
  }
  // Peers are checked even when the section has other problems.
  const rawPeers = Array.isArray(raw.peers) ? (raw.peers as unknown[]) : [];
  const peers: PeerOptions[] = [];
  const addresses = new Map<string, number>();
  rawPeers.forEach((rawPeer, i) => {
    const at: KeyPath = ['bgp', 'peers', i];
    const peer = validate(peerSchema, rawPeer, at, issues);
    if (peer === undefined) return;
    const options = buildPeer(peer, at, issues, {
      localAsn: typeof raw.asn === 'number' ? raw.asn : undefined,
      listening: raw.listen !== undefined,
    });
    const key = normalize(peer.address);
    const first = addresses.get(key);
    if (first !== undefined) {
      issues.add(
        [...at, 'address'],
        `peer ${peer.address} is already configured at bgp.peers[${first}]`,
      );
    } else addresses.set(key, i);
    if (options !== undefined) peers.push(options);
  });
  if (section !== undefined && rawPeers.length === 0)
    issues.add([...path, 'peers'], 'no peers: add at least one [[bgp.peers]] with address and asn');
  if (section === undefined || issues.count > before) return undefined;
  const config: BgpConfig = {
    asn: section.asn,
    routerId: section.router_id,
    ...(section.hold_time === undefined ? {} : { holdTime: section.hold_time }),
    ...(section.listen === undefined
      ? {}
      : {
          listen: {
            ...(section.listen.host === undefined ? {} : { host: section.listen.host }),
            ...(section.listen.port === undefined ? {} : { port: section.listen.port }),
          },
        }),
    peers,
  };
  return speakerAccepts(config, issues) ? config : undefined;
}

interface PeerContext {
  readonly localAsn: number | undefined;
  readonly listening: boolean;
}

function buildPeer(
  peer: RawPeer,
  at: KeyPath,
  issues: IssueList,
  context: PeerContext,
): PeerOptions | undefined {
  const before = issues.count;
  const key = (k: string, ...more: string[]): KeyPath => [...at, k, ...more];
  const families = peer.families ?? ['ipv4', 'ipv6'];
  if (peer.families !== undefined && new Set(peer.families).size !== peer.families.length)
    issues.add(key('families'), 'lists a family twice');

  let nextHop: PeerOptions['nextHop'];
  if (typeof peer.next_hop === 'string') {
    const family = isIP(peer.next_hop) === 4 ? 'ipv4' : 'ipv6';
    if (isLinkLocal(peer.next_hop))
      issues.add(
        key('next_hop'),
        `"${peer.next_hop}" is link-local; write next_hop = { ipv6 = "<global address>", ipv6_link_local = "${peer.next_hop}" } (RFC 2545)`,
      );
    else if (!families.includes(family)) issues.add(key('next_hop'), wrongFamily(family, families));
    nextHop = family === 'ipv4' ? { ipv4: peer.next_hop } : { ipv6: peer.next_hop };
  } else if (peer.next_hop !== undefined) {
    const hop = peer.next_hop;
    if (hop.ipv4 !== undefined && !families.includes('ipv4'))
      issues.add(key('next_hop', 'ipv4'), wrongFamily('ipv4', families));
    if (hop.ipv6 !== undefined && isLinkLocal(hop.ipv6))
      issues.add(
        key('next_hop', 'ipv6'),
        'is link-local; the IPv6 next hop must be a global address, with the link-local one in next_hop.ipv6_link_local (RFC 2545)',
      );
    for (const k of ['ipv6', 'ipv6_link_local'] as const)
      if (hop[k] !== undefined && !families.includes('ipv6'))
        issues.add(key('next_hop', k), wrongFamily('ipv6', families));
    nextHop = {
      ...(hop.ipv4 === undefined ? {} : { ipv4: hop.ipv4 }),
      ...(hop.ipv6 === undefined ? {} : { ipv6: hop.ipv6 }),
      ...(hop.ipv6_link_local === undefined ? {} : { ipv6LinkLocal: hop.ipv6_link_local }),
    };
    if (Object.keys(nextHop).length === 0)
      issues.add(
        key('next_hop'),
        'is empty: set ipv4, ipv6 and/or ipv6_link_local, or leave it out',
      );
  }

  if (peer.local_address !== undefined && isIP(peer.local_address) !== isIP(peer.address))
    issues.add(
      key('local_address'),
      `is IPv${isIP(peer.local_address)} but the peer address ${peer.address} is IPv${isIP(peer.address)}`,
    );
  if (peer.passive === true && !context.listening)
    issues.add(
      key('passive'),
      'a passive peer only accepts connections, so the speaker must listen: set bgp.listen',
    );
  if (
    peer.max_connect_retry !== undefined &&
    peer.max_connect_retry < (peer.connect_retry ?? DEFAULT_CONNECT_RETRY)
  )
    issues.add(
      key('max_connect_retry'),
      `must be at least connect_retry (${peer.connect_retry ?? DEFAULT_CONNECT_RETRY} s)`,
    );
  if (
    peer.local_pref !== undefined &&
    context.localAsn !== undefined &&
    peer.asn !== context.localAsn
  )
    issues.add(
      key('local_pref'),
      `LOCAL_PREF is sent to iBGP peers only (RFC 4271 5.1.5), and this peer is eBGP (asn ${peer.asn}, bgp.asn ${context.localAsn})`,
    );
  if (issues.count > before) return undefined;

  return {
    address: peer.address,
    asn: peer.asn,
    ...(peer.name === undefined ? {} : { name: peer.name }),
    ...(peer.port === undefined ? {} : { port: peer.port }),
    ...(peer.local_address === undefined ? {} : { localAddress: peer.local_address }),
    ...(peer.passive === undefined ? {} : { passive: peer.passive }),
    ...(peer.hold_time === undefined ? {} : { holdTime: peer.hold_time }),
    ...(peer.connect_retry === undefined ? {} : { connectRetry: peer.connect_retry }),
    ...(peer.max_connect_retry === undefined ? {} : { maxConnectRetry: peer.max_connect_retry }),
    ...(peer.families === undefined ? {} : { families: peer.families }),
    ...(nextHop === undefined ? {} : { nextHop }),
    ...(peer.communities === undefined ? {} : { communities: peer.communities }),
    ...(peer.large_communities === undefined ? {} : { largeCommunities: peer.large_communities }),
    ...(peer.med === undefined ? {} : { med: peer.med }),
    ...(peer.prepend === undefined ? {} : { prepend: peer.prepend }),
    ...(peer.local_pref === undefined ? {} : { localPref: peer.local_pref }),
  };
}

function wrongFamily(family: 'ipv4' | 'ipv6', families: readonly string[]): string {
  const label = family === 'ipv4' ? 'IPv4' : 'IPv6';
  return `is an ${label} next hop but this peer carries no ${label} routes (families = ${JSON.stringify(families)})`;
}

function normalize(address: string): string {
  try {
    return ipaddr.process(address).toString();
  } catch {
    return address;
  }
}

/**
 * Builds (never starts) a BgpSpeaker from the result, so any rule the speaker
 * has and this file lacks still stops the file, at the nearest key path.
 */
function speakerAccepts(config: BgpConfig, issues: IssueList): boolean {
  try {
    new BgpSpeaker({ ...config, listen: config.listen ?? false });
    return true;
  } catch (error) {
    if (error instanceof SpeakerConfigError) {
      const reason = error.message.startsWith(`${error.key}: `)
        ? error.message.slice(error.key.length + 2)
        : error.message;
      issues.add(speakerKeyPath(error.key), reason);
    } else issues.add(['bgp'], error instanceof Error ? error.message : String(error));
    return false;
  }
}

/** "peers[0].nextHop.ipv6LinkLocal" (BgpSpeaker's names) → bgp.peers[0].next_hop.ipv6_link_local. */
export function speakerKeyPath(key: string): KeyPath {
  const path: (string | number)[] = ['bgp'];
  for (const part of key.split('.')) {
    const match = /^([A-Za-z0-9]+)((?:\[\d+\])*)$/.exec(part);
    if (match === null) {
      path.push(part);
      continue;
    }
    path.push(match[1]!.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`));
    for (const index of (match[2] ?? '').matchAll(/\[(\d+)\]/g)) path.push(Number(index[1]));
  }
  return path;
}
