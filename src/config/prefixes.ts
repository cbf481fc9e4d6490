/**
 * A service's `prefixes`: an array (the embedded speaker's, like `prefixes.bgp`)
 * or a table keyed by announcer, as anycastd writes it (`prefixes.frrouting`).
 * Items are a prefix string or { prefix = "…", vrf = "…" }; a bare address is
 * a host route, and host bits set is an error with the prefix that was meant.
 * A VRF is accepted only by an announcer that has them (FRRouting).
 * Prefixes nobody means to announce (multicast, loopback, link-local, unspecified,
 * broadcast) are refused, and a default route unless the service sets
 * allow_default_route = true (validation/special-prefix.ts).
 */
import { z } from 'zod';
import { ANNOUNCER_KINDS, routingDaemons, type AnnouncerKind } from '../announcers/index.js';
import { formatPrefix, parsePrefix } from '../bgp/index.js';
import {
  clip,
  didYouMean,
  type IssueList,
  isTable,
  type KeyPath,
  specialPrefix,
  validate,
} from '../validation/index.js';
import type { PrefixConfig } from './types.js';
import { errorMessage } from '../util/index.js';

/** anycastd's docs write `vrf = "123"`; some of its configs `vrf = 123`: both mean VRF "123". */
const vrfSchema = z.union([
  z.string().min(1),
  z
    .custom<number>(
      (v) => typeof v === 'number' && Number.isInteger(v) && v >= 0,
      'must be a VRF name',
    )
    .transform(String),
]);

const itemSchema = z
  .union([
    z.string(),
    z.strictObject({
      prefix: z.string(),
      vrf: vrfSchema.optional(),
      /** anycastd's per-prefix vtysh path: one FRRouting announcer here (see announcers.ts). */
      vtysh: z.string().startsWith('/', 'must be an absolute path to vtysh').optional(),
    }),
  ])
  .describe('a prefix string or a table { prefix = "…", vrf = "…" }');

/** Longer than any IPv6 prefix can be written: not worth parsing, nor quoting whole. */
const MAX_PREFIX_TEXT = 64;

export interface PrefixOptions {
  /** The service's allow_default_route: 0.0.0.0/0 and ::/0 may be announced. */
  readonly allowDefaultRoute?: boolean;
}

export interface ServicePrefixes {
  readonly prefixes: PrefixConfig[];
  /** Per prefix (same order), where it was written. */
  readonly paths: KeyPath[];
}

function isAnnouncerKind(key: string): key is AnnouncerKind {
  return (ANNOUNCER_KINDS as readonly string[]).includes(key);
}

/** How an announcer is named in messages. */
export function announcerTitle(kind: AnnouncerKind): string {
  return kind === 'bgp' ? 'the embedded BGP speaker' : routingDaemons[kind].title;
}

/** Where a service's raw `prefixes` asks for the embedded speaker, if it does. */
export function bgpPrefixesPath(raw: unknown, path: KeyPath): KeyPath | undefined {
  if (Array.isArray(raw)) return path;
  if (isTable(raw) && 'bgp' in raw) return [...path, 'bgp'];
  return undefined;
}

export function buildPrefixes(
  raw: unknown,
  path: KeyPath,
  issues: IssueList,
  options: PrefixOptions = {},
): ServicePrefixes {
  const out: ServicePrefixes = { prefixes: [], paths: [] };
  if (raw === undefined) {
    issues.add(path, 'is required: list what to announce, e.g. prefixes = ["203.0.113.53"]');
    return out;
  }
  if (Array.isArray(raw)) return addItems('bgp', raw, path, out, issues, options);
  if (!isTable(raw)) {
    issues.add(path, 'must be an array of prefixes, or a table of announcers (prefixes.bgp = […])');
    return out;
  }
  for (const [key, items] of Object.entries(raw)) {
    const at = [...path, key];
    if (!isAnnouncerKind(key)) {
      issues.add(
        at,
        `unknown announcer${didYouMean(key, ANNOUNCER_KINDS)}; known: ${ANNOUNCER_KINDS.join(', ')}`,
      );
    } else if (!Array.isArray(items)) issues.add(at, 'must be an array of prefixes');
    else addItems(key, items, at, out, issues, options);
  }
  if (Object.keys(raw).length === 0)
    issues.add(path, 'is empty: list what to announce, e.g. prefixes.bgp = ["203.0.113.53"]');
  return out;
}

function addItems(
  announcer: AnnouncerKind,
  items: readonly unknown[],
  path: KeyPath,
  out: ServicePrefixes,
  issues: IssueList,
  options: PrefixOptions,
): ServicePrefixes {
  if (items.length === 0) issues.add(path, 'must list at least one prefix');
  const vrfs = announcer !== 'bgp' && routingDaemons[announcer].supportsVrf;
  items.forEach((item, i) => {
    const at = [...path, i];
    const parsed = validate(itemSchema, item, at, issues);
    if (parsed === undefined) return;
    const text = typeof parsed === 'string' ? parsed : parsed.prefix;
    const textPath = typeof parsed === 'string' ? at : [...at, 'prefix'];
    if (text.length > MAX_PREFIX_TEXT) {
      issues.add(textPath, `is not an IP prefix: ${JSON.stringify(clip(text))}`);
      return;
    }
    let prefix: string;
    try {
      prefix = formatPrefix(parsePrefix(text));
    } catch (error) {
      issues.add(textPath, errorMessage(error));
      return;
    }
    const special = specialPrefix(prefix);
    if (special?.kind === 'special') {
      issues.add(textPath, `${special.reason}: not a prefix to announce`);
      return;
    }
    if (special?.kind === 'default-route' && options.allowDefaultRoute !== true) {
      issues.add(
        textPath,
        `${special.reason}: announcing it draws all traffic to this node; set allow_default_route = true in this service if that is meant`,
      );
      return;
    }
    const vrf = typeof parsed === 'string' ? undefined : parsed.vrf;
    if (typeof parsed !== 'string' && parsed.vtysh !== undefined && announcer !== 'frrouting') {
      issues.add([...at, 'vtysh'], 'only prefixes.frrouting items take a vtysh path');
      return;
    }
    if (vrf !== undefined && !vrfs) {
      // Silently ignoring it would announce in the wrong routing table.
      issues.add(
        [...at, 'vrf'],
        `${announcerTitle(announcer)} has no VRFs here; only prefixes.frrouting items take a vrf`,
      );
      return;
    }
    out.prefixes.push(vrf === undefined ? { announcer, prefix } : { announcer, prefix, vrf });
    out.paths.push(at);
  });
  return out;
}
