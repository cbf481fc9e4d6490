// Every bad configuration names the key path and the reason, in the operator's words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig, type ConfigErrorCode } from '../../../src/config/index.js';
import { BGP, SERVICE, testCheckTypes } from './support.js';

interface Case {
  readonly name: string;
  readonly toml: string;
  /** [key path, message], every issue expected, in order. */
  readonly issues: readonly (readonly [string, string])[];
  readonly code?: ConfigErrorCode;
}

const cases: Case[] = [
  {
    name: 'withdraw_address_when_down with a degraded down action',
    toml:
      BGP +
      SERVICE +
      'addresses = ["203.0.113.53"]\nwithdraw_address_when_down = true\ndown = { med = 1000 }\n',
    issues: [
      [
        'services.dns.withdraw_address_when_down',
        'cannot go with a degraded "down": the route would stay announced while the address is gone',
      ],
    ],
  },
  {
    name: 'address_management with an unknown mode',
    toml: BGP + SERVICE + 'address_management = "sometimes"\n',
    issues: [['services.dns.address_management', 'must be "auto", "on" or "off", got "sometimes"']],
  },
  {
    name: 'unknown top-level key, with a suggestion',
    toml: BGP + SERVICE + '[logg]\nlevel = "debug"\n',
    issues: [['logg', "unknown key (did you mean 'log'?)"]],
  },
  {
    name: 'unknown service key, with a suggestion',
    toml: BGP + SERVICE + 'rize = 3\n',
    issues: [['services.dns.rize', "unknown key (did you mean 'rise'?)"]],
  },
  {
    name: 'unknown peer key, with a suggestion',
    toml: BGP + 'hold_tim = 9\n' + SERVICE,
    issues: [['bgp.peers[0].hold_tim', "unknown key (did you mean 'hold_time'?)"]],
  },
  {
    name: 'unknown key inside a check, suggested from the type schema and the common keys',
    toml: BGP + SERVICE + 'checks.http = [{ url = "http://127.0.0.1/", intervall = 2 }]\n',
    issues: [['services.dns.checks.http[0].intervall', "unknown key (did you mean 'interval'?)"]],
  },
  {
    name: 'unknown key with nothing close: no suggestion',
    toml: BGP + SERVICE + 'colour = "blue"\n',
    issues: [['services.dns.colour', 'unknown key']],
  },
  {
    name: 'prefix with host bits set',
    toml:
      BGP +
      '[services.dns]\nprefixes = ["203.0.113.5/24"]\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [
      [
        'services.dns.prefixes[0]',
        'prefix "203.0.113.5/24" has host bits set; did you mean 203.0.113.0/24?',
      ],
    ],
  },
  {
    name: 'prefix length out of range, in a { prefix } table under prefixes.bgp',
    toml:
      BGP +
      '[services.dns]\nprefixes.bgp = [{ prefix = "2001:db8::/129" }]\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [
      ['services.dns.prefixes.bgp[0].prefix', 'prefix "2001:db8::/129": length must be 0 to 128'],
    ],
  },
  {
    name: 'a VRF where the announcer has none',
    toml: '[services.dns]\nprefixes.bird = [{ prefix = "203.0.113.53", vrf = "blue" }]\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [
      [
        'services.dns.prefixes.bird[0].vrf',
        'BIRD has no VRFs here; only prefixes.frrouting items take a vrf',
      ],
    ],
  },
  {
    name: 'up attributes through an announcer that cannot carry them, or an empty up',
    toml: '[services.dns]\nprefixes.frrouting = ["203.0.113.53"]\nup = { med = 10 }\nchecks.exec = [{ command = ["/bin/true"] }]\n[services.web]\nprefixes.gobgp = ["203.0.113.80"]\nup = {}\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [
      [
        'services.dns.up',
        'FRRouting cannot announce with other attributes (prefixes.frrouting); leave up out, or announce these prefixes through an announcer that can (bgp, gobgp, exabgp)',
      ],
      [
        'services.web.up',
        'is empty: set med, prepend, local_pref, communities and/or large_communities, or leave it out',
      ],
    ],
  },
  {
    name: 'a degraded down through an announcer that cannot carry attributes',
    toml: '[services.dns]\nprefixes.bird = ["203.0.113.53"]\ndown = { med = 1000 }\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [
      [
        'services.dns.down',
        'BIRD cannot announce with other attributes (prefixes.bird); use down = "withdraw", or announce these prefixes through an announcer that can (bgp, gobgp, exabgp)',
      ],
    ],
  },
  {
    name: "a service prefix that is BIRD's dummy prefix (it would never be withdrawn)",
    toml: '[services.dns]\nprefixes.bird = ["203.0.113.53", "203.0.113.99"]\nchecks.exec = [{ command = ["/bin/true"] }]\n[announcers.bird]\nipv4_dummy_prefix = "203.0.113.99/32"\n',
    issues: [
      [
        'services.dns.prefixes.bird[1]',
        "203.0.113.99/32 is BIRD's ipv4_dummy_prefix, which is always in ACAST_PS_ADVERTISE whatever the service's health; choose another dummy prefix in [announcers.bird]",
      ],
    ],
  },
  {
    name: '[announcers.bgp] instead of [bgp]',
    toml: BGP + SERVICE + '[announcers.bgp]\nasn = 65001\n',
    issues: [['announcers.bgp', 'the embedded BGP speaker is configured in [bgp]']],
  },
  {
    name: 'an unknown announcer table',
    toml: BGP + SERVICE + '[announcers.brid]\n',
    issues: [
      [
        'announcers.brid',
        "unknown announcer (did you mean 'bird'?); known: bird, frrouting, gobgp, exabgp",
      ],
    ],
  },
  {
    name: '[[announcers.bird]] (an array of tables)',
    toml: BGP + SERVICE + '[[announcers.bird]]\n',
    issues: [['announcers.bird', 'must be a table: write [announcers.bird] (single brackets)']],
  },
  {
    name: 'unknown announcer',
    toml:
      BGP +
      '[services.dns]\nprefixes.bpg = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [
      [
        'services.dns.prefixes.bpg',
        "unknown announcer (did you mean 'bgp'?); known: bgp, bird, frrouting, gobgp, exabgp",
      ],
    ],
  },
  {
    name: 'bad community',
    toml: BGP + 'communities = ["65001:100", "65001:100000"]\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].communities[1]',
        'community "65001:100000": value "100000" must be a number from 0 to 65535',
      ],
    ],
  },
  {
    name: 'a large community where a community belongs',
    toml: BGP + 'communities = ["65001:1:2"]\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].communities[0]',
        'community "65001:1:2" is neither "asn:value" nor a well-known name (graceful-shutdown, blackhole, no-export, no-advertise, no-export-subconfed, no-peer) (three parts is a large community)',
      ],
    ],
  },
  {
    name: 'bad large community in a degraded down action',
    toml: BGP + SERVICE + 'down = { large_communities = ["65001:1"] }\n',
    issues: [
      [
        'services.dns.down.large_communities[0]',
        'large community "65001:1" must have the form global:local1:local2',
      ],
    ],
  },
  {
    name: 'speaker hold_time 2 (RFC 4271 4.2)',
    toml:
      BGP.replace('router_id = "198.18.0.1"', 'router_id = "198.18.0.1"\nhold_time = 2') + SERVICE,
    issues: [
      [
        'bgp.hold_time',
        'must be 0 or a whole number of seconds from 3 to 65535 (RFC 4271 4.2), got 2',
      ],
    ],
  },
  {
    name: 'peer hold_time 1',
    toml: BGP + 'hold_time = 1\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].hold_time',
        'must be 0 or a whole number of seconds from 3 to 65535 (RFC 4271 4.2), got 1',
      ],
    ],
  },
  {
    name: 'router_id that is not an IPv4 address',
    toml: BGP.replace('"198.18.0.1"', '"2001:db8::1"') + SERVICE,
    issues: [['bgp.router_id', 'must be a non-zero IPv4 address (dotted quad), got "2001:db8::1"']],
  },
  {
    name: 'asn written as a string',
    toml: BGP.replace('asn = 65000', 'asn = "65000"') + SERVICE,
    issues: [['bgp.peers[0].asn', 'must be a whole number from 1 to 4294967295, got "65000"']],
  },
  {
    name: 'a peer without asn',
    toml: BGP.replace('asn = 65000', 'name = "r1"') + SERVICE,
    issues: [['bgp.peers[0].asn', 'is required and must be a whole number from 1 to 4294967295']],
  },
  {
    name: 'next_hop.ipv4 given an IPv6 address',
    toml: BGP + 'next_hop = { ipv4 = "2001:db8::1" }\n' + SERVICE,
    issues: [
      ['bgp.peers[0].next_hop.ipv4', 'must be an IPv4 address, not IPv6, got "2001:db8::1"'],
    ],
  },
  {
    name: 'a next hop of a family the peer does not carry',
    toml: BGP + 'families = ["ipv4"]\nnext_hop = "2001:db8::1"\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].next_hop',
        'is an IPv6 next hop but this peer carries no IPv6 routes (families = ["ipv4"])',
      ],
    ],
  },
  {
    name: 'a link-local address as the only next hop',
    toml: BGP + 'next_hop = "fe80::1"\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].next_hop',
        '"fe80::1" is link-local; write next_hop = { ipv6 = "<global address>", ipv6_link_local = "fe80::1" } (RFC 2545)',
      ],
    ],
  },
  {
    name: 'ipv6_link_local that is not link-local',
    toml: BGP + 'next_hop = { ipv6_link_local = "2001:db8::1" }\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].next_hop.ipv6_link_local',
        'must be an IPv6 link-local address (fe80::/10), got "2001:db8::1"',
      ],
    ],
  },
  {
    name: 'local_address of the other family',
    toml: BGP + 'local_address = "2001:db8::1"\n' + SERVICE,
    issues: [['bgp.peers[0].local_address', 'is IPv6 but the peer address 198.18.0.2 is IPv4']],
  },
  {
    name: 'passive peer without bgp.listen',
    toml: BGP + 'passive = true\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].passive',
        'a passive peer only accepts connections, so the speaker must listen: set bgp.listen',
      ],
    ],
  },
  {
    name: 'local_pref for an eBGP peer',
    toml: BGP + 'local_pref = 200\n' + SERVICE,
    issues: [
      [
        'bgp.peers[0].local_pref',
        'LOCAL_PREF is sent to iBGP peers only (RFC 4271 5.1.5), and this peer is eBGP (asn 65000, bgp.asn 65001)',
      ],
    ],
  },
  {
    name: 'the same peer twice (IPv4-mapped spelling)',
    toml: BGP + '[[bgp.peers]]\naddress = "::ffff:198.18.0.2"\nasn = 65000\n' + SERVICE,
    issues: [
      ['bgp.peers[1].address', 'peer ::ffff:198.18.0.2 is already configured at bgp.peers[0]'],
    ],
  },
  {
    name: 'max_connect_retry below connect_retry',
    toml: BGP + 'connect_retry = 10\nmax_connect_retry = 5\n' + SERVICE,
    issues: [['bgp.peers[0].max_connect_retry', 'must be at least connect_retry (10 s)']],
  },
  {
    name: '[bgp.peers] written with single brackets',
    toml: BGP.replace('[[bgp.peers]]', '[bgp.peers]') + SERVICE,
    issues: [
      [
        'bgp.peers',
        'must be an array of tables: write each peer as [[bgp.peers]] (double brackets)',
      ],
    ],
  },
  {
    name: '[[services.NAME]] written with double brackets',
    toml: BGP + SERVICE.replace('[services.dns]', '[[services.dns]]'),
    issues: [['services.dns', 'must be a table: write [services.dns] (single brackets)']],
  },
  {
    name: 'a table where a list or string belongs: the message, without "got a table"',
    toml:
      BGP +
      '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = { argv = [] } }]\n',
    issues: [
      [
        'services.dns.checks.exec[0].command',
        'command must be a list of arguments or a command line string',
      ],
    ],
  },
  {
    name: 'an empty list where one item at least is needed',
    toml: BGP + '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = [] }]\n',
    issues: [['services.dns.checks.exec[0].command', 'must list at least 1 item']],
  },
  {
    name: '[bgp] without peers',
    toml: '[bgp]\nasn = 65001\nrouter_id = "198.18.0.1"\n' + SERVICE,
    issues: [['bgp.peers', 'no peers: add at least one [[bgp.peers]] with address and asn']],
  },
  {
    name: 'missing [bgp] for prefixes the embedded speaker announces',
    toml: SERVICE,
    issues: [
      [
        'services.dns.prefixes',
        'these prefixes are announced by the embedded BGP speaker, which needs a [bgp] section (asn, router_id, [[bgp.peers]])',
      ],
    ],
  },
  {
    name: 'interval_while_changing longer than interval',
    toml:
      BGP +
      SERVICE +
      'checks.http = [{ url = "http://127.0.0.1/", interval = 1, interval_while_changing = 2 }]\n',
    issues: [
      [
        'services.dns.checks.http[0].interval_while_changing',
        'must not be longer than the interval (1 s): it is the faster interval while the check is changing state',
      ],
    ],
  },
  {
    name: 'interval 0',
    toml: BGP + SERVICE + 'checks.http = [{ url = "http://127.0.0.1/", interval = 0 }]\n',
    issues: [
      [
        'services.dns.checks.http[0].interval',
        'must be a number of seconds more than 0 and at most 86400, got 0',
      ],
    ],
  },
  {
    name: 'a type schema message is kept, with the value',
    toml: BGP + SERVICE + 'checks.http = [{ url = "ftp://127.0.0.1/" }]\n',
    issues: [
      [
        'services.dns.checks.http[0].url',
        'url must be an http:// or https:// URL, got "ftp://127.0.0.1/"',
      ],
    ],
  },
  {
    name: "a type schema's message for a value of no accepted kind",
    toml: BGP + '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = 5 }]\n',
    issues: [
      [
        'services.dns.checks.exec[0].command',
        'command must be a list of arguments or a command line string, got 5',
      ],
    ],
  },
  {
    name: 'an item inside a list of the accepted kind is reported at its index',
    toml:
      BGP +
      '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/echo", 5] }]\n',
    issues: [['services.dns.checks.exec[0].command[1]', 'must be a string, got 5']],
  },
  {
    name: 'a required check key that is missing',
    toml: BGP + '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ interval = 1 }]\n',
    issues: [['services.dns.checks.exec[0].command', 'is required']],
  },
  {
    name: 'duplicate check name (derived names collide)',
    toml:
      BGP +
      '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/true"] }, { command = ["/bin/true"], interval = 1 }]\n',
    issues: [
      [
        'services.dns.checks.exec[1]',
        'check name "exec /bin/true" is already used by services.dns.checks.exec[0]; names must be unique within a service (set name)',
      ],
    ],
  },
  {
    name: 'duplicate check name across types, set explicitly',
    toml:
      BGP +
      SERVICE.replace('"/bin/true"] }', '"/bin/true"], name = "resolver" }') +
      'checks.dns = [{ server = "127.0.0.1", name = "example.org", check_name = "resolver" }]\n',
    issues: [
      [
        'services.dns.checks.dns[0].check_name',
        'check name "resolver" is already used by services.dns.checks.exec[0].name; names must be unique within a service (set check_name)',
      ],
    ],
  },
  {
    name: 'check_name on a type whose schema does not use name',
    toml:
      BGP +
      '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = [{ command = ["/bin/true"], check_name = "x" }]\n',
    issues: [
      [
        'services.dns.checks.exec[0].check_name',
        "check_name is only for check types whose own settings use name (dns, cabourotte); set this check's name with name",
      ],
    ],
  },
  {
    name: 'a bare string item for a type without fromString',
    toml: BGP + '[services.dns]\nprefixes = ["203.0.113.53"]\nchecks.exec = ["/bin/true"]\n',
    issues: [
      [
        'services.dns.checks.exec[0]',
        'must be a table of exec settings; only cabourotte check items may be a bare string (the name of an existing check)',
      ],
    ],
  },
  {
    name: 'unknown check type, with a suggestion',
    toml: BGP + SERVICE + 'checks.htp = [{ url = "http://127.0.0.1/" }]\n',
    issues: [
      [
        'services.dns.checks.htp',
        "unknown check type (did you mean 'http'?); known: cabourotte, dns, exec, http",
      ],
    ],
  },
  {
    name: 'quorum larger than the number of checks',
    toml: BGP + SERVICE + 'policy = { quorum = 2 }\n',
    issues: [
      ['services.dns.policy.quorum', 'is 2 but the service has 1 check; it could never be met'],
    ],
  },
  {
    name: 'policy of another kind',
    toml: BGP + SERVICE + 'policy = "most"\n',
    issues: [['services.dns.policy', 'must be "all", "any" or a table { quorum = N }, got "most"']],
  },
  {
    name: 'a service with no checks',
    toml: BGP + '[services.dns]\nprefixes = ["203.0.113.53"]\n',
    issues: [
      [
        'services.dns.checks',
        'a service with no checks is never announced; add checks or announce = "always"',
      ],
    ],
  },
  {
    name: 'announce misspelt',
    toml: BGP + SERVICE + 'announce = "alway"\n',
    issues: [
      [
        'services.dns.announce',
        `must be "healthy" or "always", got "alway" (did you mean 'always'?)`,
      ],
    ],
  },
  {
    name: 'an empty degraded down action',
    toml: BGP + SERVICE + 'down = {}\n',
    issues: [
      [
        'services.dns.down',
        'is empty: set med, prepend, communities and/or large_communities, or use "withdraw"',
      ],
    ],
  },
  {
    name: 'on_change with an unknown placeholder',
    toml: BGP + SERVICE + 'on_change = ["/usr/local/bin/notify", "{servce}"]\n',
    issues: [
      [
        'services.dns.on_change[1]',
        "unknown placeholder {servce} (did you mean 'service'?); known: {service}, {state}, {previous}, {reason}",
      ],
    ],
  },
  {
    name: 'a prefix in two services',
    toml: BGP + SERVICE + SERVICE.replace('services.dns', 'services.ntp'),
    issues: [
      [
        'services.ntp.prefixes[0]',
        '203.0.113.53/32 is also a prefix of service "dns" (services.dns.prefixes[0]); a prefix belongs to one service',
      ],
    ],
  },
  {
    name: 'a prefix twice in one service (same prefix, two spellings)',
    toml:
      BGP +
      '[services.dns]\nprefixes = ["203.0.113.53", "203.0.113.53/32"]\nchecks.exec = [{ command = ["/bin/true"] }]\n',
    issues: [['services.dns.prefixes[1]', '203.0.113.53/32 is listed twice in this service']],
  },
  {
    name: 'no services at all',
    toml: BGP,
    issues: [['services', 'no services: add a [services.NAME] table with prefixes and checks']],
  },
  {
    name: 'log level misspelt',
    toml: BGP + SERVICE + '[log]\nlevel = "warning"\n',
    issues: [
      [
        'log.level',
        `must be "trace", "debug", "info", "warn", "error" or "fatal", got "warning" (did you mean 'warn'?)`,
      ],
    ],
  },
  {
    name: 'a service name that is not a plain word',
    toml: BGP + SERVICE.replace('services.dns', 'services."dns resolver"'),
    issues: [
      [
        'services."dns resolver"',
        'service names are 1 to 64 letters, digits, ".", "-" or "_", starting with a letter or digit',
      ],
    ],
  },
  {
    name: 'TOML syntax error names the line and column',
    toml: '[bgp]\nasn = 65001\nrouter_id = 198.18.0.1\n',
    code: 'CONFIG_SYNTAX',
    issues: [['', 'invalid TOML at line 3, column 19: illegal character in numeric literal']],
  },
];

function issuesOf(toml: string): { code: string; issues: [string, string][]; message: string } {
  try {
    parseConfig(toml, 'test.toml', { checkTypes: testCheckTypes });
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return {
      code: error.code,
      issues: error.issues.map((i) => [i.path, i.message]),
      message: error.message,
    };
  }
  assert.fail('the configuration was accepted');
}

describe('bad configurations', () => {
  for (const c of cases) {
    it(c.name, () => {
      const found = issuesOf(c.toml);
      assert.deepEqual(found.issues, c.issues);
      assert.equal(found.code, c.code ?? 'CONFIG_INVALID');
      assert.equal(
        found.message,
        c.issues
          .map(([path, m]) => (path === '' ? `test.toml: ${m}` : `test.toml: ${path}: ${m}`))
          .join('\n'),
      );
    });
  }

  it('reports every problem in the file at once, one line each', () => {
    const found = issuesOf(
      BGP.replace('asn = 65000', 'asn = 65000\nhold_time = 2\nmed = -1') +
        SERVICE +
        'rize = 3\n' +
        '[services.web]\nprefixes = ["203.0.113.5/24"]\nchecks.nope = []\n',
    );
    assert.deepEqual(
      found.issues.map(([path]) => path),
      [
        'bgp.peers[0].hold_time',
        'bgp.peers[0].med',
        'services.dns.rize',
        'services.web.prefixes[0]',
        'services.web.checks.nope',
      ],
    );
    assert.equal(found.message.split('\n').length, 5);
  });

  it('a syntax error carries line, column and an excerpt', () => {
    try {
      parseConfig('[bgp]\nasn = 65001\nrouter_id = 198.18.0.1\n', 'x.toml', {
        checkTypes: testCheckTypes,
      });
      assert.fail('accepted');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.issues[0]?.line, 3);
      assert.equal(error.issues[0]?.column, 19);
      assert.match(error.excerpt ?? '', /router_id = 198\.18\.0\.1/);
    }
  });
});
