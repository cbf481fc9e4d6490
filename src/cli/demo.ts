/**
 * `anycast-guard demo`: the whole product on loopback, no router and no root.
 *
 * A small HTTP service, the daemon health-checking it, and our own BGP speaker in
 * collector mode standing in for the router. Break the service and watch the
 * route withdrawn; mend it and watch it come back after the hold-down. On a
 * terminal the keys b / m / q drive it (or the printed URLs); otherwise it runs a
 * scripted break-and-mend and exits.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { BgpSpeaker } from '../bgp/index.js';
import { parseConfig } from '../config/index.js';
import { Daemon } from '../daemon/index.js';
import type { Transition } from '../health/index.js';

export interface DemoOptions {
  readonly print: (line: string) => void;
  /** Interactive keys on a terminal; scripted otherwise. */
  readonly interactive: boolean;
  readonly holdDown: number;
}

const SPEAKER_ADDRESS = '127.0.0.2';
const COLLECTOR_ADDRESS = '127.0.0.1';

class DemoService {
  healthy = true;
  private server: Server | undefined;

  async start(): Promise<number> {
    const server = createServer((request, response) => {
      if (request.url === '/break') this.healthy = false;
      if (request.url === '/mend') this.healthy = true;
      if (request.url === '/health' || request.url === '/break' || request.url === '/mend') {
        response.writeHead(this.healthy ? 200 : 503, { 'content-type': 'text/plain' });
        response.end(this.healthy ? 'ok\n' : 'broken\n');
        return;
      }
      response.writeHead(404).end();
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function runDemo(options: DemoOptions): Promise<void> {
  const { print } = options;
  const started = Date.now();
  const stamp = (text: string): void =>
    print(`[${((Date.now() - started) / 1000).toFixed(2).padStart(6)} s] ${text}`);

  const service = new DemoService();
  const servicePort = await service.start();
  const collector = new BgpSpeaker({
    asn: 65000,
    routerId: '198.18.0.2',
    listen: { host: COLLECTOR_ADDRESS, port: 0 },
    collector: true,
    peers: [{ address: SPEAKER_ADDRESS, asn: 65001, passive: true, name: 'anycast-guard' }],
  });
  await collector.start();

  const config = parseConfig(
    `
[bgp]
asn = 65001
router_id = "198.18.0.1"
[[bgp.peers]]
name = "collector"
address = "${COLLECTOR_ADDRESS}"
port = ${collector.listenPort ?? 0}
asn = 65000
local_address = "${SPEAKER_ADDRESS}"
connect_retry = 1
next_hop = { ipv6 = "2001:db8::1" }    # loopback has no global IPv6 address to use as "self"
communities = ["65001:100"]

[services.web]
prefixes = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ url = "http://127.0.0.1:${servicePort}/health", interval = 0.5, timeout = 0.4 }]
rise = 2
fall = 2
hold_down = ${options.holdDown}
`,
    'the demo configuration',
  );

  const transitions: Transition[] = [];
  const daemon = new Daemon(config, {
    logger: pino({ level: 'silent' }),
    onTransition: (t) => {
      transitions.push(t);
      stamp(`service ${t.service}: ${t.from} → ${t.to} (${t.reason})`);
    },
  });

  let lastTable = '';
  const watch = setInterval(() => {
    const table = collector
      .receivedRoutes()
      .map((r) => r.prefix)
      .sort()
      .join(', ');
    if (table !== lastTable) {
      lastTable = table;
      stamp(`router (our collector) has: ${table === '' ? 'no routes from us' : table}`);
    }
  }, 20);

  const stopAll = async (): Promise<void> => {
    clearInterval(watch);
    await daemon.stop('demo finished');
    await collector.stop();
    await service.stop();
  };

  print(`demo HTTP service on http://127.0.0.1:${servicePort}/health (break: /break, mend: /mend)`);
  print(
    `router: our BGP collector, AS 65000, on ${COLLECTOR_ADDRESS}:${collector.listenPort ?? 0}`,
  );
  print(
    `anycast-guard: AS 65001, service "web" announces 203.0.113.80/32 and 2001:db8::80/128 while healthy`,
  );
  print(`checks every 0.5 s, rise 2, fall 2, hold-down ${options.holdDown} s\n`);
  await daemon.start();

  try {
    if (options.interactive) await interactive(service, stamp, print);
    else await scripted(service, collector, stamp);
  } finally {
    await stopAll();
  }
  stamp('stopped: every route withdrawn, session closed with Cease');
}

async function interactive(
  service: DemoService,
  stamp: (text: string) => void,
  print: (line: string) => void,
): Promise<void> {
  print('keys: b = break the service, m = mend it, q = quit\n');
  const stdin = process.stdin;
  stdin.setRawMode(true);
  stdin.resume();
  try {
    await new Promise<void>((resolve) => {
      stdin.on('data', (data: Buffer) => {
        const key = data.toString();
        if (key === 'b') {
          service.healthy = false;
          stamp('you broke the service: /health now answers 503');
        } else if (key === 'm') {
          service.healthy = true;
          stamp('you mended the service: /health answers 200 again');
        } else if (key === 'q' || key === '\u0003') resolve();
      });
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
  }
}

async function scripted(
  service: DemoService,
  collector: BgpSpeaker,
  stamp: (text: string) => void,
): Promise<void> {
  const routes = (): number => collector.receivedRoutes().length;
  await until(() => routes() === 2, 15_000, 'the routes to be announced');
  await pause(1000);
  service.healthy = false;
  const brokenAt = Date.now();
  stamp('breaking the service: /health now answers 503');
  await until(() => routes() === 0, 15_000, 'the withdrawal');
  stamp(`withdrawn ${Date.now() - brokenAt} ms after the service broke (2 failed checks at 0.5 s)`);
  await pause(1000);
  service.healthy = true;
  const mendedAt = Date.now();
  stamp('mending the service');
  await until(() => routes() === 2, 30_000, 'the routes to come back');
  stamp(
    `announced again ${Date.now() - mendedAt} ms after the service was mended (rise, then hold-down)`,
  );
  await pause(500);
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline)
      throw new Error(`demo: timed out after ${timeoutMs} ms waiting for ${what}`);
    await pause(20);
  }
}
