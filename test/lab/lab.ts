/**
 * A lab of network namespaces joined by veth pairs, with real routing daemons and our
 * speaker inside. Address plan (DESIGN.md): links in 198.18.0.0/15 below 198.18.16.0
 * and fd7e:1ab::/32; nothing is ever created in the root namespace.
 *
 *   const lab = await Lab.create();
 *   t.after(() => lab.teardown());
 *   const node = await lab.namespace('node');
 *   const router = await lab.namespace('router');
 *   const link = await lab.link(node, router);   // node 198.18.0.1/30, router 198.18.0.2/30
 *   const bird = await lab.startBird(router, conf);
 *
 * Teardown kills daemons by pid file, deletes the namespaces (and with them the veths),
 * FRR run dirs and the temp dir; it also runs synchronously at process exit and on
 * SIGINT/SIGTERM/SIGHUP. Namespaces left by a run that died (its pid in the name is gone)
 * are swept when the next lab is created. Set AG_LAB_KEEP=1 to keep the temp dir (logs).
 */
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BirdRouter, FrrRouter, GobgpRouter, terminate } from './daemons.js';
import type { BirdOptions } from './daemons.js';
import { LabUnavailable } from './errors.js';
import { ExabgpSpeaker } from './exabgp.js';
import type { ExabgpOptions } from './exabgp.js';
import { findExecutable, run } from './exec.js';
import type { RunOptions, RunResult } from './exec.js';
import type { LabHost, Namespace, Owned } from './host.js';
import { HttpService } from './http-service.js';
import type { HttpServiceOptions } from './http-service.js';
import { LabProcess } from './process.js';
import type { ProcessOptions } from './process.js';
import { SpeakerProcess } from './speaker-client.js';
import type { SpeakerProcessConfig } from './speaker-protocol.js';
import { isAlive } from './wait.js';

export type { Namespace } from './host.js';

export interface LinkEnd {
  ns: Namespace;
  ifname: string;
  /** Address without length ("198.18.0.1"). */
  ipv4: string;
  ipv6: string;
  /** Address with length ("198.18.0.1/30"). */
  ipv4Cidr: string;
  ipv6Cidr: string;
}

export interface Link {
  index: number;
  a: LinkEnd;
  b: LinkEnd;
}

export interface LinkOptions {
  /** IPv4 prefix length on the link: 30 (default) or 29. Each link owns a /29 block either way. */
  ipv4PrefixLength?: 29 | 30;
}

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;
/** `ag-<pid>-<token>-<name>`: what this module creates, and what the stale sweep may remove. */
const OURS_RE = /^ag-(\d+)-([a-z0-9]{4})(-|$)/;
const LINK_BLOCKS = 2048; // 2048 × /29 = 198.18.0.0 – 198.18.15.255

const live = new Set<Lab>();
let exitHooksInstalled = false;

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  process.on('exit', () => {
    for (const lab of live) lab.teardownSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      for (const lab of live) lab.teardownSync();
      // Re-raise for the default action; if the signal was ignored when we started
      // (a background job), exit anyway rather than carry on with the lab gone.
      process.kill(process.pid, signal);
      setImmediate(() => process.exit(128 + (constants.signals[signal] ?? 0)));
    });
  }
}

function token(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  for (let i = 0; i < 4; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Throws LabUnavailable when this process cannot build labs (not root, no `ip`). */
export function checkLabPrerequisites(): void {
  const uid = process.getuid?.();
  if (uid !== 0)
    throw new LabUnavailable(`needs root to create network namespaces (uid ${uid ?? 'unknown'})`);
  if (!findExecutable('ip')) throw new LabUnavailable('`ip` (iproute2) not found on PATH');
}

export class Lab implements LabHost {
  readonly id: string;
  readonly dir: string;
  /** Short token used in veth names. */
  private readonly tok: string;
  private readonly namespaces = new Map<string, Namespace>();
  private readonly owned: Owned[] = [];
  private linkCount = 0;
  private nextApiPort: number;
  private tornDown = false;

  private constructor(tok: string) {
    this.tok = tok;
    this.id = `ag-${process.pid}-${tok}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.id}-`));
    chmodSync(this.dir, 0o755);
    this.nextApiPort = 40_000 + randomInt(20_000);
  }

  /** Checks prerequisites, sweeps stale labs of dead runs and makes an empty lab. */
  static async create(): Promise<Lab> {
    checkLabPrerequisites();
    await sweepStale();
    installExitHooks();
    const lab = new Lab(token());
    live.add(lab);
    return lab;
  }

  /** Creates a namespace with lo up and IPv6 DAD off (so link-local addresses work at once). */
  async namespace(name: string): Promise<Namespace> {
    if (!NAME_RE.test(name)) throw new Error(`bad namespace name ${JSON.stringify(name)}`);
    if (this.namespaces.has(name)) throw new Error(`namespace ${name} exists`);
    const ns: Namespace = { name, netns: `${this.id}-${name}` };
    try {
      await run(['ip', 'netns', 'add', ns.netns]);
    } catch (error) {
      throw new LabUnavailable(`cannot create network namespace ${ns.netns}`, { cause: error });
    }
    this.namespaces.set(name, ns);
    await run(['ip', '-n', ns.netns, 'link', 'set', 'lo', 'up']);
    await this.exec(ns, [
      'sysctl',
      '-q',
      '-w',
      'net.ipv6.conf.all.accept_dad=0',
      'net.ipv6.conf.default.accept_dad=0',
    ]);
    return ns;
  }

  /** Looks up a namespace by short name. */
  ns(name: string | Namespace): Namespace {
    const key = typeof name === 'string' ? name : name.name;
    const ns = this.namespaces.get(key);
    if (!ns) throw new Error(`no namespace ${key} in lab ${this.id}`);
    return ns;
  }

  /**
   * A veth pair between two namespaces. Link i owns 198.18.0.0 + 8i /29 and
   * fd7e:1ab:0:(i+1)::/64: end a gets .1 and ::1, end b .2 and ::2.
   */
  async link(
    aName: string | Namespace,
    bName: string | Namespace,
    options: LinkOptions = {},
  ): Promise<Link> {
    const a = this.ns(aName);
    const b = this.ns(bName);
    const index = this.linkCount++;
    if (index >= LINK_BLOCKS) throw new Error('lab: out of link address blocks');
    const len = options.ipv4PrefixLength ?? 30;
    const base = index * 8;
    const v4 = (host: number): string =>
      `198.18.${Math.floor((base + host) / 256)}.${(base + host) % 256}`;
    const v6 = (host: number): string => `fd7e:1ab:0:${(index + 1).toString(16)}::${host}`;
    const end = (ns: Namespace, side: 'a' | 'b', host: number): LinkEnd => ({
      ns,
      ifname: `${this.tok}-${index}${side}`,
      ipv4: v4(host),
      ipv6: v6(host),
      ipv4Cidr: `${v4(host)}/${len}`,
      ipv6Cidr: `${v6(host)}/64`,
    });
    const link: Link = { index, a: end(a, 'a', 1), b: end(b, 'b', 2) };
    await run([
      'ip',
      'link',
      'add',
      link.a.ifname,
      'netns',
      a.netns,
      'type',
      'veth',
      'peer',
      'name',
      link.b.ifname,
      'netns',
      b.netns,
    ]);
    for (const e of [link.a, link.b]) {
      await run(['ip', '-n', e.ns.netns, 'addr', 'add', e.ipv4Cidr, 'dev', e.ifname]);
      await run([
        'ip',
        '-n',
        e.ns.netns,
        '-6',
        'addr',
        'add',
        e.ipv6Cidr,
        'dev',
        e.ifname,
        'nodad',
      ]);
      await run(['ip', '-n', e.ns.netns, 'link', 'set', e.ifname, 'up']);
    }
    return link;
  }

  exec(ns: string | Namespace, argv: readonly string[], options?: RunOptions): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.ns(ns).netns, ...argv], options);
  }

  private async own<T extends Owned & { start(): Promise<void> }>(daemon: T): Promise<T> {
    this.owned.push(daemon);
    await daemon.start();
    return daemon;
  }

  /** Starts BIRD 2 with this config (see BIRD_TEST_TIMERS for session timers). */
  startBird(
    ns: string | Namespace,
    conf: string,
    options: BirdOptions & { name?: string } = {},
  ): Promise<BirdRouter> {
    const n = this.ns(ns);
    return this.own(new BirdRouter(this, n, options.name ?? n.name, conf, options));
  }

  /** Starts FRRouting zebra + bgpd (+ bfdd) with this integrated config, in pathspace `<lab id>-<name>`. */
  startFrr(
    ns: string | Namespace,
    conf: string,
    options: { name?: string; bfd?: boolean } = {},
  ): Promise<FrrRouter> {
    const n = this.ns(ns);
    return this.own(new FrrRouter(this, n, options.name ?? n.name, conf, options.bfd ?? false));
  }

  /** Starts gobgpd with this TOML config; its API port is picked per run. */
  startGobgp(
    ns: string | Namespace,
    toml: string,
    options: { name?: string } = {},
  ): Promise<GobgpRouter> {
    const n = this.ns(ns);
    return this.own(new GobgpRouter(this, n, options.name ?? n.name, toml, this.nextApiPort++));
  }

  /** Runs our speaker (dist/test/lab/speaker-process.js) inside the namespace. */
  startSpeaker(
    ns: string | Namespace,
    config: SpeakerProcessConfig,
    options: { name?: string } = {},
  ): Promise<SpeakerProcess> {
    const n = this.ns(ns);
    return this.own(new SpeakerProcess(this, n, options.name ?? n.name, config));
  }

  /**
   * Starts any program inside the namespace (`ip netns exec`); it is stopped on teardown.
   * Log files go to `<lab dir>/proc-<name>/`.
   */
  spawn(ns: string | Namespace, options: ProcessOptions): Promise<LabProcess> {
    if (!NAME_RE.test(options.name)) throw new Error(`bad process name ${options.name}`);
    const n = this.ns(ns);
    return this.own(new LabProcess(join(this.dir, `proc-${n.name}-${options.name}`), n, options));
  }

  /** A toggleable HTTP service (test/lab/http-service-process.ts) in the namespace. */
  startHttpService(
    ns: string | Namespace,
    options: HttpServiceOptions & { name?: string } = {},
  ): Promise<HttpService> {
    const n = this.ns(ns);
    const name = options.name ?? 'http-service';
    return this.own(new HttpService(join(this.dir, `proc-${n.name}-${name}`), n, options));
  }

  /** ExaBGP 4.2 in the foreground, optionally with its healthcheck program. */
  startExabgp(
    ns: string | Namespace,
    options: ExabgpOptions & { name?: string },
  ): Promise<ExabgpSpeaker> {
    const n = this.ns(ns);
    return this.own(new ExabgpSpeaker(this.dir, n, options.name ?? n.name, options));
  }

  /** Removes everything this lab made. Safe to call twice; throws an AggregateError of what failed. */
  async teardown(): Promise<void> {
    if (this.tornDown) return;
    this.tornDown = true;
    const errors: unknown[] = [];
    for (const daemon of [...this.owned].reverse()) {
      try {
        await daemon.stop();
      } catch (error) {
        errors.push(error);
      }
    }
    for (const ns of this.namespaces.values()) {
      try {
        const { stdout } = await run(['ip', 'netns', 'pids', ns.netns], { allowFailure: true });
        const pids = stdout.split(/\s+/).filter(Boolean).map(Number);
        if (pids.length > 0) await terminate(pids, 2000);
        await run(['ip', 'netns', 'del', ns.netns]);
      } catch (error) {
        errors.push(error);
      }
    }
    for (const daemon of this.owned) {
      try {
        daemon.cleanupSync?.();
      } catch (error) {
        errors.push(error);
      }
    }
    if (process.env.AG_LAB_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
    if (errors.length > 0)
      throw new AggregateError(errors, `lab ${this.id}: teardown had ${errors.length} error(s)`);
  }

  /** Best-effort synchronous teardown for process exit. */
  teardownSync(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    for (const daemon of this.owned) {
      for (const pid of daemon.pids()) killQuietly(pid);
    }
    for (const ns of this.namespaces.values()) killNamespaceSync(ns.netns);
    for (const daemon of this.owned) {
      try {
        daemon.cleanupSync?.();
      } catch {
        // best effort at exit
      }
    }
    if (process.env.AG_LAB_KEEP !== '1') rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

function killNamespaceSync(netns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', netns], { encoding: 'utf8' });
    for (const pid of pids.split(/\s+/).filter(Boolean)) killQuietly(Number(pid));
  } catch {
    // namespace gone
  }
  try {
    execFileSync('ip', ['netns', 'del', netns], { stdio: 'ignore' });
  } catch {
    // namespace gone
  }
}

/** Deletes namespaces and FRR run dirs named for a lab whose process is gone. */
async function sweepStale(): Promise<void> {
  const { stdout } = await run(['ip', 'netns', 'list'], { allowFailure: true });
  for (const line of stdout.split('\n')) {
    const name = line.split(/\s+/)[0] ?? '';
    const match = OURS_RE.exec(name);
    if (!match || isAlive(Number(match[1]))) continue;
    killNamespaceSync(name);
  }
  let frrDirs: string[] = [];
  try {
    frrDirs = readdirSync('/var/run/frr');
  } catch {
    // no FRR
  }
  for (const name of frrDirs) {
    const match = OURS_RE.exec(name);
    if (match && !isAlive(Number(match[1])))
      rmSync(join('/var/run/frr', name), { recursive: true, force: true });
  }
}
