// Community text forms: RFC 1997 (with the well-known names) and RFC 8092.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  CommunityError,
  formatCommunity,
  formatLargeCommunity,
  parseCommunity,
  parseLargeCommunity,
} from '../../../../src/bgp/codec/index.js';

describe('parseCommunity / formatCommunity', () => {
  it('parses asn:value', () => {
    assert.equal(parseCommunity('65001:100'), 0xfde90064);
    assert.equal(parseCommunity('0:0'), 0);
    assert.equal(parseCommunity(' 65535:65535 '), 0xffffffff);
  });

  it('parses the well-known names, in either spelling', () => {
    assert.equal(parseCommunity('no-export'), 0xffffff01);
    assert.equal(parseCommunity('NO_EXPORT'), 0xffffff01);
    assert.equal(parseCommunity('no-advertise'), 0xffffff02);
    assert.equal(parseCommunity('no-export-subconfed'), 0xffffff03);
    assert.equal(parseCommunity('no-peer'), 0xffffff04);
    assert.equal(parseCommunity('blackhole'), 0xffff029a);
    assert.equal(parseCommunity('graceful-shutdown'), 0xffff0000);
  });

  it('formats well-known values by name and the rest as asn:value', () => {
    assert.equal(formatCommunity(0xffffff01), 'no-export');
    assert.equal(formatCommunity(0xffff029a), 'blackhole');
    assert.equal(formatCommunity(0xfde90064), '65001:100');
    assert.equal(formatCommunity(0xffff0001), '65535:1');
    assert.throws(() => formatCommunity(-1), RangeError);
  });

  it('round-trips every form', () => {
    for (const text of ['65001:100', '1:2', 'no-export', 'graceful-shutdown', '65534:0']) {
      assert.equal(formatCommunity(parseCommunity(text)), text);
    }
  });

  for (const [text, pattern] of [
    ['65536:1', /community "65536:1": ASN "65536" must be a number from 0 to 65535/],
    ['1:65536', /community "1:65536": value "65536" must be a number from 0 to 65535/],
    ['abc', /community "abc" is neither "asn:value" nor a well-known name \(graceful-shutdown, /],
    ['1:2:3', /community "1:2:3" is neither .*three parts is a large community/],
    ['-1:2', /community "-1:2": ASN "-1"/],
    ['1:', /community "1:": value ""/],
    ['', /community "" is neither/],
  ] as const) {
    it(`rejects "${text}" with a message naming it`, () => {
      assert.throws(
        () => parseCommunity(text),
        (err: unknown) => {
          assert.ok(err instanceof CommunityError);
          assert.match(err.message, pattern);
          return true;
        },
      );
    });
  }
});

describe('parseLargeCommunity / formatLargeCommunity', () => {
  it('parses and formats global:local1:local2', () => {
    assert.deepStrictEqual(parseLargeCommunity('65001:1:2'), {
      global: 65001,
      local1: 1,
      local2: 2,
    });
    assert.deepStrictEqual(parseLargeCommunity('4294967295:0:4294967295'), {
      global: 4294967295,
      local1: 0,
      local2: 4294967295,
    });
    assert.equal(
      formatLargeCommunity({ global: 4200000001, local1: 7, local2: 8 }),
      '4200000001:7:8',
    );
  });

  it('rejects other shapes and out-of-range parts', () => {
    for (const text of ['65001:1', '4294967296:1:2', 'a:b:c', '1:2:3:4', '1::2']) {
      assert.throws(() => parseLargeCommunity(text), CommunityError, text);
    }
  });
});
