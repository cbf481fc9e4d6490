// A stand-in for ExaBGP 4.2 on the other end of its API process's pipes, for the unit
// tests: it reads the commands the announcer writes (our stdout), keeps an Adj-RIB-Out
// and answers on our stdin the way ExaBGP does (output lines, then "done" or "error").
// The line formats are ExaBGP 4.2.21's (captured in the lab); the real ExaBGP is tested
// in test/e2e/announcers/exabgp.test.ts.
import { PassThrough } from 'node:stream';

export const NEIGHBOR_CONFIGURATION = `neighbor 198.18.0.2 {
  description "";
  router-id 198.18.0.1;
  host-name vm;
  domain-name localhost;
  local-address 198.18.0.1;
  local-as 65001;
  peer-as 65000;
  hold-time 180;
  rate-limit disable;
  manual-eor false;

  passive false;
  group-updates true;
  auto-flush true;
  adj-rib-in true;
  adj-rib-out true;
  md5-base64 auto;
  md5-ip "198.18.0.1";

  capability {
    asn4 enable;
    route-refresh disable;
    graceful-restart disable;
    nexthop disable;
    add-path disable;
    multi-session disable;
    operational disable;
    aigp disable;
  }
  family {
    ipv4 unicast;
    ipv6 unicast;
  }
  nexthop {
  }
  add-path {
  }
  api {
    processes [ anycast-guard ];
  }
}`;

export class FakeExabgp {
  /** What the announcer writes (its stdout). */
  readonly toExabgp = new PassThrough();
  /** What ExaBGP writes to the announcer (its stdin). */
  readonly fromExabgp = new PassThrough();
  /** prefix → the announce line's attributes, as `show adj-rib out` lists them. */
  readonly rib = new Map<string, string>();
  /** Routes of other processes or the static config: listed, never ours to change. */
  readonly others = new Map<string, string>();
  readonly commands: string[] = [];
  /** Answer nothing (exabgp.api.ack = false, or a stuck ExaBGP). */
  silent = false;
  /** Commands starting with one of these are answered "error". */
  readonly refuse: string[] = [];
  /** What `show neighbor configuration` prints. */
  configuration = NEIGHBOR_CONFIGURATION;
  /** The neighbor selector of each route command ('' for none). */
  readonly selectors: string[] = [];
  private buffer = '';

  constructor() {
    this.toExabgp.setEncoding('utf8');
    this.toExabgp.on('data', (chunk: string) => {
      this.buffer += chunk;
      let at: number;
      while ((at = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, at);
        this.buffer = this.buffer.slice(at + 1);
        this.command(line);
      }
    });
  }

  /** Commands that change routes. */
  changes(): string[] {
    return this.commands
      .map((c) => c.replace(/^(neighbor \S+ (, )?)+/, ''))
      .filter((c) => c.startsWith('announce ') || c.startsWith('withdraw '));
  }

  write(text: string): void {
    this.fromExabgp.write(text);
  }

  private command(line: string): void {
    this.commands.push(line);
    if (this.silent) return;
    if (this.refuse.some((r) => line.startsWith(r))) return this.write('error\n');
    // "neighbor A , neighbor B announce route …": the selector, then the command.
    const selected = /^((?:neighbor \S+(?: , )?)+) ((?:announce|withdraw) .*)$/.exec(line);
    if (selected?.[2] !== undefined) this.selectors.push(selected[1] ?? '');
    else if (/^(announce|withdraw) /.test(line)) this.selectors.push('');
    const words = (selected?.[2] ?? line).split(' ');
    if (words[0] === 'announce' && words[1] === 'route' && words[2] !== undefined)
      this.rib.set(words[2], words.slice(3).join(' '));
    else if (words[0] === 'withdraw' && words[1] === 'route' && words[2] !== undefined)
      this.rib.delete(words[2]);
    else if (line === 'show adj-rib out') {
      for (const [prefix, attrs] of [...this.others, ...this.rib]) {
        const family = prefix.includes(':') ? 'ipv6' : 'ipv4';
        const hop = /next-hop (\S+)/.exec(attrs)?.[1] ?? 'self';
        this.write(`neighbor 198.18.0.2 ${family} unicast ${prefix} next-hop ${hop}\n`);
      }
    } else if (line === 'show neighbor configuration') this.write(`${this.configuration}\n`);
    else return this.write('error\n');
    this.write('done\n');
  }
}

/** Two neighbors, one per family, as examples/exabgp.conf has them (abridged). */
export const TWO_NEIGHBORS = `neighbor 198.18.0.2 {
  router-id 198.18.0.1;
  local-address 198.18.0.1;
  local-as 65001;
  peer-as 65000;
  capability {
    asn4 enable;
  }
  family {
    ipv4 unicast;
  }
  api {
    processes [ anycast-guard ];
  }
}
neighbor fd7e:1ab:0:1::2 {
  router-id 198.18.0.1;
  local-address fd7e:1ab:0:1::1;
  local-as 65001;
  peer-as 65000;
  capability {
    asn4 enable;
  }
  family {
    ipv6 unicast;
  }
  api {
    processes [ anycast-guard ];
  }
}`;
