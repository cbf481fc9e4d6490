// The pure parts of sockopt/udp.ts: the TTL out of recvmsg's control messages, and
// the sender's sockaddr back to text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeSockaddr, encodeSockaddr, receivedTtl } from '../../../src/sockopt/index.js';

/** struct cmsghdr (64-bit): cmsg_len, level, type, then an int, padded to 8. */
function cmsg(level: number, type: number, value: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(20n, 0);
  b.writeInt32LE(level, 8);
  b.writeInt32LE(type, 12);
  b.writeInt32LE(value, 16);
  return b;
}

describe('sockopt udp: received TTL and source', () => {
  it('reads IP_TTL and IPV6_HOPLIMIT, after other control messages', () => {
    assert.equal(receivedTtl(cmsg(0, 2, 254)), 254);
    assert.equal(receivedTtl(cmsg(41, 52, 255)), 255);
    assert.equal(receivedTtl(Buffer.concat([cmsg(1, 29, 7), cmsg(0, 2, 64)])), 64);
  });

  it('says nothing rather than guess', () => {
    assert.equal(receivedTtl(Buffer.alloc(0)), undefined);
    assert.equal(receivedTtl(cmsg(1, 29, 7)), undefined);
    const bad = cmsg(0, 2, 255);
    bad.writeBigUInt64LE(4n, 0);
    assert.equal(receivedTtl(bad), undefined);
  });

  it('decodes the sender as it was encoded', () => {
    for (const [address, port] of [
      ['198.18.0.2', 49152],
      ['fd7e:1ab::2', 3784],
      ['2001:db8:0:1::', 65535],
      ['fe80::1:2', 1],
    ] as const) {
      const encoded = Buffer.alloc(128);
      encodeSockaddr(address, port).copy(encoded);
      assert.deepEqual(decodeSockaddr(encoded), { address, port });
    }
    const mapped = Buffer.alloc(128);
    encodeSockaddr('198.18.0.2', 3784, 6).copy(mapped);
    assert.deepEqual(decodeSockaddr(mapped), { address: '198.18.0.2', port: 3784 });
  });
});
