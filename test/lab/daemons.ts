/**
 * Controllers for real routing daemons inside lab namespaces: BIRD 2, FRRouting 8.4
 * (zebra + bgpd with a pathspace) and GoBGP 3.10. Each writes its files under the lab's
 * temp dir, records pids for teardown, and answers queries in the shapes of routes.ts.
 * Facts behind the details: /work/shared/LAB-NOTES.md.
 */
import { spawn } from 'node:child_process';
import {
  chownSync,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BirdControl } from './bird-control.js';
import { LabCommandError } from './errors.js';
import { findExecutable, run } from './exec.js';
import type { LabHost, Namespace, Owned } from './host.js';
import {
  parseBirdCount,
  parseBirdProtocols,
  parseBirdRoutes,
  parseFrrNeighbors,
  parseFrrPrefix,
  parseFrrTablePrefixes,
  parseGobgpLog,
  parseGobgpNeighbors,
  parseGobgpRib,
  splitJsonDocuments,
} from './routes.js';
import type { Family, LabPeer, LabRoute } from './routes.js';
import { isAlive, waitFor, waitForExit } from './wait.js';

export type RouterKind = 'bird' | 'frr' | 'gobgp';

/** Timer settings for BIRD BGP protocols in tests (LAB-NOTES: the defaults wait 5 to 60+ s). */
export const BIRD_TEST_TIMERS = 'connect delay time 1; connect retry time 1; error wait time 1, 2;';

export const FRR_BIN = '/usr/lib/frr';

/** Binaries each router kind needs. */
export const DAEMON_BINARIES: Record<RouterKind | 'exabgp', string[]> = {
  bird: ['bird', 'birdc'],
  frr: [`${FRR_BIN}/zebra`, `${FRR_BIN}/bgpd`, 'vtysh'],
  gobgp: ['gobgpd', 'gobgp'],
  exabgp: ['exabgp'],
};

export interface Router extends Owned {
  readonly kind: RouterKind;
  readonly ns: Namespace;
  readonly name: string;
  /** All routes (every path) of one family in the router's table. */
  routes(family: Family): Promise<LabRoute[]>;
  /** The best path for one prefix, or undefined. */
  route(prefix: string): Promise<LabRoute | undefined>;
  /** Number of prefixes of one family in the router's table. */
  count(family: Family): Promise<number>;
  peers(): Promise<LabPeer[]>;
  /** One neighbour by address (BIRD also by protocol name); throws when unknown. */
  peer(addressOrName: string): Promise<LabPeer>;
  start(): Promise<void>;
  restart(): Promise<void>;
  /** The daemon's own log so far. */
  log(): string;
}

function familyOf(prefix: string): Family {
  return prefix.includes(':') ? 'ipv6' : 'ipv4';
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** SIGTERM, wait up to graceMs, then SIGKILL and wait again. */
export async function terminate(pids: readonly number[], graceMs = 5000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const exited = await Promise.all(pids.map((pid) => waitForExit(pid, graceMs)));
  const stubborn = pids.filter((_, i) => !exited[i]);
  for (const pid of stubborn) signal(pid, 'SIGKILL');
  const killed = await Promise.all(stubborn.map((pid) => waitForExit(pid, 5000)));
  const left = stubborn.filter((_, i) => !killed[i]);
  if (left.length > 0) throw new Error(`processes did not exit: ${left.join(', ')}`);
}

function findPeer(peers: LabPeer[], key: string, what: string): LabPeer {
  const peer = peers.find((p) => p.address === key || p.name === key);
  if (!peer)
    throw new Error(
      `${what}: no neighbour ${key} (have ${peers.map((p) => p.name ?? p.address).join(', ')})`,
    );
  return peer;
}

function best(routes: LabRoute[], prefix: string): LabRoute | undefined {
  const matching = routes.filter((r) => r.prefix === prefix);
  return matching.find((r) => r.best) ?? matching[0];
}

// ---------------------------------------------------------------- BIRD 2

/** Splits a birdc command into words, keeping "double-quoted text" (shutdown messages) as one. */
function splitBirdCommand(command: string): string[] {
  return [...command.matchAll(/"[^"]*"|\S+/g)].map((m) => m[0]);
}

export interface BirdOptions {
  /** Prepend `log "<dir>/bird.log" all; timeformat log "%s.%3f";` (default true). */
  logHeader?: boolean;
}

export class BirdRouter implements Router {
  readonly kind = 'bird';
  readonly dir: string;
  readonly confPath: string;
  readonly ctlPath: string;
  readonly pidPath: string;
  readonly logPath: string;

  constructor(
    private readonly host: LabHost,
    readonly ns: Namespace,
    readonly name: string,
    conf: string,
    options: BirdOptions = {},
  ) {
    this.dir = join(host.dir, `bird-${name}`);
    mkdirSync(this.dir, { recursive: true });
    this.confPath = join(this.dir, 'bird.conf');
    this.ctlPath = join(this.dir, 'bird.ctl');
    this.pidPath = join(this.dir, 'bird.pid');
    this.logPath = join(this.dir, 'bird.log');
    const header =
      options.logHeader === false ? '' : `log "${this.logPath}" all;\ntimeformat log "%s.%3f";\n`;
    this.header = header;
    writeFileSync(this.confPath, header + conf);
  }

  private readonly header: string;

  /** Writes a new config and applies it with `configure` (BIRD keeps what did not change). */
  async reconfigure(conf: string): Promise<void> {
    writeFileSync(this.confPath, this.header + conf);
    const out = await this.birdc('configure');
    if (!/Reconfigured|Reconfiguration in progress/.test(out))
      throw new Error(`bird configure: ${out}`);
  }

  async start(): Promise<void> {
    rmSync(this.pidPath, { force: true });
    await this.host.exec(this.ns, [
      'bird',
      '-c',
      this.confPath,
      '-s',
      this.ctlPath,
      '-P',
      this.pidPath,
    ]);
    await waitFor(() => readPid(this.pidPath), {
      what: `bird ${this.name} pid file`,
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    await waitFor(() => this.birdc('show status'), {
      what: `bird ${this.name} control socket`,
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  }

  /** Runs one birdc command and returns its text (the "BIRD x.y ready." banner included). */
  async birdc(command: string): Promise<string> {
    const argv = ['birdc', '-s', this.ctlPath, ...splitBirdCommand(command)];
    const { stdout, stderr, exitCode } = await run(argv, { timeoutMs: 30_000, allowFailure: true });
    // birdc exits 1 on any error reply; "Network not found" is an answer, not a failure.
    if (exitCode !== 0 && !/^Network not found$/m.test(stdout)) {
      throw new LabCommandError(
        argv,
        exitCode,
        stdout,
        stderr,
        `exit code ${exitCode}: ${stdout.trim().slice(-500)}`,
      );
    }
    return stdout;
  }

  /** A persistent control-socket connection (close it when done). */
  control(): Promise<BirdControl> {
    return BirdControl.connect(this.ctlPath);
  }

  async routes(family: Family): Promise<LabRoute[]> {
    return parseBirdRoutes(
      await this.birdc(`show route table ${family === 'ipv4' ? 'master4' : 'master6'} all`),
    );
  }

  async route(prefix: string): Promise<LabRoute | undefined> {
    const table = familyOf(prefix) === 'ipv4' ? 'master4' : 'master6';
    return best(
      parseBirdRoutes(await this.birdc(`show route ${prefix} table ${table} all`)),
      prefix,
    );
  }

  async count(family: Family): Promise<number> {
    return parseBirdCount(
      await this.birdc(`show route table ${family === 'ipv4' ? 'master4' : 'master6'} count`),
    );
  }

  async peers(): Promise<LabPeer[]> {
    return parseBirdProtocols(await this.birdc('show protocols all'));
  }

  async peer(addressOrName: string): Promise<LabPeer> {
    return findPeer(await this.peers(), addressOrName, `bird ${this.name}`);
  }

  pids(): number[] {
    const pid = readPid(this.pidPath);
    return pid !== undefined && isAlive(pid) ? [pid] : [];
  }

  async stop(): Promise<void> {
    await terminate(this.pids());
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  log(): string {
    return readText(this.logPath);
  }
}

// ---------------------------------------------------------------- FRRouting

type FrrDaemon = 'zebra' | 'bfdd' | 'bgpd';

export class FrrRouter implements Router {
  readonly kind = 'frr';
  readonly dir: string;
  readonly confPath: string;
  readonly logPath: string;
  /** FRR pathspace (`-N`): run files live in /var/run/frr/<pathspace>. */
  readonly pathspace: string;

  constructor(
    private readonly host: LabHost,
    readonly ns: Namespace,
    readonly name: string,
    conf: string,
    /** Also run bfdd (BFD, `neighbor X bfd`). */
    private readonly bfd = false,
  ) {
    this.pathspace = `${host.id}-${name}`;
    this.dir = join(host.dir, `frr-${name}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o755 });
    this.confPath = join(this.dir, 'frr.conf');
    this.logPath = join(this.dir, 'frr.log');
    writeFileSync(this.confPath, withFrrLog(conf, this.logPath), { mode: 0o644 });
    const frr = frrIds();
    if (frr) {
      chownSync(this.dir, frr.uid, frr.gid);
      chownSync(this.confPath, frr.uid, frr.gid);
    }
  }

  private pidPath(daemon: FrrDaemon): string {
    return join(this.dir, `${daemon}.pid`);
  }

  private get daemons(): FrrDaemon[] {
    return this.bfd ? ['zebra', 'bfdd', 'bgpd'] : ['zebra', 'bgpd'];
  }

  async start(): Promise<void> {
    for (const daemon of this.daemons) {
      rmSync(this.pidPath(daemon), { force: true });
      // -P 0: no TCP vty; -d: daemonize; the pid file tells teardown what to kill.
      await this.host.exec(this.ns, [
        `${FRR_BIN}/${daemon}`,
        '-d',
        '-N',
        this.pathspace,
        '-f',
        this.confPath,
        '-i',
        this.pidPath(daemon),
        '-P',
        '0',
      ]);
      await waitFor(() => readPid(this.pidPath(daemon)), {
        what: `frr ${this.name} ${daemon} pid file`,
        timeoutMs: 10_000,
        intervalMs: 20,
      });
    }
    await waitFor(() => this.vtyshJson('show bgp summary json'), {
      what: `frr ${this.name} bgpd answering vtysh`,
      timeoutMs: 15_000,
    });
  }

  /** Runs vtysh commands; returns stdout (the vtysh.conf warning on stderr is ignored). */
  async vtysh(...commands: string[]): Promise<string> {
    const argv = ['vtysh', '-N', this.pathspace, ...commands.flatMap((c) => ['-c', c])];
    const { stdout } = await run(argv, { timeoutMs: 30_000 });
    return stdout;
  }

  async vtyshJson(command: string): Promise<unknown> {
    const text = await this.vtysh(command);
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new Error(`frr ${this.name}: ${command}: not JSON: ${text.slice(0, 300)}`, {
        cause: error,
      });
    }
  }

  async routes(family: Family): Promise<LabRoute[]> {
    const prefixes = parseFrrTablePrefixes(await this.vtyshJson(`show bgp ${family} unicast json`));
    const routes: LabRoute[] = [];
    for (let i = 0; i < prefixes.length; i += 100) {
      const batch = prefixes.slice(i, i + 100);
      const text = await this.vtysh(...batch.map((p) => `show bgp ${family} unicast ${p} json`));
      for (const doc of splitJsonDocuments(text)) routes.push(...parseFrrPrefix(doc));
    }
    return routes;
  }

  async route(prefix: string): Promise<LabRoute | undefined> {
    const doc = await this.vtyshJson(`show bgp ${familyOf(prefix)} unicast ${prefix} json`);
    return best(parseFrrPrefix(doc), prefix);
  }

  async count(family: Family): Promise<number> {
    return parseFrrTablePrefixes(await this.vtyshJson(`show bgp ${family} unicast json`)).length;
  }

  async peers(): Promise<LabPeer[]> {
    return parseFrrNeighbors(await this.vtyshJson('show bgp neighbors json'));
  }

  async peer(address: string): Promise<LabPeer> {
    return findPeer(await this.peers(), address, `frr ${this.name}`);
  }

  pids(): number[] {
    return [...this.daemons]
      .reverse()
      .map((d) => readPid(this.pidPath(d)))
      .filter((pid): pid is number => pid !== undefined && isAlive(pid));
  }

  async stop(): Promise<void> {
    // bgpd first so it does not log zebra's disappearance as an error.
    const bgpd = readPid(this.pidPath('bgpd'));
    if (bgpd !== undefined && isAlive(bgpd)) await terminate([bgpd]);
    await terminate(this.pids());
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  cleanupSync(): void {
    rmSync(join('/var/run/frr', this.pathspace), { recursive: true, force: true });
  }

  log(): string {
    return readText(this.logPath);
  }
}

function withFrrLog(conf: string, logPath: string): string {
  const lines = conf.split('\n');
  let at = 0;
  while (at < lines.length && /^\s*(frr (defaults|version)\b|!|$)/.test(lines[at] ?? '')) at++;
  lines.splice(at, 0, `log file ${logPath}`);
  return lines.join('\n');
}

let frrIdsCache: { uid: number; gid: number } | null | undefined;
function frrIds(): { uid: number; gid: number } | undefined {
  if (frrIdsCache === undefined) {
    const line = readText('/etc/passwd')
      .split('\n')
      .find((l) => l.startsWith('frr:'));
    const [, , uid, gid] = line?.split(':') ?? [];
    frrIdsCache =
      uid !== undefined && gid !== undefined ? { uid: Number(uid), gid: Number(gid) } : null;
  }
  return frrIdsCache ?? undefined;
}

// ---------------------------------------------------------------- GoBGP

export class GobgpRouter implements Router {
  readonly kind = 'gobgp';
  readonly dir: string;
  readonly confPath: string;
  readonly logPath: string;
  readonly pidPath: string;
  /** The gRPC API on a unix socket as well: reachable from outside the namespace. */
  readonly apiSocket: string;

  constructor(
    private readonly host: LabHost,
    readonly ns: Namespace,
    readonly name: string,
    conf: string,
    /** gRPC API port on the namespace's loopback. */
    readonly apiPort: number,
  ) {
    this.dir = join(host.dir, `gobgp-${name}`);
    mkdirSync(this.dir, { recursive: true });
    this.confPath = join(this.dir, 'gobgpd.toml');
    this.logPath = join(this.dir, 'gobgpd.log');
    this.pidPath = join(this.dir, 'gobgpd.pid');
    this.apiSocket = join(this.dir, 'api.sock');
    writeFileSync(this.confPath, conf);
  }

  async start(): Promise<void> {
    const gobgpd = findExecutable('gobgpd') ?? 'gobgpd';
    const fd = openSync(this.logPath, 'a');
    let exited: string | undefined;
    try {
      // `ip netns exec` execs gobgpd, so the child's pid is gobgpd's.
      const child = spawn(
        'ip',
        [
          'netns',
          'exec',
          this.ns.netns,
          gobgpd,
          '-f',
          this.confPath,
          '--api-hosts',
          `127.0.0.1:${this.apiPort},unix://${this.apiSocket}`,
          '--pprof-disable',
          '-l',
          'info',
        ],
        { stdio: ['ignore', fd, fd], detached: true },
      );
      child.once('exit', (code, signal) => {
        exited = `exited with ${signal ?? `code ${code}`}`;
      });
      child.unref();
      if (child.pid === undefined) throw new Error(`gobgp ${this.name}: spawn failed`);
      writeFileSync(this.pidPath, `${child.pid}\n`);
    } finally {
      closeSync(fd);
    }
    await waitFor(
      async () => {
        if (exited) throw new Error(`gobgpd ${exited}: ${this.log().slice(-1500)}`);
        return (await this.gobgp(['global', '-j'], true)).exitCode === 0;
      },
      {
        what: `gobgp ${this.name} API on port ${this.apiPort}`,
        timeoutMs: 15_000,
        retryOnError: false,
      },
    ).catch((error: unknown) => {
      if (exited) throw new Error(`gobgpd ${exited}: ${this.log().slice(-1500)}`, { cause: error });
      throw error;
    });
  }

  /** Runs the gobgp CLI against this daemon (inside the namespace: the API is on its loopback). */
  async gobgp(
    args: readonly string[],
    allowFailure = false,
  ): Promise<{ stdout: string; exitCode: number }> {
    return this.host.exec(this.ns, ['gobgp', '-p', String(this.apiPort), ...args], {
      allowFailure,
      timeoutMs: 120_000,
    });
  }

  async gobgpJson(args: readonly string[]): Promise<unknown> {
    const { stdout } = await this.gobgp([...args, '-j']);
    const data: unknown = JSON.parse(stdout);
    if (data && typeof data === 'object' && 'error' in data) {
      throw new Error(`gobgp ${this.name}: ${args.join(' ')}: ${String(data.error)}`);
    }
    return data;
  }

  async routes(family: Family): Promise<LabRoute[]> {
    return parseGobgpRib(await this.gobgpJson(['global', 'rib', '-a', family]));
  }

  async route(prefix: string): Promise<LabRoute | undefined> {
    const { stdout, exitCode } = await this.gobgp(
      ['global', 'rib', '-a', familyOf(prefix), prefix, '-j'],
      true,
    );
    if (exitCode !== 0 || stdout.trim() === '' || stdout.includes('"error"')) return undefined;
    return best(parseGobgpRib(JSON.parse(stdout)), prefix);
  }

  async count(family: Family): Promise<number> {
    const { stdout } = await this.gobgp(['global', 'rib', 'summary', '-a', family]);
    const match = /Destination:\s*(\d+)/.exec(stdout);
    if (!match) throw new Error(`gobgp ${this.name}: no count in ${JSON.stringify(stdout)}`);
    return Number(match[1]);
  }

  async peers(): Promise<LabPeer[]> {
    const peers = parseGobgpNeighbors(await this.gobgpJson(['neighbor']));
    const notifications = parseGobgpLog(this.log());
    for (const peer of peers) {
      const last = notifications.filter((n) => n.address === peer.address).at(-1);
      if (!last) continue;
      peer.lastNotification = { code: last.code, subcode: last.subcode, received: last.received };
      peer.lastError = `${last.received ? 'Received' : 'Sent'}: code ${last.code} subcode ${last.subcode}`;
      if (last.message !== undefined && last.received) peer.shutdownMessage = last.message;
    }
    return peers;
  }

  async peer(address: string): Promise<LabPeer> {
    return findPeer(await this.peers(), address, `gobgp ${this.name}`);
  }

  pids(): number[] {
    const pid = readPid(this.pidPath);
    return pid !== undefined && isAlive(pid) ? [pid] : [];
  }

  async stop(): Promise<void> {
    await terminate(this.pids());
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  log(): string {
    return readText(this.logPath);
  }
}
