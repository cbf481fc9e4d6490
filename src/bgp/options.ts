/**
 * The speaker's options and every rule about them, in one place. The [bgp] table of
 * the configuration file is these options in snake_case; the same schemas and rules
 * check them whether they come from a file (parseBgpSettings: every problem, at the
 * file's key path) or from code (BgpSpeaker's constructor and addPeer: the first
 * problem, thrown as SpeakerConfigError). A new per-peer option is one key in
 * `peerSchema`, one field in PeerOptions, and its rules below.
 *
 * RFC 4271 section 4.2 (hold time), section 5.1.5 (LOCAL_PREF is iBGP only);
 * RFC 2545 section 3 (the IPv6 next hop is global, the link-local one comes second);
 * RFC 1997 and RFC 8092 (communities); RFC 2385 (TCP-MD5: a key of at most 80
 * bytes) and RFC 5082 (GTSM). A password is never put in a message: the rules
 * below say what is wrong with it, never what it is.
 *
 * Over 500 lines on purpose: every [bgp] rule in one file is the point, so a new
 * option is one edit here, not six across the tree.
 */
import { isIP } from 'node:net';
import { isAbsolute } from 'node:path';
import ipaddr from 'ipaddr.js';
import type { Logger } from 'pino';
import { z } from 'zod';
import { bfdTable, parseBfdSetting, type BfdOptions } from '../bfd/index.js';
import type { Clock } from '../clock/index.js';
import {
  asn,
  formatPath,
  ipAddress,
  isLinkLocal,
  isTable,
  IssueList,
  linkLocalAddress,
  nonEmpty,
  seconds,
  uint32,
  validate,
  wholeNumber,
  type ConfigIssue,
  type KeyPath,
} from '../validation/index.js';
import { parseCommunity, parseLargeCommunity } from './codec/index.js';
import { BGP_PORT } from './constants.js';
import { DEFAULT_LOCAL_PREF, type PeerAttributes, type RouteAttributes } from './export-policy.js';
import type { Family } from './prefix.js';

/**
 * The attributes of a route as an operator writes them: a peer's export settings, a
 * degraded service's (`down = { … }`), one announced prefix's. RouteAttributes
 * (export-policy.ts) is the same set parsed.
 */
export interface AnnounceAttributes {
  /** "65001:100" or a well-known name ("no-export"). */
  readonly communities?: readonly string[];
  /** "65001:1:2". */
  readonly largeCommunities?: readonly string[];
  readonly med?: number;
  /** Extra copies of our AS on the path. */
  readonly prepend?: number;
  /** iBGP only. Default 100. */
  readonly localPref?: number;
}

export interface PeerOptions extends AnnounceAttributes {
  /** Peer address (IPv4 or IPv6); the session's transport. */
  readonly address: string;
  readonly asn: number;
  /** Shown in logs and status; defaults to the address. */
  readonly name?: string;
  /** TCP port to connect to; default 179. */
  readonly port?: number;
  /** Source address for our connection. */
  readonly localAddress?: string;
  /** Only accept the peer's connection (needs `listen`). */
  readonly passive?: boolean;
  /** Seconds: 0, or 3 and above. Default: the speaker's holdTime. */
  readonly holdTime?: number;
  /** Base retry delay in seconds, doubled per consecutive failure. Default 5. */
  readonly connectRetry?: number;
  /** Ceiling of the retry backoff in seconds. Default 120 (or connectRetry, if larger). */
  readonly maxConnectRetry?: number;
  /** Address families to negotiate. Default both. */
  readonly families?: readonly Family[];
  /** TCP-MD5 key (RFC 2385), 1 to 80 bytes. Never logged, shown or put in an error. */
  readonly password?: string;
  /** Absolute path of a file holding the password (surrounding whitespace ignored); read at start and on reload. */
  readonly passwordFile?: string;
  /** GTSM (RFC 5082), directly connected peers: send TTL 255, drop anything that arrives with less. */
  readonly ttlSecurity?: boolean;
  /** BFD (RFC 5880/5881) with this peer, defaults filled in; absent: none. src/bfd. */
  readonly bfd?: BfdOptions;
  /** Next hops to announce. Default: ourselves (the session's local address, or an address of the same interface). */
  readonly nextHop?: {
    readonly ipv4?: string;
    readonly ipv6?: string;
    readonly ipv6LinkLocal?: string;
  };
}

/** The [bgp] table after validation: the speaker's identity and its peers. */
export interface BgpConfig {
  readonly asn: number;
  readonly routerId: string;
  readonly holdTime?: number;
  readonly listen?: { readonly host?: string; readonly port?: number };
  readonly peers: readonly PeerOptions[];
}

export interface SpeakerOptions extends Omit<BgpConfig, 'listen' | 'peers'> {
  /** Accept incoming sessions. Default false: we connect out only. */
  readonly listen?: false | { readonly host?: string; readonly port?: number };
  /** Keep routes peers announce to us. */
  readonly collector?: boolean;
  readonly peers?: readonly PeerOptions[];
  readonly logger?: Logger;
  readonly clock?: Clock;
  readonly random?: () => number;
}

/** What a peer uses when it does not say. */
export const PEER_DEFAULTS = {
  port: BGP_PORT,
  holdTime: 30,
  connectRetry: 5,
  maxConnectRetry: 120,
  families: ['ipv4', 'ipv6'] as readonly Family[],
} as const;

export class SpeakerConfigError extends Error {
  readonly kind = 'bgp.speaker_config';
  /** The option's key path, in the file's names: "peers[0].hold_time". */
  readonly key: string;
  constructor(key: string, reason: string) {
    super(key === '' ? reason : `${key}: ${reason}`);
    this.name = 'SpeakerConfigError';
    this.key = key;
  }
}

/** RFC 4271 section 4.2: 0, or 3 to 65535 seconds. */
export const holdTime = z.custom<number>(
  (v) => typeof v === 'number' && Number.isInteger(v) && (v === 0 || (v >= 3 && v <= 65535)),
  'must be 0 or a whole number of seconds from 3 to 65535 (RFC 4271 4.2)',
);

function parsedBy(parse: (text: string) => unknown): z.ZodType<string> {
  return z.string().superRefine((value, ctx) => {
    try {
      parse(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  });
}

export const community = parsedBy(parseCommunity);
export const largeCommunity = parsedBy(parseLargeCommunity);

/** The attribute keys a degraded service shares with a peer (LOCAL_PREF is a peer's only). */
export const degradeKeys = {
  med: uint32.optional(),
  prepend: wholeNumber(0, 32).optional(),
  communities: z.array(community).optional(),
  large_communities: z.array(largeCommunity).optional(),
};

export const FAMILIES = ['ipv4', 'ipv6'] as const;

/** RFC 2385 / linux/tcp.h TCP_MD5SIG_MAXKEYLEN. */
export const MAX_PASSWORD_BYTES = 80;

/**
 * What is wrong with a password (from the file or from password_file). Each message
 * says "got" itself, so the loader does not append the value (validation/issues.ts).
 */
export function passwordProblem(password: string): string | undefined {
  const bytes = Buffer.byteLength(password);
  if (bytes === 0 || bytes > MAX_PASSWORD_BYTES)
    return `must be 1 to ${MAX_PASSWORD_BYTES} bytes (RFC 2385), got ${bytes} bytes`;
  return undefined;
}

/** A password, checked without ever echoing it (not even an unquoted number). */
const password = z
  .unknown()
  .superRefine((value, ctx) => {
    const problem =
      typeof value === 'string'
        ? passwordProblem(value)
        : `must be a string in quotes, got a ${typeof value}`;
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .transform((value) => value as string);

export const bgpSchema = z.strictObject({
  asn,
  router_id: z.string().superRefine((value, ctx) => {
    if (isIP(value) !== 4 || value === '0.0.0.0')
      ctx.addIssue({ code: 'custom', message: 'must be a non-zero IPv4 address (dotted quad)' });
  }),
  hold_time: holdTime.optional(),
  listen: z
    .strictObject({ host: ipAddress().optional(), port: wholeNumber(0, 65535).optional() })
    .optional(),
  /** Each peer is checked on its own with peerSchema, so one bad peer hides nothing else. */
  peers: z.array(z.unknown()).optional(),
});

export const peerSchema = z.strictObject({
  address: ipAddress(),
  asn,
  name: nonEmpty.optional(),
  port: wholeNumber(1, 65535).optional(),
  local_address: ipAddress().optional(),
  passive: z.boolean().optional(),
  hold_time: holdTime.optional(),
  connect_retry: seconds({ max: 3600 }).optional(),
  max_connect_retry: seconds({ max: 3600 }).optional(),
  families: z.array(z.enum(FAMILIES)).min(1).optional(),
  password: password.optional(),
  password_file: z
    .string()
    .refine((path) => isAbsolute(path), 'must be an absolute path')
    .optional(),
  ttl_security: z.boolean().optional(),
  /** Checked by src/bfd (parseBfdSetting), which owns its rules. */
  bfd: z.unknown().optional(),
  next_hop: z
    .union([
      ipAddress(),
      z.strictObject({
        ipv4: ipAddress(4).optional(),
        ipv6: ipAddress(6).optional(),
        ipv6_link_local: linkLocalAddress.optional(),
      }),
    ])
    .describe('an IP address or a table { ipv4 = "…", ipv6 = "…", ipv6_link_local = "…" }')
    .optional(),
  ...degradeKeys,
  local_pref: uint32.optional(),
});
type RawPeer = z.infer<typeof peerSchema>;

/** What a peer's rules need to know of the speaker around it. */
interface PeerContext {
  readonly localAsn: number | undefined;
  readonly listening: boolean;
}

/**
 * The [bgp] table, checked: every problem is added to `issues` under `base`. Code that
 * builds a speaker goes through the same function (checkSpeakerOptions).
 */
export function parseBgpSettings(
  raw: unknown,
  issues: IssueList,
  base: KeyPath = ['bgp'],
  options: { readonly requirePeers?: boolean } = {},
): BgpConfig | undefined {
  if (!isTable(raw)) {
    issues.add(base, 'must be a table ([bgp])');
    return undefined;
  }
  const before = issues.count;
  let section = validate(bgpSchema, isTable(raw.peers) ? { ...raw, peers: [] } : raw, base, issues);
  if (isTable(raw.peers)) {
    // [bgp.peers] (one table) where [[bgp.peers]] (an array of tables) was meant.
    issues.add(
      [...base, 'peers'],
      'must be an array of tables: write each peer as [[bgp.peers]] (double brackets)',
    );
    section = undefined;
  }
  // Peers are checked even when the section has other problems.
  const rawPeers = Array.isArray(raw.peers) ? (raw.peers as unknown[]) : [];
  const context: PeerContext = {
    localAsn: typeof raw.asn === 'number' ? raw.asn : undefined,
    listening: raw.listen !== undefined,
  };
  const peers: PeerOptions[] = [];
  const addresses = new Map<string, number>();
  rawPeers.forEach((rawPeer, i) => {
    const at: KeyPath = [...base, 'peers', i];
    const peer = parsePeer(rawPeer, at, issues, context);
    if (peer === undefined) return;
    const key = normalizeAddress(peer.address);
    const first = addresses.get(key);
    if (first !== undefined)
      issues.add(
        [...at, 'address'],
        `peer ${peer.address} is already configured at ${formatPath([...base, 'peers', first])}`,
      );
    else addresses.set(key, i);
    peers.push(peer);
  });
  if (section !== undefined && rawPeers.length === 0 && options.requirePeers !== false)
    issues.add([...base, 'peers'], 'no peers: add at least one [[bgp.peers]] with address and asn');
  if (section === undefined || issues.count > before) return undefined;
  return {
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
}

/** One [[bgp.peers]] table: its shape, then the rules across its keys. */
function parsePeer(
  raw: unknown,
  at: KeyPath,
  issues: IssueList,
  context: PeerContext,
): PeerOptions | undefined {
  const peer = validate(peerSchema, raw, at, issues);
  if (peer === undefined) return undefined;
  const before = issues.count;
  const key = (k: string, ...more: string[]): KeyPath => [...at, k, ...more];
  const families = peer.families ?? PEER_DEFAULTS.families;
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
  if (peer.password !== undefined && peer.password_file !== undefined)
    issues.add(key('password_file'), 'set password or password_file, not both');
  const connectRetry = peer.connect_retry ?? PEER_DEFAULTS.connectRetry;
  if (peer.max_connect_retry !== undefined && peer.max_connect_retry < connectRetry)
    issues.add(key('max_connect_retry'), `must be at least connect_retry (${connectRetry} s)`);
  if (
    peer.local_pref !== undefined &&
    context.localAsn !== undefined &&
    peer.asn !== context.localAsn
  )
    issues.add(
      key('local_pref'),
      `LOCAL_PREF is sent to iBGP peers only (RFC 4271 5.1.5), and this peer is eBGP (asn ${peer.asn}, bgp.asn ${context.localAsn})`,
    );
  const bfd = parseBfdSetting(peer.bfd, key('bfd'), issues);
  if (issues.count > before || bfd === null) return undefined;
  return peerOptions(peer, nextHop, bfd);
}

function peerOptions(
  peer: RawPeer,
  nextHop: PeerOptions['nextHop'],
  bfd: BfdOptions | undefined,
): PeerOptions {
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
    ...(peer.password === undefined ? {} : { password: peer.password }),
    ...(peer.password_file === undefined ? {} : { passwordFile: peer.password_file }),
    ...(peer.ttl_security === undefined ? {} : { ttlSecurity: peer.ttl_security }),
    ...(bfd === undefined ? {} : { bfd }),
    ...(nextHop === undefined ? {} : { nextHop }),
    ...attributesOf(peer),
  };
}

/** The attribute keys of a checked table (a peer, a degraded service) in AnnounceAttributes' names. */
export function attributesOf(table: {
  readonly communities?: readonly string[] | undefined;
  readonly large_communities?: readonly string[] | undefined;
  readonly med?: number | undefined;
  readonly prepend?: number | undefined;
  readonly local_pref?: number | undefined;
}): AnnounceAttributes {
  return {
    ...(table.communities === undefined ? {} : { communities: table.communities }),
    ...(table.large_communities === undefined ? {} : { largeCommunities: table.large_communities }),
    ...(table.med === undefined ? {} : { med: table.med }),
    ...(table.prepend === undefined ? {} : { prepend: table.prepend }),
    ...(table.local_pref === undefined ? {} : { localPref: table.local_pref }),
  };
}

/** PeerOptions written as the file would have them, for the same checks. */
function peerTable(peer: PeerOptions): Record<string, unknown> {
  const hop = peer.nextHop;
  return defined({
    address: peer.address,
    asn: peer.asn,
    name: peer.name,
    port: peer.port,
    local_address: peer.localAddress,
    passive: peer.passive,
    hold_time: peer.holdTime,
    connect_retry: peer.connectRetry,
    max_connect_retry: peer.maxConnectRetry,
    families: peer.families,
    password: peer.password,
    password_file: peer.passwordFile,
    ttl_security: peer.ttlSecurity,
    bfd: peer.bfd === undefined ? undefined : bfdTable(peer.bfd),
    next_hop:
      hop === undefined
        ? undefined
        : defined({ ipv4: hop.ipv4, ipv6: hop.ipv6, ipv6_link_local: hop.ipv6LinkLocal }),
    ...attributeTable(peer),
  });
}

/** AnnounceAttributes in the file's names. */
function attributeTable(attributes: AnnounceAttributes): Record<string, unknown> {
  return {
    communities: attributes.communities,
    large_communities: attributes.largeCommunities,
    med: attributes.med,
    prepend: attributes.prepend,
    local_pref: attributes.localPref,
  };
}

/**
 * The first problem with a speaker's options, checked by the rules the file is
 * checked by; undefined when they are good.
 */
export function checkSpeakerOptions(options: SpeakerOptions): SpeakerConfigError | undefined {
  const issues = new IssueList();
  parseBgpSettings(
    defined({
      asn: options.asn,
      router_id: options.routerId,
      hold_time: options.holdTime,
      listen: options.listen === false ? undefined : options.listen,
      peers: (options.peers ?? []).map(peerTable),
    }),
    issues,
    [],
    { requirePeers: false },
  );
  return firstError(issues.items);
}

/** The first problem with one more peer for a speaker that has `speaker`'s settings. */
export function checkPeerOptions(
  peer: PeerOptions,
  speaker: { readonly asn: number; readonly listening: boolean },
  key: KeyPath,
): SpeakerConfigError | undefined {
  const issues = new IssueList();
  parsePeer(peerTable(peer), key, issues, {
    localAsn: speaker.asn,
    listening: speaker.listening,
  });
  return firstError(issues.items);
}

/** A route's attributes, parsed (the speaker's announce); throws SpeakerConfigError. */
const routeAttributesSchema = z.strictObject({ ...degradeKeys, local_pref: uint32.optional() });

export function parseAnnounceAttributes(attributes: AnnounceAttributes): RouteAttributes {
  const issues = new IssueList();
  const raw = validate(routeAttributesSchema, defined(attributeTable(attributes)), [], issues);
  const error = firstError(issues.items);
  if (raw === undefined || error !== undefined)
    throw error ?? new SpeakerConfigError('', 'invalid attributes');
  return {
    ...(raw.communities === undefined || raw.communities.length === 0
      ? {}
      : { communities: [...new Set(raw.communities.map(parseCommunity))].sort((a, b) => a - b) }),
    ...(raw.large_communities === undefined || raw.large_communities.length === 0
      ? {}
      : { largeCommunities: raw.large_communities.map(parseLargeCommunity) }),
    ...(raw.med === undefined ? {} : { med: raw.med }),
    ...(raw.prepend === undefined ? {} : { prepend: raw.prepend }),
    ...(raw.local_pref === undefined ? {} : { localPref: raw.local_pref }),
  };
}

/** A peer's export settings with every default filled in (for its session). */
export function peerExportDefaults(peer: PeerOptions): PeerAttributes {
  return {
    communities: [...new Set((peer.communities ?? []).map(parseCommunity))].sort((a, b) => a - b),
    largeCommunities: (peer.largeCommunities ?? []).map(parseLargeCommunity),
    ...(peer.med === undefined ? {} : { med: peer.med }),
    prepend: peer.prepend ?? 0,
    localPref: peer.localPref ?? DEFAULT_LOCAL_PREF,
  };
}

function firstError(items: readonly ConfigIssue[]): SpeakerConfigError | undefined {
  const first = items[0];
  return first === undefined ? undefined : new SpeakerConfigError(first.path, first.message);
}

function wrongFamily(family: 'ipv4' | 'ipv6', families: readonly string[]): string {
  const label = family === 'ipv4' ? 'IPv4' : 'IPv6';
  return `is an ${label} next hop but this peer carries no ${label} routes (families = ${JSON.stringify(families)})`;
}

function normalizeAddress(address: string): string {
  try {
    return ipaddr.process(address).toString();
  } catch {
    return address;
  }
}

/** The object without its undefined values, as TOML would have it (no key at all). */
function defined(table: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(table).filter(([, v]) => v !== undefined));
}
