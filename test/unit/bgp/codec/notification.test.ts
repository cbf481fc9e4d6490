// NOTIFICATION, KEEPALIVE, ROUTE-REFRESH values and the RFC 9003 Shutdown Communication.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodeMessage,
  decodeShutdownCommunication,
  encodeKeepalive,
  encodeMessage,
  encodeShutdownCommunication,
} from '../../../../src/bgp/codec/index.js';
import { BgpEncodeError } from '../../../../src/bgp/errors.js';
import { AS4, hex, message, toHex } from './support.js';

describe('NOTIFICATION', () => {
  it('decodes code, subcode and data of any length', () => {
    assert.deepStrictEqual(decodeMessage(message(3, '03 0b', 'c0 11 06 02 01'), AS4), {
      type: 'notification',
      code: 3,
      subcode: 11,
      data: hex('c01106 0201'),
    });
    assert.deepStrictEqual(decodeMessage(message(3, '04 00'), AS4), {
      type: 'notification',
      code: 4,
      subcode: 0,
      data: hex(''),
    });
  });

  it('encodes up to the 4096-byte limit and refuses more', () => {
    const max = new Uint8Array(4096 - 21).fill(7);
    const bytes = encodeMessage({ type: 'notification', code: 6, subcode: 9, data: max }, AS4);
    assert.equal(bytes.length, 4096);
    assert.throws(
      () =>
        encodeMessage(
          { type: 'notification', code: 6, subcode: 9, data: new Uint8Array(4076) },
          AS4,
        ),
      BgpEncodeError,
    );
    assert.throws(
      () => encodeMessage({ type: 'notification', code: 256, subcode: 0, data: hex('') }, AS4),
      BgpEncodeError,
    );
  });
});

describe('KEEPALIVE', () => {
  it('encodes 19 bytes and each call gets its own copy', () => {
    const a = encodeKeepalive();
    a[18] = 0;
    assert.equal(toHex(encodeKeepalive()), 'ff'.repeat(16) + '001304');
    assert.equal(toHex(encodeMessage({ type: 'keepalive' }, AS4)), 'ff'.repeat(16) + '001304');
  });
});

describe('ROUTE-REFRESH', () => {
  it('round-trips AFI, subtype (RFC 7313) and SAFI', () => {
    const bytes = encodeMessage({ type: 'route-refresh', afi: 2, subtype: 1, safi: 1 }, AS4);
    assert.equal(toHex(bytes), toHex(message(5, '0002 01 01')));
    assert.deepStrictEqual(decodeMessage(bytes, AS4), {
      type: 'route-refresh',
      afi: 2,
      subtype: 1,
      safi: 1,
    });
  });

  it('refuses values out of range', () => {
    assert.throws(
      () => encodeMessage({ type: 'route-refresh', afi: 65536, subtype: 0, safi: 1 }, AS4),
      BgpEncodeError,
    );
  });
});

describe('Shutdown Communication (RFC 9003)', () => {
  it('encodes a length octet and the UTF-8 text', () => {
    assert.equal(toHex(encodeShutdownCommunication('bye')), '03' + toHex(Buffer.from('bye')));
    assert.equal(toHex(encodeShutdownCommunication('')), '00');
  });

  it('cuts at 255 bytes', () => {
    const out = encodeShutdownCommunication('x'.repeat(300));
    assert.equal(out.length, 256);
    assert.equal(out[0], 255);
  });

  it('never splits a multi-byte character when cutting', () => {
    // 254 ASCII bytes then a 3-byte character: only 254 bytes fit.
    const euro = encodeShutdownCommunication('a'.repeat(254) + '\u20ac');
    assert.equal(euro[0], 254);
    assert.equal(decodeShutdownCommunication(euro), 'a'.repeat(254));
    // 4-byte characters: 63 of them are 252 bytes, the 64th would end at 256.
    const emoji = '\u{1f680}'.repeat(70);
    const cut = encodeShutdownCommunication(emoji);
    assert.equal(cut[0], 252);
    assert.equal(decodeShutdownCommunication(cut), '\u{1f680}'.repeat(63));
    // A 2-byte character ending exactly at 255 is kept.
    const exact = encodeShutdownCommunication('a'.repeat(253) + '\u00fc' + 'zzz');
    assert.equal(exact[0], 255);
    assert.equal(decodeShutdownCommunication(exact), 'a'.repeat(253) + '\u00fc');
  });

  it('round-trips text that fits', () => {
    for (const text of [
      'maintenance window 2h',
      'Wartung f\u00fcr 5 min',
      '\u65e5\u672c\u8a9e',
      '\u{1f527} fix',
    ]) {
      assert.equal(decodeShutdownCommunication(encodeShutdownCommunication(text)), text);
    }
  });

  it('returns undefined for empty, truncated or invalid UTF-8 data', () => {
    assert.equal(decodeShutdownCommunication(hex('')), undefined);
    assert.equal(decodeShutdownCommunication(hex('00')), undefined);
    assert.equal(decodeShutdownCommunication(hex('05 616263')), undefined);
    assert.equal(decodeShutdownCommunication(hex('02 c328')), undefined);
    assert.equal(decodeShutdownCommunication(hex('01 80')), undefined);
  });

  it('ignores bytes after the announced length', () => {
    assert.equal(decodeShutdownCommunication(hex('02 6869 ffff')), 'hi');
  });
});
