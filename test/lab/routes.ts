/**
 * Parsers for what the routers say about their routes and sessions, normalised to one
 * shape so tests can compare BIRD 2, FRRouting 8.4 and GoBGP 3.10 the same way.
 *
 * - BIRD 2: the text of `show route all` and `show protocols all`.
 * - FRRouting: `show bgp <afi> unicast json` (prefix list, no attributes),
 *   `show bgp <afi> unicast PREFIX json` (attributes) and `show bgp neighbors json`.
 * - GoBGP: `gobgp global rib -a <afi> -j` (attributes by type code) and `gobgp neighbor -j`,
 *   plus its JSON log for the last NOTIFICATION received (the API keeps no text of it).
 *
 * Communities are always rendered numerically as "a:b" (FRR's well-known names are
 * mapped back to numbers), large communities as "a:b:c".
 */

export type Family = 'ipv4' | 'ipv6';

export interface LabRoute {
  prefix: string;
  /** Global next hop. */
  nextHop?: string;
  /** IPv6 link-local next hop when the router keeps one. */
  nextHopLinkLocal?: string;
  asPath: number[];
  communities: string[];
  largeCommunities: string[];
  med?: number;
  localPref?: number;
  origin?: 'igp' | 'egp' | 'incomplete';
  /** The router's chosen path for this prefix. */
  best: boolean;
}

export type SessionState =
  'idle' | 'connect' | 'active' | 'open-sent' | 'open-confirm' | 'established';

export interface LabPeer {
  /** Neighbour address as the router knows it. */
  address: string;
  /** BIRD protocol name; absent for FRR and GoBGP. */
  name?: string;
  state: SessionState;
  /** The router's own text for the last error on this session ("Received: Administrative shutdown"). */
  lastError?: string;
  /** RFC 8203 shutdown communication last received from the neighbour. */
  shutdownMessage?: string;
  /** Code and subcode of the last NOTIFICATION, when the router reports them. */
  lastNotification?: { code: number; subcode: number; received: boolean };
}

const WELL_KNOWN: Record<string, string> = {
  'no-export': '65535:65281',
  noExport: '65535:65281',
  'no-advertise': '65535:65282',
  noAdvertise: '65535:65282',
  'local-AS': '65535:65283',
  'no-export-subconfed': '65535:65283',
  'no-peer': '65535:65284',
  noPeer: '65535:65284',
  blackhole: '65535:666',
  'graceful-shutdown': '65535:0',
  gshut: '65535:0',
  'accept-own': '65535:1',
  'llgr-stale': '65535:6',
  'no-llgr': '65535:7',
};

export function normaliseCommunity(text: string): string {
  return WELL_KNOWN[text] ?? text;
}

function numbersIn(text: string): number[] {
  return (text.match(/\d+/g) ?? []).map(Number);
}

// ---------------------------------------------------------------- BIRD 2

// "203.0.113.1/32       unicast [sender 17:57:14.585] * (100) [AS65001i]"; further paths of
// the same net repeat the line without the net. The "*" marks the best path.
const BIRD_NET_LINE =
  /^(\S+)\s+(unicast|blackhole|unreachable|prohibited|multipath)\s+\[([^\s\]]+)[^\]]*\](\s+\*)?/;
const BIRD_ALT_LINE =
  /^\s+(unicast|blackhole|unreachable|prohibited|multipath)\s+\[([^\s\]]+)[^\]]*\](\s+\*)?/;

/** Parses `birdc show route all` (any number of tables). Banner and table headers are skipped. */
export function parseBirdRoutes(text: string): LabRoute[] {
  const routes: LabRoute[] = [];
  let net: string | undefined;
  let current: LabRoute | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '' || line.startsWith('BIRD ') || line.startsWith('Table ')) continue;
    const head = BIRD_NET_LINE.exec(line);
    const alt = head ? null : BIRD_ALT_LINE.exec(line);
    if (head || alt) {
      if (head) net = head[1];
      if (net === undefined) throw new Error(`bird route line without a network: ${line}`);
      current = {
        prefix: net,
        asPath: [],
        communities: [],
        largeCommunities: [],
        best: Boolean(head ? head[4] : alt?.[3]),
      };
      routes.push(current);
      continue;
    }
    if (!current) continue;
    const attr = /^\s+BGP\.(\w+):\s*(.*)$/.exec(line);
    if (!attr) continue;
    const [, key, value = ''] = attr;
    switch (key) {
      case 'origin':
        current.origin = value === 'IGP' ? 'igp' : value === 'EGP' ? 'egp' : 'incomplete';
        break;
      case 'as_path':
        current.asPath = numbersIn(value);
        break;
      case 'next_hop': {
        const [global, linkLocal] = value.trim().split(/\s+/);
        if (global) current.nextHop = global;
        if (linkLocal) current.nextHopLinkLocal = linkLocal;
        break;
      }
      case 'med':
        current.med = Number(value);
        break;
      case 'local_pref':
        current.localPref = Number(value);
        break;
      case 'community':
        current.communities = [...value.matchAll(/\((\d+),\s*(\d+)\)/g)].map(
          (m) => `${m[1]}:${m[2]}`,
        );
        break;
      case 'large_community':
        current.largeCommunities = [...value.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map(
          (m) => `${m[1]}:${m[2]}:${m[3]}`,
        );
        break;
      default:
        break;
    }
  }
  return routes;
}

/** Parses "N of M routes for K networks in table T" from `show route ... count`: returns N. */
export function parseBirdCount(text: string): number {
  const match = /(\d+) of (\d+) routes for (\d+) networks/.exec(text);
  if (!match)
    throw new Error(`no route count in bird output: ${JSON.stringify(text.slice(0, 300))}`);
  return Number(match[1]);
}

const BIRD_STATES: Record<string, SessionState> = {
  Idle: 'idle',
  Down: 'idle',
  Connect: 'connect',
  Active: 'active',
  OpenSent: 'open-sent',
  OpenConfirm: 'open-confirm',
  Established: 'established',
  Close: 'idle',
};

/** Parses `birdc show protocols all`: the BGP protocols only. */
export function parseBirdProtocols(text: string): LabPeer[] {
  const peers: LabPeer[] = [];
  let block: string[] = [];
  const flush = (): void => {
    const peer = parseBirdProtocolBlock(block);
    if (peer) peers.push(peer);
    block = [];
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('BIRD ') || line.startsWith('Name ')) continue;
    if (/^\S/.test(line)) flush();
    block.push(line);
  }
  flush();
  return peers;
}

function parseBirdProtocolBlock(lines: string[]): LabPeer | undefined {
  const first = lines[0];
  if (first === undefined) return undefined;
  const head = /^(\S+)\s+(\S+)\s+/.exec(first);
  if (!head || head[2] !== 'BGP') return undefined;
  const field = (name: string): string | undefined => {
    for (const line of lines) {
      const match = new RegExp(`^\\s+${name}:\\s*(.*?)\\s*$`).exec(line);
      if (match) return match[1];
    }
    return undefined;
  };
  const bgpState = field('BGP state') ?? 'Idle';
  const peer: LabPeer = {
    address: field('Neighbor address') ?? '',
    name: head[1],
    state: BIRD_STATES[bgpState] ?? 'idle',
  };
  const lastError = field('Last error');
  if (lastError) peer.lastError = lastError;
  const message = field('Message');
  if (message) peer.shutdownMessage = message;
  return peer;
}

// ---------------------------------------------------------------- FRRouting

interface FrrPath {
  aspath?: { string?: string };
  path?: string;
  origin?: string;
  metric?: number;
  med?: number;
  locPrf?: number;
  localpref?: number;
  community?: { string?: string; list?: string[] };
  largeCommunity?: { string?: string; list?: string[] };
  nexthops?: { ip?: string; scope?: string; afi?: string }[];
  bestpath?: { overall?: boolean } | boolean;
}

/** Prefixes in `show bgp <afi> unicast json`. */
export function parseFrrTablePrefixes(json: unknown): string[] {
  const routes = (json as { routes?: Record<string, unknown> }).routes;
  return routes ? Object.keys(routes) : [];
}

/** Routes in `show bgp <afi> unicast PREFIX json` (one per path). */
export function parseFrrPrefix(json: unknown): LabRoute[] {
  const data = json as { prefix?: string; paths?: FrrPath[] };
  if (!data.prefix || !data.paths) return [];
  return data.paths.map((path) => {
    const route: LabRoute = {
      prefix: data.prefix ?? '',
      asPath: numbersIn(path.aspath?.string ?? path.path ?? ''),
      communities: (path.community?.list ?? splitWords(path.community?.string)).map(
        normaliseCommunity,
      ),
      largeCommunities: path.largeCommunity?.list ?? splitWords(path.largeCommunity?.string),
      best:
        typeof path.bestpath === 'object' ? Boolean(path.bestpath.overall) : Boolean(path.bestpath),
    };
    const med = path.metric ?? path.med;
    if (med !== undefined) route.med = med;
    const localPref = path.locPrf ?? path.localpref;
    if (localPref !== undefined) route.localPref = localPref;
    if (path.origin) {
      const origin = path.origin.toLowerCase();
      route.origin = origin === 'igp' ? 'igp' : origin === 'egp' ? 'egp' : 'incomplete';
    }
    for (const hop of path.nexthops ?? []) {
      if (!hop.ip) continue;
      if (hop.scope === 'link-local') route.nextHopLinkLocal = hop.ip;
      else route.nextHop ??= hop.ip;
    }
    return route;
  });
}

function splitWords(text: string | undefined): string[] {
  return text ? text.split(/\s+/).filter((word) => word !== '') : [];
}

const FRR_STATES: Record<string, SessionState> = {
  Idle: 'idle',
  Connect: 'connect',
  Active: 'active',
  OpenSent: 'open-sent',
  OpenConfirm: 'open-confirm',
  Established: 'established',
  Clearing: 'idle',
  Deleted: 'idle',
};

interface FrrNeighbor {
  bgpState?: string;
  lastNotificationReason?: string;
  lastResetDueTo?: string;
  lastShutdownDescription?: string;
  lastErrorCodeSubcode?: string;
  lastNotificationHardReset?: boolean;
}

/** `show bgp neighbors json`: an object keyed by neighbour address. */
export function parseFrrNeighbors(json: unknown): LabPeer[] {
  return Object.entries(json as Record<string, FrrNeighbor>)
    .filter(([, value]) => typeof value === 'object' && value !== null && 'bgpState' in value)
    .map(([address, value]) => {
      const peer: LabPeer = { address, state: FRR_STATES[value.bgpState ?? 'Idle'] ?? 'idle' };
      const lastError = value.lastNotificationReason ?? value.lastResetDueTo;
      if (lastError) peer.lastError = lastError;
      if (value.lastShutdownDescription) peer.shutdownMessage = value.lastShutdownDescription;
      const codes = value.lastErrorCodeSubcode;
      if (codes && /^[0-9a-f]{4}$/i.test(codes)) {
        peer.lastNotification = {
          code: parseInt(codes.slice(0, 2), 16),
          subcode: parseInt(codes.slice(2), 16),
          // FRR records the direction only in the reason text.
          received: !/sent/i.test(value.lastResetDueTo ?? ''),
        };
      }
      return peer;
    });
}

/**
 * Splits concatenated JSON documents (what `vtysh -c A -c B` prints) into values.
 * Braces inside strings are skipped.
 */
export function splitJsonDocuments(text: string): unknown[] {
  const out: unknown[] = [];
  let depth = 0;
  let start = -1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i++;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') inString = true;
    else if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth++;
    } else if (ch === '}' || ch === ']') {
      depth--;
      if (depth === 0 && start >= 0) {
        out.push(JSON.parse(text.slice(start, i + 1)));
        start = -1;
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------- GoBGP

interface GobgpAttr {
  type: number;
  value?: unknown;
  as_paths?: { segment_type?: number; asns?: number[] }[];
  nexthop?: string;
  linklocal_nexthop?: string;
  metric?: number;
  communities?: number[];
}

interface GobgpPath {
  nlri?: { prefix?: string };
  attrs?: GobgpAttr[];
  best?: boolean;
}

/** `gobgp global rib -a <afi> -j`: an object keyed by prefix, each a list of paths. */
export function parseGobgpRib(json: unknown): LabRoute[] {
  const routes: LabRoute[] = [];
  for (const [prefix, paths] of Object.entries(json as Record<string, GobgpPath[]>)) {
    if (!Array.isArray(paths)) continue;
    for (const path of paths) {
      const route: LabRoute = {
        prefix: path.nlri?.prefix ?? prefix,
        asPath: [],
        communities: [],
        largeCommunities: [],
        best: Boolean(path.best),
      };
      for (const attr of path.attrs ?? []) {
        switch (attr.type) {
          case 1:
            route.origin = attr.value === 0 ? 'igp' : attr.value === 1 ? 'egp' : 'incomplete';
            break;
          case 2:
            route.asPath = (attr.as_paths ?? []).flatMap((segment) => segment.asns ?? []);
            break;
          case 3:
          case 14:
            if (attr.nexthop) route.nextHop = attr.nexthop;
            if (attr.linklocal_nexthop) route.nextHopLinkLocal = attr.linklocal_nexthop;
            break;
          case 4:
            if (attr.metric !== undefined) route.med = attr.metric;
            break;
          case 5:
            if (typeof attr.value === 'number') route.localPref = attr.value;
            break;
          case 8:
            route.communities = (attr.communities ?? []).map(
              (c) => `${Math.floor(c / 65536)}:${c % 65536}`,
            );
            break;
          case 32: {
            const values = Array.isArray(attr.value)
              ? (attr.value as Record<string, number>[])
              : [];
            route.largeCommunities = values.map((v) => `${v.ASN}:${v.LocalData1}:${v.LocalData2}`);
            break;
          }
          default:
            break;
        }
      }
      routes.push(route);
    }
  }
  return routes;
}

const GOBGP_STATES: Record<string, SessionState> = {
  '0': 'idle',
  '1': 'idle',
  '2': 'connect',
  '3': 'active',
  '4': 'open-sent',
  '5': 'open-confirm',
  '6': 'established',
  UNKNOWN: 'idle',
  IDLE: 'idle',
  CONNECT: 'connect',
  ACTIVE: 'active',
  OPENSENT: 'open-sent',
  OPENCONFIRM: 'open-confirm',
  ESTABLISHED: 'established',
};

interface GobgpNeighbor {
  conf?: { neighbor_address?: string };
  state?: { neighbor_address?: string; session_state?: number | string };
}

/** `gobgp neighbor -j`: state only (GoBGP's API keeps no NOTIFICATION text; see parseGobgpLog). */
export function parseGobgpNeighbors(json: unknown): LabPeer[] {
  return (json as GobgpNeighbor[]).map((n) => ({
    address: n.state?.neighbor_address ?? n.conf?.neighbor_address ?? '',
    state:
      GOBGP_STATES[String(n.state?.session_state ?? 0).replace(/^SESSION_STATE_/, '')] ?? 'idle',
  }));
}

export interface GobgpNotification {
  address: string;
  code: number;
  subcode: number;
  message?: string;
  received: boolean;
}

/** NOTIFICATIONs in gobgpd's JSON log, oldest first. */
export function parseGobgpLog(text: string): GobgpNotification[] {
  const out: GobgpNotification[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: Record<string, unknown>;
    try {
      entry = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    const msg = typeof entry.msg === 'string' ? entry.msg : '';
    if (msg !== 'received notification' && msg !== 'sent notification') continue;
    const notification: GobgpNotification = {
      address: typeof entry.Key === 'string' ? entry.Key : '',
      code: Number(entry.Code),
      subcode: Number(entry.Subcode),
      received: msg === 'received notification',
    };
    const reason = entry['Communicated-Reason'];
    if (typeof reason === 'string' && reason !== '') notification.message = reason;
    out.push(notification);
  }
  return out;
}
