/**
 * Failover through each announcer, side by side in one run: how long from the moment a
 * service stops answering until its route is gone at the router, when anycast-guard
 * announces through its embedded speaker (bgp), or drives the node's BIRD, FRRouting,
 * GoBGP or ExaBGP. Same method as bench/failover.ts: one HTTP check, fall 1, rise 1,
 * hold-down 0, the service broken at a random phase of the check cycle (connection
 * refused), the end read from the BIRD router's own log line "<proto>.ipv4 > removed …
 * 203.0.113.80/32" (realtime clock, ms) and cross-checked by polling its control socket.
 *
 * Each announcer gets the lab its end-to-end test uses (test/e2e/announcers/*-lab.ts): the
 * routing daemon in the node namespace configured from examples/, peering with a BIRD
 * router in another namespace; for bgp, anycast-guard peers with the router itself.
 * Labs run one at a time and are torn down before the next.
 *
 * Usage: node dist/bench/failover-announcers.js [--runs N] [--intervals 0.1,1]
 *          [--only bgp,bird,frrouting,gobgp,exabgp]
 * Needs root (network namespaces), bird2, frr, gobgpd, exabgp.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ANNOUNCER_KINDS, type AnnouncerKind } from '../src/announcers/index.js';
import {
  labUnavailableReason,
  teardownScope,
  waitFor,
  type BirdControl,
  type BirdRouter,
  type Lab,
  type LabProcess,
  type TeardownScope,
} from '../test/lab/index.js';
import { birdRouteEvents, routerLab, startDaemon, type Node } from '../test/e2e/harness.js';
import { birdNodeLab } from '../test/e2e/announcers/bird-lab.js';
import { exabgpLab } from '../test/e2e/announcers/exabgp-lab.js';
import { frrLab } from '../test/e2e/announcers/frr-lab.js';
import { gobgpLab } from '../test/e2e/announcers/gobgp-lab.js';
import { meanAndSe, median, percentile, textTable } from './stats.js';

const PREFIX = '203.0.113.80/32';
const POLL_MS = 5;

/** One announcer's lab, ready: the daemon's stop, the router, the BIRD protocol to watch. */
interface Setup {
  lab: Lab;
  node: Node;
  router: BirdRouter;
  control: BirdControl;
  protocol: string;
  /** Stops anycast-guard (and what started it), withdrawing. */
  stop(): Promise<void>;
}

function apiSection(node: Node): string {
  return `[api]\nlisten = false\nsocket = "${node.apiDir}/control.sock"\nstate_dir = "${node.apiDir}"\n`;
}

function service(kind: AnnouncerKind, node: Node, interval: number, extra = ''): string {
  return `
[services.web]
prefixes.${kind} = ["${PREFIX.replace(/\/32$/, '')}"]
checks.http = [{ url = "${node.service.url}", interval = ${interval}, timeout = ${interval} }]
rise = 1
fall = 1
hold_down = 0
${extra}`;
}

async function stopDaemon(daemon: LabProcess): Promise<void> {
  daemon.signal('SIGTERM');
  const exit = await daemon.waitForExit(15_000);
  if (exit.code !== 0) throw new Error(`anycast-guard exited ${exit.code}: ${daemon.tail()}`);
}

async function setUp(kind: AnnouncerKind, scope: TeardownScope, interval: number): Promise<Setup> {
  switch (kind) {
    case 'bgp': {
      const { lab, node, router, control } = await routerLab(scope);
      const config = `${apiSection(node)}
[bgp]
asn = 65001
router_id = "${node.link.a.ipv4}"
[[bgp.peers]]
address = "${node.link.b.ipv4}"
asn = 65000
local_address = "${node.link.a.ipv4}"
connect_retry = 1
${service('bgp', node, interval)}`;
      const daemon = await startDaemon(lab, node, config);
      return {
        lab,
        node,
        router,
        control,
        protocol: node.protocol,
        stop: () => stopDaemon(daemon),
      };
    }
    case 'bird': {
      const { lab, node, router, nodeBird, ipv4File, ipv6File } = await birdNodeLab(scope);
      const control = await router.control();
      scope.after(() => control.close());
      const config = `${apiSection(node)}
[announcers.bird]
ipv4_file = "${ipv4File}"
ipv6_file = "${ipv6File}"
socket = "${nodeBird.ctlPath}"
${service('bird', node, interval, `addresses = ["${PREFIX.replace(/\/32$/, '')}"]`)}`;
      const daemon = await startDaemon(lab, node, config);
      return { lab, node, router, control, protocol: 'node4', stop: () => stopDaemon(daemon) };
    }
    case 'frrouting': {
      const { lab, node, frr, router, control } = await frrLab(scope);
      const config = `${apiSection(node)}
[announcers.frrouting]
pathspace = "${frr.pathspace}"
${service('frrouting', node, interval)}`;
      const daemon = await startDaemon(lab, node, config);
      return { lab, node, router, control, protocol: 'node1', stop: () => stopDaemon(daemon) };
    }
    case 'gobgp': {
      const { lab, node, gobgpd, router, control } = await gobgpLab(scope);
      const config = `${apiSection(node)}
[announcers.gobgp]
api = "127.0.0.1:${gobgpd.apiPort}"
${service('gobgp', node, interval)}`;
      const daemon = await startDaemon(lab, node, config);
      return { lab, node, router, control, protocol: 'node4', stop: () => stopDaemon(daemon) };
    }
    case 'exabgp': {
      // ExaBGP starts anycast-guard as its API process; stopping ExaBGP stops it.
      const { lab, node, exabgp, router, control } = await exabgpLab(
        scope,
        (n) => `${apiSection(n)}\n[announcers.exabgp]\n${service('exabgp', n, interval)}`,
      );
      return { lab, node, router, control, protocol: 'node4', stop: () => exabgp.stop() };
    }
  }
}

async function waitPath(setup: Setup, present: boolean): Promise<number> {
  await waitFor(
    async () => (await setup.control.paths(PREFIX)).includes(setup.protocol) === present,
    {
      what: `${PREFIX} from ${setup.protocol} ${present ? 'at' : 'gone from'} the router`,
      timeoutMs: 30_000,
      intervalMs: POLL_MS,
    },
  );
  return Date.now();
}

interface Round {
  brokeAt: number;
  withdrawnAt: number;
  polledGoneAt: number;
  mendedAt: number;
  announcedAt: number;
}

async function runPhase(kind: AnnouncerKind, interval: number, runs: number): Promise<Round[]> {
  const scope = teardownScope();
  const rounds: Round[] = [];
  try {
    const setup = await setUp(kind, scope, interval);
    try {
      await waitPath(setup, true);
      await delay(2 * interval * 1000 + 500); // steady state
      for (let i = 0; i < runs; i++) {
        await delay((interval + Math.random() * interval) * 1000 + 200);
        const { at: brokeAt } = await setup.node.service.break('refuse');
        const polledGoneAt = await waitPath(setup, false);
        const { at: mendedAt } = await setup.node.service.mend();
        await waitPath(setup, true);
        const events = (what: 'added' | 'removed') =>
          birdRouteEvents(setup.router, setup.protocol, what, PREFIX);
        const withdrawnAt = events('removed').find((t) => t >= brokeAt);
        const announcedAt = events('added').find((t) => t >= mendedAt);
        if (withdrawnAt === undefined || announcedAt === undefined)
          throw new Error(`${kind}: BIRD logged no withdrawal/announcement in round ${i + 1}`);
        if (withdrawnAt > polledGoneAt + 1)
          throw new Error(`${kind}: log time ${withdrawnAt} after poll ${polledGoneAt}`);
        rounds.push({ brokeAt, withdrawnAt, polledGoneAt, mendedAt, announcedAt });
        process.stderr.write(
          `  ${kind} ${interval} s round ${i + 1}/${runs}: ${withdrawnAt - brokeAt} ms\n`,
        );
      }
    } finally {
      await setup.stop();
    }
  } finally {
    await scope.run();
  }
  return rounds;
}

interface Summary {
  kind: AnnouncerKind;
  interval: number;
  n: number;
  medianMs: number;
  meanMs: number;
  seMs: number;
  p99Ms: number;
  recoveryMedianMs: number;
}

function summarise(kind: AnnouncerKind, interval: number, rounds: readonly Round[]): Summary {
  const failovers = rounds.map((r) => r.withdrawnAt - r.brokeAt).sort((a, b) => a - b);
  return {
    kind,
    interval,
    n: failovers.length,
    medianMs: median(failovers),
    ...meanAndSe(failovers),
    p99Ms: percentile(failovers, 99),
    recoveryMedianMs: median(rounds.map((r) => r.announcedAt - r.mendedAt)),
  };
}

function table(summaries: readonly Summary[]): string {
  const rows = summaries.map((s) => {
    const bgp = summaries.find((x) => x.kind === 'bgp' && x.interval === s.interval);
    return [
      s.kind,
      `${s.interval} s`,
      String(s.n),
      s.medianMs.toFixed(0),
      `${s.meanMs.toFixed(0)} ± ${s.seMs.toFixed(0)}`,
      s.p99Ms.toFixed(0),
      s.recoveryMedianMs.toFixed(0),
      bgp === undefined ? '-' : `${(s.meanMs / bgp.meanMs).toFixed(2)}x`,
    ];
  });
  return textTable([
    [
      'announcer',
      'interval',
      'n',
      'median ms',
      'mean ± se',
      'p99 ms',
      'recovery median',
      'mean vs bgp',
    ],
    ...rows,
  ]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '30' },
      intervals: { type: 'string', default: '0.1,1' },
      only: { type: 'string', default: ANNOUNCER_KINDS.join(',') },
    },
  });
  const runs = Number(values.runs);
  const intervals = values.intervals.split(',').map(Number);
  const kinds = values.only.split(',') as AnnouncerKind[];
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (intervals.some((i) => !(i > 0))) throw new Error('--intervals: positive seconds');
  if (kinds.some((k) => !(ANNOUNCER_KINDS as readonly string[]).includes(k)))
    throw new Error(`--only: ${ANNOUNCER_KINDS.join(', ')}`);
  const unavailable = await labUnavailableReason(['bird', 'frr', 'gobgp', 'exabgp']);
  if (unavailable !== undefined) {
    console.error(`failover-announcers benchmark: ${unavailable}`);
    process.exit(2);
  }
  const summaries: Summary[] = [];
  const phases: { kind: AnnouncerKind; interval: number; failoversMs: number[] }[] = [];
  for (const interval of intervals)
    for (const kind of kinds) {
      process.stderr.write(`${kind}, interval ${interval} s, ${runs} failovers\n`);
      const rounds = await runPhase(kind, interval, runs);
      summaries.push(summarise(kind, interval, rounds));
      phases.push({ kind, interval, failoversMs: rounds.map((r) => r.withdrawnAt - r.brokeAt) });
    }
  console.log(table(summaries));
  console.log(
    JSON.stringify({
      bench: 'failover-announcers',
      node: process.version,
      runs,
      summaries,
      phases,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
