import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeConfig, parseConfig } from '../../../src/config/index.js';
import { BGP, testCheckTypes } from './support.js';

describe('describeConfig', () => {
  it('summarises services, prefixes per announcer, checks and peers', () => {
    const config = parseConfig(
      BGP +
        'communities = ["65001:100"]\nnext_hop = { ipv4 = "198.18.0.1", ipv6 = "2001:db8::1" }\n' +
        `
[services.dns]
prefixes = ["203.0.113.53", { prefix = "2001:db8::53" }]
checks.dns = [{ server = "127.0.0.1", name = "check.local", check_name = "resolver", interval = 1, rise = 1 }]
checks.exec = [{ command = ["/usr/local/bin/check", "a b"], interval = 0.5 }]
policy = { quorum = 1 }
down = { med = 1000, prepend = 2 }
on_change = ["/usr/local/bin/notify", "{service} is {state}"]

[services.mgmt]
prefixes = ["198.51.100.10"]
announce = "always"
`,
      '/etc/anycast-guard/config.toml',
      { checkTypes: testCheckTypes },
    );
    assert.equal(
      describeConfig(config),
      [
        'configuration /etc/anycast-guard/config.toml',
        'log level info',
        'bgp: AS 65001, router id 198.18.0.1, hold time 30 s, outgoing connections only',
        '  peers (1):',
        '    198.18.0.2: AS 65000 (eBGP), connects out, hold time 30 s, families ipv4 ipv6, next hop 198.18.0.1, 2001:db8::1, communities 65001:100',
        'services (2):',
        '  dns: announced while healthy, policy quorum of 1, rise 2, fall 2, hold-down 10 s, when down keep announcing with med 1000, prepend 2',
        '    prefixes (bgp): 203.0.113.53/32, 2001:db8::53/128',
        '    checks (2):',
        '      dns "resolver": every 1 s, timeout 1 s, rise 1, fall as service',
        '      exec "exec /usr/local/bin/check a b": every 0.5 s, timeout 0.5 s',
        "    on change: /usr/local/bin/notify '{service} is {state}' (timeout 5 s)",
        '  mgmt: always announced, policy all, rise 2, fall 2, hold-down 10 s, when down withdraw',
        '    prefixes (bgp): 198.51.100.10/32',
        '    checks (0):',
      ].join('\n'),
    );
  });
});

describe('describeConfig: the BGP listener', () => {
  for (const [listen, shown] of [
    ['host = "198.18.0.1"', '198.18.0.1:179'],
    ['host = "fd7e:1ab::1", port = 1179', '[fd7e:1ab::1]:1179'],
    ['port = 1179', '[::]:1179'],
  ] as const)
    it(`shows ${shown}`, () => {
      const config = parseConfig(
        BGP.replace('[[bgp.peers]]', `listen = { ${listen} }\n[[bgp.peers]]`) +
          '[services.web]\nprefixes = ["203.0.113.80"]\nannounce = "always"\n',
        'test.toml',
        { checkTypes: testCheckTypes },
      );
      assert.match(
        describeConfig(config),
        new RegExp(`listening on ${shown.replace(/[[\]]/g, '\\$&')}$`, 'm'),
      );
    });
});

describe('describeConfig: session security', () => {
  it('names TCP-MD5 and GTSM per peer, never the password', () => {
    const config = parseConfig(
      BGP.replace('asn = 65000', 'asn = 65000\npassword = "s3cret-for-test"\nttl_security = true') +
        '[services.web]\nprefixes = ["203.0.113.80"]\nannounce = "always"\n',
      'test.toml',
      { checkTypes: testCheckTypes },
    );
    const text = describeConfig(config);
    assert.match(text, /TCP-MD5 \(password set\), TTL security \(GTSM\)/);
    assert.doesNotMatch(text, /s3cret/);
  });
});

describe('describeConfig: routing-daemon announcers', () => {
  const summary = (tables: string, prefixes: string): string =>
    describeConfig(
      parseConfig(
        `${tables}\n[services.web]\nprefixes.${prefixes} = ["203.0.113.80"]\nannounce = "always"\n`,
        'test.toml',
        { checkTypes: testCheckTypes },
      ),
    );

  it('prints the FRRouting keys that are set, not "default settings"', () => {
    const text = summary(
      '[announcers.frrouting]\nvtysh = "/opt/frr/bin/vtysh"\npathspace = "edge"\ntimeout = 3\nresync_interval = 0',
      'frrouting',
    );
    assert.match(
      text,
      /^announcer frrouting: FRRouting, \/opt\/frr\/bin\/vtysh -N edge, timeout 3 s, no periodic resync$/m,
    );
    assert.equal(
      summary('', 'frrouting').match(/^announcer frrouting: .*$/m)?.[0],
      'announcer frrouting: FRRouting, /usr/bin/vtysh, timeout 10 s, resync every 30 s',
    );
  });

  it('prints the GoBGP keys that are set', () => {
    const text = summary(
      '[announcers.gobgp]\napi = "unix:///run/gobgpd.sock"\nresync_interval = 5\nnext_hop = { ipv4 = "198.18.0.1" }',
      'gobgp',
    );
    assert.match(
      text,
      /^announcer gobgp: GoBGP, gRPC API unix:\/\/\/run\/gobgpd.sock, next hop 198.18.0.1, timeout 10 s, resync every 5 s$/m,
    );
    assert.match(
      summary('', 'gobgp'),
      /^announcer gobgp: GoBGP, gRPC API 127.0.0.1:50051, next hop gobgpd's own,/m,
    );
  });

  it('prints the ExaBGP keys that are set', () => {
    const text = summary(
      '[announcers.exabgp]\nnext_hop = "2001:db8::1"\nack = false\ntimeout = 2\nasn = 65010',
      'exabgp',
    );
    assert.match(
      text,
      /^announcer exabgp: ExaBGP, as ExaBGP's API process, next hop self \(IPv4\), 2001:db8::1 \(IPv6\), acks off, timeout 2 s, AS 65010 for prepend$/m,
    );
  });

  it('never falls back to "default settings"', () => {
    for (const kind of ['frrouting', 'gobgp', 'exabgp'])
      assert.doesNotMatch(summary('', kind), /default settings/);
  });
});

describe("describeConfig: a file in anycastd's form", () => {
  it('says which of our defaults apply to services with only prefixes and checks', () => {
    const text = describeConfig(
      parseConfig(
        '[services.dns]\nprefixes.frrouting = ["203.0.113.53"]\nchecks.cabourotte = ["dns"]\n' +
          '[services.ntp]\nprefixes.frrouting = ["203.0.113.123"]\nchecks.cabourotte = [{ name = "ntp", interval = "PT1S" }]\n' +
          '[services.web]\nprefixes.frrouting = ["203.0.113.80"]\nchecks.cabourotte = ["web"]\nrise = 1\n',
        'anycastd.toml',
        { checkTypes: testCheckTypes },
      ),
    );
    assert.match(
      text,
      /^anycastd's form \(only prefixes\.<daemon> and checks\): dns, ntp; anycast-guard's defaults apply: rise 2, fall 2, hold-down 10 s, policy all, when down withdraw \(anycastd acts on each round of results: rise = 1, fall = 1, hold_down = 0 does the same\)$/m,
    );
    assert.match(text, /cabourotte "cabourotte ntp": every 1 s, timeout 1 s$/m);
  });

  it('says nothing of anycastd for a file in our own form', () => {
    const text = describeConfig(
      parseConfig(
        '[services.dns]\nprefixes.frrouting = ["203.0.113.53"]\nchecks.cabourotte = ["dns"]\nhold_down = 0\n',
        't.toml',
        { checkTypes: testCheckTypes },
      ),
    );
    assert.doesNotMatch(text, /anycastd/);
  });
});

describe('describeConfig: a default route', () => {
  it('says the service announces one, allowed by allow_default_route', () => {
    const config = parseConfig(
      BGP +
        '[services.gw]\nprefixes = ["0.0.0.0/0"]\nannounce = "always"\nallow_default_route = true\n',
      'test.toml',
      { checkTypes: testCheckTypes },
    );
    assert.match(
      describeConfig(config),
      /^ {4}default route announced \(allow_default_route = true\)$/m,
    );
  });
});

describe('describeConfig: [daemon] stop_grace', () => {
  const service = '[services.web]\nprefixes = ["203.0.113.80"]\nannounce = "always"\n';
  const lines = (grace: number) =>
    describeConfig(
      parseConfig(`[daemon]\nstop_grace = ${grace}\n${BGP}${service}`, 'test.toml', {
        checkTypes: testCheckTypes,
      }),
    ).split('\n');

  it('says what a stop does, and warns above what the shipped unit allows', () => {
    assert.ok(
      lines(10).includes(
        'stop: 10 s of graceful drain (GRACEFUL_SHUTDOWN 65535:0) on SIGTERM, then withdraw',
      ),
    );
    assert.equal(lines(30).filter((l) => l.startsWith('warning:')).length, 0);
    const warning = lines(31).find((l) => l.startsWith('warning:'));
    assert.match(
      warning ?? '',
      /daemon\.stop_grace is 31 s, more than the 30 s .*TimeoutStopSec to at least 46/,
    );
  });

  it('says nothing when it is 0 (the default)', () => {
    assert.ok(!lines(0).some((l) => l.startsWith('stop:')));
  });
});

describe('describeConfig: up attributes', () => {
  it('shows them, and warns of a local_pref no peer will get', () => {
    const text = describeConfig(
      parseConfig(
        `${BGP}[services.web]\nprefixes = ["203.0.113.80"]\nannounce = "always"\nup = { med = 10, local_pref = 200 }\n`,
        'test.toml',
        { checkTypes: testCheckTypes },
      ),
    );
    assert.match(text, /^ {4}while up: announced with med 10, local pref 200 \(iBGP peers\)$/m);
    assert.match(text, /warning: services\.web\.up\.local_pref reaches iBGP peers only/);
  });
});

describe('describeConfig: BFD', () => {
  it("shows a peer's BFD timers", () => {
    const config = parseConfig(
      BGP +
        'bfd = { min_rx = 0.1, min_tx = 0.1, required = true }\n' +
        '[services.web]\nprefixes = ["203.0.113.80"]\nannounce = "always"\n',
      'test.toml',
      { checkTypes: testCheckTypes },
    );
    assert.match(describeConfig(config), /BFD rx 100 ms tx 100 ms x 3 \(required\)/);
  });
});
