import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AddressError,
  IpCommandError,
  addAddress,
  parseAddressJson,
  parseInterfaceAddress,
  parseRouteGetJson,
  readAddresses,
  removeAddress,
  routeDevice,
} from '../../../src/addresses/index.js';
import type { IpRunner } from '../../../src/addresses/index.js';

// Captured from iproute2 6.1 in a lab namespace (`ip -j addr show`), abridged to two links.
const ADDR_SHOW = JSON.stringify([
  {
    ifindex: 1,
    ifname: 'lo',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    mtu: 65536,
    qdisc: 'noqueue',
    operstate: 'UNKNOWN',
    group: 'default',
    txqlen: 1000,
    link_type: 'loopback',
    address: '00:00:00:00:00:00',
    broadcast: '00:00:00:00:00:00',
    addr_info: [
      { family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo' },
      { family: 'inet', local: '203.0.113.53', prefixlen: 32, scope: 'global', label: 'lo' },
      { family: 'inet', local: '203.0.113.53', prefixlen: 24, scope: 'global', label: 'lo' },
      { family: 'inet6', local: '2001:db8::53', prefixlen: 128, scope: 'global', nodad: true },
      { family: 'inet6', local: '::1', prefixlen: 128, scope: 'host' },
    ],
  },
  { ifindex: 2, ifname: 'dummy0', flags: ['BROADCAST', 'NOARP'], addr_info: [] },
  // `ip -j addr show to …` prints {} for filtered-out entries.
  {
    ifindex: 3,
    ifname: 'v0',
    addr_info: [{}, { family: 'inet', local: '198.18.0.1', prefixlen: 30 }],
  },
  { ifindex: 4, ifname: 'can0', addr_info: [{ family: 'link', local: 'x', prefixlen: 1 }] },
]);

// `ip -j route get 198.18.0.2` in the same lab.
const ROUTE_GET =
  '[{"dst":"198.18.0.2","dev":"v0","prefsrc":"198.18.0.1","flags":[],"uid":0,"cache":[]}]';

function failing(stderr: string, exitCode = 2): IpRunner {
  return (args) =>
    Promise.reject(new IpCommandError(['ip', ...args], exitCode, stderr, `exit code ${exitCode}`));
}

describe('iproute2 JSON', () => {
  it('reads every device and its inet/inet6 addresses', () => {
    const table = parseAddressJson(ADDR_SHOW);
    assert.deepEqual([...table.keys()], ['lo', 'dummy0', 'v0', 'can0']);
    assert.deepEqual(
      table.get('lo')!.map((a) => `${a.family} ${a.ip}/${a.prefixLength}`),
      [
        '4 127.0.0.1/8',
        '4 203.0.113.53/32',
        '4 203.0.113.53/24',
        '6 2001:db8::53/128',
        '6 ::1/128',
      ],
    );
    assert.deepEqual(table.get('dummy0'), []);
    assert.deepEqual(
      table.get('v0')!.map((a) => a.ip),
      ['198.18.0.1'],
    );
    assert.deepEqual(table.get('can0'), []);
    assert.equal(parseAddressJson('').size, 0);
  });

  it('names the route device; bad output is a typed error', () => {
    assert.equal(parseRouteGetJson(ROUTE_GET, '198.18.0.2'), 'v0');
    assert.throws(
      () => parseRouteGetJson('[{"type":"unreachable"}]', '198.18.9.9'),
      (e: unknown) =>
        e instanceof AddressError &&
        e.code === 'ADDRESS_DEVICE_UNRESOLVED' &&
        /198\.18\.9\.9.*unreachable/.test(e.message),
    );
    for (const text of ['not json', '{"ifname":"lo"}', '[{"addr_info":[]}]'])
      assert.throws(
        () => parseAddressJson(text),
        (e: unknown) => e instanceof AddressError && e.code === 'ADDRESS_BAD_OUTPUT',
        text,
      );
  });
});

describe('iproute2 commands', () => {
  const v4 = parseInterfaceAddress('203.0.113.53');
  const v6 = parseInterfaceAddress('2001:db8::53');

  it('adds IPv6 with nodad and IPv4 without; deletes by cidr and device', async () => {
    const calls: string[] = [];
    const run: IpRunner = (args) => {
      calls.push(args.join(' '));
      return Promise.resolve('');
    };
    assert.equal(await addAddress(run, v4, 'lo'), 'added');
    assert.equal(await addAddress(run, v6, 'lo'), 'added');
    assert.equal(await removeAddress(run, '2001:db8::53/128', 'lo'), 'removed');
    assert.deepEqual(calls, [
      'addr add 203.0.113.53/32 dev lo',
      'addr add 2001:db8::53/128 dev lo nodad',
      'addr del 2001:db8::53/128 dev lo',
    ]);
  });

  it('is idempotent in both kernels’ wordings', async () => {
    for (const stderr of [
      'RTNETLINK answers: File exists',
      'Error: ipv4: Address already assigned.',
      'Error: ipv6: address already assigned.',
    ])
      assert.equal(await addAddress(failing(stderr), v4, 'lo'), 'exists', stderr);
    for (const stderr of [
      'RTNETLINK answers: Cannot assign requested address',
      'Error: ipv4: Address not found.',
      'Error: ipv6: address not found.',
    ])
      assert.equal(await removeAddress(failing(stderr), v4.cidr, 'lo'), 'absent', stderr);
  });

  it('turns failures into errors that name the address, the device and the reason', async () => {
    const cases: [IpRunner, string, RegExp][] = [
      [
        failing('RTNETLINK answers: Operation not permitted'),
        'ADDRESS_PERMISSION_DENIED',
        /^cannot add 203\.0\.113\.53\/32 to lo: permission denied \(RTNETLINK answers: Operation not permitted\); managing addresses needs CAP_NET_ADMIN/,
      ],
      [
        failing('Cannot find device "eth9"', 1),
        'ADDRESS_DEVICE_NOT_FOUND',
        /^cannot add 203\.0\.113\.53\/32 to lo: no such device \(Cannot find device "eth9"\)$/,
      ],
      [
        failing('RTNETLINK answers: No buffer space available'),
        'ADDRESS_COMMAND_FAILED',
        /^cannot add 203\.0\.113\.53\/32 to lo: ip addr add 203\.0\.113\.53\/32 dev lo: exit code 2: RTNETLINK answers: No buffer space available$/,
      ],
      [
        () =>
          Promise.reject(
            new IpCommandError(['/nope/ip'], undefined, '', 'cannot run /nope/ip (ENOENT)', {
              spawnError: 'ENOENT',
            }),
          ),
        'ADDRESS_IP_UNAVAILABLE',
        /^cannot add 203\.0\.113\.53\/32 to lo: the iproute2 "ip" command was not found \(\/nope\/ip\)/,
      ],
    ];
    for (const [run, code, message] of cases) {
      await assert.rejects(addAddress(run, v4, 'lo'), (e: unknown) => {
        assert.ok(e instanceof AddressError);
        assert.equal(e.code, code);
        assert.match(e.message, message);
        assert.equal(e.address, '203.0.113.53/32');
        assert.equal(e.device, 'lo');
        assert.ok(e.cause instanceof IpCommandError);
        return true;
      });
    }
    await assert.rejects(
      removeAddress(failing('RTNETLINK answers: Operation not permitted'), v6.cidr, 'lo'),
      (e: unknown) =>
        e instanceof AddressError &&
        e.code === 'ADDRESS_PERMISSION_DENIED' &&
        e.message.startsWith('cannot remove 2001:db8::53/128 from lo: permission denied'),
    );
  });

  it('reads the table and resolves a route through the runner', async () => {
    const calls: string[] = [];
    const run: IpRunner = (args) => {
      calls.push(args.join(' '));
      return Promise.resolve(args[1] === 'route' ? ROUTE_GET : ADDR_SHOW);
    };
    assert.equal((await readAddresses(run)).get('lo')?.length, 5);
    assert.equal(await routeDevice(run, '198.18.0.2'), 'v0');
    assert.deepEqual(calls, ['-j addr show', '-j route get 198.18.0.2']);
    await assert.rejects(
      routeDevice(failing('RTNETLINK answers: Network is unreachable'), '198.18.9.9'),
      (e: unknown) =>
        e instanceof AddressError &&
        e.code === 'ADDRESS_DEVICE_UNRESOLVED' &&
        e.message ===
          'device = "auto": the kernel has no route toward the BGP peer 198.18.9.9 (RTNETLINK answers: Network is unreachable)',
    );
  });
});
