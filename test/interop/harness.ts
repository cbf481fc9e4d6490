/**
 * Shared interop scenario: our speaker in namespace "node", one real router in
 * namespace "router", one veth between them (node .1 / ::1, router .2 / ::2) and one
 * IPv4-transport session carrying IPv4 and IPv6 unicast. The routers are passive: our
 * speaker connects out (its default), as on a real host.
 */
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import type { AnnounceAttributes } from '../../src/bgp/index.js';
import { BIRD_TEST_TIMERS, Lab, requireLab, waitFor } from '../lab/index.js';
import type {
  LabRoute,
  Link,
  Router,
  RouterKind,
  SpeakerProcess,
  SpeakerProcessConfig,
} from '../lab/index.js';

export const NODE_AS = 65001;
export const ROUTER_AS = 65000;

export interface RouterOptions {
  /** Router's AS; NODE_AS makes the session iBGP. */
  asn: number;
}

export function routerConf(kind: RouterKind, link: Link, options: RouterOptions): string {
  const node = link.a;
  const me = link.b;
  switch (kind) {
    case 'bird':
      return `
router id ${me.ipv4};
protocol device {}
protocol bgp node {
  local ${me.ipv4} as ${options.asn};
  neighbor ${node.ipv4} as ${NODE_AS};
  passive on;
  ${options.asn === NODE_AS ? 'direct;' : ''}
  ${BIRD_TEST_TIMERS}
  ipv4 { import all; export none; };
  ipv6 { import all; export none; };
}
`;
    case 'frr':
      return `frr defaults traditional
hostname router
!
router bgp ${options.asn}
 bgp router-id ${me.ipv4}
 no bgp ebgp-requires-policy
 neighbor ${node.ipv4} remote-as ${NODE_AS}
 neighbor ${node.ipv4} passive
 address-family ipv6 unicast
  neighbor ${node.ipv4} activate
 exit-address-family
!
`;
    case 'gobgp':
      return `[global.config]
  as = ${options.asn}
  router-id = "${me.ipv4}"
  local-address-list = ["${me.ipv4}"]
[[neighbors]]
  [neighbors.config]
    neighbor-address = "${node.ipv4}"
    peer-as = ${NODE_AS}
  [neighbors.transport.config]
    passive-mode = true
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`;
  }
}

export function startRouter(
  lab: Lab,
  kind: RouterKind,
  link: Link,
  options: RouterOptions,
): Promise<Router> {
  const conf = routerConf(kind, link, options);
  switch (kind) {
    case 'bird':
      return lab.startBird(link.b.ns, conf);
    case 'frr':
      return lab.startFrr(link.b.ns, conf);
    case 'gobgp':
      return lab.startGobgp(link.b.ns, conf);
  }
}

export function speakerConfig(
  link: Link,
  peerAsn: number,
  peer: Partial<
    SpeakerProcessConfig['speaker']['peers'] extends readonly (infer P)[] | undefined ? P : never
  > = {},
): SpeakerProcessConfig {
  return {
    logLevel: process.env.AG_LAB_LOG_LEVEL ?? 'info',
    speaker: {
      asn: NODE_AS,
      routerId: link.a.ipv4,
      peers: [
        {
          name: 'router',
          address: link.b.ipv4,
          asn: peerAsn,
          localAddress: link.a.ipv4,
          connectRetry: 1,
          maxConnectRetry: 2,
          ...peer,
        },
      ],
    },
  };
}

/** A fresh lab with node and router namespaces and one link; torn down after the test. */
export async function twoNodeLab(t: TestContext): Promise<{ lab: Lab; link: Link }> {
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const node = await lab.namespace('node');
  const router = await lab.namespace('router');
  return { lab, link: await lab.link(node, router) };
}

/** The fields every router reports, in a comparable shape. */
export function essentials(route: LabRoute | undefined): unknown {
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

/** Polls until the router's best path for `want.prefix` matches `want`; the error shows the last one seen. */
export async function expectRoute(
  router: Router,
  want: { prefix: string } & Record<string, unknown>,
): Promise<LabRoute> {
  let last: LabRoute | undefined;
  await waitFor(
    async () => {
      last = await router.route(want.prefix);
      return essentials(last);
    },
    {
      what: `${want.prefix} in ${router.kind} as ${JSON.stringify(want)}`,
      until: (got) => isDeepEqual(got, want),
    },
  );
  if (!last) throw new Error('unreachable');
  return last;
}

export async function expectNoRoute(router: Router, prefix: string): Promise<void> {
  await waitFor(() => router.route(prefix), {
    what: `${prefix} gone from ${router.kind}`,
    until: (route) => route === undefined,
  });
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

interface Announcement {
  prefix: string;
  attributes: AnnounceAttributes;
  /** What the router must show. */
  want: (link: Link) => Record<string, unknown> & { prefix: string };
}

const PEER_COMMUNITY = '65001:1';

/** Routes the suite announces, with what an eBGP router must show for them. */
export const ANNOUNCEMENTS: Announcement[] = [
  {
    prefix: '203.0.113.10/32',
    attributes: {
      communities: ['65001:100'],
      largeCommunities: ['65001:10:20'],
      med: 50,
      prepend: 2,
    },
    want: (link) => ({
      prefix: '203.0.113.10/32',
      nextHop: link.a.ipv4,
      asPath: [NODE_AS, NODE_AS, NODE_AS],
      communities: [PEER_COMMUNITY, '65001:100'],
      largeCommunities: ['65001:10:20'],
      med: 50,
    }),
  },
  {
    prefix: '198.51.100.0/24',
    attributes: {},
    want: (link) => ({
      prefix: '198.51.100.0/24',
      nextHop: link.a.ipv4,
      asPath: [NODE_AS],
      communities: [PEER_COMMUNITY],
      largeCommunities: [],
      med: undefined,
    }),
  },
  {
    prefix: '2001:db8::10/128',
    attributes: {
      communities: ['65001:200', 'no-export'],
      largeCommunities: ['65001:30:40'],
      med: 7,
      prepend: 1,
    },
    want: (link) => ({
      prefix: '2001:db8::10/128',
      nextHop: link.a.ipv6,
      asPath: [NODE_AS, NODE_AS],
      communities: [PEER_COMMUNITY, '65001:200', '65535:65281'],
      largeCommunities: ['65001:30:40'],
      med: 7,
    }),
  },
  {
    prefix: '2001:db8:1::/48',
    attributes: {},
    want: (link) => ({
      prefix: '2001:db8:1::/48',
      nextHop: link.a.ipv6,
      asPath: [NODE_AS],
      communities: [PEER_COMMUNITY],
      largeCommunities: [],
      med: undefined,
    }),
  },
];

async function announceAll(speaker: SpeakerProcess): Promise<void> {
  for (const a of ANNOUNCEMENTS) await speaker.announce([a.prefix], a.attributes);
}

/**
 * The eBGP suite, run once per router kind: Established with both families, routes with
 * their attributes, withdrawal, a router restart survived and the table re-sent, and our
 * Cease with a shutdown message recorded by the router.
 */
export async function ebgpSuite(t: TestContext, kind: RouterKind): Promise<void> {
  if (!(await requireLab(t, [kind]))) return;
  const { lab, link } = await twoNodeLab(t);
  const router = await startRouter(lab, kind, link, { asn: ROUTER_AS });
  const speaker = await lab.startSpeaker(
    link.a.ns,
    speakerConfig(link, ROUTER_AS, { communities: [PEER_COMMUNITY] }),
  );
  await announceAll(speaker);

  await t.test('session reaches Established carrying IPv4 and IPv6 unicast', async () => {
    const established = await speaker.waitForPeerState('router');
    assert.deepEqual([...(established.status.families ?? [])].sort(), ['ipv4', 'ipv6']);
    await waitFor(() => router.peer(link.a.ipv4), {
      what: `${kind} shows the session Established`,
      until: (p) => p.state === 'established',
    });
  });

  await t.test(
    'announced prefixes arrive with next hop, AS path, communities and MED',
    async () => {
      for (const a of ANNOUNCEMENTS) await expectRoute(router, a.want(link));
      assert.equal(await router.count('ipv4'), 2);
      assert.equal(await router.count('ipv6'), 2);
      const status = await speaker.peerStatus('router');
      assert.equal(status.prefixesAnnounced, ANNOUNCEMENTS.length);
      assert.deepEqual(status.exportProblems, []);
    },
  );

  await t.test('withdrawn prefixes disappear, the others stay', async () => {
    const { count } = await speaker.withdraw(['203.0.113.10/32', '2001:db8::10/128']);
    assert.equal(count, 2);
    await expectNoRoute(router, '203.0.113.10/32');
    await expectNoRoute(router, '2001:db8::10/128');
    const kept = ANNOUNCEMENTS.filter(
      (a) => a.prefix === '198.51.100.0/24' || a.prefix === '2001:db8:1::/48',
    );
    for (const a of kept) await expectRoute(router, a.want(link));
    // Announce again for the next steps.
    for (const a of ANNOUNCEMENTS) await speaker.announce([a.prefix], a.attributes);
    for (const a of ANNOUNCEMENTS) await expectRoute(router, a.want(link));
  });

  await t.test('a router restart is survived and the table re-sent', async () => {
    const before = speaker.peerStates.length;
    await router.restart();
    // A new Established event after `before`: the session went down and came back.
    await speaker.waitForPeerState('router', { afterIndex: before, timeoutMs: 30_000 });
    const states = speaker.peerStates.slice(before).map((e) => e.status.state);
    assert.notEqual(states[0], 'established', `the session went down first: ${states.join(' → ')}`);
    for (const a of ANNOUNCEMENTS) await expectRoute(router, a.want(link));
    const status = await speaker.peerStatus('router');
    assert.ok(status.establishedCount >= 2, `established ${status.establishedCount} times`);
  });

  await t.test('our Cease carries the shutdown message into the router’s state', async () => {
    const message = `anycast-guard interop: maintenance on ${kind}`;
    const exit = await speaker.shutdown(message);
    assert.equal(exit.code, 0);
    const peer = await waitFor(() => router.peer(link.a.ipv4), {
      what: `${kind} records our shutdown message`,
      until: (p) => p.shutdownMessage === message,
    });
    assert.notEqual(peer.state, 'established');
    if (peer.lastNotification) {
      assert.deepEqual(
        [peer.lastNotification.code, peer.lastNotification.subcode, peer.lastNotification.received],
        [6, 2, true],
      );
    }
    await waitFor(async () => (await router.count('ipv4')) + (await router.count('ipv6')), {
      what: `${kind} table empty after our stop`,
      until: (n) => n === 0,
    });
  });
}
