import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { joinHostPort, parseHostPort } from '../../../src/util/index.js';

describe('joinHostPort', () => {
  it('brackets IPv6 and leaves IPv4 and names bare', () => {
    assert.equal(joinHostPort('127.0.0.1', 9180), '127.0.0.1:9180');
    assert.equal(joinHostPort('::1', 9180), '[::1]:9180');
    assert.equal(joinHostPort('2001:db8::1', 179), '[2001:db8::1]:179');
    assert.equal(joinHostPort('fe80::1%eth0', 179), '[fe80::1%eth0]:179');
    assert.equal(joinHostPort('localhost', 80), 'localhost:80');
  });
});

describe('parseHostPort', () => {
  it('reads IPv4 and bracketed IPv6', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:9180'), { host: '127.0.0.1', port: 9180 });
    assert.deepEqual(parseHostPort('[::1]:9180'), { host: '::1', port: 9180 });
    assert.deepEqual(parseHostPort('[2001:db8::1]:0'), { host: '2001:db8::1', port: 0 });
    assert.deepEqual(parseHostPort('0.0.0.0:65535'), { host: '0.0.0.0', port: 65535 });
  });

  it('refuses names, bare IPv6, bracketed IPv4, bad ports', () => {
    for (const text of [
      'localhost:80',
      '::1:9180',
      '[127.0.0.1]:80',
      '127.0.0.1',
      '127.0.0.1:',
      '127.0.0.1:65536',
      '127.0.0.1:123456',
      '[::1]',
      '[::1]:-1',
      ' 127.0.0.1:80',
      '',
    ])
      assert.equal(parseHostPort(text), undefined, text);
  });

  it('reads back what joinHostPort wrote, for any IP and port', () => {
    const ip = fc.oneof(fc.ipV4(), fc.ipV6());
    fc.assert(
      fc.property(ip, fc.integer({ min: 0, max: 65535 }), (host, port) => {
        assert.deepEqual(parseHostPort(joinHostPort(host, port)), { host, port });
      }),
    );
  });
});
