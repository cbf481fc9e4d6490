/**
 * The lab's parsers on output captured from the real daemons (BIRD 2.0.12, FRRouting 8.4,
 * GoBGP 3.10) in this project's lab. Runs without root; the live check is lab-selftest.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  parseBirdCount,
  parseBirdProtocols,
  parseBirdRoutes,
  parseFrrNeighbors,
  parseFrrPrefix,
  parseGobgpLog,
  parseGobgpNeighbors,
  parseGobgpRib,
  splitJsonDocuments,
} from '../lab/index.js';

const BIRD_ROUTES = `BIRD 2.0.12 ready.
Table master4:
198.51.100.0/24      unicast [n 17:48:48.640] * (100) [AS65001i]
	via 198.18.0.1 on agx-r
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 65001
	BGP.next_hop: 198.18.0.1
	BGP.med: 0
	BGP.local_pref: 100
203.0.113.1/32       unicast [n 17:49:11.254] * (100) [AS65011?]
	via 198.18.0.1 on agx-r
	Type: BGP univ
	BGP.origin: Incomplete
	BGP.as_path: 65001 65010 65011
	BGP.next_hop: 198.18.0.1
	BGP.med: 50
	BGP.local_pref: 100
	BGP.community: (65001,100) (65535,65281)
	BGP.large_community: (65001, 1, 2) (65001, 3, 4)
                     unicast [m 17:49:12.000] (100) [AS65002i]
	via 198.18.0.5 on agx-s
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 65002
	BGP.next_hop: 198.18.0.5
	BGP.local_pref: 100

Table master6:
2001:db8::1/128      unicast [n 17:48:38.711 from 198.18.0.1] * (100) [AS65001i]
	via fd7e:1ab:0:1::1 on agx-r
	Type: BGP univ
	BGP.origin: IGP
	BGP.as_path: 65001
	BGP.next_hop: fd7e:1ab:0:1::1 fe80::5cf5:88ff:feb2:84c7
	BGP.local_pref: 100
	BGP.community: (65001,200)
`;

test('BIRD: show route all, with a second path and an IPv6 link-local next hop', () => {
  const routes = parseBirdRoutes(BIRD_ROUTES);
  assert.deepEqual(
    routes.map((r) => [r.prefix, r.best]),
    [
      ['198.51.100.0/24', true],
      ['203.0.113.1/32', true],
      ['203.0.113.1/32', false],
      ['2001:db8::1/128', true],
    ],
  );
  assert.deepEqual(routes[1], {
    prefix: '203.0.113.1/32',
    best: true,
    origin: 'incomplete',
    asPath: [65001, 65010, 65011],
    nextHop: '198.18.0.1',
    med: 50,
    localPref: 100,
    communities: ['65001:100', '65535:65281'],
    largeCommunities: ['65001:1:2', '65001:3:4'],
  });
  assert.equal(routes[2]?.nextHop, '198.18.0.5');
  assert.equal(routes[3]?.nextHop, 'fd7e:1ab:0:1::1');
  assert.equal(routes[3]?.nextHopLinkLocal, 'fe80::5cf5:88ff:feb2:84c7');
  assert.equal(
    parseBirdCount('BIRD 2.0.12 ready.\n1 of 2 routes for 1 networks in table master6\n'),
    1,
  );
  assert.throws(() => parseBirdCount('BIRD 2.0.12 ready.\nNetwork not found\n'));
});

test('BIRD: show protocols all, after a Cease with a shutdown message', () => {
  const text = `BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
device1    Device     ---        up     17:48:31.946  
n          BGP        ---        start  17:48:42.912  Active        Received: Administrative shutdown
  Message:        going down for maintenance
  BGP state:          Active
    Neighbor address: 198.18.0.1
    Neighbor AS:      65001
    Local AS:         65000
    Connect delay:    4.122/5
    Last error:       Received: Administrative shutdown
  Channel ipv4
    State:          DOWN

m          BGP        ---        up     17:48:35.715  Established   
  BGP state:          Established
    Neighbor address: 198.18.0.5
`;
  assert.deepEqual(parseBirdProtocols(text), [
    {
      name: 'n',
      address: '198.18.0.1',
      state: 'active',
      lastError: 'Received: Administrative shutdown',
      shutdownMessage: 'going down for maintenance',
    },
    { name: 'm', address: '198.18.0.5', state: 'established' },
  ]);
});

test('FRRouting: one prefix and the neighbour after a shutdown communication', () => {
  const prefix = {
    prefix: '203.0.113.1/32',
    paths: [
      {
        aspath: { string: '65001 65001', segments: [], length: 2 },
        origin: 'IGP',
        metric: 50,
        valid: true,
        bestpath: { overall: true, selectionReason: 'First path received' },
        community: { string: '65001:100 no-export', list: ['65001:100', 'noExport'] },
        largeCommunity: { string: '65001:1:2', list: ['65001:1:2'] },
        nexthops: [
          { ip: 'fd7e:1ab:0:1::1', afi: 'ipv6', scope: 'global', used: true },
          { ip: 'fe80::1', afi: 'ipv6', scope: 'link-local' },
        ],
      },
    ],
  };
  assert.deepEqual(parseFrrPrefix(prefix), [
    {
      prefix: '203.0.113.1/32',
      asPath: [65001, 65001],
      origin: 'igp',
      med: 50,
      best: true,
      communities: ['65001:100', '65535:65281'],
      largeCommunities: ['65001:1:2'],
      nextHop: 'fd7e:1ab:0:1::1',
      nextHopLinkLocal: 'fe80::1',
    },
  ]);
  const neighbors = {
    '198.18.0.2': {
      remoteAs: 65000,
      bgpState: 'Idle',
      lastErrorCodeSubcode: '0602',
      lastNotificationReason: 'Cease/Administrative Shutdown',
      lastShutdownDescription: 'bye frr',
    },
  };
  assert.deepEqual(parseFrrNeighbors(neighbors), [
    {
      address: '198.18.0.2',
      state: 'idle',
      lastError: 'Cease/Administrative Shutdown',
      shutdownMessage: 'bye frr',
      lastNotification: { code: 6, subcode: 2, received: true },
    },
  ]);
  assert.deepEqual(splitJsonDocuments('{"a":"}{"}\n{"b":[1,{"c":"\\"}"}]}'), [
    { a: '}{' },
    { b: [1, { c: '"}' }] },
  ]);
});

test('GoBGP: global rib JSON, neighbour state and the NOTIFICATION in its log', () => {
  const v4 = JSON.parse(
    '{"203.0.113.1/32":[{"nlri":{"prefix":"203.0.113.1/32"},"age":1795456151,"best":true,"attrs":[{"type":1,"value":2},{"type":2,"as_paths":[{"segment_type":2,"num":2,"asns":[65010,65011]}]},{"type":4,"metric":50},{"type":8,"communities":[4259905636,4294967041]},{"type":32,"value":[{"ASN":65001,"LocalData1":1,"LocalData2":2}]},{"type":3,"nexthop":"0.0.0.0"}],"stale":false}]}',
  ) as unknown;
  assert.deepEqual(parseGobgpRib(v4), [
    {
      prefix: '203.0.113.1/32',
      best: true,
      origin: 'incomplete',
      asPath: [65010, 65011],
      med: 50,
      communities: ['65001:100', '65535:65281'],
      largeCommunities: ['65001:1:2'],
      nextHop: '0.0.0.0',
    },
  ]);
  const v6 = JSON.parse(
    '{"2001:db8::1/128":[{"nlri":{"prefix":"2001:db8::1/128"},"best":true,"attrs":[{"type":1,"value":0},{"type":14,"nexthop":"fd7e:1ab:0:1::1","afi":2,"safi":1,"value":[{"prefix":"2001:db8::1/128"}]}]}]}',
  ) as unknown;
  assert.equal(parseGobgpRib(v6)[0]?.nextHop, 'fd7e:1ab:0:1::1');
  assert.deepEqual(
    parseGobgpNeighbors([
      {
        conf: { neighbor_address: '198.18.0.2' },
        state: { neighbor_address: '198.18.0.2', session_state: 6 },
      },
      { conf: { neighbor_address: '198.18.0.6' }, state: { session_state: 1 } },
    ]),
    [
      { address: '198.18.0.2', state: 'established' },
      { address: '198.18.0.6', state: 'idle' },
    ],
  );
  const log = [
    '{"Key":"198.18.0.2","State":"BGP_FSM_OPENCONFIRM","Topic":"Peer","level":"info","msg":"Peer Up","time":"2026-11-23T17:49:05Z"}',
    '{"Code":6,"Communicated-Reason":"bye for now","Data":"","Key":"198.18.0.2","Subcode":2,"Topic":"Peer","level":"warning","msg":"received notification","time":"2026-11-23T17:49:16Z"}',
    'not json',
  ].join('\n');
  assert.deepEqual(parseGobgpLog(log), [
    { address: '198.18.0.2', code: 6, subcode: 2, message: 'bye for now', received: true },
  ]);
});
