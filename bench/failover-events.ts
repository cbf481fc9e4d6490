/**
 * Event-driven failover benchmark: the service process is SIGKILLed at a random phase of
 * the check cycle; time until its route is gone at the BIRD router (BIRD's own log line),
 * side by side in one run for
 *
 *   http-1s      anycast-guard, checks.http every 1 s (polling)
 *   http-0.1s    anycast-guard, checks.http every 0.1 s (polling)
 *   held-1s      anycast-guard, checks.http every 1 s with watch = true (held connection)
 *   process-1s   anycast-guard, checks.process on the service's pidfile every 1 s (pidfd)
 *   exabgp-0.1s  ExaBGP 4.2's healthcheck (curl) every 0.1 s
 *
 * and a maintenance file: `file-5s`, anycast-guard with checks.file every 5 s, the
 * disable file written at a random phase → route gone.
 *
 * Every variant: rise 1, fall 1, hold-down 0 (fail_fast is the default of the held
 * connection and the process check; with fall 1 it changes nothing here). The lab is the
 * failover benchmark's (bench/failover.ts): namespace "node" with the HTTP service
 * (test/lab/http-service-process.ts on 127.0.0.1:8080) and the tool under test, namespace
 * "router" with BIRD 2 (`debug { routes }`, `timeformat log "%s.%3f"`). Start = the bench's
 * Date.now() just before kill(2) (or the file's write); end = BIRD's "removed" log line
 * (same realtime clock, ms). For the kills, also when the bench (the service's parent)
 * saw the exit: the kernel's own teardown of the process, a floor no checker beats
 * for the pidfd (sockets close a little before). After each round the service is started again (a new
 * process, the pidfile rewritten) or the file removed, and the route awaited.
 *
 * Usage: node dist/bench/failover-events.js [--runs N] [--only http-1s,held-1s,...]
 * Needs root (network namespaces), bird2, exabgp and curl.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startExabgpHealthcheck, startOurDaemon } from './contenders.js';
import { median, percentile, textTable } from './stats.js';
import { nodeConfigHead } from '../test/e2e/harness.js';
import {
  BIRD_TEST_TIMERS,
  Lab,
  LabUnavailable,
  checkLabPrerequisites,
  findExecutable,
  waitFor,
} from '../test/lab/index.js';
import type { BirdControl, BirdRouter, HttpService, Link, Namespace } from '../test/lab/index.js';

const NODE_AS = 65001;
const ROUTER_AS = 65000;
const PREFIX = '203.0.113.80/32';
const SERVICE_PORT = 8080;
const POLL_MS = 5;

interface Variant {
  readonly name: string;
  readonly tool: 'anycast-guard' | 'exabgp';
  readonly interval: number;
  /** The checks line of anycast-guard's service. */
  readonly checks?: (env: Env) => string;
  /** How the service is broken: its process killed, or the disable file written. */
  readonly breaks: 'kill' | 'file';
}

const VARIANTS: readonly Variant[] = [
  {
    name: 'http-1s',
    tool: 'anycast-guard',
    interval: 1,
    breaks: 'kill',
    checks: () => `checks.http = [{ url = "${url()}", interval = 1, timeout = 1 }]`,
  },
  {
    name: 'http-0.1s',
    tool: 'anycast-guard',
    interval: 0.1,
    breaks: 'kill',
    checks: () => `checks.http = [{ url = "${url()}", interval = 0.1, timeout = 0.1 }]`,
  },
  {
    name: 'held-1s',
    tool: 'anycast-guard',
    interval: 1,
    breaks: 'kill',
    checks: () => `checks.http = [{ url = "${url()}", interval = 1, timeout = 1, watch = true }]`,
  },
  {
    name: 'process-1s',
    tool: 'anycast-guard',
    interval: 1,
    breaks: 'kill',
    checks: (env) => `checks.process = [{ pidfile = "${env.pidfile}", interval = 1, timeout = 1 }]`,
  },
  { name: 'exabgp-0.1s', tool: 'exabgp', interval: 0.1, breaks: 'kill' },
  {
    name: 'file-5s',
    tool: 'anycast-guard',
    interval: 5,
    breaks: 'file',
    checks: (env) => `checks.file = [{ path = "${env.disable}", interval = 5, timeout = 1 }]`,
  },
];

const PROTOCOL = { 'anycast-guard': 'ours', exabgp: 'exabgp' } as const;

interface Env {
  lab: Lab;
  node: Namespace;
  oursLink: Link;
  exaLink: Link;
  router: BirdRouter;
  control: BirdControl;
  service: HttpService;
  pidfile: string;
  disable: string;
  restarts: number;
}

function url(): string {
  return `http://127.0.0.1:${SERVICE_PORT}/health`;
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

function oursConf(env: Env, variant: Variant, apiDir: string): string {
  return `${nodeConfigHead(env.oursLink, apiDir)}
[services.web]
prefixes = ["${PREFIX.replace(/\/32$/, '')}"]
${variant.checks?.(env) ?? ''}
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

async function waitPath(control: BirdControl, protocol: string, present: boolean): Promise<void> {
  await waitFor(async () => (await control.paths(PREFIX)).includes(protocol) === present, {
    what: `${PREFIX} from ${protocol} ${present ? 'in' : 'gone from'} the router`,
    timeoutMs: 30_000,
    intervalMs: POLL_MS,
  });
}

async function startTool(env: Env, variant: Variant): Promise<() => Promise<void>> {
  const tag = variant.name.replace('.', 'p');
  if (variant.tool === 'anycast-guard')
    return startOurDaemon(
      env.lab,
      env.node,
      tag,
      oursConf(env, variant, join(env.lab.dir, `anycast-guard-${tag}-api`)),
    );
  return startExabgpHealthcheck(env.lab, env.node, tag, {
    link: env.exaLink,
    localAs: NODE_AS,
    peerAs: ROUTER_AS,
    prefix: PREFIX,
    interval: variant.interval,
    command: `curl -sf -o /dev/null --max-time ${variant.interval} ${url()}`,
  });
}

/** A new service process on the same port, its pid in the pidfile. */
async function restartService(env: Env): Promise<void> {
  env.restarts++;
  env.service = await env.lab.startHttpService(env.node, {
    port: SERVICE_PORT,
    name: `http-service-${env.restarts}`,
  });
  writeFileSync(env.pidfile, `${env.service.pid}\n`);
}

interface Sample {
  /** Break → BIRD's removal. */
  readonly failoverMs: number;
  /** Kill → the bench (the service's parent) saw the exit: the kernel's own teardown. */
  readonly exitMs?: number;
}

async function runVariant(env: Env, variant: Variant, runs: number): Promise<Sample[]> {
  const protocol = PROTOCOL[variant.tool];
  const stop = await startTool(env, variant);
  const samples: Sample[] = [];
  try {
    await waitPath(env.control, protocol, true);
    await delay(2 * variant.interval * 1000 + 500);
    for (let i = 0; i < runs; i++) {
      await delay((variant.interval + Math.random() * variant.interval) * 1000 + 200);
      const brokeAt = Date.now();
      if (variant.breaks === 'kill') {
        if (!env.service.process.signal('SIGKILL')) throw new Error('the service was not running');
      } else {
        writeFileSync(env.disable, '');
      }
      await waitPath(env.control, protocol, false);
      let exitMs: number | undefined;
      if (variant.breaks === 'kill') {
        exitMs = (await env.service.process.waitForExit(5_000)).at - brokeAt;
        await restartService(env);
      } else {
        rmSync(env.disable);
      }
      await waitPath(env.control, protocol, true);
      const withdrawnAt = birdEvents(env.router, protocol, 'removed').find((t) => t >= brokeAt);
      if (withdrawnAt === undefined)
        throw new Error(`${variant.name}: BIRD logged no withdrawal in round ${i + 1}`);
      samples.push({
        failoverMs: withdrawnAt - brokeAt,
        ...(exitMs === undefined ? {} : { exitMs }),
      });
      process.stderr.write(
        `  ${variant.name} round ${i + 1}/${runs}: ${withdrawnAt - brokeAt} ms${exitMs === undefined ? '' : ` (exit seen at ${exitMs} ms)`}\n`,
      );
    }
  } finally {
    await stop();
  }
  await waitPath(env.control, protocol, false);
  return samples;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '50' },
      only: { type: 'string', default: VARIANTS.map((v) => v.name).join(',') },
    },
  });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');
  const names = values.only.split(',');
  const variants = VARIANTS.filter((v) => names.includes(v.name));
  if (variants.length !== names.length)
    throw new Error(`--only: ${VARIANTS.map((v) => v.name).join(', ')}`);

  try {
    checkLabPrerequisites();
    for (const bin of ['bird', 'exabgp', 'curl'])
      if (!findExecutable(bin)) throw new LabUnavailable(`${bin} not found`);
  } catch (error) {
    console.error(
      `failover-events benchmark: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(2);
  }

  const lab = await Lab.create();
  const results: { variant: Variant; samples: Sample[] }[] = [];
  try {
    const node = await lab.namespace('node');
    const routerNs = await lab.namespace('router');
    const oursLink = await lab.link(node, routerNs);
    const exaLink = await lab.link(node, routerNs);
    const router = await lab.startBird(routerNs, routerConf(oursLink, exaLink));
    const control = await router.control();
    const env: Env = {
      lab,
      node,
      oursLink,
      exaLink,
      router,
      control,
      service: await lab.startHttpService(node, { port: SERVICE_PORT }),
      pidfile: join(lab.dir, 'service.pid'),
      disable: join(lab.dir, 'maintenance', 'disable'),
      restarts: 0,
    };
    writeFileSync(env.pidfile, `${env.service.pid}\n`);
    mkdirSync(join(lab.dir, 'maintenance'));
    try {
      for (const variant of variants) {
        process.stderr.write(`${variant.name}: ${runs} failovers\n`);
        results.push({ variant, samples: await runVariant(env, variant, runs) });
      }
    } finally {
      control.close();
    }
  } finally {
    await lab.teardown();
  }

  const exa = results.find((r) => r.variant.name === 'exabgp-0.1s');
  const exaMedian = exa === undefined ? undefined : median(exa.samples.map((s) => s.failoverMs));
  const rows = results.map(({ variant, samples }) => {
    const sorted = samples.map((s) => s.failoverMs).sort((a, b) => a - b);
    const med = median(sorted);
    const exits = samples.flatMap((s) => (s.exitMs === undefined ? [] : [s.exitMs]));
    exits.sort((a, b) => a - b);
    return [
      variant.name,
      variant.breaks === 'kill' ? 'SIGKILL' : 'disable file',
      String(sorted.length),
      med.toFixed(0),
      percentile(sorted, 99).toFixed(0),
      `${sorted[0] ?? NaN}–${sorted.at(-1) ?? NaN}`,
      exits.length === 0 ? '-' : `${median(exits).toFixed(0)}, ${percentile(exits, 99).toFixed(0)}`,
      exaMedian === undefined || variant.breaks !== 'kill'
        ? '-'
        : `${(exaMedian / med).toFixed(1)}x`,
    ];
  });
  console.log(
    textTable([
      [
        'variant',
        'break',
        'n',
        'median ms',
        'p99 ms',
        'min–max ms',
        'kill → exit seen (median, p99)',
        'exabgp-0.1s / this',
      ],
      ...rows,
    ]),
  );
  console.log(
    JSON.stringify({
      bench: 'failover-events',
      node: process.version,
      runs,
      results: results.map((r) => ({
        variant: r.variant.name,
        failoversMs: r.samples.map((s) => s.failoverMs),
        exitMs: r.samples.flatMap((s) => (s.exitMs === undefined ? [] : [s.exitMs])),
      })),
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
