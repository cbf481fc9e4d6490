/**
 * The pieces a daemon test stands up on loopback: a service whose health can be
 * switched, and our own BGP speaker in collector mode as the router, with the
 * BGP section of a config that peers with it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BgpSpeaker } from '../../src/bgp/index.js';

/** An HTTP service on 127.0.0.1 answering 200 while `healthy`, 503 otherwise. */
export class ToggleService {
  healthy = true;
  port = 0;
  private server: Server | undefined;

  async start(): Promise<void> {
    const server = createServer((_request, response) => {
      response.writeHead(this.healthy ? 200 : 503).end();
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.port = (server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Our collector as the router: AS 65000 on 127.0.0.1, expecting the daemon from 127.0.0.2. */
export async function startCollector(): Promise<BgpSpeaker> {
  const collector = new BgpSpeaker({
    asn: 65000,
    routerId: '198.18.0.2',
    listen: { host: '127.0.0.1', port: 0 },
    collector: true,
    peers: [{ address: '127.0.0.2', asn: 65001, passive: true }],
  });
  await collector.start();
  return collector;
}

/** The `[bgp]` section of a daemon config (AS 65001 from 127.0.0.2) peering with `collector`. */
export function bgpSection(collector: BgpSpeaker): string {
  return `
[bgp]
asn = 65001
router_id = "198.18.0.1"
[[bgp.peers]]
address = "127.0.0.1"
port = ${collector.listenPort ?? 0}
asn = 65000
local_address = "127.0.0.2"
connect_retry = 0.2
next_hop = { ipv6 = "2001:db8::1" }
`;
}

/** Prefixes the collector holds, sorted. */
export function collectedPrefixes(collector: BgpSpeaker): string[] {
  return collector
    .receivedRoutes()
    .map((r) => r.prefix)
    .sort();
}

/** What a test of `anycast-guard run` as a process needs: a temp dir, the collector, a config file. */
export interface RunFixture {
  readonly dir: string;
  readonly collector: BgpSpeaker;
  readonly configPath: string;
  close(): Promise<void>;
}

/**
 * A temp dir holding a config whose API socket and state stay in that dir (never the
 * host's /run or /var/lib), peering with a fresh collector; `services` is given the dir.
 */
export async function runFixture(
  name: string,
  services: (dir: string) => string,
): Promise<RunFixture> {
  const dir = await mkdtemp(join(tmpdir(), `anycast-guard-${name}-`));
  const collector = await startCollector();
  const configPath = join(dir, 'config.toml');
  await writeFile(
    configPath,
    `
[api]
listen = false
socket = "${dir}/control.sock"
state_dir = "${dir}"
${bgpSection(collector)}
${services(dir)}`,
  );
  return {
    dir,
    collector,
    configPath,
    close: async () => {
      await collector.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
