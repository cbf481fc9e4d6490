/**
 * Transfer benchmark: time from Established until 100,000 IPv4 /32 and 20,000 IPv6 /128
 * prefixes are in a BIRD 2 router's tables, for three senders, each against a fresh
 * router in a fresh lab:
 *
 *   anycast-guard  our speaker (child process in the sender namespace) run as the daemon
 *                  runs (run's modules, the CLI's node flags), routes announced before
 *                  the router starts
 *   bird           BIRD 2 with a static protocol holding the same routes
 *   gobgp          gobgpd with the routes injected from an MRT table dump before the
 *                  neighbour is added
 *
 * Start: the router's own log line "BGP session established" (BIRD, ms timestamps).
 * End: the first 20 ms poll of the router (`show route table master4|master6 count`
 * over a persistent control-socket connection) that sees both tables complete.
 * Also reported: each sender's CPU time over the transfer and its peak RSS.
 * See bench/README.md for the details and caveats.
 *
 * Usage: node dist/bench/transfer.js [--runs N] [--ipv4 N] [--ipv6 N] [--no-idle-bird]
 *          [--only anycast-guard,bird,bird-idle,gobgp]
 * Needs root (network namespaces).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  BIRD_TEST_TIMERS,
  Lab,
  LabUnavailable,
  checkLabPrerequisites,
  findExecutable,
  waitFor,
} from '../test/lab/index.js';
import type { BirdControl, BirdRouter, GobgpRouter, Link } from '../test/lab/index.js';
import { tableDump } from './mrt.js';
import { median } from './stats.js';

const SENDER_AS = 65001;
const ROUTER_AS = 65000;
const IPV4_START = '198.18.16.0'; // RFC 2544 range, above the lab's link addresses
const IPV6_START = '2001:db8:b::';
const POLL_MS = 20;
const TIMEOUT_MS = 300_000;
/** RIB records repeated at the end of each MRT file (see mrt.ts tableDump). */
const MRT_REPEAT_TAIL = 4096;

type SenderKind = 'anycast-guard' | 'bird' | 'bird-idle' | 'gobgp';

interface RunResult {
  sender: SenderKind;
  seconds: number;
  /** Epoch ms: the router logged Established; the poll saw both tables complete. */
  establishedAt: number;
  doneAt: number;
  /** The sender's own clock for Established, when it reports one (our speaker). */
  senderEstablishedAt?: number;
  updatesSent?: number;
  vmHwmKb?: number;
  /** CPU time the sender process used from before the router started until the end. */
  cpuMs?: number;
}

interface Sizes {
  ipv4: number;
  ipv6: number;
}

function routerConf(link: Link): string {
  return `
router id ${link.b.ipv4};
protocol device {}
protocol bgp sender {
  debug { states, events };
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${SENDER_AS};
  passive on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`;
}

/** Epoch ms of the router's "sender: BGP session established" log line. */
function establishedFromLog(router: BirdRouter): number {
  const lines = router.log().split('\n');
  const line = lines.findLast((l) => /<TRACE> sender: BGP session established/.test(l));
  const match = line ? /^(\d+\.\d+) /.exec(line) : null;
  if (!match?.[1])
    throw new Error(
      `no "BGP session established" in the router's log:\n${lines.slice(-20).join('\n')}`,
    );
  return Number(match[1]) * 1000;
}

function countIn(text: string): number {
  const match = /(\d+) of \d+ routes/.exec(text);
  if (!match) throw new Error(`no count in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/** Polls the router every POLL_MS until both tables are complete; returns the epoch ms of that poll. */
async function pollUntilComplete(
  control: BirdControl,
  sizes: Sizes,
  also?: () => Promise<unknown>,
): Promise<number> {
  const deadline = performance.now() + TIMEOUT_MS;
  for (;;) {
    const started = performance.now();
    const [v4, v6] = await Promise.all([
      control.command('show route table master4 count').then(countIn),
      control.command('show route table master6 count').then(countIn),
      also?.(),
    ]);
    if (v4 === sizes.ipv4 && v6 === sizes.ipv6) return Date.now();
    if (started > deadline) {
      throw new Error(`router tables incomplete after ${TIMEOUT_MS} ms: ${v4} + ${v6}`);
    }
    await delay(Math.max(0, POLL_MS - (performance.now() - started)));
  }
}

function procHwmKb(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process so far (/proc/PID/stat, in clock ticks of 10 ms). */
function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14, 15)
  } catch {
    return undefined;
  }
}

function cpuSince(pid: number | undefined, before: number | undefined): { cpuMs?: number } {
  const after = procCpuMs(pid);
  return before === undefined || after === undefined ? {} : { cpuMs: after - before };
}

async function freshLab(): Promise<{ lab: Lab; link: Link }> {
  const lab = await Lab.create();
  const sender = await lab.namespace('sender');
  const router = await lab.namespace('router');
  return { lab, link: await lab.link(sender, router) };
}

async function measure(
  router: BirdRouter,
  sizes: Sizes,
  also?: () => Promise<unknown>,
): Promise<{ establishedAt: number; doneAt: number }> {
  const control = await router.control();
  try {
    const doneAt = await pollUntilComplete(control, sizes, also);
    return { establishedAt: establishedFromLog(router), doneAt };
  } finally {
    control.close();
  }
}

async function runOurs(sizes: Sizes): Promise<RunResult> {
  const { lab, link } = await freshLab();
  try {
    const speaker = await lab.startSpeaker(link.a.ns, {
      logLevel: 'warn',
      asDaemon: true,
      speaker: {
        asn: SENDER_AS,
        routerId: link.a.ipv4,
        peers: [
          {
            name: 'router',
            address: link.b.ipv4,
            asn: ROUTER_AS,
            localAddress: link.a.ipv4,
            connectRetry: 1,
            maxConnectRetry: 1,
          },
        ],
      },
    });
    await speaker.announceRange(IPV4_START, sizes.ipv4);
    await speaker.announceRange(IPV6_START, sizes.ipv6);
    // `ip netns exec` execs node: the child's pid is the speaker's.
    const cpuBefore = procCpuMs(speaker.pid);
    const router = await lab.startBird(link.b.ns, routerConf(link));
    const { establishedAt, doneAt } = await measure(router, sizes);
    const cpu = cpuSince(speaker.pid, cpuBefore);
    const status = await speaker.peerStatus('router');
    const own = speaker.peerStates.findLast((e) => e.status.state === 'established');
    const exit = await speaker.shutdown('benchmark done');
    const result: RunResult = {
      sender: 'anycast-guard',
      seconds: (doneAt - establishedAt) / 1000,
      establishedAt,
      doneAt,
      updatesSent: status.updatesSent,
      ...cpu,
    };
    if (own) result.senderEstablishedAt = own.at;
    if (exit.vmHwmKb !== undefined) result.vmHwmKb = exit.vmHwmKb;
    return result;
  } finally {
    await lab.teardown();
  }
}

function birdSenderConf(link: Link, sizes: Sizes): string {
  const routes = (start: string, count: number, ipv6: boolean): string => {
    const out: string[] = [];
    const base = ipv6 ? 0n : ipv4ToInt(start);
    for (let i = 0; i < count; i++) {
      out.push(
        ipv6
          ? `  route ${start}${i.toString(16)}/128 blackhole;`
          : `  route ${intToIpv4(Number(base) + i)}/32 blackhole;`,
      );
    }
    return out.join('\n');
  };
  if (sizes.ipv6 > 0xffff) throw new Error('ipv6 count above 65535 needs a wider generator');
  return `
router id ${link.a.ipv4};
protocol device {}
protocol static s4 {
  ipv4;
${routes(IPV4_START, sizes.ipv4, false)}
}
protocol static s6 {
  ipv6;
${routes(IPV6_START, sizes.ipv6, true)}
}
protocol bgp to_router {
  local ${link.a.ipv4} as ${SENDER_AS};
  neighbor ${link.b.ipv4} as ${ROUTER_AS};
  ${BIRD_TEST_TIMERS}
  ipv4 { import none; export all; };
  ipv6 { import none; export all; next hop address ${link.a.ipv6}; };
}
`;
}

function ipv4ToInt(address: string): bigint {
  return BigInt(address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0));
}

function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * BIRD as sender. With `wake`, the sender's control socket is also polled every 20 ms:
 * BIRD 2.0.12's main loop can sleep up to 3 s before running work queued from socket
 * hooks (its idle poll timeout), which delays the first UPDATE after Established by a
 * random 0–3 s that has nothing to do with transfer speed. Without `wake` that delay is
 * measured as it happens.
 */
async function runBird(sizes: Sizes, wake: boolean): Promise<RunResult> {
  const { lab, link } = await freshLab();
  try {
    const sender = await lab.startBird(link.a.ns, birdSenderConf(link, sizes), { name: 'sender' });
    await waitFor(async () => [await sender.count('ipv4'), await sender.count('ipv6')], {
      what: 'BIRD sender tables loaded',
      until: ([v4, v6]) => v4 === sizes.ipv4 && v6 === sizes.ipv6,
      timeoutMs: 120_000,
    });
    const senderControl = wake ? await sender.control() : undefined;
    try {
      const pid = sender.pids()[0];
      const cpuBefore = procCpuMs(pid);
      const router = await lab.startBird(link.b.ns, routerConf(link));
      const { establishedAt, doneAt } = await measure(
        router,
        sizes,
        senderControl ? () => senderControl.command('show status') : undefined,
      );
      const result: RunResult = {
        sender: wake ? 'bird' : 'bird-idle',
        seconds: (doneAt - establishedAt) / 1000,
        establishedAt,
        doneAt,
        ...cpuSince(pid, cpuBefore),
      };
      const hwm = pid === undefined ? undefined : procHwmKb(pid);
      if (hwm !== undefined) result.vmHwmKb = hwm;
      return result;
    } finally {
      senderControl?.close();
    }
  } finally {
    await lab.teardown();
  }
}

/** Injects an MRT file until GoBGP's table holds `want` prefixes of the family (see README: gobgp 3.10 can drop a stream's tail). */
async function injectComplete(
  gobgp: GobgpRouter,
  file: string,
  family: 'ipv4' | 'ipv6',
  want: number,
): Promise<void> {
  if (want === 0) return;
  for (let attempt = 1; attempt <= 5; attempt++) {
    await gobgp.gobgp(['mrt', 'inject', 'global', file]);
    let previous = -1;
    const count = await waitFor(() => gobgp.count(family), {
      what: `gobgp ${family} table settled after inject`,
      // Settled: complete, or unchanged over one 500 ms poll.
      until: (n) => {
        const settled = n === want || n === previous;
        previous = n;
        return settled;
      },
      intervalMs: 500,
      timeoutMs: 120_000,
    });
    if (count === want) return;
  }
  throw new Error(`gobgp ${family} table incomplete after 5 injections`);
}

async function runGobgp(sizes: Sizes): Promise<RunResult> {
  const { lab, link } = await freshLab();
  try {
    const gobgp = await lab.startGobgp(
      link.a.ns,
      `[global.config]
  as = ${SENDER_AS}
  router-id = "${link.a.ipv4}"
  local-address-list = ["${link.a.ipv4}"]
`,
      { name: 'sender' },
    );
    const peer = { routerId: link.a.ipv4, address: link.a.ipv4, asn: SENDER_AS };
    const v4File = join(lab.dir, 'ipv4.mrt');
    const v6File = join(lab.dir, 'ipv6.mrt');
    writeFileSync(
      v4File,
      tableDump(
        link.a.ipv4,
        peer,
        [{ start: IPV4_START, count: sizes.ipv4, nextHop: link.a.ipv4 }],
        MRT_REPEAT_TAIL,
      ),
    );
    writeFileSync(
      v6File,
      tableDump(
        link.a.ipv4,
        peer,
        [{ start: IPV6_START, count: sizes.ipv6, nextHop: link.a.ipv6 }],
        MRT_REPEAT_TAIL,
      ),
    );
    await injectComplete(gobgp, v4File, 'ipv4', sizes.ipv4);
    await injectComplete(gobgp, v6File, 'ipv6', sizes.ipv6);
    const pid = gobgp.pids()[0];
    const cpuBefore = procCpuMs(pid);
    const router = await lab.startBird(link.b.ns, routerConf(link));
    await gobgp.gobgp([
      'neighbor',
      'add',
      link.b.ipv4,
      'as',
      String(ROUTER_AS),
      'family',
      'ipv4-unicast,ipv6-unicast',
    ]);
    const { establishedAt, doneAt } = await measure(router, sizes);
    const result: RunResult = {
      sender: 'gobgp',
      seconds: (doneAt - establishedAt) / 1000,
      establishedAt,
      doneAt,
      ...cpuSince(pid, cpuBefore),
    };
    const hwm = pid === undefined ? undefined : procHwmKb(pid);
    if (hwm !== undefined) result.vmHwmKb = hwm;
    return result;
  } finally {
    await lab.teardown();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '3' },
      ipv4: { type: 'string', default: '100000' },
      ipv6: { type: 'string', default: '20000' },
      'no-idle-bird': { type: 'boolean', default: false },
      only: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const sizes: Sizes = { ipv4: Number(values.ipv4), ipv6: Number(values.ipv6) };
  if (!(runs >= 1) || !(sizes.ipv4 >= 1) || !(sizes.ipv6 >= 0))
    throw new Error('bad --runs/--ipv4/--ipv6');
  if (sizes.ipv4 > 2 ** 24) throw new Error('--ipv4 must stay inside 198.18.16.0 – 198.19.255.255');

  try {
    checkLabPrerequisites();
  } catch (error) {
    if (error instanceof LabUnavailable) {
      console.error(`bench/transfer: ${error.message}. Run it as root: sudo npm run bench`);
      process.exit(2);
    }
    throw error;
  }
  const missing = ['bird', 'birdc', 'gobgpd', 'gobgp'].filter((bin) => !findExecutable(bin));
  if (missing.length > 0) {
    console.error(
      `bench/transfer: missing ${missing.join(', ')} (Debian: apt-get install bird2 gobgpd)`,
    );
    process.exit(2);
  }

  const everySender: SenderKind[] = ['anycast-guard', 'bird', 'bird-idle', 'gobgp'];
  const senders = everySender.filter(
    (s) =>
      (values.only === undefined || values.only.split(',').includes(s)) &&
      !(s === 'bird-idle' && values['no-idle-bird']),
  );
  if (senders.length === 0) throw new Error(`--only: choose from ${everySender.join(', ')}`);
  const all: RunResult[] = [];
  for (let run = 1; run <= runs; run++) {
    for (const sender of senders) {
      const result =
        sender === 'anycast-guard'
          ? await runOurs(sizes)
          : sender === 'gobgp'
            ? await runGobgp(sizes)
            : await runBird(sizes, sender === 'bird');
      all.push(result);
      console.error(`run ${run}/${runs} ${sender}: ${result.seconds.toFixed(3)} s`);
    }
  }

  const birdMedian = median(all.filter((r) => r.sender === 'bird').map((r) => r.seconds));
  const summary = senders.map((sender) => {
    const mine = all.filter((r) => r.sender === sender);
    const seconds = median(mine.map((r) => r.seconds));
    const hwm = mine.map((r) => r.vmHwmKb).filter((v): v is number => v !== undefined);
    const updates = mine.map((r) => r.updatesSent).filter((v): v is number => v !== undefined);
    const cpu = mine.map((r) => r.cpuMs).filter((v): v is number => v !== undefined);
    return {
      sender,
      seconds: Number(seconds.toFixed(3)),
      runs: mine.map((r) => Number(r.seconds.toFixed(3))),
      ...(Number.isFinite(birdMedian)
        ? { ratioToBird: Number((seconds / birdMedian).toFixed(2)) }
        : {}),
      ...(hwm.length ? { peakRssMb: Number((Math.max(...hwm) / 1024).toFixed(1)) } : {}),
      ...(updates.length ? { updatesSent: Math.round(median(updates)) } : {}),
      ...(cpu.length ? { cpuMs: Math.round(median(cpu)) } : {}),
    };
  });

  const header = [
    'sender',
    'seconds (median)',
    'runs',
    'vs bird',
    'sender CPU',
    'peak RSS',
    'UPDATEs sent',
  ];
  const rows = summary.map((s) => [
    s.sender,
    s.seconds.toFixed(3),
    s.runs.map((v) => v.toFixed(2)).join(' '),
    s.ratioToBird === undefined ? '-' : `${s.ratioToBird.toFixed(2)}x`,
    s.cpuMs === undefined ? '-' : `${s.cpuMs} ms`,
    s.peakRssMb === undefined ? '-' : `${s.peakRssMb} MB`,
    s.updatesSent === undefined ? '-' : String(s.updatesSent),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(
    `Transfer of ${sizes.ipv4} IPv4 /32 + ${sizes.ipv6} IPv6 /128 to a BIRD 2 router, Established → both tables complete (${runs} run${runs > 1 ? 's' : ''}, ${POLL_MS} ms polls)`,
  );
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  console.log(
    JSON.stringify({
      bench: 'transfer',
      ipv4: sizes.ipv4,
      ipv6: sizes.ipv6,
      runs,
      pollMs: POLL_MS,
      node: process.version,
      results: summary,
      raw: all,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
