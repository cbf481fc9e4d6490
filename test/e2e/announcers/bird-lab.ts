/**
 * A lab for the BIRD announcer: the node runs BIRD 2 as its routing daemon, configured
 * with examples/bird.conf (only the include paths, BIRD's log and the session timers
 * changed), peering over IPv4 and IPv6 with a BIRD router in another namespace; the
 * node's anycast-guard writes the prefix files and reconfigures the node's BIRD over its
 * control socket.
 *
 *   node1 (BIRD "nodebird" + anycast-guard + HTTP service) ──veth── router (BIRD)
 *   198.18.0.1 / fd7e:1ab:0:1::1                               198.18.0.2 / fd7e:1ab:0:1::2
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { renderPrefixFile } from '../../../src/announcers/bird/index.js';
import { BIRD_TEST_TIMERS, Lab } from '../../lab/index.js';
import type { Teardown } from '../../lab/teardown.js';
import type { BirdRouter } from '../../lab/index.js';
import { example, makeNode, NODE_AS, ROUTER_AS, type Node } from '../harness.js';

export interface BirdNodeLab {
  lab: Lab;
  node: Node;
  router: BirdRouter;
  /** The node's own BIRD, running the adapted examples/bird.conf. */
  nodeBird: BirdRouter;
  ipv4File: string;
  ipv6File: string;
}

/** examples/bird.conf with the lab's include paths and quick session timers. */
export function adaptExample(example: string, ipv4File: string, ipv6File: string): string {
  const out = example
    .replace('"/var/lib/anycast-healthchecker/anycast-prefixes.conf"', JSON.stringify(ipv4File))
    .replace('"/var/lib/anycast-healthchecker/6/anycast-prefixes.conf"', JSON.stringify(ipv6File))
    .replace('    hold time 9;', `    hold time 9;\n    ${BIRD_TEST_TIMERS}`);
  if (!out.includes(ipv4File) || !out.includes(ipv6File) || !out.includes(BIRD_TEST_TIMERS))
    throw new Error('examples/bird.conf changed shape: adaptExample no longer applies');
  return out;
}

export function routerConf(node: Node): string {
  const { a, b } = node.link;
  return `router id ${b.ipv4};
protocol device {}
template bgp node {
  debug { states, routes, events };
  local as ${ROUTER_AS};
  passive on;
  ${BIRD_TEST_TIMERS}
}
protocol bgp node4 from node {
  neighbor ${a.ipv4} as ${NODE_AS};
  ipv4 { import all; export none; };
}
protocol bgp node6 from node {
  neighbor ${a.ipv6} as ${NODE_AS};
  ipv6 { import all; export none; };
}
`;
}

/** `extraConf` is appended to the node's BIRD configuration (a benchmark's static routes). */
export async function birdNodeLab(t: Teardown, extraConf = ''): Promise<BirdNodeLab> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const node = await makeNode(lab, 1, routerNs);
  const router = await lab.startBird(routerNs, routerConf(node));

  const { ipv4File, ipv6File } = writeInitialFiles(join(lab.dir, 'node1-bird-prefixes'));
  const conf = adaptExample(example('bird.conf'), ipv4File, ipv6File) + extraConf;
  const nodeBird = await lab.startBird(node.ns, conf, { name: 'nodebird' });
  return { lab, node, router, nodeBird, ipv4File, ipv6File };
}

/**
 * BIRD refuses to start without its include files; anycast-guard writes them on its
 * first start, and an operator whose BIRD may start first creates them once (the dummy
 * alone), as here.
 */
function writeInitialFiles(dir: string): { ipv4File: string; ipv6File: string } {
  const ipv4File = join(dir, 'anycast-prefixes.conf');
  const ipv6File = join(dir, '6', 'anycast-prefixes.conf');
  mkdirSync(join(dir, '6'), { recursive: true });
  writeFileSync(
    ipv4File,
    renderPrefixFile({
      variable: 'ACAST_PS_ADVERTISE',
      dummyPrefix: '10.189.200.255/32',
      prefixes: [],
    }),
  );
  writeFileSync(
    ipv6File,
    renderPrefixFile({
      variable: 'ACAST6_PS_ADVERTISE',
      dummyPrefix: '2001:db8::1/128',
      prefixes: [],
    }),
  );
  return { ipv4File, ipv6File };
}

export interface TwoBirdLab {
  lab: Lab;
  node: Node;
  router: BirdRouter;
  /** BIRD 1.x's layout, with two BIRD 2 daemons: one for IPv4, one for IPv6. */
  bird4: BirdRouter;
  bird6: BirdRouter;
  ipv4File: string;
  ipv6File: string;
}

/** One family of examples/bird.conf as a daemon of its own (BIRD 1.x's bird / bird6). */
function singleFamilyConf(family: 'ipv4' | 'ipv6', file: string, node: Node): string {
  const v4 = family === 'ipv4';
  const filter = v4 ? 'match_route' : 'match_route6';
  return `router id ${node.link.a.ipv4};
include ${JSON.stringify(file)};
function ${filter}() { return net ~ ${v4 ? 'ACAST_PS_ADVERTISE' : 'ACAST6_PS_ADVERTISE'}; }
protocol device {}
protocol direct direct1 { interface "lo"; ${family}; }
protocol bgp ${v4 ? 'router4' : 'router6'} {
  local as ${NODE_AS};
  neighbor ${v4 ? node.link.b.ipv4 : node.link.b.ipv6} as ${ROUTER_AS};
  ${BIRD_TEST_TIMERS}
  ${family} { import none; export where ${filter}(); };
}
`;
}

export async function twoBirdLab(t: Teardown): Promise<TwoBirdLab> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const node = await makeNode(lab, 1, routerNs);
  const router = await lab.startBird(routerNs, routerConf(node));
  const { ipv4File, ipv6File } = writeInitialFiles(join(lab.dir, 'node1-bird-prefixes'));
  const bird4 = await lab.startBird(node.ns, singleFamilyConf('ipv4', ipv4File, node), {
    name: 'nodebird4',
  });
  const bird6 = await lab.startBird(node.ns, singleFamilyConf('ipv6', ipv6File, node), {
    name: 'nodebird6',
  });
  return { lab, node, router, bird4, bird6, ipv4File, ipv6File };
}

/** Epoch-ms times of BIRD's own "Reconfigured" log lines. */
export function reconfigurations(bird: BirdRouter): number[] {
  return bird
    .log()
    .split('\n')
    .flatMap((line) => {
      const match = /^(\d+\.\d+) <INFO> Reconfigured$/.exec(line);
      return match?.[1] === undefined ? [] : [Math.round(Number(match[1]) * 1000)];
    });
}

/** GET /v1/status from the daemon's unix socket. */
export function daemonStatus(apiDir: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath: join(apiDir, 'control.sock'), path: '/v1/status', method: 'GET' },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body) as Record<string, unknown>);
          } catch (error) {
            reject(
              new Error(`status: not JSON (${res.statusCode}): ${body.slice(0, 300)}`, {
                cause: error,
              }),
            );
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

export interface BirdStatus {
  state: string;
  failures: number;
  lastError?: { code: string; message: string };
  detail?: Record<string, string | number | boolean>;
}

/** The `bird` entry of /v1/status's announcers list. */
export async function birdStatus(apiDir: string): Promise<BirdStatus | undefined> {
  const status = await daemonStatus(apiDir);
  const list = Array.isArray(status.announcers) ? (status.announcers as BirdStatus[]) : [];
  return list.find((a) => (a as unknown as { kind?: string }).kind === 'bird');
}
