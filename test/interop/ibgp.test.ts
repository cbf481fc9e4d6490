/**
 * One iBGP session (our speaker and a BIRD 2 router in the same AS): LOCAL_PREF from
 * the peer setting and from a per-route override, no AS added to the path, next hop self.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireLab } from '../lab/index.js';
import { NODE_AS, expectRoute, speakerConfig, startRouter, twoNodeLab } from './harness.js';

test('interop with bird: iBGP carries LOCAL_PREF', { timeout: 120_000 }, async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const { lab, link } = await twoNodeLab(t);
  const router = await startRouter(lab, 'bird', link, { asn: NODE_AS });
  const speaker = await lab.startSpeaker(
    link.a.ns,
    speakerConfig(link, NODE_AS, { localPref: 200 }),
  );
  await speaker.announce(['203.0.113.20/32', '2001:db8::20/128'], { communities: ['65001:300'] });
  await speaker.announce(['203.0.113.21/32'], { localPref: 300 });

  const established = await speaker.waitForPeerState('router');
  assert.equal(established.status.asn, NODE_AS);

  const v4 = await expectRoute(router, {
    prefix: '203.0.113.20/32',
    nextHop: link.a.ipv4,
    asPath: [],
    communities: ['65001:300'],
    largeCommunities: [],
    med: undefined,
  });
  assert.equal(v4.localPref, 200);
  const v6 = await expectRoute(router, {
    prefix: '2001:db8::20/128',
    nextHop: link.a.ipv6,
    asPath: [],
    communities: ['65001:300'],
    largeCommunities: [],
    med: undefined,
  });
  assert.equal(v6.localPref, 200);
  const override = await expectRoute(router, {
    prefix: '203.0.113.21/32',
    nextHop: link.a.ipv4,
    asPath: [],
    communities: [],
    largeCommunities: [],
    med: undefined,
  });
  assert.equal(override.localPref, 300);
  const peer = await router.peer(link.a.ipv4);
  assert.equal(peer.state, 'established');
});
