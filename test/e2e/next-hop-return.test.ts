/**
 * Issue 12 item 4: an IPv6 route held back for want of a next hop goes out once the
 * node's global IPv6 address returns, on the same session (no restart).
 *
 * The node peers with BIRD over IPv4 and carries IPv6 too; its IPv6 next hop is the
 * link's global address. As after a link bounce, that address is missing when the
 * session comes up; it is added back (`nodad`) while the session stays Established.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Lab, requireLab, waitFor } from '../lab/index.js';
import { daemonStatus } from './announcers/bird-lab.js';
import {
  NODE_AS,
  ROUTER_AS,
  makeNode,
  records,
  routerConf,
  startDaemon,
  waitEstablished,
  waitForLog,
  waitForPaths,
} from './harness.js';

const V4 = '203.0.113.90/32';
const V6 = '2001:db8::90/128';

interface PeerView {
  state?: string;
  establishedCount?: number;
  exportProblems?: string[];
}

async function peerStatus(apiDir: string): Promise<PeerView> {
  const status = await daemonStatus(apiDir);
  const peers = status.peers as PeerView[] | undefined;
  const peer = peers?.[0];
  assert.ok(peer, `no peer in status: ${JSON.stringify(status)}`);
  return peer;
}

test(
  'a missing IPv6 next hop is found again and the held-back route sent, without a session restart',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const lab = await Lab.create();
    t.after(() => lab.teardown());
    const routerNs = await lab.namespace('router');
    const node = await makeNode(lab, 1, routerNs);
    const { a } = node.link;
    const router = await lab.startBird(routerNs, routerConf([node.link], { ipv6: true }));
    const control = await router.control();
    t.after(() => control.close());

    // The global address is gone (a link bounce); fe80:: stays, and is no next hop.
    await lab.exec(node.ns, ['ip', '-6', 'addr', 'del', a.ipv6Cidr, 'dev', a.ifname]);

    const config = `[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[bgp]
asn = ${NODE_AS}
router_id = "${a.ipv4}"
[[bgp.peers]]
address = "${node.link.b.ipv4}"
asn = ${ROUTER_AS}
local_address = "${a.ipv4}"
connect_retry = 1

[services.web]
prefixes = ["${V4}", "${V6}"]
announce = "always"
`;
    const daemon = await startDaemon(lab, node, config);
    await waitEstablished(router, ['node1'], 'node');
    await waitForPaths(control, V4, (p) => p.length === 1, 'the IPv4 route');
    await waitForLog(daemon, (r) => r.event === 'bgp.export_problem', 'no IPv6 next hop');
    const before = await peerStatus(node.apiDir);
    assert.equal(before.state, 'established');
    assert.equal(before.establishedCount, 1);
    assert.match(before.exportProblems?.join('\n') ?? '', /no ipv6 next hop/);
    assert.deepEqual(await control.paths(V6), [], 'no IPv6 route without a next hop');

    const mark = daemon.lines.length;
    await lab.exec(node.ns, ['ip', '-6', 'addr', 'add', a.ipv6Cidr, 'dev', a.ifname, 'nodad']);
    const found = await waitForLog(daemon, (r) => r.event === 'bgp.next_hop_found', 'found', {
      from: mark,
      timeoutMs: 15_000,
    });
    assert.equal(found.family, 'ipv6');
    assert.equal(found.nextHop, a.ipv6);
    await waitForPaths(control, V6, (p) => p.join() === 'node1', 'the IPv6 route');
    const route = await waitFor(() => router.route(V6), {
      what: 'the IPv6 route in BIRD',
      until: (r) => r !== undefined,
    });
    assert.ok(route);

    const after = await peerStatus(node.apiDir);
    assert.equal(after.establishedCount, 1, 'the same session carried it');
    assert.deepEqual(after.exportProblems, []);
    assert.equal((await router.peer('node1')).state, 'established');
    assert.equal(
      records(daemon).filter((r) => r.event === 'bgp.session_established').length,
      1,
      'one session, never restarted',
    );
    assert.deepEqual(await control.paths(V4), ['node1'], 'the IPv4 route stayed');
  },
);
