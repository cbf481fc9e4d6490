/**
 * End-to-end harness: `anycast-guard run` (the compiled CLI, as a child process) in a node
 * namespace with a real HTTP service beside it, BIRD 2 in a router namespace.
 *
 *   node1 ──veth── router ──veth── node2      (node i: link i-1, 198.18.0.8(i-1)+1;
 *                                              router end .2 / .10; BIRD protocol "node<i>")
 *
 * The daemon logs JSON (pino) on stdout; these helpers read it as records. BIRD logs every
 * route it imports or removes (`debug { states, routes, events }`) with ms timestamps from
 * the same realtime clock as the daemon's `time` field and the service's break/mend times.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BIRD_TEST_TIMERS, Lab, parseJsonLine, waitFor } from '../lab/index.js';
import type { Teardown } from '../lab/teardown.js';
import type {
  BirdControl,
  BirdRouter,
  HttpService,
  JsonRecord,
  LabProcess,
  Link,
  Namespace,
} from '../lab/index.js';

export const NODE_AS = 65001;
export const ROUTER_AS = 65000;
export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** The checkout this test was compiled from: the first directory above it with examples/. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'examples'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('repoRoot: no examples/ above the compiled test');
    dir = up;
  }
  return dir;
}

/** The path of examples/NAME in that checkout. */
export function examplePath(name: string): string {
  return join(repoRoot(), 'examples', name);
}

/** The text of examples/NAME in that checkout. */
export function example(name: string): string {
  return readFileSync(examplePath(name), 'utf8');
}

/** BIRD with one passive eBGP protocol per node link, named node1, node2, … in order. */
export function routerConf(
  links: readonly Link[],
  /** Also take IPv6 routes on each session (an IPv4 session carrying both). */
  options: { readonly ipv6?: boolean } = {},
): string {
  const first = links[0];
  if (!first) throw new Error('routerConf: no links');
  const protocols = links.map(
    (link, i) => `
protocol bgp node${i + 1} {
  debug { states, routes, events };
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${NODE_AS};
  passive on;
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };${options.ipv6 === true ? '\n  ipv6 { import all; export none; };' : ''}
}
`,
  );
  return `router id ${first.b.ipv4};\nprotocol device {}\n${protocols.join('')}`;
}

export interface ServiceSpec {
  name: string;
  /** Bare addresses or prefixes, as in the config file. */
  prefixes: readonly string[];
  url: string;
  /** Seconds. */
  interval: number;
  timeout?: number;
  rise: number;
  fall: number;
  holdDown: number;
  /** More TOML lines for the service table, verbatim. */
  extra?: string;
}

/**
 * A daemon config: the embedded speaker peering with the router over `link`, and services.
 * Pass `apiDir` (Node.apiDir) to keep the API's unix socket and the state directory in the
 * lab: the defaults are host-wide paths (/run/anycast-guard/control.sock,
 * /var/lib/anycast-guard), so two daemons clash and a drained.json left there drains.
 */
export function daemonConfig(
  link: Link,
  services: readonly ServiceSpec[],
  /** Where the API's socket and state go (Node.apiDir): never the host's /run or /var/lib. */
  apiDir: string,
): string {
  const blocks = services.map(
    (s) => `
[services.${s.name}]
prefixes = [${s.prefixes.map((p) => `"${p}"`).join(', ')}]
checks.http = [{ url = "${s.url}", interval = ${s.interval}, timeout = ${s.timeout ?? s.interval} }]
rise = ${s.rise}
fall = ${s.fall}
hold_down = ${s.holdDown}
${s.extra ?? ''}`,
  );
  return `${nodeConfigHead(link, apiDir)}${blocks.join('')}`;
}

/**
 * The head of a lab node's config: its API's socket and state in `apiDir` (never the host's
 * /run or /var/lib), and one eBGP peer, the router across `link`. `peerKeys` are more
 * lines of that peer's table (e.g. `hold_time = 9`).
 */
export function nodeConfigHead(link: Link, apiDir: string, peerKeys = ''): string {
  return `[api]
listen = false
socket = "${apiDir}/control.sock"
state_dir = "${apiDir}"

[bgp]
asn = ${NODE_AS}
router_id = "${link.a.ipv4}"
[[bgp.peers]]
address = "${link.b.ipv4}"
asn = ${ROUTER_AS}
local_address = "${link.a.ipv4}"
connect_retry = 1
${peerKeys}`;
}

export interface Node {
  ns: Namespace;
  link: Link;
  /** BIRD protocol name for this node's session. */
  protocol: string;
  service: HttpService;
  configPath: string;
  /** The daemon's API socket and state directory. */
  apiDir: string;
}

/** A node: namespace, link to the router namespace, HTTP service on 127.0.0.1:8080 inside. */
export async function makeNode(lab: Lab, index: number, router: Namespace): Promise<Node> {
  const ns = await lab.namespace(`node${index}`);
  const link = await lab.link(ns, router);
  const service = await lab.startHttpService(ns, { port: 8080 });
  return {
    ns,
    link,
    protocol: `node${index}`,
    service,
    configPath: join(lab.dir, `node${index}.toml`),
    apiDir: join(lab.dir, `node${index}-api`),
  };
}

/** The command line of `anycast-guard run` with this config and debug logs (check results). */
export function runArgv(configPath: string): string[] {
  return [
    process.execPath,
    '--enable-source-maps',
    CLI,
    'run',
    '--config',
    configPath,
    '--log-level',
    'debug',
  ];
}

/** Starts `anycast-guard run` in the node's namespace with debug logs (check results). */
export function startDaemon(
  lab: Lab,
  node: Node,
  config: string,
  name = 'daemon',
): Promise<LabProcess> {
  writeFileSync(node.configPath, config);
  return lab.spawn(node.ns, { name: `${node.protocol}-${name}`, argv: runArgv(node.configPath) });
}

/** The daemon's log records from stdout line `from` on (`daemon.lines.length` marks a point). */
export function records(daemon: LabProcess, from = 0): JsonRecord[] {
  return daemon.lines.slice(from).flatMap((line) => {
    const record = parseJsonLine(line.text);
    return record === undefined ? [] : [record];
  });
}

export function waitForLog(
  daemon: LabProcess,
  match: (record: JsonRecord) => boolean,
  what: string,
  options: { from?: number; timeoutMs?: number } = {},
): Promise<JsonRecord> {
  return daemon.waitForJson(match, { what: `daemon log: ${what}`, ...options });
}

/** A service transition line (event service.state_changed) for `service` entering `state`. */
export function isTransition(service: string, state: string) {
  return (record: JsonRecord): boolean =>
    record.event === 'service.state_changed' &&
    record.service === service &&
    record.state === state;
}

export function isCheckResult(service: string, ok?: boolean) {
  return (record: JsonRecord): boolean =>
    record.event === 'check.result' &&
    record.service === service &&
    (ok === undefined || record.ok === ok);
}

export function time(record: JsonRecord): number {
  if (typeof record.time !== 'number')
    throw new Error(`log record without time: ${JSON.stringify(record)}`);
  return record.time;
}

/** Epoch ms of BIRD's "<protocol>.ipv4 > added|removed … PREFIX" log lines. */
export function birdRouteEvents(
  router: BirdRouter,
  protocol: string,
  what: 'added' | 'removed',
  prefix: string,
): number[] {
  const escaped = prefix.replace(/[./]/g, (c) => `\\${c}`);
  const re = new RegExp(`^(\\d+\\.\\d+) <TRACE> ${protocol}\\.ipv4 > ${what}\\b.* ${escaped} `);
  return router
    .log()
    .split('\n')
    .flatMap((line) => {
      const match = re.exec(line);
      return match?.[1] ? [Math.round(Number(match[1]) * 1000)] : [];
    });
}

/** Waits until the protocols holding `prefix` in BIRD satisfy `until`; returns them. */
export function waitForPaths(
  control: BirdControl,
  prefix: string,
  until: (paths: string[]) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<string[]> {
  return waitFor(async () => (await control.paths(prefix)).sort(), {
    what: `${prefix} in BIRD: ${what}`,
    until,
    timeoutMs,
    intervalMs: 10,
  });
}

export interface PathSample {
  /** Epoch ms the answer arrived. */
  at: number;
  paths: string[];
}

/** Polls BIRD for the paths of some prefixes every `intervalMs` until stopped. */
export class PathPoller {
  readonly samples = new Map<string, PathSample[]>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly control: BirdControl,
    private readonly prefixes: readonly string[],
    private readonly intervalMs = 10,
  ) {
    for (const prefix of prefixes) this.samples.set(prefix, []);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      for (const prefix of this.prefixes) {
        const paths = await this.control.paths(prefix);
        this.samples.get(prefix)?.push({ at: Date.now(), paths: paths.sort() });
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }

  async stop(): Promise<Map<string, PathSample[]>> {
    this.running = false;
    await this.loop;
    return this.samples;
  }
}

/**
 * A fresh lab: `nodes` node namespaces (see makeNode), each linked to one BIRD router
 * with a protocol per node, and a control-socket client; all torn down after the test.
 */
export async function routerLab(
  t: Teardown,
  nodes = 1,
): Promise<{ lab: Lab; node: Node; nodes: Node[]; router: BirdRouter; control: BirdControl }> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const made: Node[] = [];
  for (let i = 1; i <= Math.max(1, nodes); i++) made.push(await makeNode(lab, i, routerNs));
  const [node] = made;
  if (node === undefined) throw new Error('routerLab: no node');
  const router = await lab.startBird(routerNs, routerConf(made.map((n) => n.link)));
  const control = await router.control();
  t.after(() => control.close());
  return { lab, node, nodes: made, router, control };
}

/**
 * One node (makeNode) and a BIRD router with `routerConf(node)`, for the labs where the
 * node runs its own routing daemon; all torn down after the test. `example` names the
 * examples/ file whose fixed addresses (198.18.0.1 ↔ 198.18.0.2, fd7e:1ab:0:1::1) the
 * link must have got.
 */
export async function nodeAndRouter(
  t: Teardown,
  routerConf: (node: Node) => string,
  example: string,
): Promise<{ lab: Lab; node: Node; router: BirdRouter; control: BirdControl }> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const routerNs = await lab.namespace('router');
  const node = await makeNode(lab, 1, routerNs);
  const { a, b } = node.link;
  if (a.ipv4 !== '198.18.0.1' || b.ipv4 !== '198.18.0.2' || a.ipv6 !== 'fd7e:1ab:0:1::1')
    throw new Error(
      `examples/${example} expects 198.18.0.1 ↔ 198.18.0.2 and fd7e:1ab:0:1::1, got ${a.ipv4} ↔ ${b.ipv4}, ${a.ipv6}`,
    );
  // BIRD first: the node's daemon then connects at once instead of waiting out a retry.
  const router = await lab.startBird(routerNs, routerConf(node));
  const control = await router.control();
  t.after(() => control.close());
  return { lab, node, router, control };
}

/** Waits until each of the router's `protocols` is Established. */
export async function waitEstablished(
  router: BirdRouter,
  protocols: readonly string[],
  who: string,
): Promise<void> {
  for (const name of protocols)
    await waitFor(() => router.peer(name), {
      what: `BGP session ${who} → BIRD (${name})`,
      until: (peer) => peer.state === 'established',
      timeoutMs: 30_000,
    });
}
