/**
 * BFD, issue 13. Two parts, side by side in one run.
 *
 * 1. Fault to route gone: the node's link goes silent (the bridge's node-side port
 *    disabled, test/lab/bridge.ts: the router keeps its carrier) and we time how long
 *    until the route is gone at a BIRD 2 router, for
 *      (a) anycast-guard without BFD, hold time 9 s,
 *      (b) anycast-guard with BFD 100 ms x 3,
 *      (c) BIRD on the node with BFD 100 ms x 3 (the reference: Wikimedia's setup).
 *    Start: just before the command that disables the port (so the command's own few ms
 *    count against every setup alike). End: the first poll (every 2 ms, one persistent
 *    control-socket connection) that finds no path for the prefix at the router.
 * 2. Flaps under load: `anycast-guard run` (the real daemon) with N services (default
 *    1,000), each with an HTTP check every second against a local HTTP service, and one
 *    BGP peer with BFD 100 ms x 3 to a BIRD router, for a given time. Counted: our
 *    `bfd.state_changed` log events after the first Up, BIRD's BFD session leaving Up (its
 *    "Since" changing), and the BGP session's establishments. The daemon's CPU use over
 *    the run shows the load its main thread carried.
 *
 * Usage: node dist/bench/bfd.js [--runs 5] [--flap-seconds 60] [--services 1000]
 *          [--check-interval 1] [--only a,b,c,flaps]
 * Needs root (network namespaces) and bird2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { birdBfd, birdBfdConf, bfdSpeakerConfig } from '../test/interop/bfd-harness.js';
import { CLI, NODE_AS, ROUTER_AS, nodeConfigHead } from '../test/e2e/harness.js';
import {
  BIRD_TEST_TIMERS,
  bridgedLink,
  Lab,
  labUnavailableReason,
  parseJsonLine,
  waitFor,
  type BirdControl,
  type BridgedLink,
} from '../test/lab/index.js';
import { median, textTable } from './stats.js';

const PREFIX = '203.0.113.61/32';
const POLL_MS = 2;

type Setup = 'a' | 'b' | 'c';
const SETUPS: Record<Setup, string> = {
  a: 'anycast-guard, no BFD (hold 9 s)',
  b: 'anycast-guard, BFD 100 ms x 3',
  c: 'BIRD on the node, BFD 100 ms x 3',
};

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'flap-seconds': { type: 'string', default: '60' },
    services: { type: 'string', default: '1000' },
    'check-interval': { type: 'string', default: '1' },
    only: { type: 'string', default: 'a,b,c,flaps' },
  },
});
const runs = Number(values.runs);
const only = new Set(values.only.split(','));

/** BIRD as the router; `bfd on` only where the node runs BFD. */
function routerConf(link: BridgedLink, bfd: boolean): string {
  const conf = birdBfdConf(link);
  return bfd ? conf : conf.replace('bfd on;', '');
}

/** BIRD as the node: a static route, BFD 100 ms x 3, hold 9 s. */
function birdNodeConf(link: BridgedLink): string {
  return `
router id ${link.a.ipv4};
protocol device {}
protocol static { ipv4; route ${PREFIX} blackhole; }
protocol bfd {
  interface "*" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };
}
protocol bgp uplink {
  local ${link.a.ipv4} as ${NODE_AS};
  neighbor ${link.b.ipv4} as ${ROUTER_AS};
  hold time 9;
  bfd on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import none; export all; };
}
`;
}

async function routeGone(control: BirdControl): Promise<number> {
  for (;;) {
    if ((await control.paths(PREFIX)).length === 0)
      return performance.timeOrigin + performance.now();
    await delay(POLL_MS);
  }
}

async function routeThere(control: BirdControl, what: string): Promise<void> {
  await waitFor(() => control.paths(PREFIX), {
    what,
    until: (paths) => paths.length > 0,
    timeoutMs: 60_000,
    intervalMs: 20,
  });
}

async function faultRuns(setup: Setup): Promise<number[]> {
  const lab = await Lab.create();
  try {
    const node = await lab.namespace('node');
    const routerNs = await lab.namespace('router');
    const link = await bridgedLink(lab, node, routerNs);
    const router = await lab.startBird(routerNs, routerConf(link, setup !== 'a'));
    const control = await router.control();
    try {
      if (setup === 'c') await lab.startBird(node, birdNodeConf(link), { name: 'node-bird' });
      else {
        const config = bfdSpeakerConfig(link);
        const peer = config.speaker.peers?.[0];
        if (peer === undefined) throw new Error('no peer');
        const speakerConfig =
          setup === 'a'
            ? { ...config, speaker: { ...config.speaker, peers: [{ ...peer, bfd: undefined }] } }
            : config;
        const speaker = await lab.startSpeaker(node, speakerConfig);
        await speaker.announce([PREFIX]);
      }
      const out: number[] = [];
      for (let i = 0; i < runs; i++) {
        await routeThere(control, `${PREFIX} at the router before run ${i + 1}`);
        if (setup !== 'a')
          await waitFor(() => birdBfd(router, link.a.ipv4), {
            what: 'BFD Up at the router',
            until: (s) => s?.state === 'Up' && s.intervalMs === 100,
            timeoutMs: 30_000,
          });
        // A random phase against the BFD and keepalive timers.
        await delay(500 + Math.random() * 500);
        const start = performance.timeOrigin + performance.now();
        const gone = routeGone(control);
        await link.silence('block');
        out.push((await gone) - start);
        await link.restore();
      }
      return out;
    } finally {
      control.close();
    }
  } finally {
    await lab.teardown();
  }
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line (11 and 12 after the name).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface FlapResult {
  seconds: number;
  services: number;
  ourTransitionsAfterUp: number;
  ourFlaps: number;
  /** Times the BFD worker woke more than 50 ms after a timer (bfd.worker_late), and the worst. */
  workerLate: number;
  workerLateMaxMs: number;
  birdSessionRestarts: number;
  bgpEstablishedAtRouter: number;
  checksPerSecond: number;
  /** How late checks started on the daemon's main loop, on average: its load. */
  meanCheckLagMs: number;
  daemonCpuPercent: number;
}

async function flapRun(seconds: number, services: number, interval: number): Promise<FlapResult> {
  const lab = await Lab.create();
  try {
    const node = await lab.namespace('node');
    const routerNs = await lab.namespace('router');
    const link = await bridgedLink(lab, node, routerNs);
    const router = await lab.startBird(
      routerNs,
      birdBfdConf(link).replace('protocol bfd bfd1 {', 'protocol bfd bfd1 {\n  debug all;'),
    );
    await lab.startHttpService(node, { port: 8080 });
    const apiDir = join(lab.dir, 'api');
    const blocks: string[] = [];
    for (let i = 0; i < services; i++)
      blocks.push(`
[services.s${i}]
prefixes = ["2001:db8:b::${(i + 1).toString(16)}"]
checks.http = [{ url = "http://127.0.0.1:8080/", interval = ${interval}, timeout = ${interval} }]
rise = 1
fall = 1
`);
    const configPath = join(lab.dir, 'node.toml');
    writeFileSync(
      configPath,
      `${nodeConfigHead(link, apiDir, 'hold_time = 9\n')}bfd = { min_rx = 0.1, min_tx = 0.1, multiplier = 3 }
${blocks.join('')}`,
    );
    const daemon = await lab.spawn(node, {
      name: 'daemon',
      argv: [process.execPath, CLI, 'run', '--config', configPath, '--log-level', 'info'],
    });
    await daemon.waitForJson((r) => r.event === 'bfd.state_changed' && r.to === 'up', {
      what: 'our BFD Up',
      timeoutMs: 60_000,
    });
    await waitFor(() => birdBfd(router, link.a.ipv4), {
      what: 'BIRD BFD Up at 100 ms',
      until: (s) => s?.state === 'Up' && s.intervalMs === 100,
      timeoutMs: 30_000,
    });
    const sinceLine = async (): Promise<string> =>
      (await router.birdc('show bfd sessions')).split('\n').find((l) => l.includes(link.a.ipv4)) ??
      '';
    const pid = daemon.pid;
    if (pid === undefined) throw new Error('daemon has no pid');
    // Let the services come up and the checks settle into their schedule.
    await delay(Math.min(10_000, seconds * 100));
    const firstLine = daemon.lines.length;
    const counts0 = await checkCounts(apiDir);
    const before = await sinceLine();
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    let restarts = 0;
    let last = before;
    while (performance.now() - t0 < seconds * 1000) {
      await delay(1000);
      const now = await sinceLine();
      if (now !== last) restarts++;
      last = now;
    }
    const wall = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const records = daemon.lines.slice(firstLine).flatMap((l) => {
      const r = parseJsonLine(l.text);
      return r === undefined ? [] : [r];
    });
    const transitions = records.filter((r) => r.event === 'bfd.state_changed');
    const late = records.filter((r) => r.event === 'bfd.worker_late').map((r) => Number(r.lateMs));
    // What happened, for a reader: ours with the diagnostic, BIRD's from its log.
    for (const r of [...transitions, ...records.filter((x) => x.event === 'bfd.worker_late')])
      console.error(JSON.stringify(r));
    for (const line of router.log().split('\n'))
      if (/bfd1.*(state|Session)/i.test(line)) console.error(`bird: ${line}`);
    const peer = await router.peer(link.a.ipv4);
    const counts = await checkCounts(apiDir);
    const lagCount = counts.lagCount - counts0.lagCount;
    return {
      seconds: Math.round(wall),
      services,
      ourTransitionsAfterUp: transitions.length,
      ourFlaps: transitions.filter((r) => r.from === 'up').length,
      workerLate: late.length,
      workerLateMaxMs: late.length === 0 ? 0 : Math.max(...late),
      birdSessionRestarts: restarts,
      bgpEstablishedAtRouter: peer.state === 'established' ? 1 : 0,
      checksPerSecond: Math.round((counts.results - counts0.results) / wall),
      meanCheckLagMs:
        lagCount === 0 ? 0 : Math.round((1000 * (counts.lagSum - counts0.lagSum)) / lagCount),
      daemonCpuPercent: Math.round((100 * cpu) / wall),
    };
  } finally {
    await lab.teardown();
  }
}

/** Check results so far, from the daemon's /metrics over its unix socket. */
async function checkCounts(
  apiDir: string,
): Promise<{ results: number; lagSum: number; lagCount: number }> {
  const { request } = await import('node:http');
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath: `${apiDir}/control.sock`, path: '/metrics' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
  let results = 0;
  for (const m of text.matchAll(/^anycast_guard_check_results_total\{[^}]*\} (\d+)/gm))
    results += Number(m[1]);
  const one = (name: string): number =>
    Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    results,
    lagSum: one('anycast_guard_check_schedule_lag_seconds_sum'),
    lagCount: one('anycast_guard_check_schedule_lag_seconds_count'),
  };
}

async function main(): Promise<void> {
  const reason = await labUnavailableReason(['bird']);
  if (reason !== undefined) {
    console.error(`bench/bfd: ${reason}`);
    process.exit(2);
  }
  const results: Partial<Record<Setup, number[]>> = {};
  for (const setup of ['a', 'b', 'c'] as const) {
    if (!only.has(setup)) continue;
    results[setup] = await faultRuns(setup);
    console.error(`${setup}: ${results[setup].map((v) => v.toFixed(0)).join(' ')} ms`);
  }
  const reference = results.c === undefined ? undefined : median(results.c);
  const rows = (Object.entries(results) as [Setup, number[]][]).map(([setup, ms]) => [
    `(${setup}) ${SETUPS[setup]}`,
    median(ms).toFixed(0),
    ms.map((v) => v.toFixed(0)).join(' '),
    reference === undefined ? '-' : (median(ms) / reference).toFixed(2),
  ]);
  if (rows.length > 0) {
    console.log('fault (node link silent) → route gone at the BIRD router, ms');
    console.log(textTable([['setup', 'median', 'runs', 'vs (c)'], ...rows]));
  }
  let flaps: FlapResult | undefined;
  if (only.has('flaps')) {
    flaps = await flapRun(
      Number(values['flap-seconds']),
      Number(values.services),
      Number(values['check-interval']),
    );
    console.log('\nBFD 100 ms x 3 with the daemon loaded by its checks');
    console.log(
      textTable([
        [
          'seconds',
          'services',
          'checks/s',
          'mean check lag ms',
          'daemon CPU %',
          'our BFD changes',
          'our flaps',
          'worker late (max ms)',
          'BIRD BFD restarts',
          'BGP up at end',
        ],
        [
          String(flaps.seconds),
          String(flaps.services),
          String(flaps.checksPerSecond),
          String(flaps.meanCheckLagMs),
          String(flaps.daemonCpuPercent),
          String(flaps.ourTransitionsAfterUp),
          String(flaps.ourFlaps),
          `${flaps.workerLate} (${flaps.workerLateMaxMs})`,
          String(flaps.birdSessionRestarts),
          flaps.bgpEstablishedAtRouter === 1 ? 'yes' : 'no',
        ],
      ]),
    );
  }
  console.log(JSON.stringify({ bench: 'bfd', runs, fault: results, flaps }));
}

await main();
