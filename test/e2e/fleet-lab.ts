/**
 * A fleet for the fleet guard (docs/fleet-guard.md), shared by test/e2e/fleet-guard.test.ts
 * and bench/fleet-guard.ts: nodes, each `anycast-guard run` (the compiled CLI) in its own
 * namespace peering with one BIRD 2 router, and directors (`anycast-guard director`) on
 * loopback addresses of a `directors` namespace that every node reaches over a veth of its
 * own.
 *
 *   node<i> ──veth── router     (BIRD protocol node<i>, as in harness.ts routerConf)
 *      └─────veth── directors   (lo: 198.19.0.1, .2, … the directors on :8441;
 *                                    198.19.0.10 the shared dependency on :8080)
 *
 * 198.19.0.0/24 is inside the lab's 198.18.0.0/15 (DESIGN.md) and above the link blocks
 * (198.18.0.0 – 198.18.15.255); it exists only in the directors namespace, and each node
 * routes it over its directors link.
 *
 * Each node also runs "its own service process": a `sleep` with a pidfile, for a
 * `process` check that can be killed and started again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKey, privateKeyPem, trustedKeyLine } from '../../src/director/keys.js';
import { Lab } from '../lab/index.js';
import type {
  BirdControl,
  BirdRouter,
  HttpService,
  LabProcess,
  Link,
  Namespace,
} from '../lab/index.js';
import type { Teardown } from '../lab/teardown.js';
import { CLI, nodeConfigHead, routerConf, runArgv } from './harness.js';

export const DIRECTORS_NET = '198.19.0.0/24';
export const DEPENDENCY_ADDRESS = '198.19.0.10';
export const DIRECTOR_PORT = 8441;

export interface FleetNode {
  /** node1, node2, …: its namespace, its origin name at the directors and its BIRD protocol. */
  readonly name: string;
  readonly ns: Namespace;
  /** To the router (BIRD protocol `name`). */
  readonly link: Link;
  /** To the directors namespace. */
  readonly directorsLink: Link;
  /** API socket and state directory. */
  readonly apiDir: string;
  readonly configPath: string;
  readonly keyFile: string;
  /** The pidfile of its service process (see `startWorker`). */
  readonly pidfile: string;
  /** Its service process now. */
  worker: LabProcess | undefined;
  /** Its daemon now. */
  daemon: LabProcess | undefined;
  workers: number;
}

export interface GuardLab {
  readonly lab: Lab;
  readonly router: BirdRouter;
  readonly control: BirdControl;
  readonly directorsNs: Namespace;
  readonly nodes: FleetNode[];
  readonly directors: LabProcess[];
  /** http://198.19.0.N:8441, in order. */
  readonly directorUrls: string[];
  /** An HTTP service on 198.19.0.10:8080 in the directors namespace, if asked for. */
  readonly dependency: HttpService | undefined;
}

export interface GuardLabOptions {
  readonly nodes: number;
  readonly directors: number;
  /** Start the shared dependency (an HTTP service every node's check can reach). */
  readonly dependency?: boolean;
}

function directorConfig(
  name: string,
  address: string,
  peers: readonly string[],
  dir: string,
): string {
  return `name = "${name}"
listen = "${address}:${DIRECTOR_PORT}"
key_file = "${join(dir, `director-${name}.key`)}"
trusted_keys = "${join(dir, 'trusted-keys')}"
peers = ${JSON.stringify(peers)}
interval = 1
timeout = 1
[log]
level = "debug"
`;
}

/** The lab of the header: router, directors (started), nodes (namespaces, keys; no daemon yet). */
export async function guardLab(t: Teardown, options: GuardLabOptions): Promise<GuardLab> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const directorsNs = await lab.namespace('directors');
  const keysDir = join(lab.dir, 'keys');
  mkdirSync(keysDir, { mode: 0o700 });

  const nodes: FleetNode[] = [];
  const trusted: string[] = [];
  for (let i = 1; i <= options.nodes; i++) {
    const name = `node${i}`;
    const ns = await lab.namespace(name);
    const link = await lab.link(ns, routerNs);
    const directorsLink = await lab.link(ns, directorsNs);
    await lab.exec(ns, ['ip', 'route', 'add', DIRECTORS_NET, 'via', directorsLink.b.ipv4]);
    const key = generateKey();
    const keyFile = join(keysDir, `node-${name}.key`);
    writeFileSync(keyFile, privateKeyPem(key), { mode: 0o600 });
    trusted.push(trustedKeyLine('node', name, key));
    nodes.push({
      name,
      ns,
      link,
      directorsLink,
      apiDir: join(lab.dir, `${name}-api`),
      configPath: join(lab.dir, `${name}.toml`),
      keyFile,
      pidfile: join(lab.dir, `${name}-service.pid`),
      worker: undefined,
      daemon: undefined,
      workers: 0,
    });
  }

  const addresses = Array.from({ length: options.directors }, (_, i) => `198.19.0.${i + 1}`);
  for (const address of [...addresses, DEPENDENCY_ADDRESS])
    await lab.exec(directorsNs, ['ip', 'addr', 'add', `${address}/32`, 'dev', 'lo']);
  const directorUrls = addresses.map((a) => `http://${a}:${DIRECTOR_PORT}`);
  const names = addresses.map((_, i) => `d${i + 1}`);
  for (const name of names) {
    const key = generateKey();
    writeFileSync(join(keysDir, `director-${name}.key`), privateKeyPem(key), { mode: 0o600 });
    trusted.push(trustedKeyLine('director', name, key));
  }
  writeFileSync(join(keysDir, 'trusted-keys'), `${trusted.join('\n')}\n`);

  const router = await lab.startBird(routerNs, routerConf(nodes.map((n) => n.link)));
  const control = await router.control();
  t.after(() => control.close());

  const directors: LabProcess[] = [];
  for (const [i, name] of names.entries()) {
    const configPath = join(lab.dir, `director-${name}.toml`);
    const peers = directorUrls.filter((_, j) => j !== i);
    writeFileSync(configPath, directorConfig(name, addresses[i] ?? '', peers, keysDir));
    directors.push(
      await lab.spawn(directorsNs, {
        name: `director-${name}`,
        argv: [process.execPath, '--enable-source-maps', CLI, 'director', '--config', configPath],
      }),
    );
  }
  for (const [i, director] of directors.entries())
    await director.waitForJson((r) => r.event === 'director.started', {
      what: `director d${i + 1} started`,
      timeoutMs: 30_000,
    });

  const dependency =
    options.dependency === true
      ? await lab.startHttpService(directorsNs, {
          host: DEPENDENCY_ADDRESS,
          port: 8080,
          name: 'dependency',
        })
      : undefined;
  return { lab, router, control, directorsNs, nodes, directors, directorUrls, dependency };
}

/** The node's `[directors]` table: every director, an ad every second and on every transition. */
export function directorsSection(node: FleetNode, urls: readonly string[]): string {
  return `
[directors]
urls = ${JSON.stringify(urls)}
key_file = "${node.keyFile}"
name = "${node.name}"
url = "http://${node.link.a.ipv4}:8080/"
site = "lab"
interval = 1
timeout = 0.5
`;
}

/** The head of a node's config (API, BGP peer: harness.ts nodeConfigHead) plus `[directors]`. */
export function fleetNodeConfig(
  node: FleetNode,
  urls: readonly string[],
  services: string,
): string {
  return `${nodeConfigHead(node.link, node.apiDir)}
${services}
${directorsSection(node, urls)}`;
}

/** Starts (again) the node's service process, a sleep, and writes its pid to the pidfile. */
export async function startWorker(lab: Lab, node: FleetNode): Promise<LabProcess> {
  node.workers++;
  const worker = await lab.spawn(node.ns, {
    name: `${node.name}-service-${node.workers}`,
    argv: ['sleep', 'infinity'],
  });
  if (worker.pid === undefined) throw new Error(`${node.name}: the service process has no pid`);
  writeFileSync(node.pidfile, `${worker.pid}\n`);
  node.worker = worker;
  return worker;
}

/** Starts `anycast-guard run` on the node with this config, debug logs (JSON on stdout). */
export async function startFleetDaemon(
  lab: Lab,
  node: FleetNode,
  config: string,
): Promise<LabProcess> {
  writeFileSync(node.configPath, config);
  const daemon = await lab.spawn(node.ns, {
    name: `${node.name}-daemon`,
    argv: runArgv(node.configPath),
  });
  node.daemon = daemon;
  return daemon;
}
