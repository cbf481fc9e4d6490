/**
 * RFC 4271 section 6.8, over real sockets: the speaker connects out to a raw peer
 * while the raw peer connects in to the speaker's listener, so two TCP
 * connections really cross. The raw peer holds both in OpenSent (and, in one
 * variant, the first in OpenConfirm) before it sends the OPEN that lets the
 * speaker resolve the collision. Each TCP connection is named by its ports; the
 * test checks which one survives to Established and which one gets
 * Cease / Connection Collision Resolution (subcode 7), for both orders of BGP
 * Identifier: the connection opened by the higher Identifier survives.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import {
  capFourOctet,
  capMpIpv4,
  eventually,
  keepalive,
  openMessage,
  RawListener,
  RawPeer,
  type RawOpen,
} from '../../helpers/raw-peer.js';

const SPEAKER_ASN = 65001;
const PEER_ASN = 65002;
const SPEAKER_ID = '198.18.0.10';
const LOWER_ID = [198, 18, 0, 9];
const HIGHER_ID = [198, 18, 0, 11];

type LogRecord = Record<string, unknown>;

/** A TCP connection as both ends see it. */
interface Ports {
  readonly local: number;
  readonly remote: number;
}

/** The speaker's view of a connection the raw peer sees as `ports`. */
function mirrored(ports: Ports): { localPort: number; remotePort: number } {
  return { localPort: ports.remote, remotePort: ports.local };
}

let nextHost = 20;
/** Two fresh 127/8 addresses per test (Linux routes all of 127.0.0.0/8 to lo). */
function addresses(): { speaker: string; peer: string } {
  const speaker = `127.0.0.${nextHost++}`;
  const peer = `127.0.0.${nextHost++}`;
  return { speaker, peer };
}

async function crossConnections(): Promise<{
  speaker: BgpSpeaker;
  records: LogRecord[];
  listener: RawListener;
  outgoing: RawPeer;
  incoming: RawPeer;
}> {
  const hosts = addresses();
  const listener = await RawListener.listen(hosts.peer);
  const records: LogRecord[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (line: string) => records.push(JSON.parse(line) as LogRecord) },
  );
  const speaker = new BgpSpeaker({
    asn: SPEAKER_ASN,
    routerId: SPEAKER_ID,
    listen: { host: hosts.speaker, port: 0 },
    logger,
    peers: [
      {
        address: hosts.peer,
        port: listener.port,
        localAddress: hosts.speaker,
        asn: PEER_ASN,
        families: ['ipv4'],
        connectRetry: 60,
      },
    ],
  });
  await speaker.start();
  // The speaker connects out: this TCP connection was initiated by the speaker.
  const outgoing = await listener.accept();
  await outgoing.next(1); // its OPEN: OpenSent on the first connection
  const listenPort = speaker.listenPort;
  assert.ok(listenPort !== undefined);
  // Meanwhile the peer connects in: initiated by the peer.
  const incoming = await RawPeer.connect(listenPort, hosts.peer, hosts.speaker);
  return { speaker, records, listener, outgoing, incoming };
}

function peerOpen(routerId: number[]): RawOpen {
  return {
    myAs: PEER_ASN,
    holdTime: 90,
    routerId,
    capabilities: [capMpIpv4, capFourOctet(PEER_ASN)],
  };
}

describe('connection collision (RFC 4271 6.8), two TCP connections crossing', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  const cases = [
    {
      name: 'our BGP Identifier is higher: the connection the speaker opened survives',
      peerId: LOWER_ID,
      survivor: 'outgoing',
    },
    {
      name: 'the peer’s BGP Identifier is higher: the connection the peer opened survives',
      peerId: HIGHER_ID,
      survivor: 'incoming',
    },
  ] as const;

  for (const firstState of ['open-sent', 'open-confirm'] as const) {
    for (const c of cases) {
      it(`${c.name} (first connection in ${firstState})`, async () => {
        const { speaker, records, listener, outgoing, incoming } = await crossConnections();
        cleanups.push(async () => {
          outgoing.close();
          incoming.close();
          await speaker.stop();
          await listener.close();
        });
        const open = openMessage(peerOpen(c.peerId));

        // The speaker holds the second connection and sends its OPEN there too:
        // both connections are in OpenSent, so a collision is really under way.
        await incoming.next(1);
        await eventually(
          () => records.find((r) => r.event === 'bgp.collision' && r.outcome === 'held'),
          'the second connection held',
        );
        assert.equal(speaker.peerStatus()[0]?.state, 'open-sent');
        assert.ok(!outgoing.isClosed && !incoming.isClosed, 'neither connection refused');

        if (firstState === 'open-confirm') {
          // Our OPEN on the first connection: the speaker answers with a KEEPALIVE (OpenConfirm).
          outgoing.send(open);
          await outgoing.next(4);
          assert.equal(speaker.peerStatus()[0]?.state, 'open-confirm');
        }

        // The OPEN on the second connection names our Identifier: now the speaker resolves.
        incoming.send(open);
        const resolved = await eventually(
          () =>
            records.find(
              (r) =>
                r.event === 'bgp.collision' &&
                (r.outcome === 'kept-existing' || r.outcome === 'kept-second'),
            ),
          'the collision resolved',
        );

        const survivor = c.survivor === 'outgoing' ? outgoing : incoming;
        const loser = c.survivor === 'outgoing' ? incoming : outgoing;
        // The first connection is the one the speaker opened: keeping it is "kept-existing".
        assert.equal(resolved.outcome, c.survivor === 'outgoing' ? 'kept-existing' : 'kept-second');
        assert.deepEqual(resolved.kept, mirrored(survivor.ports), 'kept connection, by port');
        assert.deepEqual(resolved.closed, mirrored(loser.ports), 'closed connection, by port');

        const cease = await loser.notification();
        assert.deepEqual(
          [cease.code, cease.subcode],
          [6, 7],
          'Cease / Connection Collision Resolution',
        );
        assert.ok(loser.isClosed);

        // The survivor goes on to Established.
        if (survivor === outgoing && firstState === 'open-sent') survivor.send(open);
        if (survivor === incoming || firstState === 'open-sent') await survivor.next(4);
        survivor.send(keepalive);
        await eventually(
          () => speaker.peerStatus()[0]?.state === 'established',
          'Established on the surviving connection',
        );
        await survivor.next(2); // End-of-RIB arrives on the survivor
        assert.ok(!survivor.isClosed, 'the survivor stays open');
        const status = speaker.peerStatus()[0];
        assert.equal(status?.establishedCount, 1);
        assert.equal(status?.lastErrorReceived, undefined);
        assert.equal(
          records.filter((r) => r.event === 'bgp.session_established').length,
          1,
          'one session, no flap',
        );
      });
    }
  }

  it('a connection arriving while Established is refused with Cease 7, the session stays', async () => {
    const { speaker, records, listener, outgoing, incoming } = await crossConnections();
    cleanups.push(async () => {
      outgoing.close();
      incoming.close();
      await speaker.stop();
      await listener.close();
    });
    // Complete the session on the first connection before the second's OPEN arrives.
    await incoming.next(1);
    outgoing.send(openMessage(peerOpen(HIGHER_ID)));
    outgoing.send(keepalive);
    await outgoing.next(4);
    await eventually(() => speaker.peerStatus()[0]?.state === 'established', 'Established');
    // Even though the peer's Identifier is higher, an Established session is kept.
    incoming.send(openMessage(peerOpen(HIGHER_ID)));
    const cease = await incoming.notification();
    assert.deepEqual([cease.code, cease.subcode], [6, 7]);
    const resolved = records.find(
      (r) => r.event === 'bgp.collision' && r.outcome === 'kept-existing',
    );
    assert.deepEqual(resolved?.kept, mirrored(outgoing.ports));
    assert.deepEqual(resolved?.closed, mirrored(incoming.ports));
    assert.equal(speaker.peerStatus()[0]?.state, 'established');
    assert.ok(!outgoing.isClosed);
  });
});
