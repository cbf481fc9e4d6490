// RFC 5881 section 5 on real sockets: our speaker's BFD in one namespace, a test peer in
// another sending its control packets with TTL 254. They are dropped (this kernel does
// not apply IP_MINTTL to UDP, so the worker reads each packet's TTL: sockopt/udp.ts),
// and the same peer sending with 255 brings the session Up.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { Lab, requireLab, waitFor, type LabProcess } from '../../lab/index.js';

const PEER = fileURLToPath(new URL('../../lab/bfd-peer-process.js', import.meta.url));

test('BFD drops control packets that arrive with TTL 254', async (t) => {
  if (!(await requireLab(t, []))) return;
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const node = await lab.namespace('node');
  const router = await lab.namespace('router');
  const link = await lab.link(node, router);
  const speaker = await lab.startSpeaker(node, {
    speaker: {
      asn: 65001,
      routerId: link.a.ipv4,
      peers: [
        {
          name: 'router',
          address: link.b.ipv4,
          asn: 65000,
          localAddress: link.a.ipv4,
          connectRetry: 1,
          bfd: { minRx: 0.1, minTx: 0.1, multiplier: 3, required: false },
        },
      ],
    },
  });
  const bfd = async () => (await speaker.peerStatus('router')).bfd;
  const peer = (ttl: number): Promise<LabProcess> =>
    lab.spawn(router, {
      name: `bfd-peer-${ttl}`,
      argv: [process.execPath, PEER, link.a.ipv4, String(ttl)],
    });

  const far = await peer(254);
  await far.waitForJson((r) => r.event === 'sent' && Number(r.count) >= 5, {
    what: 'the TTL 254 peer sent 5 packets (at 1 s while not Up)',
  });
  // Our packets reach it (it answers Init): only its packets to us are refused.
  const status = await bfd();
  assert.equal(status?.answering, false, JSON.stringify(status));
  assert.equal(status?.state, 'down');
  await far.stop();

  const near = await peer(255);
  await waitFor(bfd, { what: 'BFD Up with a TTL 255 peer', until: (b) => b?.state === 'up' });
  await near.waitForJson((r) => r.event === 'state' && r.state === 'up', { what: 'peer Up' });
});
