/**
 * Self-test of the bridged link (test/lab/bridge.ts), the lab's silence without netem:
 * with the bridge's node-side port down (or blocked), the router's BGP session dies at
 * its hold timer while the router's own link keeps its carrier, and comes back once
 * the port is restored. Two BIRDs: the node's announces, the router's listens.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  BIRD_TEST_TIMERS,
  Lab,
  bridgedLink,
  requireLab,
  waitFor,
  type BridgedLink,
  type SilenceMode,
} from '../lab/index.js';
import { NODE_AS, ROUTER_AS } from './harness.js';

const HOLD = 3;

function conf(me: string, peer: string, asn: number, peerAsn: number, passive: boolean): string {
  return `router id ${me};
protocol device {}
protocol bgp peer {
  local ${me} as ${asn};
  neighbor ${peer} as ${peerAsn};
  ${passive ? 'passive on;' : ''}
  hold time ${HOLD};
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
}
`;
}

test(
  'a bridged link goes silent without a carrier change at the router',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const lab = await Lab.create();
    t.after(() => lab.teardown());
    const nodeNs = await lab.namespace('node');
    const routerNs = await lab.namespace('router');
    const link: BridgedLink = await bridgedLink(lab, nodeNs, routerNs);
    const router = await lab.startBird(
      routerNs,
      conf(link.b.ipv4, link.a.ipv4, ROUTER_AS, NODE_AS, true),
    );
    await lab.startBird(nodeNs, conf(link.a.ipv4, link.b.ipv4, NODE_AS, ROUTER_AS, false));

    const established = (): Promise<unknown> =>
      waitFor(() => router.peer('peer'), {
        what: 'the session through the bridge Established',
        until: (peer) => peer.state === 'established',
        timeoutMs: 30_000,
      });
    await established();
    assert.equal(await link.carrier('router'), true);

    for (const mode of ['down', 'block'] as SilenceMode[]) {
      const silencedAt = Date.now();
      await link.silence(mode);
      const down = await waitFor(() => router.peer('peer'), {
        what: `the router's hold timer to expire (${mode})`,
        until: (peer) => peer.state !== 'established',
        timeoutMs: (HOLD + 10) * 1000,
      });
      const took = Date.now() - silencedAt;
      assert.match(down.lastError ?? '', /hold timer/i, `${mode}: ${JSON.stringify(down)}`);
      // Not a link event: BIRD could only have noticed through its hold timer.
      assert.ok(took >= (HOLD - 1) * 1000, `${mode}: down after ${took} ms`);
      assert.equal(await link.carrier('router'), true, `${mode}: the router kept its carrier`);
      assert.equal(await link.carrier('node'), mode === 'block', `${mode}: node carrier`);

      await link.restore();
      await established();
    }
  },
);
