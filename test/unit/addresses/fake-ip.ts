/**
 * An in-memory stand-in for `ip` with the kernel's observable behaviour for the four
 * commands the manager uses: JSON listings in iproute2's shape, EEXIST/EADDRNOTAVAIL
 * with the kernel's wording, EPERM when "unprivileged", missing devices. Written from
 * iproute2's documented output, not from src/addresses/iproute.ts. The real `ip` is
 * exercised by the namespace tests (test/e2e/addresses).
 */
import { IpCommandError } from '../../../src/addresses/index.js';
import type { IpRunner } from '../../../src/addresses/index.js';

export interface FakeAddress {
  family: 'inet' | 'inet6';
  local: string;
  prefixlen: number;
}

export class FakeIp {
  /** Device → addresses, in kernel order. */
  readonly devices = new Map<string, FakeAddress[]>([
    [
      'lo',
      [
        { family: 'inet', local: '127.0.0.1', prefixlen: 8 },
        { family: 'inet6', local: '::1', prefixlen: 128 },
      ],
    ],
  ]);
  /** Every argv run, in order. */
  readonly calls: string[][] = [];
  /** Without CAP_NET_ADMIN: every add/del fails with EPERM. */
  privileged = true;
  /** Destination → device for `route get`; unknown destinations are unreachable. */
  readonly routes = new Map<string, string>();
  /** Milliseconds each command takes (to test serialization). */
  delayMs = 0;
  /** Fail the next command whose argv joined with spaces contains this text. */
  failNext: { match: string; stderr: string } | undefined;

  readonly run: IpRunner = async (args) => {
    const argv = [...args];
    this.calls.push(argv);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    const fail = (stderr: string, code = 2): never => {
      throw new IpCommandError(['ip', ...argv], code, `${stderr}\n`, `exit code ${code}`);
    };
    if (this.failNext && argv.join(' ').includes(this.failNext.match)) {
      const { stderr } = this.failNext;
      this.failNext = undefined;
      fail(stderr);
    }
    const text = argv.join(' ');
    if (text === '-j addr show') return this.show();
    let m = /^-j route get (\S+)$/.exec(text);
    if (m) {
      const dev = this.routes.get(m[1]!);
      if (dev === undefined) fail('RTNETLINK answers: Network is unreachable');
      return JSON.stringify([{ dst: m[1], dev, prefsrc: '198.18.0.1', flags: [], cache: [] }]);
    }
    m = /^addr (add|del) (\S+)\/(\d+) dev (\S+)( nodad)?$/.exec(text);
    if (!m) return fail(`Command line is not complete. Try option "help"`, 255);
    const [, verb, local, len, dev] = m;
    const list = this.devices.get(dev!);
    if (list === undefined) return fail(`Cannot find device "${dev}"`, 1);
    if (!this.privileged) return fail('RTNETLINK answers: Operation not permitted');
    const family = local!.includes(':') ? 'inet6' : 'inet';
    const prefixlen = Number(len);
    const index = list.findIndex(
      (a) => a.local === local && (family === 'inet6' || a.prefixlen === prefixlen),
    );
    if (verb === 'add') {
      if (index !== -1) fail(`Error: ipv${family === 'inet' ? 4 : 6}: Address already assigned.`);
      list.push({ family, local: local!, prefixlen });
      return '';
    }
    const exact = list.findIndex((a) => a.local === local && a.prefixlen === prefixlen);
    if (exact === -1) fail(`Error: ipv${family === 'inet' ? 4 : 6}: Address not found.`);
    list.splice(exact, 1);
    return '';
  };

  /** Adds an address as an operator would (outside the manager). */
  operatorAdd(dev: string, local: string, prefixlen?: number): void {
    const family = local.includes(':') ? 'inet6' : 'inet';
    this.devices
      .get(dev)!
      .push({ family, local, prefixlen: prefixlen ?? (family === 'inet' ? 32 : 128) });
  }

  operatorDel(dev: string, local: string): void {
    const list = this.devices.get(dev)!;
    this.devices.set(
      dev,
      list.filter((a) => a.local !== local),
    );
  }

  /** "ip/len" of every address on the device. */
  on(dev: string): string[] {
    return (this.devices.get(dev) ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  }

  /** Mutating commands run so far (add/del), as text. */
  changes(): string[] {
    return this.calls.filter((c) => c[0] === 'addr').map((c) => c.join(' '));
  }

  private show(): string {
    return JSON.stringify(
      [...this.devices].map(([ifname, addrs], i) => ({
        ifindex: i + 1,
        ifname,
        flags: ['UP'],
        addr_info: addrs.map((a) => ({
          ...a,
          scope: 'global',
          valid_life_time: 4294967295,
          preferred_life_time: 4294967295,
        })),
      })),
    );
  }
}
