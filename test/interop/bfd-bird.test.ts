/**
 * BFD against BIRD 2 (`protocol bfd`, `bfd on` in the BGP protocol), issue 13:
 * the session comes Up with agreed intervals; the node's link going silent and the
 * speaker frozen (SIGSTOP) take the route away at BIRD by BFD (BIRD says "BFD session
 * down", not "Hold timer expired"); both come back; BIRD changing its intervals and
 * our reload changing ours are negotiated by Poll Sequence without dropping BGP; BIRD
 * restarting its BFD protocol.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireLab, waitFor } from '../lab/index.js';
import {
  BFD_PREFIX,
  bfdSpeakerConfig,
  birdBfd,
  birdBfdConf,
  bridgedLab,
  ourBfd,
} from './bfd-harness.js';
import { expectNoRoute } from './harness.js';

test('BFD with BIRD 2 as the router', async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const { lab, link } = await bridgedLab(t);
  const router = await lab.startBird(link.b.ns, birdBfdConf(link));
  const speaker = await lab.startSpeaker(link.a.ns, bfdSpeakerConfig(link));
  await speaker.announce([BFD_PREFIX]);
  const node = link.a.ipv4;

  const routePresent = () =>
    waitFor(() => router.route(BFD_PREFIX), { what: `${BFD_PREFIX} at BIRD`, timeoutMs: 20_000 });
  const bgpDownByBfd = () =>
    waitFor(() => router.peer(node), {
      what: 'BIRD closes BGP because of BFD',
      until: (p) => p.state !== 'established' && /BFD/i.test(p.lastError ?? ''),
    });

  await t.test('BFD comes Up and both sides agree on 100 ms x 3', async () => {
    const ours = await ourBfd(
      speaker,
      (b) => b.state === 'up' && b.txIntervalMs === 100 && b.rxIntervalMs === 100,
      'our BFD Up at 100 ms',
    );
    assert.equal(ours.detectionTimeMs, 300);
    assert.equal(ours.remoteMultiplier, 3);
    const theirs = await waitFor(() => birdBfd(router, node), {
      what: 'BIRD BFD session Up at 100 ms',
      until: (s) => s?.state === 'Up' && s.intervalMs === 100,
    });
    assert.equal(theirs?.timeoutMs, 300);
    await routePresent();
  });

  await t.test('silent link: BIRD drops the route by BFD, then all comes back', async () => {
    const before = (await speaker.peerStatus('router')).establishedCount;
    await link.silence('block');
    await bgpDownByBfd();
    await expectNoRoute(router, BFD_PREFIX);
    await ourBfd(speaker, (b) => b.state === 'down' && b.holdsBgpDown, 'our BFD down');
    const peer = await speaker.peerStatus('router');
    assert.notEqual(peer.state, 'established');
    assert.equal(peer.bfd?.lastDiagnostic, 'control detection time expired');
    await link.restore();
    await ourBfd(speaker, (b) => b.state === 'up' && !b.holdsBgpDown, 'our BFD Up again');
    await routePresent();
    const after = await speaker.peerStatus('router');
    assert.ok(after.establishedCount > before, 'BGP re-established');
    assert.ok((after.bfd?.flaps ?? 0) >= 1);
  });

  await t.test('a withdrawn service stays withdrawn after the fault', async () => {
    await speaker.withdraw([BFD_PREFIX]);
    await expectNoRoute(router, BFD_PREFIX);
    await link.silence('block');
    await bgpDownByBfd();
    await link.restore();
    await ourBfd(speaker, (b) => b.state === 'up', 'BFD Up after the second fault');
    await waitFor(() => speaker.peerStatus('router'), {
      what: 'BGP Established again',
      until: (p) => p.state === 'established',
    });
    assert.equal(await router.route(BFD_PREFIX), undefined);
    await speaker.announce([BFD_PREFIX]);
    await routePresent();
  });

  await t.test('the speaker frozen (SIGSTOP): BIRD drops the route by BFD', async () => {
    const pids = speaker.pids();
    assert.ok(pids.length > 0);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    try {
      await bgpDownByBfd();
      await expectNoRoute(router, BFD_PREFIX);
    } finally {
      for (const pid of pids) process.kill(pid, 'SIGCONT');
    }
    await ourBfd(speaker, (b) => b.state === 'up', 'BFD Up after SIGCONT');
    await routePresent();
  });

  await t.test('BIRD changes its intervals: Poll Sequence, BGP stays up', async () => {
    const before = await speaker.peerStatus('router');
    assert.equal(before.state, 'established');
    await router.reconfigure(birdBfdConf(link, 200, 3));
    await ourBfd(
      speaker,
      (b) => b.state === 'up' && b.txIntervalMs === 200 && b.rxIntervalMs === 200,
      'our side follows BIRD to 200 ms',
    );
    await waitFor(() => birdBfd(router, node), {
      what: 'BIRD at 200 ms',
      until: (s) => s?.state === 'Up' && s.intervalMs === 200,
    });
    const after = await speaker.peerStatus('router');
    assert.equal(after.state, 'established');
    assert.equal(after.establishedCount, before.establishedCount);
    await router.reconfigure(birdBfdConf(link, 100, 3));
  });

  await t.test('our reload changes bfd: Poll Sequence, BGP stays up', async () => {
    const before = await speaker.peerStatus('router');
    await speaker.setBfd(link.b.ipv4, { minRx: 0.3, minTx: 0.3, multiplier: 5, required: false });
    await ourBfd(
      speaker,
      (b) => b.state === 'up' && b.multiplier === 5 && b.txIntervalMs === 300,
      'our side at 300 ms x 5',
    );
    const theirs = await waitFor(() => birdBfd(router, node), {
      what: 'BIRD detects at 5 x 300 ms',
      until: (s) => s?.state === 'Up' && s.timeoutMs === 1500,
    });
    // BIRD sends no faster than our Required Min RX now asks.
    assert.equal(theirs?.intervalMs, 300);
    const after = await speaker.peerStatus('router');
    assert.equal(after.state, 'established');
    assert.equal(after.establishedCount, before.establishedCount);
  });

  await t.test('BIRD restarts its BFD protocol: BFD and BGP come back', async () => {
    await router.birdc('restart bfd1');
    await ourBfd(speaker, (b) => b.state === 'up', 'BFD Up after BIRD restarted it', 30_000);
    await waitFor(() => speaker.peerStatus('router'), {
      what: 'BGP Established after BIRD restarted BFD',
      until: (p) => p.state === 'established',
      timeoutMs: 30_000,
    });
    await routePresent();
  });
});

test('BFD with a BIRD that does not run it: BGP as before unless required', async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const { lab, link } = await bridgedLab(t);
  const conf = birdBfdConf(link)
    .replace(/protocol bfd bfd1 \{[^}]*\};\n\}/, '')
    .replace('bfd on;', '');
  const router = await lab.startBird(link.b.ns, conf);
  const speaker = await lab.startSpeaker(link.a.ns, bfdSpeakerConfig(link));
  await speaker.announce([BFD_PREFIX]);

  await t.test('BGP comes up; BFD stays Down and says the router is not answering', async () => {
    await waitFor(() => router.route(BFD_PREFIX), { what: `${BFD_PREFIX} at BIRD` });
    const peer = await speaker.peerStatus('router');
    assert.equal(peer.state, 'established');
    assert.equal(peer.bfd?.state, 'down');
    assert.equal(peer.bfd?.answering, false);
    assert.equal(peer.bfd?.holdsBgpDown, false);
  });

  await t.test('required = true holds BGP down while BFD is not Up', async () => {
    await speaker.setBfd(link.b.ipv4, { minRx: 0.1, minTx: 0.1, multiplier: 3, required: true });
    await waitFor(() => speaker.peerStatus('router'), {
      what: 'BGP closed because BFD is required',
      until: (p) => p.state === 'idle' && p.bfd?.holdsBgpDown === true,
    });
    await expectNoRoute(router, BFD_PREFIX);
    const peer = await speaker.peerStatus('router');
    assert.deepEqual([peer.lastErrorSent?.code, peer.lastErrorSent?.subcode], [6, 10]);
    await speaker.setBfd(link.b.ipv4, undefined);
    await waitFor(() => router.route(BFD_PREFIX), { what: `${BFD_PREFIX} back without BFD` });
  });
});

test('BFD over IPv6 with BIRD 2', async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const { lab, link } = await bridgedLab(t);
  const node = link.a.ipv6;
  const router = await lab.startBird(
    link.b.ns,
    birdBfdConf(link)
      .replace(`local ${link.b.ipv4} as`, `local ${link.b.ipv6} as`)
      .replace(`neighbor ${link.a.ipv4} as`, `neighbor ${node} as`),
  );
  const config = bfdSpeakerConfig(link);
  const peer = config.speaker.peers?.[0];
  assert.ok(peer);
  const speaker = await lab.startSpeaker(link.a.ns, {
    ...config,
    speaker: {
      ...config.speaker,
      peers: [{ ...peer, address: link.b.ipv6, localAddress: node }],
    },
  });
  await speaker.announce(['2001:db8::61/128']);
  const ours = await ourBfd(
    speaker,
    (b) => b.state === 'up' && b.txIntervalMs === 100 && b.rxIntervalMs === 100,
    'our IPv6 BFD Up at 100 ms',
  );
  assert.equal(ours.detectionTimeMs, 300);
  await waitFor(() => birdBfd(router, node), {
    what: 'BIRD BFD session to our IPv6 address Up',
    until: (s) => s?.state === 'Up' && s.timeoutMs === 300,
  });
  await waitFor(() => router.route('2001:db8::61/128'), { what: 'IPv6 route at BIRD' });
  await link.silence('block');
  await expectNoRoute(router, '2001:db8::61/128');
  await ourBfd(speaker, (b) => b.state === 'down' && b.holdsBgpDown, 'our IPv6 BFD down');
});
