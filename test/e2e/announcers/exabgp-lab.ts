/**
 * The ExaBGP announcer's lab: ExaBGP 4.2 in the node namespace running examples/exabgp.conf
 * (only the `run` line changed: a wrapper that starts the compiled CLI, records its pid
 * and sends its log, on stderr, to a file), heard by a BIRD router with one session per
 * family (gobgp-lab.ts's routerConf):
 *
 *   node1 (198.18.0.1 / fd7e:1ab:0:1::1: ExaBGP ─runs→ anycast-guard, an HTTP service)
 *     ──veth── router (198.18.0.2 / fd7e:1ab:0:1::2, AS 65000: BIRD, protocols node4, node6)
 *
 * ExaBGP, not the test, starts anycast-guard, and starts it again when it dies: the
 * daemon's pid is read from the wrapper's pid file, its records from its log file.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Lab,
  parseJsonLine,
  shellQuote,
  waitFor,
  type BirdControl,
  type BirdRouter,
  type ExabgpSpeaker,
  type JsonRecord,
} from '../../lab/index.js';
import type { Teardown } from '../../lab/teardown.js';
import { CLI, nodeAndRouter, NODE_AS, ROUTER_AS, type Node } from '../harness.js';
import { example, routerConf } from './gobgp-lab.js';

export const RUN_LINE = 'run /usr/bin/anycast-guard run --config /etc/anycast-guard/config.toml;';

export interface ExabgpLab {
  lab: Lab;
  node: Node;
  exabgp: ExabgpSpeaker;
  router: BirdRouter;
  control: BirdControl;
  /** The anycast-guard ExaBGP runs (the one started last). */
  daemon: DaemonFiles;
}

export class DaemonFiles {
  constructor(
    readonly pidPath: string,
    readonly logPath: string,
  ) {}

  /** The pid of the anycast-guard ExaBGP started last. */
  pid(): number | undefined {
    try {
      const pid = Number(readFileSync(this.pidPath, 'utf8').trim());
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** Every record logged so far, by every anycast-guard ExaBGP started. */
  records(): JsonRecord[] {
    let text: string;
    try {
      text = readFileSync(this.logPath, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').flatMap((line) => {
      const record = parseJsonLine(line);
      return record === undefined ? [] : [record];
    });
  }

  waitForRecord(match: (r: JsonRecord) => boolean, what: string, from = 0): Promise<JsonRecord> {
    return waitFor(() => this.records().slice(from).find(match), {
      what: `anycast-guard log: ${what}`,
      until: (r) => r !== undefined,
      timeoutMs: 20_000,
    }) as Promise<JsonRecord>;
  }
}

/**
 * A fresh lab with BIRD in the router namespace and ExaBGP in the node namespace running
 * `anycast-guard run --config <config>` (written from `config(node)` before ExaBGP starts).
 */
export async function exabgpLab(t: Teardown, config: (node: Node) => string): Promise<ExabgpLab> {
  const { lab, node, router, control } = await nodeAndRouter(t, routerConf, 'exabgp.conf');

  writeFileSync(node.configPath, config(node));
  const daemon = new DaemonFiles(
    join(lab.dir, 'anycast-guard.pid'),
    join(lab.dir, 'anycast-guard.log'),
  );
  const wrapper = join(lab.dir, 'anycast-guard.sh');
  const argv = [process.execPath, '--enable-source-maps', CLI, 'run', '--config', node.configPath];
  writeFileSync(
    wrapper,
    `#!/bin/sh\necho $$ > ${shellQuote(daemon.pidPath)}\nexec ${argv.map(shellQuote).join(' ')} 2>> ${shellQuote(daemon.logPath)}\n`,
  );
  chmodSync(wrapper, 0o755);
  const conf = example('exabgp.conf');
  if (!conf.includes(RUN_LINE)) throw new Error('examples/exabgp.conf changed shape: no run line');
  const exabgp = await lab.startExabgp(node.ns, {
    name: 'node1',
    neighbor: {
      address: node.link.b.ipv4,
      localAddress: node.link.a.ipv4,
      routerId: node.link.a.ipv4,
      localAs: NODE_AS,
      peerAs: ROUTER_AS,
    },
    conf: conf.replace(RUN_LINE, `run ${wrapper};`),
  });
  return { lab, node, exabgp, router, control, daemon };
}
