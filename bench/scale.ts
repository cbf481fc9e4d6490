/**
 * Scale benchmark: one daemon with 1,000 services, each with one HTTP check every 1 s
 * against one local node:http server, announcing one IPv6 /128 per service over BGP to a
 * collector (a config without [bgp] is rejected: every service needs prefixes, and
 * prefixes need the speaker). What it costs and how late checks start:
 *
 *   - CPU share of the daemon process (utime + stime from /proc/PID/stat over the window,
 *     cross-checked with the child's own process.cpuUsage()), 100% = one core;
 *   - RSS: VmHWM (peak since start) and VmRSS sampled every second in the window;
 *   - check-start lag (timing.lagMs from the Daemon's onCheckResult: when a run started
 *     minus when it was due), p50 / p99 / max, plus results/s and failures.
 *
 * Processes: this file runs three roles. The parent (default) runs the BGP collector (our
 * own speaker in collector mode on 127.0.0.1, standing in for a router) and measures. The
 * HTTP server is test/lab/http-service-process.ts in its own process, so its CPU is not
 * the daemon's. The daemon is this file with --child: `new Daemon(config, …)` with the
 * config the parent wrote, pino at "warn" to stderr, and an onCheckResult hook that only
 * records lagMs; it talks to the parent over the IPC channel (mark / report) outside the
 * measured work. No root needed: everything is on loopback.
 *
 * Usage: node dist/bench/scale.js [--services 1000] [--interval 1] [--warmup 10]
 *          [--duration 45] [--same-url]
 *   --same-url  every check uses the same URL (by default /health/<service>): the check
 *               names are then equal too, which matters to the scheduler's splay.
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { percentile } from './stats.js';
import { pino } from 'pino';
import { BgpSpeaker } from '../src/bgp/index.js';
import { loadConfig } from '../src/config/index.js';
import { Daemon } from '../src/daemon/index.js';
import { HttpService } from '../test/lab/http-service.js';

const SELF = fileURLToPath(import.meta.url);
const COLLECTOR_ADDRESS = '127.0.0.1';
const DAEMON_ADDRESS = '127.0.0.2';

// ------------------------------------------------------------------ IPC

type ToChild = { op: 'mark' } | { op: 'report' };

interface ChildReport {
  /** Results since the mark. */
  results: number;
  failures: number;
  lagsMs: number[];
  /** µs of CPU since the mark (process.cpuUsage). */
  cpuUserUs: number;
  cpuSystemUs: number;
  wallMs: number;
  servicesUp: number;
  heapUsedMb: number;
}

type FromChild =
  | { event: 'ready' }
  | { event: 'up'; count: number }
  | { event: 'marked' }
  | { event: 'report'; report: ChildReport };

// ------------------------------------------------------------------ child

async function child(configPath: string): Promise<void> {
  const send = (message: FromChild): void => {
    process.send?.(message);
  };
  const config = await loadConfig(configPath);
  let lags: number[] = [];
  let failures = 0;
  let markCpu = process.cpuUsage();
  let markAt = performance.now();
  const up = new Set<string>();
  const daemon = new Daemon(config, {
    logger: pino({ level: 'warn' }, pino.destination(2)),
    onTransition: (transition) => {
      if (transition.to === 'up') up.add(transition.service);
      else up.delete(transition.service);
      send({ event: 'up', count: up.size });
    },
    onCheckResult: (_service, _check, result, timing) => {
      lags.push(timing.lagMs);
      if (!result.ok) failures++;
    },
  });
  await daemon.start();
  process.on('message', (message: ToChild) => {
    if (message.op === 'mark') {
      lags = [];
      failures = 0;
      markCpu = process.cpuUsage();
      markAt = performance.now();
      send({ event: 'marked' });
    } else {
      const cpu = process.cpuUsage(markCpu);
      send({
        event: 'report',
        report: {
          results: lags.length,
          failures,
          lagsMs: lags,
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          wallMs: performance.now() - markAt,
          servicesUp: up.size,
          heapUsedMb: process.memoryUsage().heapUsed / 2 ** 20,
        },
      });
    }
  });
  process.once('SIGTERM', () => {
    void daemon.stop('scale benchmark done').then(() => process.exit(0));
  });
  send({ event: 'ready' });
}

// ------------------------------------------------------------------ parent

interface ProcSample {
  /** utime + stime, clock ticks. */
  ticks: number;
  rssKb: number;
  hwmKb: number;
}

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) on Linux

function procSample(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the comm: state is [0], utime is field 14 overall → [11], stime [12].
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { ticks, rssKb: kb('VmRSS'), hwmKb: kb('VmHWM') };
}

function configText(options: {
  services: number;
  interval: number;
  serverPort: number;
  collectorPort: number;
  sameUrl: boolean;
  /** The API's socket and state directory (not the host-wide defaults); no TCP listener. */
  apiDir: string;
}): string {
  const lines: string[] = [
    '# scale benchmark (bench/scale.ts)',
    '[api]',
    'listen = false',
    `socket = "${options.apiDir}/control.sock"`,
    `state_dir = "${options.apiDir}"`,
    '',
    '[bgp]',
    'asn = 65001',
    'router_id = "198.18.0.1"',
    '[[bgp.peers]]',
    `address = "${COLLECTOR_ADDRESS}"`,
    `port = ${options.collectorPort}`,
    'asn = 65000',
    `local_address = "${DAEMON_ADDRESS}"`,
    'connect_retry = 1',
    'next_hop = { ipv6 = "2001:db8::1" }   # loopback has no global IPv6 address',
    '',
  ];
  for (let i = 0; i < options.services; i++) {
    const name = `s${String(i).padStart(4, '0')}`;
    const path = options.sameUrl ? '/health' : `/health/${name}`;
    lines.push(
      `[services.${name}]`,
      `prefixes = ["2001:db8:5ca1:e::${(i + 1).toString(16)}"]`,
      `checks.http = [{ url = "http://127.0.0.1:${options.serverPort}${path}", interval = ${options.interval}, timeout = ${Math.min(options.interval, 1)} }]`,
      'rise = 1',
      'fall = 1',
      'hold_down = 0',
      '',
    );
  }
  return lines.join('\n');
}

async function parent(): Promise<void> {
  const { values } = parseArgs({
    options: {
      services: { type: 'string', default: '1000' },
      interval: { type: 'string', default: '1' },
      warmup: { type: 'string', default: '10' },
      duration: { type: 'string', default: '45' },
      'same-url': { type: 'boolean', default: false },
    },
  });
  const services = Number(values.services);
  const interval = Number(values.interval);
  const warmupS = Number(values.warmup);
  const durationS = Number(values.duration);
  const sameUrl = values['same-url'];
  const log = (text: string): void => void process.stderr.write(`${text}\n`);

  const dir = mkdtempSync(join(tmpdir(), 'ag-scale-'));
  const server = new HttpService(dir, undefined, { name: 'http-server' });
  const collector = new BgpSpeaker({
    asn: 65000,
    routerId: '198.18.0.2',
    listen: { host: COLLECTOR_ADDRESS, port: 0 },
    collector: true,
    peers: [{ address: DAEMON_ADDRESS, asn: 65001, passive: true, name: 'daemon' }],
    logger: pino({ level: 'error' }),
  });
  let daemon: ChildProcess | undefined;
  try {
    await server.start();
    await collector.start();
    const collectorPort = collector.listenPort;
    if (collectorPort === undefined) throw new Error('collector is not listening');
    const configPath = join(dir, 'config.toml');
    writeFileSync(
      configPath,
      configText({
        services,
        interval,
        serverPort: server.port,
        collectorPort,
        sameUrl,
        apiDir: join(dir, 'api'),
      }),
    );

    const started = performance.now();
    const child = fork(SELF, ['--child', configPath], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    daemon = child;
    const pid = child.pid;
    if (pid === undefined) throw new Error('daemon did not start');
    let upCount = 0;
    let pending: ((message: FromChild) => void) | undefined;
    child.on('message', (message: FromChild) => {
      if (message.event === 'up') upCount = message.count;
      pending?.(message);
    });
    const request = (op: ToChild['op'], want: FromChild['event']): Promise<FromChild> =>
      new Promise((resolve) => {
        pending = (message) => {
          if (message.event !== want) return;
          pending = undefined;
          resolve(message);
        };
        child.send({ op });
      });
    let exitCode: number | null | undefined;
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        exitCode = code;
        resolve(code);
      }),
    );

    // Warm-up: every service up (and every route at the collector), then `warmup` s more.
    for (;;) {
      const routes = collector.receivedRoutes().length;
      if (upCount === services && routes === services) break;
      if (exitCode !== undefined) throw new Error(`the daemon exited (${exitCode}) during warm-up`);
      if (performance.now() - started > 120_000)
        throw new Error(`warm-up: ${upCount} services up, ${routes} routes at the collector`);
      await delay(100);
    }
    const allUpS = (performance.now() - started) / 1000;
    log(`all ${services} services up and announced after ${allUpS.toFixed(1)} s`);
    await delay(warmupS * 1000);

    const serverBefore = procSample(server.pid ?? 0);
    await request('mark', 'marked');
    const before = procSample(pid);
    const t0 = performance.now();
    const rss: number[] = [];
    while (performance.now() - t0 < durationS * 1000) {
      await delay(1000);
      rss.push(procSample(pid).rssKb);
    }
    const after = procSample(pid);
    const wallS = (performance.now() - t0) / 1000;
    const serverAfter = procSample(server.pid ?? 0);
    const reply = await request('report', 'report');
    if (reply.event !== 'report') throw new Error('unreachable');
    const report = reply.report;

    const stopAt = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const stopMs = performance.now() - stopAt;
    daemon = undefined;

    const lags = [...report.lagsMs].sort((a, b) => a - b);
    const rssSorted = [...rss].sort((a, b) => a - b);
    const summary = {
      services,
      interval,
      bgp: 'collector',
      sameUrl,
      windowS: Number(wallS.toFixed(1)),
      cpuPercent: Number(((100 * (after.ticks - before.ticks)) / CLK_TCK / wallS).toFixed(1)),
      cpuPercentSelf: Number(
        ((100 * (report.cpuUserUs + report.cpuSystemUs)) / 1000 / report.wallMs).toFixed(1),
      ),
      cpuUserShare: Number(
        (report.cpuUserUs / Math.max(1, report.cpuUserUs + report.cpuSystemUs)).toFixed(2),
      ),
      rssSteadyMb: Number((percentile(rssSorted, 50) / 1024).toFixed(1)),
      rssMaxInWindowMb: Number(((rssSorted.at(-1) ?? Number.NaN) / 1024).toFixed(1)),
      vmHwmMb: Number((after.hwmKb / 1024).toFixed(1)),
      heapUsedMb: Number(report.heapUsedMb.toFixed(1)),
      resultsPerS: Number((report.results / (report.wallMs / 1000)).toFixed(1)),
      failures: report.failures,
      lagP50Ms: percentile(lags, 50),
      lagP99Ms: percentile(lags, 99),
      lagMaxMs: lags.at(-1) ?? Number.NaN,
      serverCpuPercent: Number(
        ((100 * (serverAfter.ticks - serverBefore.ticks)) / CLK_TCK / wallS).toFixed(1),
      ),
      allUpAfterS: Number(allUpS.toFixed(1)),
      stopMs: Math.round(stopMs),
      exitCode: code,
    };
    const rows: [string, string][] = [
      ['services × checks', `${services} × HTTP every ${interval} s${sameUrl ? ' (one URL)' : ''}`],
      ['BGP', `collector on loopback, ${services} IPv6 /128 announced`],
      ['window', `${summary.windowS} s after ${warmupS} s warm-up`],
      [
        'daemon CPU',
        `${summary.cpuPercent}% of one core (self-reported ${summary.cpuPercentSelf}%)`,
      ],
      [
        'RSS',
        `steady ${summary.rssSteadyMb} MB, window max ${summary.rssMaxInWindowMb} MB, VmHWM ${summary.vmHwmMb} MB`,
      ],
      ['check results', `${summary.resultsPerS}/s, ${summary.failures} failed`],
      [
        'check-start lag',
        `p50 ${summary.lagP50Ms} ms, p99 ${summary.lagP99Ms} ms, max ${summary.lagMaxMs} ms`,
      ],
      ['HTTP server CPU', `${summary.serverCpuPercent}% (separate process)`],
      ['stop (SIGTERM → exit)', `${summary.stopMs} ms, exit ${String(code)}`],
    ];
    const width = Math.max(...rows.map(([k]) => k.length));
    for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
    console.log(JSON.stringify({ bench: 'scale', node: process.version, ...summary }));
  } finally {
    daemon?.kill('SIGKILL');
    await collector.stop();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const childIndex = process.argv.indexOf('--child');
const main = childIndex >= 0 ? child(process.argv[childIndex + 1] ?? '') : parent();
main.catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
