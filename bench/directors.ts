/**
 * Directors at fleet scale: 5 director processes in a full mesh on loopback and
 * 1,000 nodes (in this process, each with its own key) advertising every 10 s.
 *
 * Measured over the window after a warm-up:
 * - transition latency: a node's service changes state; the time until every one of
 *   the five directors holds that ad (median, p99), from the directors' own
 *   receivedAt stamps (one machine, one clock);
 * - messages per ad: ad deliveries (POSTed, node→director and director→director)
 *   per node ad signed;
 * - each director's CPU (utime+stime over the window) and memory (VmRSS, VmHWM).
 *
 * Twice in one run, side by side: plain HTTP, then HTTPS everywhere (directors with
 * [tls], nodes verifying with the test CA; certificates made with openssl), with the
 * ratio TLS / plain of each number (goal: within 2x).
 *
 *   npm run build && node dist/bench/directors.js [--nodes 1000] [--seconds 60] [--rounds 1] [--only plain|tls]
 */
import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { loadClientTls, type ClientTls } from '../src/director/http.js';
import { TestCa } from '../test/integration/director/director-certs.js';
import { Fleet, getJson, type DirectorsAnswer } from '../test/integration/director/fleet.js';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '25' },
    only: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});
const NODE_COUNT = Number(values.nodes);
const WINDOW_S = Number(values.seconds);
const WARMUP_S = Number(values.warmup);
const INTERVAL_MS = 10_000;

interface ProcSample {
  readonly cpuMs: number;
  readonly rssMb: number;
  readonly hwmMb: number;
}

function sample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuMs: ticks * 10, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

async function deliveries(
  fleet: Fleet,
  tls: ClientTls | undefined,
): Promise<{ fromNodes: number; fromDirectors: number }> {
  let fromNodes = 0;
  let fromDirectors = 0;
  for (const director of fleet.directors) {
    const answer = await getJson<DirectorsAnswer>(`${director.url}/v1/directors`, tls);
    for (const [from, c] of Object.entries(answer.received)) {
      if (from.startsWith('probe ') || from.startsWith('pull ')) continue;
      const n = c.stored + c.duplicate + c.stale + c.refused;
      if (from === 'origin') fromNodes += n;
      else fromDirectors += n;
    }
  }
  return { fromNodes, fromDirectors };
}

interface RunResult {
  readonly median: number;
  readonly p99: number;
  readonly messagesPerAd: number;
  readonly cpuPercent: number;
}

async function runOnce(mode: 'plain' | 'tls'): Promise<RunResult> {
  const names = ['d1', 'd2', 'd3', 'd4', 'd5'];
  const nodeNames = Array.from({ length: NODE_COUNT }, (_, i) => `node-${i}`);
  const fleet = await Fleet.create(`bench-directors-${mode}`);
  try {
    await fleet.makeKeys(names, nodeNames);
    let tls: ClientTls | undefined;
    const tables: string[] = [];
    if (mode === 'tls') {
      const ca = await TestCa.create(fleet.dir, 'ca');
      for (const name of names) {
        const issued = await ca.issue(name);
        tables.push(
          `[tls]\ncert_file = "${issued.cert}"\nkey_file = "${issued.key}"\nca_file = "${ca.caFile}"\n`,
        );
      }
      tls = await loadClientTls({ caFile: ca.caFile });
    }
    await fleet.defineDirectors(
      (urls) =>
        names.map((name, i) => ({
          name,
          peers: urls.filter((_, j) => j !== i),
          intervalSeconds: 10,
          extra: '',
          ...(tables[i] === undefined ? {} : { tables: tables[i] }),
        })),
      5,
      { https: mode === 'tls' },
    );
    for (const director of fleet.directors) await director.start();
    const urls = fleet.directors.map((d) => d.url);
    fleet.addNodes(nodeNames, urls, {
      intervalMs: INTERVAL_MS,
      learnDirectors: false,
      staggerMs: INTERVAL_MS,
      ...(tls === undefined ? {} : { tls }),
    });
    console.log(
      `[${mode}] ${NODE_COUNT} nodes, 5 directors (full mesh, ${urls[0]?.split(':')[0]}); warming up ${WARMUP_S} s`,
    );
    await delay(WARMUP_S * 1000);

    const pids = fleet.directors.map((d) => d.child!.pid!);
    const before = pids.map(sample);
    const adsBefore = fleet.nodes.reduce((n, node) => n + node.advertiser.status().generation, 0);
    const sentBefore = await deliveries(fleet, tls);
    const started = Date.now();
    const latencies: number[] = [];
    let lost = 0;
    let missing = 0;
    let round = 0;
    while (Date.now() - started < WINDOW_S * 1000) {
      // 20 transitions 50 ms apart, then read when each director received them.
      const picked = Array.from(
        { length: 20 },
        (_, i) => fleet.nodes[(round * 20 + i * 37) % NODE_COUNT]!,
      );
      round++;
      const sent = new Map<string, { at: number; generation: number }>();
      for (const node of picked) {
        node.services = [
          {
            name: 'web',
            state: node.services[0]?.state === 'up' ? 'down' : 'up',
            prefixes: ['203.0.113.80/32'],
          },
        ];
        const at = Date.now();
        node.advertiser.onTransition();
        sent.set(node.name, { at, generation: -1 });
        // One at a time: 1,000 nodes share this process, each node is its own host in life.
        await delay(50);
        sent.get(node.name)!.generation = node.advertiser.lastAd!.generation;
      }
      await delay(1500);
      const query = picked.map((n) => `name=${n.name}`).join('&');
      const last = new Map<string, number>();
      const overtaken = new Set<string>();
      const seen = new Map<string, number>();
      for (const director of fleet.directors) {
        const { nodes } = await getJson<{
          nodes: { name: string; generation: number; receivedAt: number }[];
        }>(`${director.url}/v1/nodes?${query}`, tls);
        for (const n of nodes) {
          const want = sent.get(n.name)?.generation ?? 0;
          if (n.generation > want) overtaken.add(n.name);
          if (n.generation !== want) continue;
          seen.set(n.name, (seen.get(n.name) ?? 0) + 1);
          last.set(n.name, Math.max(last.get(n.name) ?? 0, n.receivedAt));
        }
      }
      for (const [name, { at }] of sent) {
        if (seen.get(name) === 5) latencies.push(last.get(name)! - at);
        else if (overtaken.has(name))
          lost++; // its next interval ad replaced it: no sample
        else missing++; // not at every director 1.5 s later
      }
      await delay(500);
    }
    const elapsed = (Date.now() - started) / 1000;
    const after = pids.map(sample);
    const adsAfter = fleet.nodes.reduce((n, node) => n + node.advertiser.status().generation, 0);
    const sentAfter = await deliveries(fleet, tls);
    const ads = adsAfter - adsBefore;
    const fromNodes = sentAfter.fromNodes - sentBefore.fromNodes;
    const fromDirectors = sentAfter.fromDirectors - sentBefore.fromDirectors;
    latencies.sort((a, b) => a - b);

    console.log(
      `[${mode}] window ${elapsed.toFixed(1)} s: ${ads} node ads signed (${(ads / elapsed).toFixed(0)}/s)`,
    );
    console.log(
      `[${mode}] transition to all 5 directors: median ${quantile(latencies, 0.5)} ms, p99 ${quantile(latencies, 0.99)} ms, max ${latencies[latencies.length - 1]} ms (${latencies.length} samples; ${lost} overtaken by the node's next interval ad; ${missing} not everywhere after 1.5 s)`,
    );
    console.log(
      `[${mode}] messages per node ad: ${((fromNodes + fromDirectors) / ads).toFixed(2)} (${(fromNodes / ads).toFixed(2)} node→director, ${(fromDirectors / ads).toFixed(2)} director→director, director ads included)`,
    );
    let cpuTotal = 0;
    for (const [i, director] of fleet.directors.entries()) {
      const cpu = ((after[i]!.cpuMs - before[i]!.cpuMs) / (elapsed * 1000)) * 100;
      cpuTotal += cpu;
      console.log(
        `[${mode}] ${director.name}: CPU ${cpu.toFixed(1)} % of one core, RSS ${after[i]!.rssMb.toFixed(0)} MB, peak ${after[i]!.hwmMb.toFixed(0)} MB`,
      );
    }
    return {
      median: quantile(latencies, 0.5),
      p99: quantile(latencies, 0.99),
      messagesPerAd: (fromNodes + fromDirectors) / ads,
      cpuPercent: cpuTotal / fleet.directors.length,
    };
  } finally {
    await fleet.close();
  }
}

/** The middle value (the mean of the two middle ones for an even count). */
function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[half]!
    : ((sorted[half - 1] ?? NaN) + (sorted[half] ?? NaN)) / 2;
}

async function main(): Promise<void> {
  const modes = (['plain', 'tls'] as const).filter(
    (m) => values.only === undefined || values.only === m,
  );
  // Rounds alternate the modes, so load from elsewhere on the machine falls on both.
  const results = new Map<string, RunResult[]>(modes.map((m) => [m, []]));
  for (let round = 0; round < Number(values.rounds); round++)
    for (const mode of modes) results.get(mode)!.push(await runOnce(mode));
  const plain = results.get('plain');
  const tls = results.get('tls');
  if (plain === undefined || tls === undefined) return;
  const row = (what: string, pick: (r: RunResult) => number, digits = 0) => {
    const p = middle(plain.map(pick));
    const t = middle(tls.map(pick));
    return `${what.padEnd(34)} ${p.toFixed(digits).padStart(8)} ${t.toFixed(digits).padStart(8)} ${(t / p).toFixed(2).padStart(8)}x`;
  };
  console.log(
    `\n${`(middle of ${plain.length} round(s) each)`.padEnd(34)} ${'plain'.padStart(8)} ${'tls'.padStart(8)} ${'tls/plain'.padStart(9)}`,
  );
  console.log(row('transition, median ms', (r) => r.median));
  console.log(row('transition, p99 ms', (r) => r.p99));
  console.log(row('messages per node ad', (r) => r.messagesPerAd, 2));
  console.log(row('director CPU, % of a core (mean)', (r) => r.cpuPercent, 1));
}

await main();
