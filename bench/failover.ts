/**
 * Failover benchmark: how long from the moment a service stops answering until its
 * anycast route is gone from the router, for anycast-guard (`anycast-guard run`, its own
 * BGP speaker) and for ExaBGP 4.2 driven by its healthcheck program, at check intervals
 * of 1 s and 0.1 s with fall 1 (rise 1, hold-down 0).
 *
 * Lab: namespace "node" holds the HTTP service (test/lab/http-service-process.ts on
 * 127.0.0.1:8080) and the tool under test; namespace "router" holds BIRD 2. Two veths
 * join them: anycast-guard talks to BIRD protocol "ours" over the first, ExaBGP to BIRD
 * protocol "exabgp" over the second. One tool runs at a time; both check the same
 * service the same way (HTTP GET /health, 2xx = healthy; curl -sf for ExaBGP).
 *
 * One failover: at a random phase of the check cycle the service is broken (by default
 * its listener is closed: connection refused). Start = the service's own clock when it
 * broke (Date.now(), CLOCK_REALTIME). End = BIRD's log line "<proto>.ipv4 > removed …
 * 203.0.113.80/32" (`debug { routes }`, `timeformat log "%s.%3f"`: the same realtime
 * clock, ms). The router's control socket is also polled every 5 ms until the path is
 * gone, as a cross-check (the log time must not be later than that poll). Then the
 * service is mended and the route awaited before the next round. See bench/README.md.
 *
 * Usage: node dist/bench/failover.js [--runs N] [--intervals 1,0.1]
 *          [--only anycast-guard,exabgp] [--break refuse|error|hang]
 * Needs root (network namespaces), bird2, exabgp and curl.
 */
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startExabgpHealthcheck, startOurDaemon } from './contenders.js';
import { meanAndSe, median, percentile, textTable } from './stats.js';
import { nodeConfigHead } from '../test/e2e/harness.js';
import {
  BIRD_TEST_TIMERS,
  Lab,
  LabUnavailable,
  checkLabPrerequisites,
  findExecutable,
  waitFor,
} from '../test/lab/index.js';
import type {
  BirdControl,
  BirdRouter,
  BreakMode,
  HttpService,
  Link,
  Namespace,
} from '../test/lab/index.js';

const NODE_AS = 65001;
const ROUTER_AS = 65000;
const PREFIX = '203.0.113.80/32';
const SERVICE_PORT = 8080;
const POLL_MS = 5;

type Tool = 'anycast-guard' | 'exabgp';
const TOOLS: readonly Tool[] = ['anycast-guard', 'exabgp'];
/** BIRD protocol name per tool. */
const PROTOCOL: Record<Tool, string> = { 'anycast-guard': 'ours', exabgp: 'exabgp' };

interface Round {
  /** Epoch ms: the service broke; BIRD logged the withdrawal; the poll saw it gone. */
  brokeAt: number;
  withdrawnAt: number;
  polledGoneAt: number;
  /** Epoch ms: the service was mended; BIRD logged the route again. */
  mendedAt: number;
  announcedAt: number;
  /** Epoch ms the service answered the first failing check (error / hang modes only). */
  firstFailAt?: number;
}

interface PhaseResult {
  tool: Tool;
  interval: number;
  rounds: Round[];
  /** Withdrawals BIRD logged outside any round (a flap while the service was healthy). */
  spuriousWithdrawals: number;
}

interface Summary {
  tool: Tool;
  interval: number;
  n: number;
  medianMs: number;
  /** Mean and its standard error: the median of so few uniform-phase samples is noisy. */
  meanMs: number;
  seMs: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  pollMedianMs: number;
  recoveryMedianMs: number;
  /** First failing answer → BIRD's removal: the tool's own reaction, without the check phase. */
  reactionMedianMs?: number;
  reactionP99Ms?: number;
  spuriousWithdrawals: number;
}

function routerConf(ours: Link, exa: Link): string {
  const protocol = (name: string, link: Link): string => `
protocol bgp ${name} {
  debug { states, routes };
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${NODE_AS};
  passive on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
}
`;
  return `router id ${ours.b.ipv4};\nprotocol device {}\n${protocol(PROTOCOL['anycast-guard'], ours)}${protocol(PROTOCOL.exabgp, exa)}`;
}

function oursConf(link: Link, service: HttpService, interval: number, apiDir: string): string {
  return `# failover benchmark: one service, one HTTP check, fall 1, rise 1, no hold-down
# (the API's socket and state in the lab's dir, not the host-wide defaults)
${nodeConfigHead(link, apiDir)}
[services.web]
prefixes = ["${PREFIX.replace(/\/32$/, '')}"]
checks.http = [{ url = "${service.url}", interval = ${interval}, timeout = ${interval} }]
rise = 1
fall = 1
hold_down = 0
`;
}

/** Epoch ms of BIRD log lines "<proto>.ipv4 > added|removed … PREFIX". */
function birdEvents(router: BirdRouter, protocol: string, what: 'added' | 'removed'): number[] {
  const re = new RegExp(
    `^(\\d+\\.\\d+) <TRACE> ${protocol}\\.ipv4 > ${what}\\b.* ${PREFIX.replace(/\./g, '\\.')} `,
  );
  return router
    .log()
    .split('\n')
    .flatMap((line) => {
      const match = re.exec(line);
      return match?.[1] ? [Math.round(Number(match[1]) * 1000)] : [];
    });
}

async function waitPath(
  control: BirdControl,
  protocol: string,
  present: boolean,
  timeoutMs = 30_000,
): Promise<number> {
  await waitFor(async () => (await control.paths(PREFIX)).includes(protocol) === present, {
    what: `${PREFIX} from ${protocol} ${present ? 'in' : 'gone from'} the router`,
    timeoutMs,
    intervalMs: POLL_MS,
  });
  return Date.now();
}

interface Tooling {
  lab: Lab;
  node: Namespace;
  oursLink: Link;
  exaLink: Link;
  router: BirdRouter;
  control: BirdControl;
  service: HttpService;
  mode: BreakMode;
}

/** Starts the tool; returns how to stop it. */
async function startTool(
  env: Tooling,
  tool: Tool,
  interval: number,
  tag: string,
): Promise<() => Promise<void>> {
  if (tool === 'anycast-guard') {
    const apiDir = join(env.lab.dir, `anycast-guard-${tag}-api`);
    return startOurDaemon(
      env.lab,
      env.node,
      tag,
      oursConf(env.oursLink, env.service, interval, apiDir),
    );
  }
  return startExabgpHealthcheck(env.lab, env.node, tag, {
    link: env.exaLink,
    localAs: NODE_AS,
    peerAs: ROUTER_AS,
    prefix: PREFIX,
    interval,
    command: `curl -sf -o /dev/null --max-time ${interval} ${env.service.url}`,
  });
}

async function runPhase(
  env: Tooling,
  tool: Tool,
  interval: number,
  runs: number,
): Promise<PhaseResult> {
  const protocol = PROTOCOL[tool];
  const tag = `${interval}s`.replace('.', 'p');
  const stop = await startTool(env, tool, interval, tag);
  const phaseStart = Date.now();
  const rounds: Round[] = [];
  try {
    await waitPath(env.control, protocol, true);
    await delay(2 * interval * 1000 + 500); // steady state
    for (let i = 0; i < runs; i++) {
      // A random phase within the check cycle, after at least one full healthy cycle.
      await delay((interval + Math.random() * interval) * 1000 + 200);
      const { at: brokeAt } = await env.service.break(env.mode);
      const polledGoneAt = await waitPath(env.control, protocol, false);
      const { firstFailAt } = await env.service.stats();
      const { at: mendedAt } = await env.service.mend();
      await waitPath(env.control, protocol, true);
      const withdrawnAt = birdEvents(env.router, protocol, 'removed').find((t) => t >= brokeAt);
      const announcedAt = birdEvents(env.router, protocol, 'added').find((t) => t >= mendedAt);
      if (withdrawnAt === undefined || announcedAt === undefined)
        throw new Error(`${tool}: BIRD logged no withdrawal/announcement in round ${i + 1}`);
      // The log is written when BIRD processes the UPDATE, before any poll can see it
      // (1 ms slack: the log truncates to ms).
      if (withdrawnAt > polledGoneAt + 1)
        throw new Error(`${tool}: log time ${withdrawnAt} after poll ${polledGoneAt}`);
      rounds.push({
        brokeAt,
        withdrawnAt,
        polledGoneAt,
        mendedAt,
        announcedAt,
        ...(firstFailAt === undefined ? {} : { firstFailAt }),
      });
      process.stderr.write(
        `  ${tool} ${interval} s round ${i + 1}/${runs}: ${withdrawnAt - brokeAt} ms (poll ${polledGoneAt - brokeAt} ms)\n`,
      );
    }
  } finally {
    await stop();
  }
  await waitPath(env.control, protocol, false);
  const inRounds = (t: number): boolean =>
    rounds.some((r) => t >= r.brokeAt && t <= r.polledGoneAt + 1);
  const spuriousWithdrawals = birdEvents(env.router, protocol, 'removed').filter(
    (t) => t >= phaseStart && t < (rounds.at(-1)?.announcedAt ?? 0) && !inRounds(t),
  ).length;
  return { tool, interval, rounds, spuriousWithdrawals };
}

function summarise(phase: PhaseResult): Summary {
  const failovers = phase.rounds.map((r) => r.withdrawnAt - r.brokeAt).sort((a, b) => a - b);
  const reactions = phase.rounds
    .flatMap((r) => (r.firstFailAt === undefined ? [] : [r.withdrawnAt - r.firstFailAt]))
    .sort((a, b) => a - b);
  const reaction =
    reactions.length === phase.rounds.length && reactions.length > 0
      ? { reactionMedianMs: median(reactions), reactionP99Ms: percentile(reactions, 99) }
      : {};
  return {
    tool: phase.tool,
    interval: phase.interval,
    n: failovers.length,
    medianMs: median(failovers),
    ...meanAndSe(failovers),
    p99Ms: percentile(failovers, 99),
    minMs: failovers[0] ?? Number.NaN,
    maxMs: failovers.at(-1) ?? Number.NaN,
    pollMedianMs: median(phase.rounds.map((r) => r.polledGoneAt - r.brokeAt)),
    recoveryMedianMs: median(phase.rounds.map((r) => r.announcedAt - r.mendedAt)),
    ...reaction,
    spuriousWithdrawals: phase.spuriousWithdrawals,
  };
}

function table(summaries: readonly Summary[]): string {
  const header = [
    'tool',
    'interval',
    'n',
    'median ms',
    'mean ± se',
    'p99 ms',
    'min–max ms',
    'poll median',
    'recovery median',
    'reaction median, p99',
    'ours/exabgp (median, p99)',
  ];
  const rows = summaries.map((s) => {
    const exa = summaries.find((x) => x.tool === 'exabgp' && x.interval === s.interval);
    const ratio =
      s.tool === 'anycast-guard' && exa
        ? `${(s.medianMs / exa.medianMs).toFixed(2)}x, ${(s.p99Ms / exa.p99Ms).toFixed(2)}x`
        : '-';
    return [
      s.tool,
      `${s.interval} s`,
      String(s.n),
      s.medianMs.toFixed(0),
      `${s.meanMs.toFixed(0)} ± ${s.seMs.toFixed(0)}`,
      s.p99Ms.toFixed(0),
      `${s.minMs}–${s.maxMs}`,
      s.pollMedianMs.toFixed(0),
      s.recoveryMedianMs.toFixed(0),
      s.reactionMedianMs === undefined
        ? '-'
        : `${s.reactionMedianMs.toFixed(0)}, ${(s.reactionP99Ms ?? 0).toFixed(0)}`,
      ratio,
    ];
  });
  return textTable([header, ...rows]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '50' },
      intervals: { type: 'string', default: '1,0.1' },
      only: { type: 'string', default: TOOLS.join(',') },
      break: { type: 'string', default: 'refuse' },
    },
  });
  const runs = Number(values.runs);
  const intervals = values.intervals.split(',').map(Number);
  const tools = values.only.split(',') as Tool[];
  const mode = values.break as BreakMode;
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (intervals.some((i) => !(i > 0))) throw new Error('--intervals: positive seconds');
  if (tools.some((t) => !TOOLS.includes(t))) throw new Error(`--only: ${TOOLS.join(', ')}`);
  if (!['refuse', 'error', 'hang'].includes(mode)) throw new Error('--break: refuse|error|hang');

  try {
    checkLabPrerequisites();
    for (const bin of ['bird', 'exabgp', 'curl'])
      if (!findExecutable(bin)) throw new LabUnavailable(`${bin} not found`);
  } catch (error) {
    console.error(`failover benchmark: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }

  const lab = await Lab.create();
  const summaries: Summary[] = [];
  const phases: PhaseResult[] = [];
  try {
    const node = await lab.namespace('node');
    const routerNs = await lab.namespace('router');
    const oursLink = await lab.link(node, routerNs);
    const exaLink = await lab.link(node, routerNs);
    const router = await lab.startBird(routerNs, routerConf(oursLink, exaLink));
    const service = await lab.startHttpService(node, { port: SERVICE_PORT });
    const control = await router.control();
    const env: Tooling = { lab, node, oursLink, exaLink, router, control, service, mode };
    try {
      for (const interval of intervals) {
        for (const tool of tools) {
          process.stderr.write(`${tool}, interval ${interval} s, ${runs} failovers\n`);
          const phase = await runPhase(env, tool, interval, runs);
          phases.push(phase);
          summaries.push(summarise(phase));
        }
      }
    } finally {
      control.close();
    }
  } finally {
    await lab.teardown();
  }

  console.log(table(summaries));
  console.log(
    JSON.stringify({
      bench: 'failover',
      node: process.version,
      break: mode,
      runs,
      summaries,
      phases: phases.map((p) => ({
        tool: p.tool,
        interval: p.interval,
        failoversMs: p.rounds.map((r) => r.withdrawnAt - r.brokeAt),
        pollMs: p.rounds.map((r) => r.polledGoneAt - r.brokeAt),
        recoveryMs: p.rounds.map((r) => r.announcedAt - r.mendedAt),
        reactionMs: p.rounds.flatMap((r) =>
          r.firstFailAt === undefined ? [] : [r.withdrawnAt - r.firstFailAt],
        ),
        spuriousWithdrawals: p.spuriousWithdrawals,
      })),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
