// The C structures the kernel reads, byte by byte against linux/tcp.h and netinet/in.h,
// with fixtures written out by hand rather than by the encoder.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  TCP_MD5SIG_SIZE,
  encodeMd5Sig,
  encodeSockaddr,
  familyOf,
} from '../../../src/sockopt/index.js';

const hex = (b: Buffer): string => b.toString('hex');

describe('sockaddr encoding', () => {
  it('sockaddr_in: family host order, port network order, 8 bytes of zero', () => {
    assert.equal(
      hex(encodeSockaddr('198.18.0.2', 179)),
      '0200' + '00b3' + 'c6120002' + '00'.repeat(8),
    );
  });

  it('sockaddr_in6: family 10, port, flowinfo, 16 address bytes, scope id', () => {
    assert.equal(
      hex(encodeSockaddr('fd7e:1ab::2', 179, 6, 3)),
      '0a00' + '00b3' + '00000000' + 'fd7e01ab000000000000000000000002' + '03000000',
    );
  });

  it('an IPv4 peer on an IPv6 socket is its v4-mapped address', () => {
    assert.equal(
      hex(encodeSockaddr('198.18.0.2', 0, 6)),
      '0a00' + '0000' + '00000000' + '00000000000000000000ffffc6120002' + '00000000',
    );
  });

  it('familyOf takes a zone and refuses a name', () => {
    assert.equal(familyOf('fe80::1%eth0'), 6);
    assert.equal(familyOf('198.18.0.2'), 4);
    assert.throws(() => familyOf('router.example'), TypeError);
  });
});

describe('struct tcp_md5sig', () => {
  it('is 216 bytes: address at 0, key length at 130, key at 136', () => {
    const sig = encodeMd5Sig('198.18.0.2', Buffer.from('s3cret'));
    assert.equal(sig.length, TCP_MD5SIG_SIZE);
    assert.equal(hex(sig.subarray(0, 8)), '0200' + '0000' + 'c6120002');
    assert.equal(sig[128], 0, 'flags');
    assert.equal(sig[129], 0, 'prefix length');
    assert.equal(sig.readUInt16LE(130), 6);
    assert.equal(sig.readInt32LE(132), 0, 'ifindex');
    assert.equal(sig.subarray(136, 142).toString(), 's3cret');
    assert.ok(sig.subarray(142).every((b) => b === 0));
  });

  it('an IPv6 peer fills sockaddr_in6 in the storage', () => {
    const sig = encodeMd5Sig('fd7e:1ab::2', Buffer.from('k'));
    assert.equal(
      hex(sig.subarray(0, 28)),
      '0a000000' + '00000000' + 'fd7e01ab000000000000000000000002' + '00000000',
    );
    assert.equal(sig.readUInt16LE(130), 1);
  });

  it('an empty key (removal) has length 0; over 80 bytes is refused', () => {
    assert.equal(encodeMd5Sig('198.18.0.2', Buffer.alloc(0)).readUInt16LE(130), 0);
    assert.doesNotThrow(() => encodeMd5Sig('198.18.0.2', Buffer.alloc(80, 1)));
    assert.throws(() => encodeMd5Sig('198.18.0.2', Buffer.alloc(81, 1)), RangeError);
  });
});
