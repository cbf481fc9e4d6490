/**
 * BFD against FRRouting (bfdd, `neighbor X bfd` with a 100 ms profile), issue 13: the
 * session comes Up, both sides agree on the intervals, and the node's link going
 * silent takes the route away at FRR; it comes back after.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireLab, waitFor, type FrrRouter } from '../lab/index.js';
import { BFD_PREFIX, bfdSpeakerConfig, bridgedLab, ourBfd } from './bfd-harness.js';
import { expectNoRoute, NODE_AS, ROUTER_AS } from './harness.js';

interface FrrBfdPeer {
  peer: string;
  status: string;
  'receive-interval': number;
  'transmit-interval': number;
  'remote-receive-interval': number;
  'remote-transmit-interval': number;
  'detect-multiplier': number;
  'remote-detect-multiplier': number;
}

async function frrBfd(router: FrrRouter, address: string): Promise<FrrBfdPeer | undefined> {
  const peers = (await router.vtyshJson('show bfd peers json')) as FrrBfdPeer[];
  return peers.find((p) => p.peer === address);
}

test('BFD with FRRouting (bfdd) as the router', async (t) => {
  if (!(await requireLab(t, ['frr']))) return;
  const { lab, link } = await bridgedLab(t);
  const node = link.a.ipv4;
  // The BGP block first: every daemon reads the whole file, and a stray top-level `exit`
  // (after bfdd's block) would end bgpd's reading.
  const router = await lab.startFrr(
    link.b.ns,
    `frr defaults traditional
hostname router
!
router bgp ${ROUTER_AS}
 bgp router-id ${link.b.ipv4}
 no bgp ebgp-requires-policy
 neighbor ${node} remote-as ${NODE_AS}
 neighbor ${node} passive
 neighbor ${node} timers 3 9
 neighbor ${node} bfd
 neighbor ${node} bfd profile fast
!
bfd
 profile fast
  receive-interval 100
  transmit-interval 100
  detect-multiplier 3
!
`,
    { bfd: true },
  );
  const speaker = await lab.startSpeaker(link.a.ns, bfdSpeakerConfig(link));
  await speaker.announce([BFD_PREFIX]);

  await t.test('BFD comes Up and both sides agree on 100 ms x 3', async () => {
    const ours = await ourBfd(
      speaker,
      (b) => b.state === 'up' && b.txIntervalMs === 100 && b.rxIntervalMs === 100,
      'our BFD Up at 100 ms',
    );
    assert.equal(ours.detectionTimeMs, 300);
    const theirs = await waitFor(() => frrBfd(router, node), {
      what: 'FRR BFD peer up at 100 ms',
      until: (p) => p?.status === 'up' && p['remote-transmit-interval'] === 100,
    });
    assert.equal(theirs?.['transmit-interval'], 100);
    assert.equal(theirs?.['remote-receive-interval'], 100);
    assert.equal(theirs?.['remote-detect-multiplier'], 3);
    await waitFor(() => router.route(BFD_PREFIX), { what: `${BFD_PREFIX} at FRR` });
  });

  await t.test('silent link: FRR drops the route, then all comes back', async () => {
    await link.silence('block');
    await waitFor(() => frrBfd(router, node), {
      what: 'FRR BFD peer down',
      until: (p) => p?.status === 'down',
    });
    await expectNoRoute(router, BFD_PREFIX);
    await ourBfd(speaker, (b) => b.state === 'down', 'our BFD down');
    await link.restore();
    await ourBfd(speaker, (b) => b.state === 'up' && !b.holdsBgpDown, 'our BFD Up again');
    await waitFor(() => router.route(BFD_PREFIX), {
      what: `${BFD_PREFIX} back at FRR`,
      timeoutMs: 30_000,
    });
  });
});
