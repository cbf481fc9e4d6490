/**
 * Directors as real processes (`anycast-guard director`) on loopback, and nodes as
 * in-process advertisers with their own keys, over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { systemClock } from '../../../src/clock/index.js';
import type { ProbeSpec, ServiceAd } from '../../../src/director/ad.js';
import { NodeAdvertiser } from '../../../src/director/advertiser.js';
import { requestJson, type ClientTls } from '../../../src/director/http.js';
import { generateKey, privateKeyPem, trustedKeyLine } from '../../../src/director/keys.js';
import { loggedEvent } from '../../helpers/log-events.js';
import { eventually } from '../../helpers/raw-peer.js';

export const CLI = fileURLToPath(new URL('../../../src/cli/main.js', import.meta.url));
const silent = pino({ level: 'silent' });

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function getJson<T>(url: string, tls?: ClientTls): Promise<T> {
  const response = await requestJson(url, {
    timeoutMs: 5000,
    ...(tls === undefined ? {} : { tls }),
  });
  if (response.status !== 200) throw new Error(`${url}: HTTP ${response.status}`);
  return response.body as T;
}

export interface DirectorSpec {
  readonly name: string;
  readonly peers: readonly string[];
  readonly discoverPeers?: boolean;
  readonly discoveryUrl?: string;
  readonly intervalSeconds?: number;
  /** Top-level keys. */
  readonly extra?: string;
  /** Tables of the director's own (e.g. [tls]), after the top-level keys. */
  readonly tables?: string;
}

export class DirectorProcess {
  child: ChildProcess | undefined;
  output = '';
  exit: Promise<number | null> = Promise.resolve(null);

  constructor(
    readonly name: string,
    readonly url: string,
    readonly configPath: string,
  ) {}

  async start(): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [CLI, 'director', '--config', this.configPath], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    await eventually(
      () => loggedEvent(this.output, 'director.started') || child.exitCode !== null,
      `director ${this.name} to start`,
      15_000,
    );
    if (child.exitCode !== null) throw new Error(`director ${this.name} exited: ${this.output}`);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.child === undefined || this.child.exitCode !== null)
      return this.child?.exitCode ?? null;
    this.child.kill(signal);
    const code = await this.exit;
    this.child = undefined;
    return code;
  }
}

export interface NodeHandle {
  readonly name: string;
  advertiser: NodeAdvertiser;
  services: ServiceAd[];
  restart(): void;
}

/** A temp dir with keys for every director and node, and the trusted keys file. */
export class Fleet {
  readonly directors: DirectorProcess[] = [];
  readonly nodes: NodeHandle[] = [];
  private readonly keys = new Map<string, KeyObject>();
  private constructor(readonly dir: string) {}

  static async create(name: string): Promise<Fleet> {
    return new Fleet(await mkdtemp(join(tmpdir(), `anycast-guard-${name}-`)));
  }

  get trustedKeysPath(): string {
    return join(this.dir, 'trusted-keys');
  }

  /** Keys for these origins, and the trusted keys file listing them all. */
  async makeKeys(directors: readonly string[], nodes: readonly string[]): Promise<void> {
    const lines: string[] = [];
    for (const [role, names] of [
      ['director', directors],
      ['node', nodes],
    ] as const)
      for (const origin of names) {
        const key = generateKey();
        this.keys.set(`${role}:${origin}`, key);
        await writeFile(join(this.dir, `${role}-${origin}.key`), privateKeyPem(key), {
          mode: 0o600,
        });
        lines.push(trustedKeyLine(role, origin, key));
      }
    await writeFile(this.trustedKeysPath, `${lines.join('\n')}\n`);
  }

  key(role: 'node' | 'director', origin: string): KeyObject {
    const key = this.keys.get(`${role}:${origin}`);
    if (key === undefined) throw new Error(`no key for ${role} ${origin}`);
    return key;
  }

  /** Writes each director's config (ports chosen now) without starting them. */
  async defineDirectors(
    specs: (urls: readonly string[]) => readonly DirectorSpec[],
    count: number,
    options: { https?: boolean } = {},
  ): Promise<void> {
    const ports = await Promise.all(Array.from({ length: count }, () => freePort()));
    const scheme = options.https === true ? 'https' : 'http';
    const urls = ports.map((p) => `${scheme}://127.0.0.1:${p}`);
    const list = specs(urls);
    for (const [i, spec] of list.entries()) {
      const configPath = join(this.dir, `${spec.name}.toml`);
      await writeFile(
        configPath,
        `
name = "${spec.name}"
listen = "127.0.0.1:${ports[i]}"
key_file = "${join(this.dir, `director-${spec.name}.key`)}"
trusted_keys = "${this.trustedKeysPath}"
peers = ${JSON.stringify(spec.peers)}
discover_peers = ${spec.discoverPeers ?? true}
interval = ${spec.intervalSeconds ?? 2}
timeout = 1
${spec.discoveryUrl === undefined ? '' : `discovery_url = "${spec.discoveryUrl}"`}
${spec.extra ?? ''}
${spec.tables ?? ''}
[services.web]
anycast_url = "http://203.0.113.80/"
[sites.ams]
subnets = ["10.1.0.0/16"]
lat = 52.37
lon = 4.9
[log]
level = "info"
`,
      );
      this.directors.push(new DirectorProcess(spec.name, urls[i]!, configPath));
    }
  }

  /** Starts node advertisers sending to `urls`, each with its own key. */
  addNodes(
    names: readonly string[],
    urls: readonly string[],
    options: {
      intervalMs?: number;
      learnDirectors?: boolean;
      discoveryUrl?: string;
      /** Spread the first ads over this many ms. */
      staggerMs?: number;
      /** For https:// directors. */
      tls?: ClientTls;
      /** What directors probe at each node's URL (then `nodeUrl` must be real). */
      probe?: ProbeSpec;
      nodeUrl?: (name: string) => string;
      lifetimeMs?: number;
    } = {},
  ): void {
    for (const [i, name] of names.entries()) {
      const handle: NodeHandle = {
        name,
        services: [{ name: 'web', state: 'up', prefixes: ['203.0.113.80/32'] }],
        advertiser: undefined as unknown as NodeAdvertiser,
        restart: () => {
          void handle.advertiser.stop();
          handle.advertiser = make();
          handle.advertiser.start();
        },
      };
      const make = (): NodeAdvertiser =>
        new NodeAdvertiser({
          config: {
            urls,
            ...(options.discoveryUrl === undefined ? {} : { discoveryUrl: options.discoveryUrl }),
            keyFile: '',
            intervalMs: options.intervalMs ?? 60_000,
            adLifetimeMs:
              options.lifetimeMs ?? Math.max(120_000, (options.intervalMs ?? 60_000) * 3),
            timeoutMs: 1000,
            name,
            url: options.nodeUrl?.(name) ?? `http://${name}.fleet.test:8080/`,
            ...(options.probe === undefined ? {} : { probe: options.probe }),
            site: i % 2 === 0 ? 'ams' : 'nyc',
            ...(i % 2 === 0 ? { lat: 52.37, lon: 4.9 } : { lat: 40.71, lon: -74 }),
          },
          key: this.key('node', name),
          services: () => handle.services,
          load: () => i / 100,
          clock: systemClock,
          log: silent,
          ...(options.learnDirectors === undefined
            ? {}
            : { learnDirectors: options.learnDirectors }),
          ...(options.tls === undefined ? {} : { tls: options.tls }),
        });
      handle.advertiser = make();
      if (options.staggerMs === undefined) handle.advertiser.start();
      else
        setTimeout(() => handle.advertiser.start(), (options.staggerMs * i) / names.length).unref();
      this.nodes.push(handle);
    }
  }

  async close(): Promise<void> {
    for (const node of this.nodes) await node.advertiser.stop();
    await Promise.all(this.directors.map((d) => d.kill('SIGKILL')));
    await rm(this.dir, { recursive: true, force: true });
  }
}

export interface NodesAnswer {
  nodes: {
    name: string;
    url: string;
    generation: number;
    instance: string;
    path: string[];
    from: string;
    services: ServiceAd[];
  }[];
}

export interface DirectorsAnswer {
  name: string;
  instance: string;
  peers: {
    name: string;
    link: { resent: number; sent: number; queued: number; failures: number };
  }[];
  received: Record<
    string,
    { repeats: number; refused: number; stored: number; duplicate: number; stale: number }
  >;
}
