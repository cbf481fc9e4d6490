// The command builder: the plan from FRR's running config (fixtures.ts) and the routes,
// the vtysh commands of one sync, and the verification of what FRR printed after it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  mismatches,
  planSync,
  syncCommands,
  vtyshArgv,
} from '../../../../src/announcers/frrouting/commands.js';
import { parseRunningConfig } from '../../../../src/announcers/frrouting/running-config.js';
import { routeKey, type AnnouncedRoute, type RouteRef } from '../../../../src/announcers/index.js';
import { RUNNING_CONFIG, RUNNING_CONFIG_NO_BGP, WRITE_AND_SHOW } from './fixtures.js';

const config = parseRunningConfig(RUNNING_CONFIG);

function routes(...refs: RouteRef[]): Map<string, RouteRef> {
  return new Map(refs.map((r) => [routeKey(r), r]));
}
function wanted(...refs: RouteRef[]): Map<string, AnnouncedRoute> {
  return new Map(refs.map((r) => [routeKey(r), { ...r, attributes: {} }]));
}

describe('FRR sync plan', () => {
  it('adds what is wanted and missing, removes what is owned and not wanted, per VRF and family', () => {
    const plan = planSync(
      config,
      wanted(
        { prefix: '203.0.113.53/32' },
        { prefix: '203.0.113.1/32' },
        { prefix: '2001:db8::123:7e11:713e/128', vrf: 'blue' },
      ),
      routes({ prefix: '2001:db8::1/128' }, { prefix: '203.0.113.9/32', vrf: 'blue' }),
    );
    assert.deepEqual(plan, {
      changes: [
        {
          asn: 65001,
          vrf: 'default',
          add: { ipv4: ['203.0.113.53/32'], ipv6: [] },
          remove: { ipv4: [], ipv6: ['2001:db8::1/128'] },
        },
        {
          asn: 65001,
          vrf: 'blue',
          add: { ipv4: [], ipv6: ['2001:db8::123:7e11:713e/128'] },
          remove: { ipv4: ['203.0.113.9/32'], ipv6: [] },
        },
      ],
      noInstance: [],
      badVrf: [],
    });
  });

  it("never names a network statement it does not own (the operator's)", () => {
    const plan = planSync(config, wanted(), routes({ prefix: '203.0.113.77/32' }));
    assert.deepEqual(plan.changes, [], 'an owned route FRR does not have: nothing to remove');
    const commands = syncCommands(
      planSync(config, wanted({ prefix: '203.0.113.53/32' }), routes()).changes,
    );
    for (const operator of ['198.51.100.0/24', '198.51.100.128/25'])
      assert.ok(!commands.some((c) => c.includes(operator)), `${operator} untouched`);
  });

  it('"default" is the default instance; a VRF without router bgp is reported, never entered', () => {
    const plan = planSync(
      config,
      wanted(
        { prefix: '203.0.113.53/32', vrf: 'default' },
        { prefix: '203.0.113.123/32', vrf: '123' },
      ),
      routes({ prefix: '203.0.113.124/32', vrf: '124' }),
    );
    assert.deepEqual(
      plan.changes.map((c) => [c.vrf, c.add.ipv4]),
      [['default', ['203.0.113.53/32']]],
    );
    assert.deepEqual(plan.noInstance, [{ prefix: '203.0.113.123/32', vrf: '123', attributes: {} }]);
    assert.ok(!syncCommands(plan.changes).some((c) => c.includes('vrf 123')));
  });

  it('no router bgp at all: every wanted route is reported', () => {
    const plan = planSync(
      parseRunningConfig(RUNNING_CONFIG_NO_BGP),
      wanted({ prefix: '203.0.113.53/32' }),
      routes(),
    );
    assert.deepEqual(plan.changes, []);
    assert.equal(plan.noInstance.length, 1);
  });

  it('a VRF name that could carry another command is refused', () => {
    const plan = planSync(
      config,
      wanted({ prefix: '203.0.113.53/32', vrf: 'blue\nno router bgp 65001' }),
      routes({ prefix: '203.0.113.54/32', vrf: 'a b' }),
    );
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(
      plan.badVrf.map((r) => r.vrf),
      ['blue\nno router bgp 65001', 'a b'],
    );
  });
});

describe('FRR sync commands', () => {
  it('one vtysh run: configure, each instance and family, withdrawals first, then show the result', () => {
    const plan = planSync(
      config,
      wanted({ prefix: '203.0.113.53/32' }, { prefix: '2001:db8::123:7e11:713e/128', vrf: 'blue' }),
      routes({ prefix: '203.0.113.1/32' }),
    );
    assert.deepEqual(syncCommands(plan.changes), [
      'configure terminal',
      'router bgp 65001',
      'address-family ipv4 unicast',
      'no network 203.0.113.1/32',
      'network 203.0.113.53/32',
      'exit-address-family',
      'exit',
      'router bgp 65001 vrf blue',
      'address-family ipv6 unicast',
      'network 2001:db8::123:7e11:713e/128',
      'exit-address-family',
      'exit',
      'end',
      'show running-config',
    ]);
  });

  it('nothing to change: no commands (the sync costs one show running-config)', () => {
    assert.deepEqual(
      syncCommands(planSync(config, wanted({ prefix: '203.0.113.1/32' }), routes()).changes),
      [],
    );
  });

  it('argv: -d bgpd always, -N only with a pathspace, one -c per command', () => {
    assert.deepEqual(vtyshArgv({ vtysh: '/usr/bin/vtysh' }, ['show running-config']), [
      '/usr/bin/vtysh',
      '-d',
      'bgpd',
      '-c',
      'show running-config',
    ]);
    assert.deepEqual(vtyshArgv({ vtysh: 'vtysh', pathspace: 'node' }, ['a', 'b']), [
      'vtysh',
      '-N',
      'node',
      '-d',
      'bgpd',
      '-c',
      'a',
      '-c',
      'b',
    ]);
  });
});

describe('FRR sync verification', () => {
  it('the configuration printed after the write shows the wanted state: no mismatch', () => {
    const after = parseRunningConfig(WRITE_AND_SHOW.stdout);
    const want = wanted(
      { prefix: '203.0.113.53/32' },
      { prefix: '2001:db8::123:7e11:713e/128', vrf: 'blue' },
    );
    assert.deepEqual(
      mismatches(after, want, new Map([...routes({ prefix: '203.0.113.1/32' }), ...want])),
      [],
    );
  });

  it('names what FRR still has or lacks', () => {
    const want = wanted({ prefix: '203.0.113.54/32' });
    assert.deepEqual(
      mismatches(config, want, new Map([...routes({ prefix: '203.0.113.1/32' }), ...want])).map(
        (m) => [m.route.prefix, m.wanted],
      ),
      [
        ['203.0.113.1/32', false],
        ['203.0.113.54/32', true],
      ],
    );
  });
});
