/**
 * The FRRouting announcer's lab: FRRouting (zebra + bgpd, in its own pathspace) as the
 * node's routing daemon, configured from examples/frr.conf as it is, and a BIRD 2 router
 * in another namespace that hears it:
 *
 *   node1 (198.18.0.1, AS 65001: FRR, anycast-guard, an HTTP service)
 *     ──veth── router (198.18.0.2, AS 65000: BIRD, protocol node1)
 *
 * The example's `router bgp 65001 vrf 123` has no neighbours here: this machine's kernel
 * has no VRF devices (`ip link add … type vrf` is refused), so a VRF route is checked in
 * FRR's own BGP table of that VRF (and checked to stay out of the default one), not at
 * the router.
 *
 * Also a stand-in for Cabourotte's API (GET /result/{name}, as src/checks/cabourotte.ts
 * reads it) on the node's loopback, answering from a JSON file the test rewrites.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BIRD_TEST_TIMERS,
  Lab,
  parseFrrPrefix,
  waitFor,
  type BirdControl,
  type BirdRouter,
  type FrrRouter,
  type LabProcess,
  type LabRoute,
  type Link,
  type Namespace,
} from '../../lab/index.js';
import type { Teardown } from '../../lab/teardown.js';
import type { Node } from '../harness.js';

export const NODE_AS = 65001;
export const ROUTER_AS = 65000;
/** The BIRD protocol of the session with the node's FRR (harness.ts names node 1 so). */
export const PROTOCOL = 'node1';

import { example, nodeAndRouter, waitEstablished } from '../harness.js';

export { example, repoRoot } from '../harness.js';

function birdConf(link: Link): string {
  return `router id ${link.b.ipv4};
protocol device {}
protocol bgp ${PROTOCOL} {
  debug { states, routes, events };
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${NODE_AS};
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`;
}

export interface FrrLab {
  lab: Lab;
  /** The node (harness.ts makeNode: namespace node1, an HTTP service on 127.0.0.1:8080). */
  node: Node;
  /** The node's FRRouting (pathspace `frr.pathspace`). */
  frr: FrrRouter;
  router: BirdRouter;
  control: BirdControl;
}

/**
 * A fresh lab with FRR running examples/frr.conf in the node namespace and a BIRD router
 * with the session established; all torn down after the test.
 */
export async function frrLab(t: Teardown): Promise<FrrLab> {
  const { lab, node, router, control } = await nodeAndRouter(
    t,
    (n) => birdConf(n.link),
    'frr.conf',
  );
  const frr = await lab.startFrr(node.ns, example('frr.conf'), { name: 'node1' });
  await waitEstablished(router, [PROTOCOL], 'FRR (node)');
  return { lab, node, frr, router, control };
}

/** The `network` prefixes FRR's running config shows under one `router bgp` line. */
export async function networksUnder(frr: FrrRouter, routerLine: string): Promise<string[]> {
  const text = await frr.vtysh('show running-config');
  const out: string[] = [];
  let inside = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(' ')) inside = line.trim() === routerLine;
    else if (inside) {
      const match = /^\s+network (\S+)/.exec(line);
      if (match?.[1] !== undefined) out.push(match[1]);
    }
  }
  return out.sort();
}

/** FRR's locally originated path for a prefix in a VRF's BGP table (`show bgp vrf …`), if any. */
export async function localRoute(
  frr: FrrRouter,
  prefix: string,
  vrf = 'default',
): Promise<LabRoute | undefined> {
  const family = prefix.includes(':') ? 'ipv6' : 'ipv4';
  const doc = await frr.vtyshJson(`show bgp vrf ${vrf} ${family} unicast ${prefix} json`);
  return parseFrrPrefix(doc).find((r) => r.asPath.length === 0);
}

/** Waits until BIRD has (or has not) a path from the node for `prefix`. */
export function waitAtRouter(
  control: BirdControl,
  prefix: string,
  present: boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  return waitFor(() => control.paths(prefix), {
    what: `${prefix} ${present ? 'at' : 'gone from'} the BIRD router`,
    until: (paths) => paths.includes(PROTOCOL) === present,
    timeoutMs,
    intervalMs: 20,
  });
}

// ---------------------------------------------------------------- Cabourotte stand-in

/**
 * Answers like Cabourotte's HTTP API: GET /result/{name} is 200 with the result as JSON
 * (name, summary, success, healthcheck-timestamp, message, duration, source), or 404
 * {"message": "…"} when it holds none of that name. Results come from a JSON file
 * ({ "name": true|false }), read on every request.
 */
const CABOUROTTE_SCRIPT = `
const http = require('node:http');
const fs = require('node:fs');
const [file, host, port] = process.argv.slice(1);
http.createServer((req, res) => {
  const match = /^\\/result\\/([^/?]+)$/.exec(req.url ?? '');
  let results = {};
  try { results = JSON.parse(fs.readFileSync(file, 'utf8')); } catch {}
  const name = match ? decodeURIComponent(match[1]) : undefined;
  if (req.method !== 'GET' || name === undefined || !(name in results)) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ message: 'Healthcheck result not found' }));
    return;
  }
  const success = results[name] === true;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({
    name, summary: 'lab stand-in', labels: {}, success,
    'healthcheck-timestamp': Math.floor(Date.now() / 1000),
    message: success ? 'success' : 'lab: broken on purpose', duration: 1, source: 'configuration',
  }));
}).listen(Number(port), host, () => console.log(JSON.stringify({ msg: 'listening' })));
`;

export class CabourotteStandIn {
  constructor(
    readonly process: LabProcess,
    private readonly file: string,
  ) {}

  /** Sets every named check's result (`true` passes). */
  set(results: Record<string, boolean>): void {
    writeFileSync(this.file, JSON.stringify(results));
  }
}

/** Starts the stand-in on `host:port` inside `ns` (Cabourotte's default is 127.0.0.1:9013). */
export async function startCabourotte(
  lab: Lab,
  ns: Namespace,
  results: Record<string, boolean>,
  host = '127.0.0.1',
  port = 9013,
): Promise<CabourotteStandIn> {
  const file = join(lab.dir, 'cabourotte-results.json');
  writeFileSync(file, JSON.stringify(results));
  const process = await lab.spawn(ns, {
    name: 'cabourotte',
    argv: [globalThis.process.execPath, '-e', CABOUROTTE_SCRIPT, file, host, String(port)],
  });
  await process.waitForJson((r) => r.msg === 'listening', {
    what: 'cabourotte stand-in listening',
  });
  return new CabourotteStandIn(process, file);
}
