/**
 * The two contenders of the failover benches (failover.ts, failover-events.ts), started
 * in the node's namespace: our daemon, and ExaBGP with its healthcheck. Each start
 * returns the function that stops it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab, Link, Namespace } from '../test/lab/index.js';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

/** `anycast-guard run` with this config; stopping it expects a clean exit after SIGTERM. */
export async function startOurDaemon(
  lab: Lab,
  node: Namespace,
  tag: string,
  config: string,
): Promise<() => Promise<void>> {
  const path = join(lab.dir, `anycast-guard-${tag}.toml`);
  writeFileSync(path, config);
  const daemon = await lab.spawn(node, {
    name: `anycast-guard-${tag}`,
    argv: [process.execPath, CLI, 'run', '--config', path],
  });
  return async () => {
    daemon.signal('SIGTERM');
    const exit = await daemon.waitForExit(15_000);
    if (exit.code !== 0) throw new Error(`anycast-guard exited ${exit.code}: ${daemon.tail()}`);
  };
}

export interface ExabgpHealthcheck {
  /** The node's side of the link is `a`, the router's `b`. */
  readonly link: Link;
  readonly localAs: number;
  readonly peerAs: number;
  readonly prefix: string;
  /** Seconds between checks; rise and fall are 1. */
  readonly interval: number;
  /** The check command the healthcheck runs. */
  readonly command: string;
}

/** ExaBGP announcing `prefix` while its healthcheck's command passes. */
export async function startExabgpHealthcheck(
  lab: Lab,
  node: Namespace,
  tag: string,
  options: ExabgpHealthcheck,
): Promise<() => Promise<void>> {
  const { link } = options;
  const exa = await lab.startExabgp(node, {
    name: `exabgp-${tag}`,
    neighbor: {
      address: link.b.ipv4,
      localAddress: link.a.ipv4,
      routerId: link.a.ipv4,
      localAs: options.localAs,
      peerAs: options.peerAs,
    },
    healthcheck: {
      interval: options.interval,
      rise: 1,
      fall: 1,
      ips: [options.prefix],
      command: options.command,
      // Without it the healthcheck logs every line to syslog, and there is no /dev/log
      // in the lab: each log call then prints a traceback, which slows its loop.
      extraArgs: ['--no-syslog'],
    },
  });
  return () => exa.stop();
}
