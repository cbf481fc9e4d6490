/**
 * RFC 4271 section 6.8: two speakers that both connect at once end with exactly
 * one session, the one opened by the higher BGP Identifier.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { eventually } from '../../helpers/raw-peer.js';

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

describe('connection collision', () => {
  it('both sides connecting at once settle on one session', async () => {
    const port = await freePort('127.0.0.1');
    const make = (
      self: string,
      other: string,
      asn: number,
      otherAsn: number,
      routerId: string,
    ): BgpSpeaker =>
      new BgpSpeaker({
        asn,
        routerId,
        listen: { host: self, port },
        peers: [{ address: other, port, localAddress: self, asn: otherAsn, connectRetry: 0.5 }],
      });
    const low = make('127.0.0.1', '127.0.0.3', 65001, 65003, '198.18.0.1');
    const high = make('127.0.0.3', '127.0.0.1', 65003, 65001, '198.18.0.3');
    await Promise.all([low.start(), high.start()]);
    try {
      low.announce('203.0.113.5/32');
      await eventually(
        () =>
          low.peerStatus()[0]?.state === 'established' &&
          high.peerStatus()[0]?.state === 'established',
        'both sides Established',
      );
      const lowLocal = low.peerStatus()[0]?.localAddress;
      const highLocal = high.peerStatus()[0]?.localAddress;
      assert.equal(lowLocal, '127.0.0.1');
      assert.equal(highLocal, '127.0.0.3');
      await low.flushed();
      assert.equal(low.peerStatus()[0]?.establishedCount, 1, 'no flap on the low side');
      assert.equal(high.peerStatus()[0]?.establishedCount, 1, 'no flap on the high side');
      for (const side of [low, high]) {
        const error =
          side.peerStatus()[0]?.lastErrorReceived ?? side.peerStatus()[0]?.lastErrorSent;
        if (error !== undefined)
          assert.equal(error.subcode, 7, 'only Connection Collision Resolution, if anything');
      }
    } finally {
      await Promise.all([low.stop(), high.stop()]);
    }
  });
});
