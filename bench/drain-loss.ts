/**
 * Drain loss benchmark (issue 16): how many DNS queries a planned maintenance loses, with
 * a graceful drain (RFC 8326 GRACEFUL_SHUTDOWN, then withdraw, then stop the service) and
 * with today's best plain way (stop the service; the health check withdraws).
 *
 * Lab, fresh for every run:
 *
 *   client ──veth── router (BIRD 2, kernel export, forwarding) ──veth── node1
 *                                                            └──veth── node2
 *
 * node1 and node2 each run `anycast-guard run` (embedded speaker, one eBGP session to the
 * router) announcing 203.0.113.53/32 while a DNS check of their own responder passes
 * (interval 0.2 s, rise 1, fall 1, hold-down 0), and a tiny DNS responder
 * (bench/drain-loss-dns.ts) on 127.0.0.1 and 203.0.113.53. node2 has `up = { prepend = 1 }`,
 * so the router prefers node1 and node2 is the standby. The router's import filter sets
 * LOCAL_PREF 0 on routes with (65535, 0), as RFC 8326 section 4 asks of receivers.
 * The client sends A queries to 203.0.113.53 at --rate per second, each with its own name,
 * and counts the answers.
 *
 * One run of a scenario, after 1 s of traffic:
 * - graceful: `anycast-guard drain dns --graceful --wait W --wait-until-withdrawn` on node1,
 *   then node1's responder is stopped (SIGTERM);
 * - plain: node1's responder is stopped; its health check fails and withdraws.
 * Then 2 s more of traffic, and the client reports what it sent and what was answered
 * (late answers are waited for 1 s). Lost = sent − answered, over the whole run.
 * "node1 answered" (from node1's responder) shows node1 carried the traffic before.
 *
 * Usage: node dist/bench/drain-loss.js [--runs N] [--rate 1000] [--wait 3]
 * Needs root (network namespaces) and bird2. Exit status 2 when the lab cannot run.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, textTable } from './stats.js';
import { nodeConfigHead } from '../test/e2e/harness.js';
import {
  BIRD_TEST_TIMERS,
  Lab,
  LabUnavailable,
  checkLabPrerequisites,
  findExecutable,
  waitFor,
} from '../test/lab/index.js';
import type { BirdControl, LabProcess, Link, Namespace } from '../test/lab/index.js';

const NODE_AS = 65001;
const ROUTER_AS = 65000;
const ANYCAST = '203.0.113.53';
const PREFIX = `${ANYCAST}/32`;
const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const DNS = fileURLToPath(new URL('./drain-loss-dns.js', import.meta.url));

type Scenario = 'graceful' | 'plain';
const SCENARIOS: readonly Scenario[] = ['graceful', 'plain'];

interface RunResult {
  scenario: Scenario;
  sent: number;
  answered: number;
  lost: number;
  /** The first lost query numbers (ms into the run, at 1 per 1000/rate ms). */
  lostSeqs: number[];
  /** Queries node1's responder answered on the anycast address before it stopped. */
  node1Answered: number;
}

function routerConf(links: readonly Link[]): string {
  const protocols = links.map(
    (link, i) => `
protocol bgp node${i + 1} {
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${NODE_AS};
  passive on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import filter from_nodes; export none; };
}
`,
  );
  return `router id ${links[0]!.b.ipv4};
protocol device {}
protocol kernel { ipv4 { export all; }; }
# RFC 8326 section 4: a receiver lowers a GRACEFUL_SHUTDOWN route's LOCAL_PREF to 0.
filter from_nodes {
  if (65535, 0) ~ bgp_community then bgp_local_pref = 0;
  accept;
}
${protocols.join('')}`;
}

function nodeConf(link: Link, apiDir: string, standby: boolean): string {
  return `${nodeConfigHead(link, apiDir)}
[services.dns]
prefixes = ["${ANYCAST}"]
addresses = ["${ANYCAST}"]
checks.dns = [{ server = "127.0.0.1", name = "check.bench", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
${standby ? 'up = { prepend = 1 }\n' : ''}`;
}

function cli(args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 120_000 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`anycast-guard ${args.join(' ')}: ${stderr || error.message}`));
    });
  });
}

/** Which node BIRD prefers for the anycast prefix now (its protocol name), if any. */
async function bestFrom(control: BirdControl): Promise<string | undefined> {
  // BIRD lists the best path first.
  return (await control.paths(PREFIX))[0];
}

async function runOnce(scenario: Scenario, rate: number, wait: number): Promise<RunResult> {
  const lab = await Lab.create();
  try {
    const routerNs = await lab.namespace('router');
    const clientNs = await lab.namespace('client');
    const nodes: Namespace[] = [await lab.namespace('node1'), await lab.namespace('node2')];
    const links: Link[] = [];
    for (const ns of nodes) links.push(await lab.link(ns, routerNs));
    const clientLink = await lab.link(clientNs, routerNs);
    await lab.exec(routerNs, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']);
    await lab.exec(clientNs, ['ip', 'route', 'add', '203.0.113.0/24', 'via', clientLink.b.ipv4]);
    const bird = await lab.startBird(routerNs, routerConf(links));
    const control = await bird.control();
    const responders: LabProcess[] = [];
    try {
      for (const [i, ns] of nodes.entries()) {
        const link = links[i]!;
        await lab.exec(ns, ['ip', 'route', 'add', 'default', 'via', link.b.ipv4]);
        // There before the responder binds it; the daemon leaves an address it did not add.
        await lab.exec(ns, ['ip', 'addr', 'add', PREFIX, 'dev', 'lo']);
        const responder = await lab.spawn(ns, {
          name: `dns${i + 1}`,
          argv: [process.execPath, DNS, 'serve', '53', '127.0.0.1', ANYCAST],
        });
        await responder.waitForJson((r) => r.event === 'listening', { what: 'responder' });
        responders.push(responder);
        const apiDir = join(lab.dir, `node${i + 1}`);
        const configPath = join(lab.dir, `node${i + 1}.toml`);
        writeFileSync(configPath, nodeConf(link, apiDir, i === 1));
        await lab.spawn(ns, {
          name: `node${i + 1}-daemon`,
          argv: [process.execPath, CLI, 'run', '--config', configPath],
        });
      }
      await waitFor(() => control.paths(PREFIX), {
        what: 'both nodes’ paths at the router',
        until: (paths) => paths.includes('node1') && paths.includes('node2'),
        timeoutMs: 30_000,
      });
      await waitFor(() => bestFrom(control), {
        what: 'node1 preferred',
        until: (best) => best === 'node1',
        timeoutMs: 10_000,
      });

      const client = await lab.spawn(clientNs, {
        name: 'client',
        argv: [process.execPath, DNS, 'query', ANYCAST, '53', String(rate)],
      });
      await client.waitForJson((r) => r.event === 'sending', { what: 'client' });
      await delay(1000);
      const socket = join(lab.dir, 'node1', 'control.sock');
      if (scenario === 'graceful') {
        await cli([
          'drain',
          'dns',
          '--socket',
          socket,
          '--reason',
          'bench',
          '--graceful',
          '--wait',
          String(wait),
          '--wait-until-withdrawn',
        ]);
        responders[0]!.signal('SIGTERM');
      } else {
        responders[0]!.signal('SIGTERM');
        await waitFor(() => control.paths(PREFIX), {
          what: 'node1’s path withdrawn',
          until: (paths) => !paths.includes('node1'),
          timeoutMs: 30_000,
        });
      }
      const stopped = await responders[0]!.waitForJson((r) => r.event === 'stopped', {
        what: 'node1’s responder totals',
      });
      await delay(2000);
      client.signal('SIGTERM');
      const done = await client.waitForJson((r) => r.event === 'done', { what: 'client totals' });
      return {
        scenario,
        sent: Number(done.sent),
        answered: Number(done.answered),
        lost: Number(done.lost),
        lostSeqs: (done.lostSeqs as number[] | undefined) ?? [],
        node1Answered: (stopped.answered as Record<string, number> | undefined)?.[ANYCAST] ?? 0,
      };
    } finally {
      control.close();
    }
  } finally {
    await lab.teardown();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      rate: { type: 'string', default: '1000' },
      wait: { type: 'string', default: '3' },
    },
  });
  const runs = Number(values.runs);
  const rate = Number(values.rate);
  const wait = Number(values.wait);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  if (!(rate > 0 && rate <= 20_000)) throw new Error('--rate: 1 to 20000 queries per second');
  if (!(wait > 0 && wait <= 3600)) throw new Error('--wait: seconds, more than 0');
  try {
    checkLabPrerequisites();
    if (!findExecutable('bird')) throw new LabUnavailable('bird not found');
  } catch (error) {
    console.error(
      `drain-loss benchmark: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(2);
  }

  const results: RunResult[] = [];
  for (let run = 1; run <= runs; run++)
    for (const scenario of SCENARIOS) {
      process.stderr.write(`run ${run}/${runs}: ${scenario}\n`);
      results.push(await runOnce(scenario, rate, wait));
    }

  const by = (s: Scenario) => results.filter((r) => r.scenario === s);
  const plainMedian = median(by('plain').map((r) => r.lost));
  const rows = SCENARIOS.map((s) => {
    const lost = by(s).map((r) => r.lost);
    return [
      s,
      String(Math.round(median(by(s).map((r) => r.node1Answered)))),
      String(median(lost)),
      lost.join(' '),
      String(Math.round(median(by(s).map((r) => r.sent)))),
      plainMedian > 0 ? (median(lost) / plainMedian).toFixed(2) : '-',
    ];
  });
  console.log(
    textTable([
      [
        'scenario',
        'node1 answered (median)',
        'lost (median)',
        'lost per run',
        'sent (median)',
        'vs plain',
      ],
      ...rows,
    ]),
  );
  console.log(
    JSON.stringify({ bench: 'drain-loss', node: process.version, rate, wait, runs, results }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
