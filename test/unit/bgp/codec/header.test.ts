// RFC 4271 6.1 header errors, RFC 7313 ROUTE-REFRESH length, and stream framing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MessageFramer, decodeMessage } from '../../../../src/bgp/codec/index.js';
import { AS4, assertThrowsBgp, hex, message, toHex } from './support.js';

const MARKER = 'ff'.repeat(16);
const reset = 'session-reset' as const;

/** Both entry points must reject a bad header the same way. */
function bothReject(bytes: Uint8Array, want: Parameters<typeof assertThrowsBgp>[1]): void {
  assertThrowsBgp(() => decodeMessage(bytes, AS4), want);
  const framer = new MessageFramer();
  framer.push(bytes);
  assertThrowsBgp(() => framer.next(), want);
}

describe('message header (RFC 4271 6.1)', () => {
  it('a marker that is not all ones is Connection Not Synchronized (1/1)', () => {
    const bytes = hex('ff'.repeat(15), 'fe', '0013', '04');
    bothReject(bytes, { code: 1, subcode: 1, action: reset, data: hex('') });
  });

  it('length below 19 is Bad Message Length (1/2) with the length field as data', () => {
    bothReject(hex(MARKER, '0012', '04'), {
      code: 1,
      subcode: 2,
      action: reset,
      data: hex('0012'),
    });
  });

  it('length above 4096 is Bad Message Length (1/2)', () => {
    bothReject(hex(MARKER, '1001', '02', '00'.repeat(4097 - 19)), {
      code: 1,
      subcode: 2,
      action: reset,
      data: hex('1001'),
    });
  });

  it('an unknown type is Bad Message Type (1/3) with the type as data', () => {
    bothReject(hex(MARKER, '0013', '06'), { code: 1, subcode: 3, action: reset, data: hex('06') });
  });

  it('OPEN shorter than 29 is 1/2', () => {
    bothReject(message(1, '04 fde9 005a cb007101'), {
      code: 1,
      subcode: 2,
      action: reset,
      data: hex('001c'),
    });
  });

  it('UPDATE shorter than 23 is 1/2', () => {
    bothReject(message(2, '0000 00'), { code: 1, subcode: 2, action: reset, data: hex('0016') });
  });

  it('KEEPALIVE longer than 19 is 1/2', () => {
    bothReject(message(4, '00'), { code: 1, subcode: 2, action: reset, data: hex('0014') });
  });

  it('NOTIFICATION shorter than 21 is 1/2', () => {
    bothReject(message(3, '06'), { code: 1, subcode: 2, action: reset, data: hex('0014') });
  });

  it('ROUTE-REFRESH of the wrong length is ROUTE-REFRESH Message Error / Invalid Message Length (7/1) with the whole message', () => {
    for (const body of ['0001 00', '0001 00 01 00', '']) {
      const bytes = message(5, body);
      assertThrowsBgp(() => decodeMessage(bytes, AS4), {
        code: 7,
        subcode: 1,
        action: reset,
        data: bytes,
      });
    }
  });

  it('decodeMessage rejects a frame whose length disagrees with its header', () => {
    const bytes = hex(MARKER, '0013', '04', '00');
    assertThrowsBgp(() => decodeMessage(bytes, AS4), {
      code: 1,
      subcode: 2,
      action: reset,
      data: hex('0013'),
    });
  });
});

describe('MessageFramer', () => {
  it('returns null until a message is complete, then the message', () => {
    const keepalive = hex(MARKER, '0013', '04');
    const framer = new MessageFramer();
    framer.push(keepalive.subarray(0, 10));
    assert.equal(framer.next(), null);
    framer.push(keepalive.subarray(10, 18));
    assert.equal(framer.next(), null);
    assert.equal(framer.buffered, 18);
    framer.push(keepalive.subarray(18));
    assert.equal(toHex(framer.next() ?? hex('')), toHex(keepalive));
    assert.equal(framer.next(), null);
    assert.equal(framer.buffered, 0);
  });

  it('splits several messages delivered in one chunk, keeping the remainder', () => {
    const a = hex(MARKER, '0013', '04');
    const b = message(3, '06 02');
    const framer = new MessageFramer();
    framer.push(hex(toHex(a), toHex(b), toHex(a).slice(0, 10)));
    assert.equal(toHex(framer.next() ?? hex('')), toHex(a));
    assert.equal(toHex(framer.next() ?? hex('')), toHex(b));
    assert.equal(framer.next(), null);
    assert.equal(framer.buffered, 5);
  });

  it('checks the header as soon as 19 bytes are there: a bad length never waits for more', () => {
    const framer = new MessageFramer();
    framer.push(hex(MARKER, '0fa0', '04')); // KEEPALIVE claiming 4000 bytes
    assertThrowsBgp(() => framer.next(), { code: 1, subcode: 2, action: reset, data: hex('0fa0') });
    const framer2 = new MessageFramer();
    framer2.push(hex(MARKER, 'ffff'));
    framer2.push(hex('02')); // header split across chunks
    assertThrowsBgp(() => framer2.next(), {
      code: 1,
      subcode: 2,
      action: reset,
      data: hex('ffff'),
    });
  });

  it('waits for a long message without re-reading what it has', () => {
    const body = '00'.repeat(4000);
    const msg = message(3, '06 00', body);
    const framer = new MessageFramer();
    for (let i = 0; i < msg.length; i += 100) {
      framer.push(msg.subarray(i, i + 100));
      if (i + 100 < msg.length) assert.equal(framer.next(), null);
    }
    assert.equal(toHex(framer.next() ?? hex('')), toHex(msg));
  });

  it('ignores empty chunks', () => {
    const framer = new MessageFramer();
    framer.push(new Uint8Array(0));
    assert.equal(framer.buffered, 0);
    assert.equal(framer.next(), null);
  });
});
