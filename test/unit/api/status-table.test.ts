// The status table fits 80 columns whatever the names and reasons, and says how long ago.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StatusView } from '../../../src/api/index.js';
import { relative, renderStatus } from '../../../src/cli/status.js';

const now = 1_700_000_000_000;

function view(overrides: Partial<StatusView> = {}): StatusView {
  return {
    node: 'edge-1',
    time: now,
    services: [
      {
        name: 'a-very-long-service-name-that-goes-on',
        state: 'down',
        since: now - 125_000,
        reason: 'check health failed: HTTP 503 from http://127.0.0.1:8080/health after 3 attempts',
        checks: [],
        prefixes: [
          {
            prefix: '2001:db8:ffff:ffff:ffff:ffff:ffff:fff0/124',
            announcer: 'bgp',
            announced: false,
            synced: true,
          },
        ],
      },
      {
        name: 'dns',
        state: 'up',
        since: now - 5_000,
        reason: 'all checks up',
        checks: [],
        prefixes: [
          { prefix: '203.0.113.53/32', announcer: 'bgp', announced: true, synced: true },
          { prefix: '2001:db8::53/128', announcer: 'bgp', announced: false, synced: true },
        ],
      },
    ],
    peers: [],
    addresses: [],
    announcers: [],
    ...overrides,
  };
}

describe('status table', () => {
  it('fits 80 columns, truncating with an ellipsis', () => {
    const text = renderStatus(view(), now);
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    assert.match(
      text,
      /^a-very-long-service… +down +2m05s +0\/1 +check health failed: HTTP 503 fr…$/m,
    );
    assert.match(text, /^ {2}-2001:db8:ffff:ffff:ffff:ffff:ffff:fff0\/124$/m);
    assert.match(text, /^dns +up +5s +1\/2 +all checks up$/m);
    assert.match(text, /^ {2}\+203\.0\.113\.53\/32 -2001:db8::53\/128$/m);
    assert.match(text, /^no BGP peers$/m);
  });

  it('shows a drain reason rather than the health reason', () => {
    const drained = view();
    const [first, second] = drained.services;
    const text = renderStatus(
      {
        ...drained,
        services: [
          first!,
          { ...second!, state: 'drained', drained: { reason: 'kernel upgrade', at: now } },
        ],
      },
      now,
    );
    assert.match(text, /^dns +drained +5s +1\/2 +kernel upgrade$/m);
  });

  it('shows a graceful drain with the time left before the withdrawal', () => {
    const [first, second] = view().services;
    const text = renderStatus(
      {
        ...view(),
        services: [
          first!,
          {
            ...second!,
            state: 'draining',
            drainingUntil: now + 12_400,
            drained: { reason: 'upgrade', at: now, until: now + 12_400 },
          },
        ],
      },
      now,
    );
    assert.match(text, /^dns +draining \(13 s left\) +5s +1\/2 +upgrade$/m);
  });

  it('shows each routing daemon: in sync, or failing with the retry and its error', () => {
    const text = renderStatus(
      view({
        services: [
          {
            name: 'dns',
            state: 'up',
            since: now - 5_000,
            reason: 'all checks up',
            checks: [],
            prefixes: [
              { prefix: '203.0.113.53/32', announcer: 'bird', announced: true, synced: false },
              {
                prefix: '203.0.113.54/32',
                announcer: 'frrouting',
                vrf: 'blue',
                announced: true,
                synced: true,
              },
            ],
          },
        ],
        announcers: [
          {
            kind: 'bird',
            state: 'failing',
            wanted: 1,
            applied: 0,
            failures: 3,
            lastError: {
              code: 'ANNOUNCER_REJECTED',
              message: 'BIRD rejected the new configuration: /etc/bird/bird.conf:12:3 syntax error',
              at: new Date(now - 2_000).toISOString(),
            },
            retryAt: new Date(now + 4_000).toISOString(),
          },
          {
            kind: 'frrouting',
            state: 'in-sync',
            wanted: 1,
            applied: 1,
            failures: 0,
            lastSyncAt: new Date(now - 7_000).toISOString(),
          },
        ],
      }),
      now,
    );
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    assert.match(
      text,
      /^dns +up +5s +1\/2 +all checks up$/m,
      'a prefix bird has not taken is not counted',
    );
    assert.match(text, /^ {2}~203\.0\.113\.53\/32@bird \+203\.0\.113\.54\/32%blue@frrouting$/m);
    assert.match(
      text,
      /^bird +failing +0\/1 +3 failed, retry in 4s: BIRD rejected the new config…$/m,
    );
    assert.match(text, /^frrouting +in-sync +1\/1 +synced 7s ago$/m);
  });

  it('writes relative times in the largest two units', () => {
    assert.equal(relative(now - 59_000, now), '59s');
    assert.equal(relative(now - 3_599_000, now), '59m59s');
    assert.equal(relative(now - 7_260_000, now), '2h01m');
    assert.equal(relative(now - 90_000_000, now), '1d01h');
    assert.equal(relative(now + 5_000, now), '0s', 'a clock step backwards is not negative');
  });
});

describe('status table: peers', () => {
  const peer = {
    name: 'router',
    address: '198.18.0.2',
    port: 179,
    asn: 65000,
    since: now - 30_000,
    exportProblems: [],
    prefixesAnnounced: 0,
    prefixesReceived: 0,
    updatesSent: 0,
    updatesReceived: 0,
    establishedCount: 0,
    prefixesSent: 0,
  };

  it('says under a peer why it does not come up, and why a family is not exported', () => {
    const problem = 'no answer: check the TCP-MD5 password (the router logs "MD5 Hash failed")';
    const text = renderStatus(
      view({
        peers: [
          { ...peer, state: 'connect', connectProblem: problem, tcpMd5: true },
          {
            ...peer,
            name: 'router6',
            address: 'fd7e:1ab::2',
            state: 'established',
            establishedCount: 1,
            connectProblem: 'an old problem, solved by the session',
            exportProblems: ['ipv6: no IPv6 next hop on the session interface'],
          },
        ],
      }),
      now,
    );
    for (const line of text.split('\n')) assert.ok(line.length <= 80, `${line.length}: ${line}`);
    assert.match(
      text,
      /^router +198\.18\.0\.2 +connect +- +0 sent\n {2}! no answer: check the TCP-MD5/m,
    );
    assert.match(text, /^router6 .*established.*\n {2}! ipv6: no IPv6 next hop/m);
    assert.doesNotMatch(text, /an old problem/);
  });
});

describe('status table: a configuration that does not load', () => {
  it('says so first, with the reasons, when ExaBGP holds the daemon', () => {
    const text = renderStatus(
      view({
        services: [],
        configError:
          '/etc/anycast-guard/config.toml: services.web.anounce: unknown key (did you mean ‘announce’?)',
      }),
      now,
    );
    const lines = text.split('\n');
    assert.match(lines[2] ?? '', /^! the configuration does not load/);
    assert.match(text, /^! {3}\/etc\/anycast-guard\/config\.toml: services\.web\.anounce/m);
    for (const line of lines) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  });
});
