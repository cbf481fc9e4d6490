/**
 * The `[announcers.<kind>]` tables: settings of the routing daemons anycast-guard drives
 * (BIRD, FRRouting, GoBGP, ExaBGP). Each kind checks its own table (its definition in
 * src/announcers); a kind that services use but that has no table runs on its defaults.
 * The embedded speaker is configured in [bgp], not here.
 */
import {
  ROUTING_DAEMON_KINDS,
  routingDaemons,
  type RoutingDaemonConfig,
  type RoutingDaemonKind,
} from '../announcers/index.js';
import {
  didYouMean,
  formatPath,
  type IssueList,
  isTable,
  type KeyPath,
} from '../validation/index.js';
import type { BuiltService } from './services.js';

function isRoutingDaemon(key: string): key is RoutingDaemonKind {
  return (ROUTING_DAEMON_KINDS as readonly string[]).includes(key);
}

/**
 * anycastd lets each FRRouting prefix name its vtysh; one FRR per host is what it drives
 * in practice, so here they must agree, and the path becomes [announcers.frrouting]'s
 * `vtysh` unless that table sets its own (then they must agree too).
 */
function anycastdVtysh(
  rawServices: unknown,
  table: unknown,
  issues: IssueList,
): string | undefined {
  let found: { path: string; at: KeyPath } | undefined;
  if (!isTable(rawServices)) return undefined;
  for (const [name, service] of Object.entries(rawServices)) {
    const items =
      isTable(service) && isTable(service.prefixes) ? service.prefixes.frrouting : undefined;
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, i) => {
      if (!isTable(item) || typeof item.vtysh !== 'string') return;
      const at: KeyPath = ['services', name, 'prefixes', 'frrouting', i, 'vtysh'];
      if (found === undefined) found = { path: item.vtysh, at };
      else if (found.path !== item.vtysh)
        issues.add(
          at,
          `is ${JSON.stringify(item.vtysh)} but ${formatPath(found.at)} is ${JSON.stringify(found.path)}: one FRRouting (one vtysh) per anycast-guard`,
        );
    });
  }
  if (found === undefined) return undefined;
  const own = isTable(table) ? table.vtysh : undefined;
  if (own !== undefined && own !== found.path)
    issues.add(
      found.at,
      `is ${JSON.stringify(found.path)} but announcers.frrouting.vtysh is ${JSON.stringify(own)}`,
    );
  return found.path;
}

export function buildAnnouncers(
  raw: unknown,
  services: readonly BuiltService[],
  issues: IssueList,
  rawServices?: unknown,
): RoutingDaemonConfig[] {
  const tables: Partial<Record<RoutingDaemonKind, unknown>> = {};
  if (raw !== undefined && !isTable(raw))
    issues.add(['announcers'], 'must be a table of announcers: write [announcers.bird] and so on');
  else if (raw !== undefined)
    for (const [key, table] of Object.entries(raw)) {
      if (key === 'bgp')
        issues.add(['announcers', key], 'the embedded BGP speaker is configured in [bgp]');
      else if (!isRoutingDaemon(key))
        issues.add(
          ['announcers', key],
          `unknown announcer${didYouMean(key, ROUTING_DAEMON_KINDS)}; known: ${ROUTING_DAEMON_KINDS.join(', ')}`,
        );
      else if (!isTable(table))
        issues.add(
          ['announcers', key],
          `must be a table: write [announcers.${key}] (single brackets)`,
        );
      else tables[key] = table;
    }
  const used = new Set<RoutingDaemonKind>();
  for (const { config } of services)
    for (const { announcer } of config.prefixes) if (announcer !== 'bgp') used.add(announcer);
  const vtysh = anycastdVtysh(rawServices, tables.frrouting, issues);
  if (vtysh !== undefined)
    tables.frrouting = { vtysh, ...(isTable(tables.frrouting) ? tables.frrouting : {}) };
  const out: RoutingDaemonConfig[] = [];
  // In a fixed order, so that a reload with the same file compares equal.
  for (const kind of ROUTING_DAEMON_KINDS) {
    const table = tables[kind];
    if (table === undefined && !used.has(kind)) continue;
    const definition = routingDaemons[kind];
    const settings = definition.parse(table ?? {}, ['announcers', kind], issues);
    if (settings === undefined) continue;
    definition.checkRoutes?.(
      settings,
      services.flatMap((s) =>
        s.config.prefixes.flatMap((p, i) =>
          p.announcer === kind
            ? [{ ...p, path: s.prefixPaths[i] ?? ['services', s.config.name] }]
            : [],
        ),
      ),
      issues,
    );
    out.push({ kind, settings });
  }
  return out;
}
