/**
 * A service's `prefixes`: an array (the embedded speaker's, like `prefixes.bgp`)
 * or a table keyed by announcer, as anycastd writes it (`prefixes.frrouting`).
 * Items are a prefix string or { prefix = "…", vrf = "…" }; a bare address is
 * a host route, and host bits set is an error with the prefix that was meant.
 */
import { z } from 'zod';
import { formatPrefix, parsePrefix } from '../bgp/index.js';
import { isTable, validate, type IssueList, type KeyPath } from './issues.js';
import { didYouMean } from './suggest.js';
import type { PrefixConfig } from './types.js';

/** Announcers that drive a routing daemon; they come later, and until then say so. */
const FUTURE_ANNOUNCERS: Readonly<Record<string, string>> = {
  frrouting: 'FRRouting',
  bird: 'BIRD',
  gobgp: 'GoBGP',
  exabgp: 'ExaBGP',
};
const ANNOUNCERS = ['bgp', ...Object.keys(FUTURE_ANNOUNCERS)];

const itemSchema = z
  .union([z.string(), z.strictObject({ prefix: z.string(), vrf: z.string().min(1).optional() })])
  .describe('a prefix string or a table { prefix = "…", vrf = "…" }');

export interface ServicePrefixes {
  readonly prefixes: PrefixConfig[];
  /** Per prefix (same order), where it was written. */
  readonly paths: KeyPath[];
}

/** Where a service's raw `prefixes` asks for the embedded speaker, if it does. */
export function bgpPrefixesPath(raw: unknown, path: KeyPath): KeyPath | undefined {
  if (Array.isArray(raw)) return path;
  if (isTable(raw) && 'bgp' in raw) return [...path, 'bgp'];
  return undefined;
}

export function buildPrefixes(raw: unknown, path: KeyPath, issues: IssueList): ServicePrefixes {
  const out: ServicePrefixes = { prefixes: [], paths: [] };
  if (raw === undefined) {
    issues.add(path, 'is required: list what to announce, e.g. prefixes = ["203.0.113.53"]');
    return out;
  }
  if (Array.isArray(raw)) return addItems(raw, path, out, issues);
  if (!isTable(raw)) {
    issues.add(path, 'must be an array of prefixes, or a table of announcers (prefixes.bgp = […])');
    return out;
  }
  for (const [key, items] of Object.entries(raw)) {
    const at = [...path, key];
    const daemon = FUTURE_ANNOUNCERS[key];
    if (key === 'bgp') {
      if (!Array.isArray(items)) issues.add(at, 'must be an array of prefixes');
      else addItems(items, at, out, issues);
    } else if (daemon !== undefined) {
      issues.add(
        at,
        `announcing through ${daemon} is not supported yet (it comes with the routing-daemon announcers); use prefixes.bgp for the embedded speaker`,
      );
    } else {
      issues.add(
        at,
        `unknown announcer${didYouMean(key, ANNOUNCERS)}; known: ${ANNOUNCERS.join(', ')}`,
      );
    }
  }
  if (Object.keys(raw).length === 0)
    issues.add(path, 'is empty: list what to announce, e.g. prefixes.bgp = ["203.0.113.53"]');
  return out;
}

function addItems(
  items: readonly unknown[],
  path: KeyPath,
  out: ServicePrefixes,
  issues: IssueList,
): ServicePrefixes {
  if (items.length === 0) issues.add(path, 'must list at least one prefix');
  items.forEach((item, i) => {
    const at = [...path, i];
    const parsed = validate(itemSchema, item, at, issues);
    if (parsed === undefined) return;
    const text = typeof parsed === 'string' ? parsed : parsed.prefix;
    const textPath = typeof parsed === 'string' ? at : [...at, 'prefix'];
    let prefix: string;
    try {
      prefix = formatPrefix(parsePrefix(text));
    } catch (error) {
      issues.add(textPath, error instanceof Error ? error.message : String(error));
      return;
    }
    const vrf = typeof parsed === 'string' ? undefined : parsed.vrf;
    if (vrf !== undefined) {
      // Silently ignoring it would announce in the wrong routing table.
      issues.add(
        [...at, 'vrf'],
        'the embedded BGP speaker has no VRFs; VRFs come with the FRRouting announcer',
      );
      return;
    }
    out.prefixes.push({ announcer: 'bgp', prefix });
    out.paths.push(at);
  });
  return out;
}
