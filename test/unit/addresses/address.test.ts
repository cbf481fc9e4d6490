import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AddressError,
  checkAddressConfig,
  addressEntries,
  parseInterfaceAddress,
  sameIp,
} from '../../../src/addresses/index.js';

describe('parseInterfaceAddress', () => {
  it('takes bare addresses as /32 and /128, keeps lengths and host bits, canonicalizes', () => {
    const cases: [string, string, 4 | 6][] = [
      ['203.0.113.53', '203.0.113.53/32', 4],
      [' 198.51.100.7/24 ', '198.51.100.7/24', 4],
      ['2001:db8::53', '2001:db8::53/128', 6],
      ['2001:DB8:0:0::53/64', '2001:db8::53/64', 6],
    ];
    for (const [text, cidr, family] of cases) {
      const a = parseInterfaceAddress(text);
      assert.equal(a.cidr, cidr, text);
      assert.equal(a.family, family, text);
      assert.equal(`${a.ip}/${a.prefixLength}`, cidr);
    }
  });

  it('refuses what cannot be an anycast address on a device, naming the entry', () => {
    const cases: [string, RegExp][] = [
      ['203.0.113', /not a dotted-quad/],
      ['0x7f.1.2.3', /not a dotted-quad/],
      ['example.org', /not an IPv4 or IPv6 address/],
      ['2001:db8::53%lo', /not an IPv4 or IPv6 address/],
      ['203.0.113.53/33', /length must be 1 to 32/],
      ['2001:db8::53/129', /length must be 1 to 128/],
      ['203.0.113.53/0', /length must be 1 to 32/],
      ['203.0.113.53/', /length must be 1 to 32/],
      ['0.0.0.0', /unspecified/],
      ['::', /unspecified/],
      ['224.0.0.5', /multicast/],
      ['ff02::1', /multicast/],
      ['fe80::1', /link-local/],
    ];
    for (const [text, message] of cases) {
      assert.throws(
        () => parseInterfaceAddress(text),
        (error: unknown) =>
          error instanceof AddressError &&
          error.code === 'ADDRESS_INVALID' &&
          error.message.startsWith(`address "${text}": `) &&
          message.test(error.message),
        text,
      );
    }
  });

  it('sameIp compares addresses, not spellings', () => {
    assert.ok(sameIp('2001:DB8:0::53', '2001:db8::53'));
    assert.ok(!sameIp('2001:db8::53', '2001:db8::54'));
    assert.ok(!sameIp('::ffff:203.0.113.1', '203.0.113.1'));
    assert.ok(!sameIp('nonsense', 'nonsense'));
  });
});

describe('checkAddressConfig', () => {
  it('accepts the plain cases and shared addresses set alike', () => {
    assert.deepEqual(
      checkAddressConfig([
        { name: 'dns', addresses: ['203.0.113.53', '2001:db8::53'] },
        { name: 'dns-tcp', addresses: ['203.0.113.53'], device: 'lo', management: 'auto' },
        { name: 'web', addresses: [], device: 'auto', management: 'on' },
        { name: 'ntp', addresses: ['198.51.100.123'], withdrawAddressWhenDown: true },
        { name: 'up', addresses: ['198.51.100.1'], device: 'eth0.100', management: 'off' },
      ]),
      [],
    );
  });

  it('names every problem at its key path', () => {
    const issues = checkAddressConfig([
      { name: 'a', addresses: ['203.0.113.1', 'bogus', '203.0.113.1/32'], device: 'a/b' },
      { name: 'b', addresses: ['203.0.113.1'], management: 'on' },
      { name: 'c', addresses: ['203.0.113.1/24'] },
      { name: 'd', addresses: [], withdrawAddressWhenDown: true },
      { name: 'e', addresses: ['198.51.100.9'], management: 'off', withdrawAddressWhenDown: true },
      { name: 'f', addresses: ['198.51.100.10'], device: 'a-very-long-device' },
    ]);
    assert.deepEqual(
      issues.map((i) => [i.service, i.path.join('.'), i.code]),
      [
        ['a', 'device', 'ADDRESS_INVALID'],
        ['a', 'addresses.1', 'ADDRESS_INVALID'],
        ['a', 'addresses.2', 'ADDRESS_CONFLICT'],
        ['b', 'addresses.0', 'ADDRESS_CONFLICT'],
        ['c', 'addresses.0', 'ADDRESS_CONFLICT'],
        ['d', 'withdraw_address_when_down', 'ADDRESS_INVALID'],
        ['e', 'withdraw_address_when_down', 'ADDRESS_INVALID'],
        ['f', 'device', 'ADDRESS_INVALID'],
      ],
    );
    assert.match(issues[2]!.message, /203\.0\.113\.1 is listed twice/);
    assert.match(
      issues[3]!.message,
      /also listed by service "a" as 203\.0\.113\.1\/32 on device "a\/b" with address_management = "auto".*here 203\.0\.113\.1\/32, "lo", "on"/,
    );
    assert.match(issues[4]!.message, /here 203\.0\.113\.1\/24/);
  });

  it('addressEntries throws the first issue as a typed error', () => {
    assert.throws(
      () =>
        addressEntries([
          { name: 'a', addresses: ['203.0.113.1'] },
          { name: 'b', addresses: ['203.0.113.1'], device: 'eth0' },
        ]),
      (error: unknown) =>
        error instanceof AddressError &&
        error.code === 'ADDRESS_CONFLICT' &&
        error.message.startsWith('services.b.addresses.0: 203.0.113.1 is also listed'),
    );
  });
});
