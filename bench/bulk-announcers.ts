/**
 * Bulk changes through each announcer, side by side in one run: a service with 1,000 (and
 * one with 10,000) IPv4 /32 prefixes goes down, then up again, and the time is measured
 * from that moment until the BIRD router has withdrawn (or has) every one of them, when
 * anycast-guard announces through its embedded speaker (bgp, the reference), or drives the
 * node's BIRD, FRRouting, GoBGP or ExaBGP.
 *
 * Same labs as bench/failover-announcers.ts (test/e2e/announcers/*-lab.ts: the routing
 * daemon in the node namespace configured from examples/, a BIRD router in another),
 * one lab per announcer, torn down before the next. Each service has its own HTTP check
 * (interval 0.1 s, fall 1, rise 1), so the time includes up to 0.1 s of check phase, the
 * same for every row. For BIRD the node's BIRD also gets a static protocol holding the
 * prefixes (a route to export, as `protocol direct` gives a bound address).
 *
 * Start: the moment the HTTP service was broken or mended (its own clock, epoch ms).
 * End: the first poll (every 20 ms, `show route protocol P count` on the router's control
 * socket) that sees the router's count of routes from the node at its expected value.
 *
 * Usage: node dist/bench/bulk-announcers.js [--runs N] [--sizes 1000,10000]
 *          [--only bgp,bird,frrouting,gobgp,exabgp]
 * Needs root (network namespaces), bird2, frr, gobgpd, exabgp.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ANNOUNCER_KINDS, type AnnouncerKind } from '../src/announcers/index.js';
import {
  labUnavailableReason,
  teardownScope,
  type BirdControl,
  type HttpService,
  type LabProcess,
  type TeardownScope,
} from '../test/lab/index.js';
import { routerLab, startDaemon, type Node } from '../test/e2e/harness.js';
import { birdNodeLab } from '../test/e2e/announcers/bird-lab.js';
import { exabgpLab } from '../test/e2e/announcers/exabgp-lab.js';
import { frrLab } from '../test/e2e/announcers/frr-lab.js';
import { gobgpLab } from '../test/e2e/announcers/gobgp-lab.js';
import { median, textTable } from './stats.js';

const POLL_MS = 20;
/** The services' HTTP ports in the node namespace (8080 is the lab's own service). */
const PORT = 8090;
const TIMEOUT_MS = 300_000;
/** Where each size's prefixes start: consecutive /32s, RFC 2544 range above the lab's links. */
const STARTS = ['198.18.16.0', '198.18.64.0'];

function hosts(start: string, count: number): string[] {
  const [a, b, c, d] = start.split('.').map(Number) as [number, number, number, number];
  const base = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
  return Array.from({ length: count }, (_, i) => {
    const v = base + i;
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  });
}

interface Group {
  size: number;
  prefixes: string[];
  service: HttpService;
}

interface Setup {
  control: BirdControl;
  /** The router's protocol that hears the node. */
  protocol: string;
  stop(): Promise<void>;
}

function apiSection(node: Node): string {
  return `[api]\nlisten = false\nsocket = "${node.apiDir}/control.sock"\nstate_dir = "${node.apiDir}"\n`;
}

function services(kind: AnnouncerKind, groups: readonly Group[]): string {
  return groups
    .map(
      (g) => `
[services.bulk${g.size}]
prefixes.${kind} = [${g.prefixes.map((p) => `"${p}"`).join(', ')}]
checks.http = [{ url = "${g.service.url}", interval = 0.1, timeout = 0.1 }]
rise = 1
fall = 1
hold_down = 0
`,
    )
    .join('');
}

async function stopDaemon(daemon: LabProcess): Promise<void> {
  daemon.signal('SIGTERM');
  await daemon.waitForExit(60_000);
}

async function httpServices(
  lab: {
    startHttpService: (ns: Node['ns'], o: { port: number; name: string }) => Promise<HttpService>;
  },
  node: Node,
  sizes: readonly number[],
): Promise<Group[]> {
  return Promise.all(
    sizes.map(async (size, i) => ({
      size,
      prefixes: hosts(STARTS[i] ?? '198.18.128.0', size),
      service: await lab.startHttpService(node.ns, { port: PORT + i, name: `bulk${size}` }),
    })),
  );
}

async function setUp(
  kind: AnnouncerKind,
  scope: TeardownScope,
  sizes: readonly number[],
): Promise<{ setup: Setup; groups: Group[] }> {
  switch (kind) {
    case 'bgp': {
      const { lab, node, control } = await routerLab(scope);
      const groups = await httpServices(lab, node, sizes);
      const daemon = await startDaemon(
        lab,
        node,
        `${apiSection(node)}
[bgp]
asn = 65001
router_id = "${node.link.a.ipv4}"
[[bgp.peers]]
address = "${node.link.b.ipv4}"
asn = 65000
local_address = "${node.link.a.ipv4}"
connect_retry = 1
${services('bgp', groups)}`,
      );
      return {
        setup: { control, protocol: node.protocol, stop: () => stopDaemon(daemon) },
        groups,
      };
    }
    case 'bird': {
      const all = sizes.flatMap((size, i) => hosts(STARTS[i] ?? '198.18.128.0', size));
      const statics = `\nprotocol static bulk4 {\n  ipv4;\n${all.map((p) => `  route ${p}/32 blackhole;`).join('\n')}\n}\n`;
      const { lab, node, router, nodeBird, ipv4File, ipv6File } = await birdNodeLab(scope, statics);
      const control = await router.control();
      scope.after(() => control.close());
      const groups = await httpServices(lab, node, sizes);
      const daemon = await startDaemon(
        lab,
        node,
        `${apiSection(node)}
[announcers.bird]
ipv4_file = "${ipv4File}"
ipv6_file = "${ipv6File}"
socket = "${nodeBird.ctlPath}"
${services('bird', groups)}`,
      );
      return { setup: { control, protocol: 'node4', stop: () => stopDaemon(daemon) }, groups };
    }
    case 'frrouting': {
      const { lab, node, frr, control } = await frrLab(scope);
      const groups = await httpServices(lab, node, sizes);
      const daemon = await startDaemon(
        lab,
        node,
        `${apiSection(node)}
[announcers.frrouting]
pathspace = "${frr.pathspace}"
${services('frrouting', groups)}`,
      );
      return { setup: { control, protocol: 'node1', stop: () => stopDaemon(daemon) }, groups };
    }
    case 'gobgp': {
      const { lab, node, gobgpd, control } = await gobgpLab(scope);
      const groups = await httpServices(lab, node, sizes);
      const daemon = await startDaemon(
        lab,
        node,
        `${apiSection(node)}
[announcers.gobgp]
api = "127.0.0.1:${gobgpd.apiPort}"
${services('gobgp', groups)}`,
      );
      return { setup: { control, protocol: 'node4', stop: () => stopDaemon(daemon) }, groups };
    }
    case 'exabgp': {
      // ExaBGP starts anycast-guard itself, before the HTTP services can be started in the
      // node namespace: the config names their fixed ports, and the checks pass once they run.
      const { lab, node, exabgp, control } = await exabgpLab(
        scope,
        (n) =>
          `${apiSection(n)}\n[announcers.exabgp]\n${services(
            'exabgp',
            sizes.map((size, i) => ({
              size,
              prefixes: hosts(STARTS[i] ?? '198.18.128.0', size),
              service: { url: `http://127.0.0.1:${PORT + i}/health` } as HttpService,
            })),
          )}`,
      );
      const groups = await httpServices(lab, node, sizes);
      return { setup: { control, protocol: 'node4', stop: () => exabgp.stop() }, groups };
    }
  }
}

async function routesFrom(control: BirdControl, protocol: string): Promise<number> {
  const text = await control.command(`show route protocol ${protocol} count`);
  // One line per table; BIRD adds a "Total: …" line when the protocol has several.
  let total = 0;
  for (const match of text.matchAll(/^\s*(\d+) of \d+ routes/gm)) total += Number(match[1]);
  return total;
}

/** Waits until the router has at least `wanted` routes from the node and the count holds for 1 s. */
async function settle(setup: Setup, wanted: number): Promise<{ count: number }> {
  const deadline = Date.now() + TIMEOUT_MS;
  let last = -1;
  for (;;) {
    const count = await routesFrom(setup.control, setup.protocol);
    if (count >= wanted && count === last) return { count };
    if (Date.now() > deadline) throw new Error(`router has ${count} routes, wanted ${wanted}`);
    last = count >= wanted ? count : -1;
    await delay(count >= wanted ? 1000 : POLL_MS);
  }
}

async function waitCount(setup: Setup, expected: number): Promise<number> {
  const deadline = Date.now() + TIMEOUT_MS;
  for (;;) {
    const started = performance.now();
    const count = await routesFrom(setup.control, setup.protocol);
    if (count === expected) return Date.now();
    if (Date.now() > deadline)
      throw new Error(`router has ${count} routes from ${setup.protocol}, not ${expected}`);
    await delay(Math.max(0, POLL_MS - (performance.now() - started)));
  }
}

interface Result {
  kind: AnnouncerKind;
  size: number;
  withdrawMs: number[];
  announceMs: number[];
}

async function runKind(
  kind: AnnouncerKind,
  sizes: readonly number[],
  runs: number,
): Promise<Result[]> {
  const scope = teardownScope();
  const results: Result[] = [];
  try {
    const { setup, groups } = await setUp(kind, scope, sizes);
    try {
      // The router may hear other routes from the node too (examples/frr.conf announces the
      // operator's own 198.51.100.0/24): counted once everything is up, then allowed for.
      const total = (
        await settle(
          setup,
          groups.reduce((n, g) => n + g.size, 0),
        )
      ).count;
      for (const group of groups) {
        const result: Result = { kind, size: group.size, withdrawMs: [], announceMs: [] };
        for (let i = 0; i < runs; i++) {
          await delay(300 + Math.random() * 100);
          const { at: brokeAt } = await group.service.break('refuse');
          result.withdrawMs.push((await waitCount(setup, total - group.size)) - brokeAt);
          await delay(300 + Math.random() * 100);
          const { at: mendedAt } = await group.service.mend();
          result.announceMs.push((await waitCount(setup, total)) - mendedAt);
          process.stderr.write(
            `  ${kind} ${group.size} routes, round ${i + 1}/${runs}: withdrawn in ${result.withdrawMs.at(-1)} ms, announced in ${result.announceMs.at(-1)} ms\n`,
          );
        }
        results.push(result);
      }
    } finally {
      await setup.stop();
    }
  } finally {
    await scope.run();
  }
  return results;
}

function table(results: readonly Result[]): string {
  const bgp = (size: number) => results.find((r) => r.kind === 'bgp' && r.size === size);
  const ratio = (value: number, reference: number | undefined): string =>
    reference === undefined ? '-' : `${(value / reference).toFixed(2)}x`;
  return textTable([
    [
      'announcer',
      'routes',
      'n',
      'withdrawn ms (median)',
      'vs bgp',
      'announced ms (median)',
      'vs bgp',
    ],
    ...results.map((r) => {
      const w = median(r.withdrawMs);
      const a = median(r.announceMs);
      const ref = bgp(r.size);
      return [
        r.kind,
        String(r.size),
        String(r.withdrawMs.length),
        w.toFixed(0),
        ratio(w, ref === undefined ? undefined : median(ref.withdrawMs)),
        a.toFixed(0),
        ratio(a, ref === undefined ? undefined : median(ref.announceMs)),
      ];
    }),
  ]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      sizes: { type: 'string', default: '1000,10000' },
      only: { type: 'string', default: ANNOUNCER_KINDS.join(',') },
    },
  });
  const runs = Number(values.runs);
  const sizes = values.sizes.split(',').map(Number);
  const kinds = values.only.split(',') as AnnouncerKind[];
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (
    sizes.length > STARTS.length ||
    sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 40_000)
  )
    throw new Error(`--sizes: up to ${STARTS.length} counts of 1 to 40000`);
  for (const kind of kinds)
    if (!ANNOUNCER_KINDS.includes(kind)) throw new Error(`--only: unknown announcer ${kind}`);
  const unavailable = await labUnavailableReason(['bird', 'frr', 'gobgp', 'exabgp']);
  if (unavailable !== undefined) {
    process.stderr.write(`${unavailable}\n`);
    process.exitCode = 2;
    return;
  }
  const results: Result[] = [];
  for (const kind of kinds) {
    process.stderr.write(`${kind}\n`);
    results.push(...(await runKind(kind, sizes, runs)));
  }
  process.stdout.write(`${table(results)}\n`);
  process.stdout.write(
    `${JSON.stringify({ bench: 'bulk-announcers', node: process.version, runs, sizes, results })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
