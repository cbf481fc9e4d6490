/**
 * What the kernel of a lab namespace really has, read with `ip -n NS -j` and parsed here
 * (not with src/addresses), so the namespace tests check the manager against iproute2
 * itself. The manager under test runs in this (root-namespace) process with its `ip`
 * prefixed by `-n NS`: every change it makes lands in the lab namespace only.
 */
import type { TestContext } from 'node:test';
import { ipCommand } from '../../../src/addresses/index.js';
import type { IpRunner } from '../../../src/addresses/index.js';
import { findExecutable, run } from '../../lab/index.js';
import type { Namespace } from '../../lab/index.js';

/** The manager's runner for a lab namespace. */
export function nsIp(ns: Namespace): IpRunner {
  return ipCommand({ command: ['ip', '-n', ns.netns] });
}

/** "ip/len" of every inet/inet6 address on the device, as the kernel lists them. */
export async function kernelAddresses(ns: Namespace, device: string): Promise<string[]> {
  const { stdout } = await run(['ip', '-n', ns.netns, '-j', 'addr', 'show', 'dev', device]);
  const links = JSON.parse(stdout) as {
    addr_info?: { family?: string; local?: string; prefixlen?: number }[];
  }[];
  return links.flatMap((link) =>
    (link.addr_info ?? [])
      .filter((a) => a.family === 'inet' || a.family === 'inet6')
      .map((a) => `${a.local}/${a.prefixlen}`),
  );
}

/** Adds an address the way an operator would, outside the manager. */
export async function operatorAdd(
  ns: Namespace,
  cidr: string,
  device = 'lo',
  options: { nodad?: boolean } = {},
): Promise<void> {
  const argv = ['ip', '-n', ns.netns, 'addr', 'add', cidr, 'dev', device];
  if (cidr.includes(':') && options.nodad !== false) argv.push('nodad');
  await run(argv);
}

/** True when setpriv (util-linux) is here; otherwise skips the test, or fails it under CI. */
export function requireSetpriv(t: TestContext): boolean {
  if (findExecutable('setpriv')) return true;
  if (process.env.CI === 'true') throw new Error('setpriv (util-linux) is needed under CI');
  t.skip('setpriv (util-linux) not installed');
  return false;
}

/** argv that runs `ip` inside the namespace with no capabilities at all (not even root's). */
export function unprivilegedIp(ns: Namespace): string[] {
  return [
    'ip',
    'netns',
    'exec',
    ns.netns,
    'setpriv',
    '--inh-caps=-all',
    '--bounding-set=-all',
    '--',
    'ip',
  ];
}
