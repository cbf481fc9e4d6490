// A stand-in for vtysh talking to bgpd, for the backend's unit tests: it keeps `router bgp`
// instances and their unicast networks, runs `-c` commands the way FRR 8.4's vtysh does
// (in order, stopping at the first failure with FRR's words and exit 1; `router bgp ASN
// vrf NAME` creating an instance that does not exist) and prints `show running-config` in
// bgpd's layout. The real thing is tested in test/e2e/announcers/frrouting.test.ts.
import type { CommandOptions, CommandResult } from '../../../../src/announcers/index.js';
import { NO_DAEMONS, VTYSH_CONF_NOISE } from './fixtures.js';

type Family = 'ipv4' | 'ipv6';
interface Instance {
  asn: number;
  importCheck: boolean;
  networks: Record<Family, string[]>;
}

export class FakeFrr {
  bgpdUp = true;
  readonly instances = new Map<string, Instance>();
  readonly calls: string[][] = [];
  /** Commands that "work" but change nothing (to test the verification). */
  readonly ignored = new Set<string>();

  constructor(asn = 65001) {
    this.instances.set('default', { asn, importCheck: false, networks: { ipv4: [], ipv6: [] } });
  }

  add(vrf: string, asn: number): Instance {
    const instance: Instance = { asn, importCheck: false, networks: { ipv4: [], ipv6: [] } };
    this.instances.set(vrf, instance);
    return instance;
  }

  networks(vrf = 'default'): string[] {
    const i = this.instances.get(vrf);
    return i === undefined ? [] : [...i.networks.ipv4, ...i.networks.ipv6];
  }

  /** Configuration runs so far (vtysh calls that were not a lone show running-config). */
  writes(): string[][] {
    return this.calls.filter((c) => c.length !== 1 || c[0] !== 'show running-config');
  }

  readonly run = (argv: readonly string[], _options?: CommandOptions): Promise<CommandResult> => {
    const commands: string[] = [];
    for (let i = 0; i < argv.length; i++) if (argv[i] === '-c') commands.push(argv[++i] ?? '');
    this.calls.push(commands);
    if (!this.bgpdUp) return Promise.resolve({ ...NO_DAEMONS });
    let stdout = '';
    let instance: Instance | undefined;
    let family: Family | undefined;
    const fail = (line: string): Promise<CommandResult> =>
      Promise.resolve({ exitCode: 1, stdout: stdout + `${line}\n`, stderr: VTYSH_CONF_NOISE });
    for (const command of commands) {
      if (this.ignored.has(command)) continue;
      const router = /^router bgp (\d+)(?: vrf (\S+))?$/.exec(command);
      const af = /^address-family (ipv4|ipv6) unicast$/.exec(command);
      const network = /^(no )?network (\S+)$/.exec(command);
      if (command === 'show running-config') stdout += this.render();
      else if (command === 'configure terminal' || command === 'end') instance = undefined;
      else if (router !== null) {
        const asn = Number(router[1]);
        const vrf = router[2] ?? 'default';
        const found = this.instances.get(vrf) ?? this.add(vrf, asn);
        if (found.asn !== asn) return fail(`BGP is already running; AS is ${found.asn}`);
        instance = found;
      } else if (af !== null && instance !== undefined) family = af[1] as Family;
      else if (command === 'exit-address-family') family = undefined;
      else if (command === 'exit') instance = undefined;
      else if (network !== null && instance !== undefined && family !== undefined) {
        const list = instance.networks[family];
        const prefix = network[2] ?? '';
        const at = list.indexOf(prefix);
        if (network[1] !== undefined) {
          if (at < 0) return fail("% Can't find static route specified");
          list.splice(at, 1);
        } else if (at < 0) list.push(prefix);
      } else return fail(`% Unknown command: ${command}`);
    }
    return Promise.resolve({ exitCode: 0, stdout, stderr: VTYSH_CONF_NOISE });
  };

  render(): string {
    const lines = [
      'Building configuration...',
      '',
      'Current configuration:',
      '!',
      'frr version 8.4.4',
    ];
    for (const [vrf, i] of this.instances) {
      lines.push(vrf === 'default' ? `router bgp ${i.asn}` : `router bgp ${i.asn} vrf ${vrf}`);
      if (!i.importCheck) lines.push(' no bgp network import-check');
      for (const family of ['ipv4', 'ipv6'] as const) {
        if (i.networks[family].length === 0) continue;
        lines.push(' !', ` address-family ${family} unicast`);
        for (const p of [...i.networks[family]].sort()) lines.push(`  network ${p}`);
        lines.push(' exit-address-family');
      }
      lines.push('exit', '!');
    }
    lines.push('end', '');
    return lines.join('\n');
  }
}
