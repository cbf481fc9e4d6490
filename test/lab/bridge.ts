/**
 * A link that can go silent without netem: node and router joined through a bridge in
 * a middle namespace.
 *
 *   node [a] ──veth── [node port] br0 [router port] ──veth── [b] router
 *                           (middle namespace)
 *
 * The test kernel has no sch_netem, no classifiers and no iptables/nft (LAB-NOTES.md,
 * "Faults without netem"). A bridge gives silence, not loss or delay:
 * - `silence('down')` sets the bridge's node-side port down: nothing passes either way,
 *   the node's veth loses carrier, the router's keeps it (its hold timer must notice).
 * - `silence('block')` sets that port's bridge state to disabled: nothing passes and
 *   neither end sees a carrier change (a dead box in the middle).
 * Loss and delay are left out: from Node that needs an AF_PACKET forwarder (no raw
 * sockets in Node; a helper in C or Python), and a UDP or TCP relay is not transparent
 * to BGP (it ends the TCP connection, so the router would see the relay's, not the
 * node's, behaviour). Silence is what hold timers and BFD need.
 *
 * Addresses: the bridged link takes the addresses of a normal lab link (Lab.link), so
 * DESIGN.md's plan holds; the second block the build uses is left unassigned.
 */
import type { Lab, Link, LinkEnd } from './lab.js';
import type { Namespace } from './host.js';
import { run } from './exec.js';

export type SilenceMode = 'down' | 'block';

export interface BridgedLink extends Link {
  /** The middle namespace holding the bridge. */
  readonly middle: Namespace;
  /** The bridge port facing the node, in the middle namespace. */
  readonly nodePort: string;
  /** The bridge port facing the router, in the middle namespace. */
  readonly routerPort: string;
  /** Stops all traffic between node and router (see the file comment for the modes). */
  silence(mode?: SilenceMode): Promise<void>;
  /** Lets traffic through again. */
  restore(): Promise<void>;
  /** The carrier of one end's interface, as its namespace sees it. */
  carrier(end: 'node' | 'router'): Promise<boolean>;
}

const BRIDGE = 'br0';

/**
 * Node end `a`, router end `b`, through a bridge in a new namespace `middleName`.
 * Like Lab.link: a gets .1 and ::1 of its block, b gets .2 and ::2.
 */
export async function bridgedLink(
  lab: Lab,
  node: string | Namespace,
  router: string | Namespace,
  middleName = 'middle',
): Promise<BridgedLink> {
  const middle = await lab.namespace(middleName);
  const toNode = await lab.link(node, middle);
  const toRouter = await lab.link(middle, router);
  const mid = middle.netns;
  const ipMid = (...args: string[]): Promise<unknown> => run(['ip', '-n', mid, ...args]);
  // The middle holds no addresses: it is a wire with a switch in it.
  for (const port of [toNode.b.ifname, toRouter.a.ifname]) {
    await ipMid('addr', 'flush', 'dev', port);
  }
  await ipMid('link', 'add', BRIDGE, 'type', 'bridge', 'stp_state', '0');
  for (const port of [toNode.b.ifname, toRouter.a.ifname])
    await ipMid('link', 'set', port, 'master', BRIDGE);
  await ipMid('link', 'set', BRIDGE, 'up');
  // The router's end takes the address the node's link gave its far side.
  const routerNs = toRouter.b.ns.netns;
  await run(['ip', '-n', routerNs, 'addr', 'flush', 'dev', toRouter.b.ifname]);
  await run(['ip', '-n', routerNs, 'addr', 'add', toNode.b.ipv4Cidr, 'dev', toRouter.b.ifname]);
  await run([
    'ip',
    '-n',
    routerNs,
    '-6',
    'addr',
    'add',
    toNode.b.ipv6Cidr,
    'dev',
    toRouter.b.ifname,
    'nodad',
  ]);
  const b: LinkEnd = { ...toNode.b, ns: toRouter.b.ns, ifname: toRouter.b.ifname };
  const nodePort = toNode.b.ifname;
  const carrier = async (end: 'node' | 'router'): Promise<boolean> => {
    const e = end === 'node' ? toNode.a : b;
    const { stdout } = await lab.exec(e.ns, ['cat', `/sys/class/net/${e.ifname}/carrier`], {
      allowFailure: true,
    });
    return stdout.trim() === '1';
  };
  /** The node-side port's bridge state: 0 disabled (drops, carrier kept), 3 forwarding. */
  const bridgePortState = (state: '0' | '3'): Promise<unknown> =>
    run(['ip', 'netns', 'exec', mid, 'bridge', 'link', 'set', 'dev', nodePort, 'state', state]);
  return {
    index: toNode.index,
    a: toNode.a,
    b,
    middle,
    nodePort,
    routerPort: toRouter.a.ifname,
    async silence(mode: SilenceMode = 'down') {
      if (mode === 'down') await ipMid('link', 'set', nodePort, 'down');
      else await bridgePortState('0');
    },
    async restore() {
      await ipMid('link', 'set', nodePort, 'up');
      // 3 = forwarding; with STP off the port forwards at once.
      await bridgePortState('3');
    },
    carrier,
  };
}
