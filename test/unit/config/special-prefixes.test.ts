// Prefixes and addresses no operator means to announce or bind are refused at their key
// path, naming the prefix and the reason; a default route only with allow_default_route.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseConfig } from '../../../src/config/index.js';
import { specialPrefix } from '../../../src/validation/index.js';
import { BGP, testCheckTypes } from './support.js';

const CHECKS = 'checks.exec = [{ command = ["/bin/true"] }]\n';

function issuesOf(toml: string): [string, string][] {
  try {
    parseConfig(toml, 'test.toml', { checkTypes: testCheckTypes });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map((i) => [i.path, i.message]);
  }
  return [];
}

function service(lines: string): string {
  return `${BGP}\n[services.web]\n${CHECKS}${lines}\n`;
}

const REFUSED: readonly (readonly [string, string])[] = [
  ['224.0.0.1', '224.0.0.1/32 is multicast (224.0.0.0/4)'],
  ['239.255.0.0/16', '239.255.0.0/16 is multicast (224.0.0.0/4)'],
  ['ff02::1', 'ff02::1/128 is multicast (ff00::/8)'],
  ['127.0.0.1', '127.0.0.1/32 is loopback (127.0.0.0/8)'],
  ['127.0.0.0/8', '127.0.0.0/8 is loopback (127.0.0.0/8)'],
  ['::1', '::1/128 is loopback (::1/128)'],
  ['169.254.1.0/24', '169.254.1.0/24 is link-local (169.254.0.0/16)'],
  ['fe80::/64', 'fe80::/64 is link-local (fe80::/10)'],
  ['255.255.255.255', '255.255.255.255/32 is the limited broadcast address (255.255.255.255/32)'],
  ['0.0.0.0', '0.0.0.0/32 is unspecified ("this network") (0.0.0.0/8)'],
  ['::', '::/128 is the unspecified address (::/128)'],
  ['192.0.0.0/2', '192.0.0.0/2 covers multicast (224.0.0.0/4)'],
];

describe('special prefixes', () => {
  for (const [prefix, reason] of REFUSED)
    it(`refuses ${prefix} in prefixes = […], naming it and why`, () => {
      assert.deepEqual(issuesOf(service(`prefixes = ["203.0.113.53", "${prefix}"]`)), [
        ['services.web.prefixes[1]', `${reason}: not a prefix to announce`],
      ]);
    });

  it('refuses them under every announcer, and in the { prefix = … } form at .prefix', () => {
    assert.deepEqual(
      issuesOf(
        service(
          'prefixes.bird = ["224.0.0.1"]\nprefixes.frrouting = [{ prefix = "127.0.0.1", vrf = "red" }]\nprefixes.gobgp = ["fe80::1"]\nprefixes.exabgp = ["::1"]',
        ),
      ),
      [
        [
          'services.web.prefixes.bird[0]',
          '224.0.0.1/32 is multicast (224.0.0.0/4): not a prefix to announce',
        ],
        [
          'services.web.prefixes.frrouting[0].prefix',
          '127.0.0.1/32 is loopback (127.0.0.0/8): not a prefix to announce',
        ],
        [
          'services.web.prefixes.gobgp[0]',
          'fe80::1/128 is link-local (fe80::/10): not a prefix to announce',
        ],
        [
          'services.web.prefixes.exabgp[0]',
          '::1/128 is loopback (::1/128): not a prefix to announce',
        ],
      ],
    );
  });

  it('refuses a default route unless the service opts in', () => {
    const hint =
      'announcing it draws all traffic to this node; set allow_default_route = true in this service if that is meant';
    assert.deepEqual(issuesOf(service('prefixes = ["0.0.0.0/0", "::/0"]')), [
      ['services.web.prefixes[0]', `0.0.0.0/0 is a default route: ${hint}`],
      ['services.web.prefixes[1]', `::/0 is a default route: ${hint}`],
    ]);
    const config = parseConfig(
      service('prefixes = ["0.0.0.0/0", "::/0"]\nallow_default_route = true'),
      'test.toml',
      { checkTypes: testCheckTypes },
    );
    assert.deepEqual(
      config.services[0]!.prefixes.map((p) => p.prefix),
      ['0.0.0.0/0', '::/0'],
    );
  });

  it('allow_default_route lets a default route through, not multicast', () => {
    assert.deepEqual(
      issuesOf(service('prefixes = ["0.0.0.0/0", "224.0.0.0/4"]\nallow_default_route = true')),
      [
        [
          'services.web.prefixes[1]',
          '224.0.0.0/4 is multicast (224.0.0.0/4): not a prefix to announce',
        ],
      ],
    );
  });

  it('allow_default_route on a service with no default route is an error', () => {
    assert.deepEqual(issuesOf(service('prefixes = ["203.0.113.53"]\nallow_default_route = true')), [
      [
        'services.web.allow_default_route',
        'is set but no prefix of this service is a default route (0.0.0.0/0 or ::/0)',
      ],
    ]);
  });

  it('refuses loopback, IPv4 link-local and broadcast service addresses', () => {
    assert.deepEqual(
      issuesOf(
        service(
          'prefixes = ["203.0.113.53"]\naddresses = ["203.0.113.53", "127.0.0.53", "::1", "169.254.0.1", "255.255.255.255"]',
        ),
      ),
      [
        [
          'services.web.addresses[1]',
          '127.0.0.53 is loopback (127.0.0.0/8): not an address to serve anycast traffic on',
        ],
        [
          'services.web.addresses[2]',
          '::1 is loopback (::1/128): not an address to serve anycast traffic on',
        ],
        [
          'services.web.addresses[3]',
          '169.254.0.1 is link-local (169.254.0.0/16): not an address to serve anycast traffic on',
        ],
        [
          'services.web.addresses[4]',
          '255.255.255.255 is the limited broadcast address (255.255.255.255/32): not an address to serve anycast traffic on',
        ],
      ],
    );
  });

  it('keeps the documentation prefixes and ordinary ones valid', () => {
    for (const prefix of [
      '203.0.113.0/24',
      '198.51.100.0/24',
      '2001:db8::/32',
      '192.0.2.1',
      '1.0.0.0/8',
      '128.0.0.0/3',
      '2000::/3',
      '223.255.255.0/24',
      '254.0.0.0/8',
    ])
      assert.equal(specialPrefix(prefix), undefined, prefix);
    const config = parseConfig(
      service('prefixes = ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]'),
      'test.toml',
      { checkTypes: testCheckTypes },
    );
    assert.equal(config.services[0]!.prefixes.length, 3);
  });
});
