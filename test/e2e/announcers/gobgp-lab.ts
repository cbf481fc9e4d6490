/**
 * The GoBGP announcer's lab: gobgpd as the node's routing daemon, configured from
 * examples/gobgpd.toml as it is (its API on a port picked per run), and a BIRD 2 router in
 * another namespace with one passive session per family:
 *
 *   node1 (198.18.0.1 / fd7e:1ab:0:1::1, AS 65001: gobgpd, anycast-guard, an HTTP service)
 *     ──veth── router (198.18.0.2 / fd7e:1ab:0:1::2, AS 65000: BIRD, protocols node4, node6)
 */
import {
  Lab,
  waitFor,
  type BirdControl,
  type BirdRouter,
  type GobgpRouter,
} from '../../lab/index.js';
import type { Teardown } from '../../lab/teardown.js';
import { example, nodeAndRouter, waitEstablished, type Node } from '../harness.js';
import { routerConf } from './bird-lab.js';

// The BIRD router (bird-lab.ts): a passive session per family from the node, node4 and node6.
export { routerConf, example };

export function protocol(prefix: string): string {
  return prefix.includes(':') ? 'node6' : 'node4';
}

export interface GobgpLab {
  lab: Lab;
  node: Node;
  gobgpd: GobgpRouter;
  router: BirdRouter;
  control: BirdControl;
}

export async function gobgpLab(t: Teardown): Promise<GobgpLab> {
  const { lab, node, router, control } = await nodeAndRouter(t, routerConf, 'gobgpd.toml');
  const gobgpd = await lab.startGobgp(node.ns, example('gobgpd.toml'), { name: 'node1' });
  await waitEstablished(router, ['node4', 'node6'], 'gobgpd');
  return { lab, node, gobgpd, router, control };
}

/** Waits until BIRD has (or has not) the node's path for `prefix`. */
export function waitAtRouter(
  control: BirdControl,
  prefix: string,
  present: boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  return waitFor(() => control.paths(prefix), {
    what: `${prefix} ${present ? 'at' : 'gone from'} the BIRD router`,
    until: (paths) => paths.includes(protocol(prefix)) === present,
    timeoutMs,
    intervalMs: 20,
  });
}
