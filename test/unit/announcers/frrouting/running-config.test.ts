// The running-config parser on FRR 8.4's own output (fixtures.ts).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  canonicalPrefix,
  hasRunningConfig,
  parseRunningConfig,
  type BgpInstance,
} from '../../../../src/announcers/frrouting/running-config.js';
import {
  RUNNING_CONFIG,
  RUNNING_CONFIG_NO_BGP,
  UNKNOWN_COMMAND,
  WRITE_AND_SHOW,
} from './fixtures.js';

function plain(instance: BgpInstance | undefined) {
  if (instance === undefined) return undefined;
  return {
    asn: instance.asn,
    vrf: instance.vrf,
    importCheck: instance.importCheck,
    ipv4: [...instance.networks.ipv4],
    ipv6: [...instance.networks.ipv6],
  };
}

describe('FRR running config', () => {
  it('finds every router bgp with its ASN, import-check and unicast networks', () => {
    const config = parseRunningConfig(RUNNING_CONFIG);
    assert.deepEqual([...config.instances.keys()], ['default', 'blue']);
    assert.deepEqual(plain(config.instances.get('default')), {
      asn: 65001,
      vrf: 'default',
      importCheck: true,
      // The route-map after the prefix does not hide it; ipv4 multicast is not unicast.
      ipv4: ['198.51.100.0/24', '198.51.100.128/25', '203.0.113.1/32'],
      ipv6: ['2001:db8::1/128'],
    });
    assert.deepEqual(plain(config.instances.get('blue')), {
      asn: 65001,
      vrf: 'blue',
      importCheck: false,
      ipv4: ['203.0.113.9/32'],
      ipv6: [],
    });
  });

  it('skips views: they never announce, and their networks are not ours', () => {
    const config = parseRunningConfig(RUNNING_CONFIG);
    assert.ok(![...config.instances.values()].some((i) => i.networks.ipv4.has('203.0.113.201/32')));
  });

  it('reads the configuration a write run prints after its commands', () => {
    const config = parseRunningConfig(WRITE_AND_SHOW.stdout);
    assert.deepEqual(plain(config.instances.get('default'))?.ipv4, [
      '198.51.100.0/24',
      '198.51.100.128/25',
      '203.0.113.53/32',
    ]);
    assert.deepEqual(plain(config.instances.get('blue'))?.ipv6, ['2001:db8::123:7e11:713e/128']);
  });

  it('a bgpd without router bgp has no instances', () => {
    assert.equal(parseRunningConfig(RUNNING_CONFIG_NO_BGP).instances.size, 0);
  });

  it('text without a configuration is refused, not read as an empty one', () => {
    assert.equal(hasRunningConfig(UNKNOWN_COMMAND.stdout), false);
    assert.throws(() => parseRunningConfig(UNKNOWN_COMMAND.stdout), /Current configuration/);
    assert.equal(hasRunningConfig(RUNNING_CONFIG), true);
  });

  it('a 4-octet ASN, a VRF named by digits (anycastd\'s "123") and CRLF lines', () => {
    const text = [
      'Current configuration:',
      '!',
      'router bgp 4200000001 vrf 123',
      ' no bgp network import-check',
      ' !',
      ' address-family ipv6 unicast',
      '  network 2001:db8::123:7e11:713e/128',
      ' exit-address-family',
      'exit',
      'end',
    ].join('\r\n');
    assert.deepEqual(plain(parseRunningConfig(text).instances.get('123')), {
      asn: 4200000001,
      vrf: '123',
      importCheck: false,
      ipv4: [],
      ipv6: ['2001:db8::123:7e11:713e/128'],
    });
  });

  it('an indented exit (a nested block) does not end the router block', () => {
    const text = [
      'Current configuration:',
      'router bgp 65001',
      ' segment-routing srv6',
      '  locator main',
      ' exit',
      ' !',
      ' address-family ipv4 unicast',
      '  network 203.0.113.53/32',
      ' exit-address-family',
      'exit',
    ].join('\n');
    assert.deepEqual(plain(parseRunningConfig(text).instances.get('default'))?.ipv4, [
      '203.0.113.53/32',
    ]);
  });

  it('prefixes are compared in canonical form', () => {
    assert.equal(canonicalPrefix('2001:DB8:0::53/128'), '2001:db8::53/128');
    assert.equal(canonicalPrefix('not-a-prefix'), undefined);
  });
});
