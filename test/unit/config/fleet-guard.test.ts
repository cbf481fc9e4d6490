// [services.NAME] fleet_guard: its rules and messages, check-config's lines, and which
// checks count as facts (their failure proves the process gone).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { provesServiceGone } from '../../../src/checks/index.js';
import { ConfigError, describeConfig, parseConfig } from '../../../src/config/index.js';
import { BGP, SERVICE, testCheckTypes } from './support.js';

const DIRECTORS = `
[directors]
urls = ["http://127.0.0.1:8441"]
key_file = "/etc/anycast-guard/node.key"
url = "http://198.51.100.7/"
name = "edge-1"
`;

function parse(toml: string) {
  return parseConfig(toml, 'test.toml', { checkTypes: testCheckTypes });
}

function issuesOf(toml: string): [string, string][] {
  try {
    parse(toml);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.issues.map((i) => [i.path, i.message]);
  }
  assert.fail('the configuration was accepted');
}

describe('fleet_guard in the config', () => {
  it('min_announcing, with the default when_directors_unreachable', () => {
    const config = parse(BGP + SERVICE + 'fleet_guard = { min_announcing = 2 }\n' + DIRECTORS);
    assert.deepEqual(config.services[0]?.fleetGuard, {
      minimum: { announcing: 2 },
      whenDirectorsUnreachable: 'withdraw',
    });
  });

  it('min_fraction and hold', () => {
    const config = parse(
      BGP +
        SERVICE +
        'fleet_guard = { min_fraction = 0.2, when_directors_unreachable = "hold" }\n' +
        DIRECTORS,
    );
    assert.deepEqual(config.services[0]?.fleetGuard, {
      minimum: { fraction: 0.2 },
      whenDirectorsUnreachable: 'hold',
    });
  });

  it('absent: no guard', () => {
    assert.equal(parse(BGP + SERVICE + DIRECTORS).services[0]?.fleetGuard, undefined);
  });

  const bad: [string, string, [string, string][]][] = [
    [
      'needs [directors]',
      BGP + SERVICE + 'fleet_guard = { min_announcing = 2 }\n',
      [
        [
          'services.dns.fleet_guard',
          'needs a [directors] section (the directors count the nodes announcing the service and hand out withdrawal permits)',
        ],
      ],
    ],
    [
      'not with announce = "always"',
      BGP +
        '[services.dns]\nprefixes = ["203.0.113.53"]\nannounce = "always"\nfleet_guard = { min_announcing = 2 }\n' +
        DIRECTORS,
      [
        [
          'services.dns.fleet_guard',
          'has nothing to guard with announce = "always": the service is never withdrawn',
        ],
      ],
    ],
    [
      'both minimums',
      BGP + SERVICE + 'fleet_guard = { min_announcing = 2, min_fraction = 0.5 }\n' + DIRECTORS,
      [['services.dns.fleet_guard', 'sets both min_announcing and min_fraction: choose one']],
    ],
    [
      'neither minimum',
      BGP + SERVICE + 'fleet_guard = { when_directors_unreachable = "hold" }\n' + DIRECTORS,
      [
        [
          'services.dns.fleet_guard',
          'sets no minimum: add min_announcing = N (nodes) or min_fraction = F (a share of the nodes listing the service)',
        ],
      ],
    ],
    [
      'min_fraction out of range',
      BGP + SERVICE + 'fleet_guard = { min_fraction = 1.5 }\n' + DIRECTORS,
      [
        [
          'services.dns.fleet_guard.min_fraction',
          'must be a number above 0, at most 1 (a share of the nodes listing the service), got 1.5',
        ],
      ],
    ],
    [
      'min_announcing zero',
      BGP + SERVICE + 'fleet_guard = { min_announcing = 0 }\n' + DIRECTORS,
      [
        [
          'services.dns.fleet_guard.min_announcing',
          'must be a whole number from 1 to 1000000, got 0',
        ],
      ],
    ],
    [
      'an unknown key, with a suggestion',
      BGP + SERVICE + 'fleet_guard = { min_anouncing = 2 }\n' + DIRECTORS,
      [['services.dns.fleet_guard.min_anouncing', "unknown key (did you mean 'min_announcing'?)"]],
    ],
    [
      'an unknown when_directors_unreachable',
      BGP +
        SERVICE +
        'fleet_guard = { min_announcing = 2, when_directors_unreachable = "panic" }\n' +
        DIRECTORS,
      [
        [
          'services.dns.fleet_guard.when_directors_unreachable',
          'must be "withdraw" or "hold", got "panic"',
        ],
      ],
    ],
  ];
  for (const [name, toml, issues] of bad)
    it(`refused: ${name}`, () => assert.deepEqual(issuesOf(toml), issues));

  it('check-config says what waits for a permit and what does not', () => {
    const config = parse(
      BGP +
        SERVICE +
        'fleet_guard = { min_fraction = 0.25, when_directors_unreachable = "hold" }\n' +
        DIRECTORS,
    );
    const text = describeConfig(config);
    assert.match(
      text,
      /\n {4}fleet guard: withdraws on its checks' judgement only with the directors' permit, keeping at least 25% of the nodes listing it announcing; without a majority of directors answering, keeps announcing \(hold\)\n/,
    );
    assert.match(text, /\n {4}fleet guard: no check proves the process gone/);
  });
});

describe('facts: checks whose failure proves the process gone', () => {
  it('process and systemd checks, and tcp/http holding a connection', () => {
    assert.equal(provesServiceGone({ type: 'process', spec: { name: 'unbound' } }), true);
    assert.equal(provesServiceGone({ type: 'systemd', spec: { unit: 'unbound.service' } }), true);
    assert.equal(provesServiceGone({ type: 'tcp', spec: { port: 53, watch: true } }), true);
    assert.equal(
      provesServiceGone({ type: 'http', spec: { url: 'http://x/', watch: true } }),
      true,
    );
  });

  it('judgements: polled tcp/http, exec, dns, and the rest', () => {
    assert.equal(provesServiceGone({ type: 'tcp', spec: { port: 53 } }), false);
    assert.equal(
      provesServiceGone({ type: 'http', spec: { url: 'http://x/', watch: false } }),
      false,
    );
    for (const type of ['exec', 'dns', 'tls', 'file', 'cabourotte', 'nginx', 'system'])
      assert.equal(provesServiceGone({ type, spec: {} }), false, type);
  });
});
