/**
 * Proves the lab itself against real daemons, without our speaker: a BIRD "sender"
 * announces known routes over eBGP to a BIRD, an FRRouting and a GoBGP router, each in
 * its own namespace, and the lab's parsers must report exactly what was sent — next
 * hop, AS path with prepend, communities, large communities, MED — then the withdrawal,
 * the sender's shutdown message, and the table after a router restart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BIRD_TEST_TIMERS, Lab, requireLab, waitFor } from '../lab/index.js';
import type { LabRoute, Link, Router } from '../lab/index.js';

const SENDER_AS = 65001;
const ROUTER_AS = 65000;

function senderConf(links: { name: string; link: Link }[]): string {
  const first = links[0];
  if (!first) throw new Error('no links');
  const protocols = links
    .map(
      ({ name, link }) => `
protocol bgp to_${name} {
  local ${link.a.ipv4} as ${SENDER_AS};
  neighbor ${link.b.ipv4} as ${ROUTER_AS};
  ${BIRD_TEST_TIMERS}
  ipv4 { import none; export filter sender_out; };
  ipv6 { import none; export filter sender_out; next hop address ${link.a.ipv6}; };
}`,
    )
    .join('\n');
  return `
router id ${first.link.a.ipv4};
protocol device {}
protocol static s4 {
  ipv4;
  route 203.0.113.1/32 blackhole { bgp_community.add((65001,100)); bgp_community.add((65001,101)); bgp_large_community.add((65001,1,2)); };
  route 198.51.100.0/24 blackhole;
}
protocol static s6 {
  ipv6;
  route 2001:db8::1/128 blackhole { bgp_community.add((65001,200)); bgp_large_community.add((65001,3,4)); };
}
protocol static w4 { ipv4; route 203.0.113.2/32 blackhole; }
protocol static w6 { ipv6; route 2001:db8::2/128 blackhole; }
filter sender_out {
  if net = 203.0.113.1/32 || net = 2001:db8::1/128 then { bgp_med = 50; bgp_path.prepend(${SENDER_AS}); }
  accept;
}
${protocols}
`;
}

function birdRouterConf(link: Link): string {
  return `
router id ${link.b.ipv4};
protocol device {}
protocol bgp sender {
  local ${link.b.ipv4} as ${ROUTER_AS};
  neighbor ${link.a.ipv4} as ${SENDER_AS};
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`;
}

function frrRouterConf(link: Link): string {
  return `frr defaults traditional
hostname frr
!
router bgp ${ROUTER_AS}
 bgp router-id ${link.b.ipv4}
 no bgp ebgp-requires-policy
 neighbor ${link.a.ipv4} remote-as ${SENDER_AS}
 neighbor ${link.a.ipv4} timers connect 1
 address-family ipv6 unicast
  neighbor ${link.a.ipv4} activate
 exit-address-family
!
`;
}

function gobgpRouterConf(link: Link): string {
  return `[global.config]
  as = ${ROUTER_AS}
  router-id = "${link.b.ipv4}"
  local-address-list = ["${link.b.ipv4}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${link.a.ipv4}"
    peer-as = ${SENDER_AS}
  [neighbors.timers.config]
    connect-retry = 1
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`;
}

/** The route as a test compares it: the fields every router reports. */
function essentials(route: LabRoute | undefined): unknown {
  if (!route) return undefined;
  return {
    prefix: route.prefix,
    nextHop: route.nextHop,
    asPath: route.asPath,
    communities: [...route.communities].sort(),
    largeCommunities: [...route.largeCommunities].sort(),
    med: route.med,
  };
}

test(
  'lab self-test: BIRD sender to BIRD, FRRouting and GoBGP routers',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'frr', 'gobgp']))) return;
    const lab = await Lab.create();
    t.after(() => lab.teardown());

    const sender = await lab.namespace('sender');
    const kinds = ['bird', 'frr', 'gobgp'] as const;
    const links: { name: (typeof kinds)[number]; link: Link }[] = [];
    for (const name of kinds) {
      const ns = await lab.namespace(name);
      links.push({ name, link: await lab.link(sender, ns) });
    }
    const linkOf = (name: string): Link => {
      const found = links.find((l) => l.name === name);
      if (!found) throw new Error(name);
      return found.link;
    };

    const routers: Record<(typeof kinds)[number], Router> = {
      bird: await lab.startBird('bird', birdRouterConf(linkOf('bird'))),
      frr: await lab.startFrr('frr', frrRouterConf(linkOf('frr'))),
      gobgp: await lab.startGobgp('gobgp', gobgpRouterConf(linkOf('gobgp'))),
    };
    const senderBird = await lab.startBird(sender, senderConf(links));

    const expected = (name: string): Record<string, unknown> => {
      const link = linkOf(name);
      return {
        '203.0.113.1/32': {
          prefix: '203.0.113.1/32',
          nextHop: link.a.ipv4,
          asPath: [SENDER_AS, SENDER_AS],
          communities: ['65001:100', '65001:101'],
          largeCommunities: ['65001:1:2'],
          med: 50,
        },
        '198.51.100.0/24': {
          prefix: '198.51.100.0/24',
          nextHop: link.a.ipv4,
          asPath: [SENDER_AS],
          communities: [],
          largeCommunities: [],
          med: undefined,
        },
        '2001:db8::1/128': {
          prefix: '2001:db8::1/128',
          nextHop: link.a.ipv6,
          asPath: [SENDER_AS, SENDER_AS],
          communities: ['65001:200'],
          largeCommunities: ['65001:3:4'],
          med: 50,
        },
      };
    };

    const routeIs = async (router: Router, prefix: string, want: unknown): Promise<void> => {
      await waitFor(async () => essentials(await router.route(prefix)), {
        what: `${prefix} as sent, in ${router.kind}`,
        until: (got) => {
          try {
            assert.deepEqual(got, want);
            return true;
          } catch {
            return false;
          }
        },
      });
    };

    for (const name of kinds) {
      await t.test(`${name}: session, routes and attributes`, async () => {
        const router = routers[name];
        const link = linkOf(name);
        await waitFor(() => router.peer(link.a.ipv4), {
          what: `${name} session with the sender established`,
          until: (p) => p.state === 'established',
        });
        for (const [prefix, want] of Object.entries(expected(name)))
          await routeIs(router, prefix, want);
        await routeIs(router, '203.0.113.2/32', {
          ...(expected(name)['198.51.100.0/24'] as object),
          prefix: '203.0.113.2/32',
        });

        // Whole-table queries agree with per-prefix ones.
        const v4 = (await router.routes('ipv4'))
          .filter((r) => r.best)
          .map((r) => r.prefix)
          .sort();
        assert.deepEqual(v4, ['198.51.100.0/24', '203.0.113.1/32', '203.0.113.2/32']);
        const v6 = await router.routes('ipv6');
        assert.deepEqual(
          essentials(v6.find((r) => r.prefix === '2001:db8::1/128')),
          expected(name)['2001:db8::1/128'],
        );
        assert.equal(await router.count('ipv4'), 3);
        assert.equal(await router.count('ipv6'), 2);
      });
    }

    await t.test('withdrawn prefixes disappear from every router', async () => {
      await senderBird.birdc('disable w4');
      await senderBird.birdc('disable w6');
      for (const name of kinds) {
        const router = routers[name];
        await waitFor(async () => (await router.route('203.0.113.2/32')) === undefined, {
          what: `203.0.113.2/32 withdrawn from ${name}`,
        });
        await waitFor(async () => (await router.route('2001:db8::2/128')) === undefined, {
          what: `2001:db8::2/128 withdrawn from ${name}`,
        });
        assert.equal(await router.count('ipv4'), 2);
        assert.equal(await router.count('ipv6'), 1);
      }
    });

    await t.test('each router records the sender’s shutdown message', async () => {
      for (const name of kinds) {
        const router = routers[name];
        const link = linkOf(name);
        const message = `maintenance of ${name} link`;
        await senderBird.birdc(`disable to_${name} "${message}"`);
        try {
          const peer = await waitFor(() => router.peer(link.a.ipv4), {
            what: `${name} shows the shutdown message`,
            until: (p) => p.shutdownMessage === message,
          });
          assert.notEqual(peer.state, 'established');
          assert.match(peer.lastError ?? '', /administrative shutdown|code 6 subcode 2/i);
          if (peer.lastNotification) {
            assert.deepEqual([peer.lastNotification.code, peer.lastNotification.subcode], [6, 2]);
          }
          await waitFor(() => router.count('ipv4'), {
            what: `${name} dropped the sender's routes`,
            until: (n) => n === 0,
          });
        } finally {
          await senderBird.birdc(`enable to_${name}`);
        }
        await waitFor(() => router.peer(link.a.ipv4), {
          what: `${name} re-established after enable`,
          until: (p) => p.state === 'established',
        });
      }
    });

    await t.test('a restarted router gets the table again', async () => {
      for (const name of kinds) {
        const router = routers[name];
        await router.restart();
        await waitFor(() => router.peer(linkOf(name).a.ipv4), {
          what: `${name} re-established after restart`,
          until: (p) => p.state === 'established',
          timeoutMs: 30_000,
        });
        await routeIs(router, '203.0.113.1/32', expected(name)['203.0.113.1/32']);
        await routeIs(router, '2001:db8::1/128', expected(name)['2001:db8::1/128']);
      }
    });
  },
);
