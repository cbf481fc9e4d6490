// A valid file becomes exactly the DaemonConfig the daemon runs from.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, type DaemonConfig } from '../../../src/config/index.js';
import { BGP, testCheckTypes } from './support.js';

const FULL = `
[log]
level = "debug"

[api]
listen = "[::1]:9181"
socket = "/run/ag/control.sock"
token_file = "/etc/anycast-guard/api-token"
state_dir = "/var/lib/ag"

[bgp]
asn = 65001
router_id = "198.18.0.1"
hold_time = 90
listen = { host = "::", port = 1179 }

[[bgp.peers]]
name = "edge-1"
address = "198.18.0.2"
asn = 65000
port = 1179
hold_time = 30
local_address = "198.18.0.1"
connect_retry = 2.5
max_connect_retry = 60
families = ["ipv4"]
next_hop = "198.18.0.1"
communities = ["65001:100", "no-export"]
large_communities = ["65001:1:2"]
med = 50
prepend = 2

[[bgp.peers]]
address = "fd7e:1ab::2"
asn = 65001
passive = true
hold_time = 0
next_hop = { ipv4 = "198.18.0.1", ipv6 = "fd7e:1ab::1", ipv6_link_local = "fe80::1" }
local_pref = 200

[services.dns]
prefixes = ["203.0.113.53", "2001:db8::53"]
checks.dns = [
  { server = "127.0.0.1", name = "check.local", type = "AAAA", expect = ["2001:db8::15:600d"] },
  { server = "::1", name = "check.local", check_name = "dns-v6", interval = 0.5, rise = 3, fall = 1 },
]
checks.exec = [{ command = ["/usr/local/bin/check-resolver"], interval = 1, timeout = 1 }]
rise = 3
fall = 4
hold_down = 0
policy = { quorum = 2 }
down = { med = 1000, prepend = 3, communities = ["65001:666"], large_communities = ["65001:0:666"] }
on_change = ["/usr/local/bin/notify", "{service}", "{state}", "{reason}"]
on_change_timeout = 2.5

[services.ntp]
prefixes.bgp = [{ prefix = "198.51.100.0/24" }, { prefix = "2001:DB8:123::/48" }]
announce = "always"
policy = "any"

[services.web]
prefixes = ["203.0.113.80"]
checks.cabourotte = ["web", { name = "web-tls", interval = 10, check_name = "tls" }]
checks.http = [{ url = "http://127.0.0.1:8080/health", name = "health", timeout = 0.25 }]
addresses = ["203.0.113.80", "2001:db8::80"]
device = "dummy0"
address_management = "on"
withdraw_address_when_down = true
`;

const EXPECTED: DaemonConfig = {
  source: 'full.toml',
  daemon: { stopGrace: 0 },
  log: { level: 'debug' },
  api: {
    listen: { host: '::1', port: 9181 },
    socket: '/run/ag/control.sock',
    tokenFile: '/etc/anycast-guard/api-token',
    stateDir: '/var/lib/ag',
  },
  announcers: [],
  bgp: {
    asn: 65001,
    routerId: '198.18.0.1',
    holdTime: 90,
    listen: { host: '::', port: 1179 },
    peers: [
      {
        name: 'edge-1',
        address: '198.18.0.2',
        asn: 65000,
        port: 1179,
        holdTime: 30,
        localAddress: '198.18.0.1',
        connectRetry: 2.5,
        maxConnectRetry: 60,
        families: ['ipv4'],
        nextHop: { ipv4: '198.18.0.1' },
        communities: ['65001:100', 'no-export'],
        largeCommunities: ['65001:1:2'],
        med: 50,
        prepend: 2,
      },
      {
        address: 'fd7e:1ab::2',
        asn: 65001,
        passive: true,
        holdTime: 0,
        nextHop: { ipv4: '198.18.0.1', ipv6: 'fd7e:1ab::1', ipv6LinkLocal: 'fe80::1' },
        localPref: 200,
      },
    ],
  },
  services: [
    {
      name: 'dns',
      prefixes: [
        { announcer: 'bgp', prefix: '203.0.113.53/32' },
        { announcer: 'bgp', prefix: '2001:db8::53/128' },
      ],
      announce: 'healthy',
      checks: [
        {
          type: 'dns',
          name: 'dns check.local AAAA @127.0.0.1',
          interval: 5,
          timeout: 2,
          spec: {
            server: '127.0.0.1',
            name: 'check.local',
            type: 'AAAA',
            expect: ['2001:db8::15:600d'],
          },
        },
        {
          type: 'dns',
          name: 'dns-v6',
          interval: 0.5,
          timeout: 0.5,
          rise: 3,
          fall: 1,
          spec: { server: '::1', name: 'check.local', type: 'A', expect: [] },
        },
        {
          type: 'exec',
          name: 'exec /usr/local/bin/check-resolver',
          interval: 1,
          timeout: 1,
          spec: { command: ['/usr/local/bin/check-resolver'] },
        },
      ],
      rise: 3,
      fall: 4,
      holdDown: 0,
      policy: { kind: 'quorum', count: 2 },
      down: {
        kind: 'degrade',
        med: 1000,
        prepend: 3,
        communities: ['65001:666'],
        largeCommunities: ['65001:0:666'],
      },
      onChange: ['/usr/local/bin/notify', '{service}', '{state}', '{reason}'],
      onChangeTimeout: 2.5,
      addresses: [],
      device: 'lo',
      addressManagement: 'auto',
      withdrawAddressWhenDown: false,
    },
    {
      name: 'ntp',
      prefixes: [
        { announcer: 'bgp', prefix: '198.51.100.0/24' },
        { announcer: 'bgp', prefix: '2001:db8:123::/48' },
      ],
      announce: 'always',
      checks: [],
      rise: 2,
      fall: 2,
      holdDown: 10,
      policy: { kind: 'any' },
      down: { kind: 'withdraw' },
      onChangeTimeout: 5,
      addresses: [],
      device: 'lo',
      addressManagement: 'auto',
      withdrawAddressWhenDown: false,
    },
    {
      name: 'web',
      prefixes: [{ announcer: 'bgp', prefix: '203.0.113.80/32' }],
      announce: 'healthy',
      checks: [
        {
          type: 'cabourotte',
          name: 'cabourotte web',
          interval: 5,
          timeout: 2,
          spec: { name: 'web', url: 'http://127.0.0.1:9013' },
        },
        {
          type: 'cabourotte',
          name: 'tls',
          interval: 10,
          timeout: 2,
          spec: { name: 'web-tls', url: 'http://127.0.0.1:9013' },
        },
        {
          type: 'http',
          name: 'health',
          interval: 5,
          timeout: 0.25,
          spec: { url: 'http://127.0.0.1:8080/health', status: 200 },
        },
      ],
      rise: 2,
      fall: 2,
      holdDown: 10,
      policy: { kind: 'all' },
      down: { kind: 'withdraw' },
      onChangeTimeout: 5,
      addresses: ['203.0.113.80', '2001:db8::80'],
      device: 'dummy0',
      addressManagement: 'on',
      withdrawAddressWhenDown: true,
    },
  ],
};

const parse = (text: string): DaemonConfig =>
  parseConfig(text, 'full.toml', { checkTypes: testCheckTypes });

describe('parseConfig', () => {
  it('turns a file using every key into the whole DaemonConfig', () => {
    assert.deepEqual(parse(FULL), EXPECTED);
  });

  it('fills the documented defaults', () => {
    const config = parse(
      BGP +
        '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/true"], interval = 1.5 }]\n',
    );
    assert.deepEqual(config.log, { level: 'info' });
    assert.deepEqual(config.bgp?.peers, [{ address: '198.18.0.2', asn: 65000 }]);
    assert.equal(config.bgp?.holdTime, undefined, 'the speaker applies its own default');
    assert.equal(config.bgp?.listen, undefined);
    const [service] = config.services;
    assert.deepEqual(
      { ...service, checks: undefined },
      {
        name: 'dns',
        prefixes: [{ announcer: 'bgp', prefix: '203.0.113.53/32' }],
        announce: 'healthy',
        checks: undefined,
        rise: 2,
        fall: 2,
        holdDown: 10,
        policy: { kind: 'all' },
        down: { kind: 'withdraw' },
        onChangeTimeout: 5,
        addresses: [],
        device: 'lo',
        addressManagement: 'auto',
        withdrawAddressWhenDown: false,
      },
    );
    assert.deepEqual(service?.checks[0], {
      type: 'exec',
      name: 'exec /bin/true',
      interval: 1.5,
      timeout: 1.5,
      spec: { command: ['/bin/true'] },
    });
  });

  it('a check defaults to a 5 s interval and a 2 s timeout', () => {
    const config = parse(
      BGP +
        '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    );
    const check = config.services[0]?.checks[0];
    assert.equal(check?.interval, 5);
    assert.equal(check?.timeout, 2);
  });

  it('a timeout may be longer than the interval (ExaBGP: --interval 1 --timeout 5); interval_while_changing is read', () => {
    const config = parse(
      BGP +
        '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/true"], interval = 5, timeout = 7, interval_while_changing = 1 }]\nchecks.http = [{ url = "http://127.0.0.1/", interval = 1, timeout = 5 }]\n',
    );
    const [exec, http] = config.services[0]?.checks ?? [];
    assert.deepEqual([exec?.interval, exec?.timeout, exec?.intervalWhileChanging], [5, 7, 1]);
    assert.deepEqual(
      [http?.interval, http?.timeout, http?.intervalWhileChanging],
      [1, 5, undefined],
    );
  });

  it('where a type claims name (dns), name is its setting and check_name the check name', () => {
    const config = parse(
      BGP +
        '[services.dns]\nprefixes = ["203.0.113.53"]\n' +
        'checks.dns = [{ server = "127.0.0.1", name = "a.example", check_name = "first" }, { server = "127.0.0.1", name = "b.example" }]\n' +
        'checks.exec = [{ command = ["/bin/true"], name = "exec-one" }]\n',
    );
    assert.deepEqual(
      config.services[0]?.checks.map((c) => [c.name, (c.spec as { name?: string }).name]),
      [
        ['first', 'a.example'],
        ['dns b.example A @127.0.0.1', 'b.example'],
        ['exec-one', undefined],
      ],
    );
  });

  it('bare string items are accepted where the type has fromString', () => {
    const config = parse(
      BGP +
        '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.cabourotte = ["dns_v6", "dns_v4"]\n',
    );
    assert.deepEqual(
      config.services[0]?.checks.map((c) => [c.name, c.spec]),
      [
        ['cabourotte dns_v6', { name: 'dns_v6', url: 'http://127.0.0.1:9013' }],
        ['cabourotte dns_v4', { name: 'dns_v4', url: 'http://127.0.0.1:9013' }],
      ],
    );
  });

  it('a service announced "always" needs no checks, and needs no [bgp] only if it has no bgp prefixes', () => {
    const config = parse(
      BGP + '[services.unicast]\nprefixes = ["198.51.100.7"]\nannounce = "always"\n',
    );
    assert.deepEqual(config.services[0]?.checks, []);
    assert.equal(config.services[0]?.announce, 'always');
  });

  it('reads integers written as floats and fractions of seconds', () => {
    const config = parse(
      BGP.replace('asn = 65000', 'asn = 65000.0') +
        '[services.dns]\nprefixes = ["203.0.113.53"]\nhold_down = 0.5\nchecks.exec = [{ command = ["/bin/true"], interval = 0.2, timeout = 0.1 }]\n',
    );
    assert.equal(config.bgp?.peers[0]?.asn, 65000);
    assert.equal(config.services[0]?.holdDown, 0.5);
    assert.equal(config.services[0]?.checks[0]?.timeout, 0.1);
  });

  it('rejects a file whose values are TOML dates where numbers belong', () => {
    assert.throws(
      () => parse(BGP.replace('asn = 65000', 'asn = 1979-05-27')),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.issues.some(
          (i) =>
            i.path === 'bgp.peers[0].asn' &&
            i.message === 'must be a whole number from 1 to 4294967295, got a date',
        ),
    );
  });
});
