/**
 * ExaBGP 4.2 (Debian package exabgp) as a sender in a lab namespace, optionally driven by
 * its own healthcheck program, the way sites run it:
 *
 *   exabgp CONF   with   process healthcheck { run <wrapper>; encoder text; }
 *   wrapper:      exec /usr/bin/python3 -m exabgp healthcheck --interval … --cmd '…'
 *
 * Facts (LAB-NOTES.md): the Python module exists for Debian's /usr/bin/python3 only; run
 * as root with exabgp_daemon_user=root. The healthcheck command goes through a wrapper
 * script so ExaBGP's config parser never has to quote it. ExaBGP runs in the foreground
 * (its pid is the child's); its log (stdout) is kept in `<dir>/exabgp.stdout`.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Namespace, Owned } from './host.js';
import { LabProcess } from './process.js';

export const EXABGP_PYTHON = '/usr/bin/python3';

export interface ExabgpNeighbor {
  address: string;
  localAddress: string;
  routerId: string;
  localAs: number;
  peerAs: number;
}

/** Options of `python3 -m exabgp healthcheck` (see its --help). */
export interface ExabgpHealthcheck {
  /** Seconds between checks (sleep after each check). */
  interval: number;
  rise: number;
  fall: number;
  /** Prefixes to announce while up ("203.0.113.80/32"). */
  ips: readonly string[];
  /** Shell command; exit 0 means healthy. */
  command: string;
  /** Withdraw when down instead of announcing with a worse MED (default true). */
  withdrawOnDown?: boolean;
  /** More arguments, verbatim. */
  extraArgs?: readonly string[];
}

export interface ExabgpOptions {
  neighbor: ExabgpNeighbor;
  /** The whole exabgp.conf, written as it is (instead of one built from `neighbor`). */
  conf?: string;
  healthcheck?: ExabgpHealthcheck;
  /** More exabgp_* environment settings. */
  env?: Record<string, string>;
}

/** Single-quotes a word for /bin/sh. */
export function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

export function healthcheckArgv(check: ExabgpHealthcheck): string[] {
  return [
    EXABGP_PYTHON,
    '-m',
    'exabgp',
    'healthcheck',
    '--interval',
    String(check.interval),
    '--fall',
    String(check.fall),
    '--rise',
    String(check.rise),
    ...(check.withdrawOnDown === false ? [] : ['--withdraw-on-down']),
    '--no-ip-setup',
    ...check.ips.flatMap((ip) => ['--ip', ip]),
    '--cmd',
    check.command,
    ...(check.extraArgs ?? []),
  ];
}

export function exabgpConf(neighbor: ExabgpNeighbor, wrapperPath?: string): string {
  const process = wrapperPath
    ? `process healthcheck {\n  run ${wrapperPath};\n  encoder text;\n}\n\n`
    : '';
  const api = wrapperPath ? `\n  api {\n    processes [ healthcheck ];\n  }` : '';
  return `${process}neighbor ${neighbor.address} {
  router-id ${neighbor.routerId};
  local-address ${neighbor.localAddress};
  local-as ${neighbor.localAs};
  peer-as ${neighbor.peerAs};
  family {
    ipv4 unicast;
  }${api}
}
`;
}

export class ExabgpSpeaker implements Owned {
  readonly dir: string;
  readonly confPath: string;
  readonly wrapperPath: string | undefined;
  readonly process: LabProcess;

  constructor(
    hostDir: string,
    readonly ns: Namespace,
    readonly name: string,
    readonly options: ExabgpOptions,
  ) {
    this.dir = join(hostDir, `exabgp-${name}`);
    mkdirSync(this.dir, { recursive: true });
    this.confPath = join(this.dir, 'exabgp.conf');
    if (options.healthcheck) {
      this.wrapperPath = join(this.dir, 'healthcheck.sh');
      const argv = healthcheckArgv(options.healthcheck).map(shellQuote).join(' ');
      writeFileSync(this.wrapperPath, `#!/bin/sh\nexec ${argv}\n`);
      chmodSync(this.wrapperPath, 0o755);
    }
    writeFileSync(this.confPath, options.conf ?? exabgpConf(options.neighbor, this.wrapperPath));
    this.process = new LabProcess(this.dir, ns, {
      name: 'exabgp',
      argv: ['exabgp', this.confPath],
      env: {
        exabgp_daemon_user: 'root',
        exabgp_daemon_daemonize: 'false',
        // No named pipes for exabgpcli: nothing here uses them, and they are per host.
        exabgp_api_cli: 'false',
        exabgp_log_destination: 'stdout',
        ...options.env,
      },
    });
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  async start(): Promise<void> {
    await this.process.start();
  }

  /** ExaBGP's own log so far. */
  log(): string {
    return `${this.process.stdout()}${this.process.stderr()}`;
  }

  pids(): number[] {
    return this.process.pids();
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }
}
