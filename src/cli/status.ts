/**
 * `anycast-guard status`: the running daemon's services and peers, as a table
 * that fits 80 columns, or the API's JSON with --json.
 */
import type { GuardView, StatusView } from '../api/index.js';
import type { BfdPeerStatus } from '../bfd/index.js';
import { callApi, type ApiTarget } from './api-client.js';

export const WIDTH = 80;

export async function runStatus(
  target: ApiTarget,
  options: { json: boolean; print: (text: string) => void },
): Promise<void> {
  const status = (await callApi(target, 'GET', '/v1/status')) as StatusView;
  options.print(options.json ? JSON.stringify(status, null, 2) : renderStatus(status, Date.now()));
}

/** "5s", "3m", "2h", "4d": how long ago (or how long for) `at` was. */
export function relative(at: number, now: number): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${pad(Math.floor(s / 60) % 60)}m`;
  return `${Math.floor(s / 86_400)}d${pad(Math.floor(s / 3600) % 24)}h`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function truncate(text: string, width: number): string {
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length <= width ? flat : `${flat.slice(0, Math.max(0, width - 1))}…`;
}

/** Left-aligned columns; the last column takes what is left of WIDTH and is truncated. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((r) => (i === header.length - 1 ? 0 : (r[i] ?? '').length))),
  );
  const fixed = widths.slice(0, -1).reduce((sum, w) => sum + w + 2, 0);
  const last = Math.max(8, WIDTH - fixed);
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) =>
        i === cells.length - 1
          ? truncate(c, last)
          : truncate(c, widths[i] ?? 0).padEnd(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

export function renderStatus(status: StatusView, now: number): string {
  const lines = [`node ${truncate(status.node, WIDTH - 5)}`, ''];
  // Held by ExaBGP with a configuration that does not load: the first thing to fix.
  if (status.configError !== undefined) {
    lines.push('! the configuration does not load: announcing nothing until a SIGHUP');
    lines.push('! finds it fixed:');
    for (const line of status.configError.split('\n').slice(0, 10))
      lines.push(truncate(`!   ${line}`, WIDTH));
    lines.push('');
  }
  if (status.services.length === 0) lines.push('no services');
  else {
    const rows = status.services.map((s) => [
      truncate(s.name, 20),
      // A graceful drain: how long until the withdrawal.
      s.drainingUntil === undefined
        ? s.state
        : `${s.state} (${Math.max(0, Math.ceil((s.drainingUntil - now) / 1000))} s left)`,
      relative(s.since, now),
      `${s.prefixes.filter((p) => p.announced && p.synced).length}/${s.prefixes.length}`,
      s.drained?.reason ?? s.reason,
    ]);
    const [header, ...body] = table(['SERVICE', 'STATE', 'SINCE', 'ANNOUNCED', 'REASON'], rows);
    lines.push(header ?? '');
    // Each service's row, then its prefixes: + announced, - withdrawn, and ~ for a change
    // its routing daemon has not taken yet (see the announcers below).
    status.services.forEach((s, i) => {
      lines.push(body[i] ?? '');
      const prefixes = s.prefixes
        .map((p) => `${p.synced ? (p.announced ? '+' : '-') : '~'}${prefixLabel(p)}`)
        .join(' ');
      lines.push(truncate(`  ${prefixes}`, WIDTH));
      // Kept announced though sick, so the fleet keeps its minimum: loud, with the count.
      if (s.state === 'guarded' && s.guard !== undefined)
        lines.push(truncate(`  ! ${describeGuard(s.guard)}`, WIDTH));
      // The daemon itself is short of descriptors or memory: say so under the service.
      for (const c of s.checks)
        if (c.daemonFault !== undefined)
          lines.push(
            truncate(
              `  ! ${c.name}: daemon fault ×${c.daemonFault.count} since ${relative(c.daemonFault.since, now)} ago, ${c.daemonFault.held ? 'state held' : 'counted as failing'}: ${c.last?.reason ?? ''}`,
              WIDTH,
            ),
          );
    });
  }
  lines.push('');
  if (status.peers.length === 0) lines.push('no BGP peers');
  else {
    const rows = status.peers.map((p) => [
      truncate(p.name, 20),
      truncate(p.address, 39),
      p.state,
      p.state === 'established' ? relative(p.since, now) : '-',
      `${p.prefixesSent} sent`,
    ]);
    const [header, ...body] = table(['PEER', 'ADDRESS', 'STATE', 'UPTIME', 'PREFIXES'], rows);
    lines.push(header ?? '');
    // Each peer's row, then why it is not up (e.g. no answer to TCP-MD5 signed connects)
    // or why a family is not exported: the reason an operator looks for first.
    status.peers.forEach((p, i) => {
      lines.push(body[i] ?? '');
      const problems = [
        ...(p.state === 'established' || p.connectProblem === undefined ? [] : [p.connectProblem]),
        ...p.exportProblems,
      ];
      for (const problem of problems) lines.push(truncate(`  ! ${problem}`, WIDTH));
      if (p.bfd !== undefined) lines.push(truncate(`  ${describeBfd(p.bfd)}`, WIDTH));
    });
  }
  // The embedded speaker is the peers above; routing daemons get their own lines.
  const daemons = status.announcers.filter((a) => a.kind !== 'bgp');
  if (daemons.length > 0) {
    lines.push('');
    const rows = daemons.map((a) => [
      a.kind,
      a.state,
      `${a.applied}/${a.wanted}`,
      a.lastError === undefined || a.state === 'in-sync'
        ? a.lastSyncAt === undefined
          ? '-'
          : `synced ${relative(Date.parse(a.lastSyncAt), now)} ago`
        : `${a.failures} failed${a.retryAt === undefined ? '' : `, retry in ${relative(now, Date.parse(a.retryAt))}`}: ${a.lastError.message}`,
    ]);
    lines.push(...table(['ANNOUNCER', 'STATE', 'ROUTES', 'LAST'], rows));
  }
  const directors = status.directors?.directors ?? [];
  if (status.directors !== undefined) {
    lines.push('');
    if (directors.length === 0)
      lines.push(
        `no directors known${status.directors.discoveryError === undefined ? '' : `: ${status.directors.discoveryError}`}`,
      );
    else
      lines.push(
        ...table(
          ['DIRECTOR', 'STATE', 'SENT', 'FAILURES'],
          directors.map((d) => [
            truncate(d.url, 40),
            d.healthy ? 'reachable' : d.failures > 0 ? 'failing' : 'not yet',
            String(d.sent),
            String(d.failures),
          ]),
        ),
      );
    const outside = status.directors.outside;
    if (outside !== undefined)
      lines.push(
        `from outside: ${outside.summary}${outside.unreachableFrom.length === 0 ? '' : ` (${outside.unreachableFrom.join(', ')})`}${outside.excluded ? ': clients are not sent here' : ''}`,
      );
  }
  return lines.join('\n');
}

/** "guarded (2 of 5 announcing, min 2): why", from the directors that answered. */
export function describeGuard(guard: GuardView): string {
  const count =
    guard.announcing === undefined || guard.total === undefined || guard.min === undefined
      ? 'no director answered'
      : `${guard.announcing} of ${guard.total} announcing, min ${guard.min}`;
  return `guarded (${count}): ${guard.reason}`;
}

/** "203.0.113.53/32", or with its announcer when that is not the embedded speaker. */
function prefixLabel(p: StatusView['services'][number]['prefixes'][number]): string {
  const route = p.vrf === undefined ? p.prefix : `${p.prefix}%${p.vrf}`;
  return p.announcer === 'bgp' ? route : `${route}@${p.announcer}`;
}

/** One line per peer with BFD: state, agreed timers, flaps, why it last went down. */
export function describeBfd(bfd: BfdPeerStatus): string {
  const parts = [`BFD ${bfd.state}`];
  // The agreed intervals and the router's multiplier: our detection time is rx times it.
  if (bfd.answering)
    parts.push(`tx/rx ${bfd.txIntervalMs}/${bfd.rxIntervalMs} ms x ${bfd.remoteMultiplier}`);
  else parts.push('the router is not answering');
  if (bfd.holdsBgpDown) parts.push('holding BGP down');
  parts.push(`${bfd.flaps} flap${bfd.flaps === 1 ? '' : 's'}`);
  if (bfd.lastDiagnostic !== undefined) parts.push(`last: ${bfd.lastDiagnostic}`);
  if (bfd.error !== undefined) parts.push(`! ${bfd.error}`);
  return parts.join(', ');
}
