/**
 * The FRRouting announcer against a real FRR 8.4 (zebra + bgpd in a pathspace, from
 * examples/frr.conf) in the node namespace, heard by a BIRD router (frr-lab.ts):
 *
 * 1. `anycast-guard run` with prefixes.frrouting: a healthy service's prefixes reach the
 *    router (IPv4 and IPv6), a VRF prefix goes under `router bgp 65001 vrf 123`, the
 *    operator's own `network 198.51.100.0/24` is never touched; the service breaking
 *    withdraws, mending restores; a SIGKILLed run leaves its statements in FRR (FRR,
 *    unlike our speaker, outlives us) and the next start withdraws them before any check
 *    has passed; SIGTERM withdraws everything.
 * 2. The announcer in this process: vtysh stopping at a refused command, a VRF without `router bgp`, bgpd stopped and started
 *    again (the periodic resync puts back what the restart lost), and import-check on
 *    (the route is announced only while its address is on lo).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { classifyAnswer } from '../../../src/announcers/frrouting/answer.js';
import { FrrAnnouncer } from '../../../src/announcers/frrouting/index.js';
import { systemClock } from '../../../src/clock/index.js';
import { findExecutable, requireLab, run, waitFor } from '../../lab/index.js';
import { isTransition, records, startDaemon, waitForLog } from '../harness.js';
import { frrLab, localRoute, networksUnder, waitAtRouter } from './frr-lab.js';

const V4 = '203.0.113.80/32';
const V6 = '2001:db8::80/128';
const VRF_PREFIX = '203.0.113.81/32';
const OPERATOR = '198.51.100.0/24';
const DEFAULT_ROUTER = 'router bgp 65001';
const VRF_ROUTER = 'router bgp 65001 vrf 123';

function config(apiDir: string, pathspace: string, url: string): string {
  return `[api]
listen = false
socket = "${apiDir}/control.sock"
state_dir = "${apiDir}"

[announcers.frrouting]
pathspace = "${pathspace}"

[services.web]
prefixes.frrouting = ["203.0.113.80", "2001:db8::80", { prefix = "203.0.113.81", vrf = "123" }]
checks.http = [{ url = "${url}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
`;
}

test(
  'FRRouting through `anycast-guard run`: health drives network statements, VRFs, stale routes, the operator’s own',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'frr']))) return;
    const { lab, node, frr, control } = await frrLab(t);
    const conf = config(node.apiDir, frr.pathspace, node.service.url);

    // The operator's own statement is announced before anything of ours.
    await waitAtRouter(control, OPERATOR, true);

    let daemon = await startDaemon(lab, node, conf);
    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);
    assert.deepEqual(await networksUnder(frr, DEFAULT_ROUTER), [OPERATOR, V6, V4].sort());
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), [VRF_PREFIX]);
    const vrfRoute = await waitFor(() => localRoute(frr, VRF_PREFIX, '123'), {
      what: `${VRF_PREFIX} in FRR's BGP table of vrf 123`,
    });
    assert.equal(vrfRoute?.origin, 'igp');
    assert.equal(await localRoute(frr, VRF_PREFIX), undefined, 'not in the default VRF');
    assert.deepEqual(await control.paths(VRF_PREFIX), [], 'not leaked to the router');

    // Down: every prefix of the service goes, in both instances; the operator's stays.
    await node.service.break('refuse');
    await waitAtRouter(control, V4, false);
    await waitAtRouter(control, V6, false);
    assert.deepEqual(await networksUnder(frr, DEFAULT_ROUTER), [OPERATOR]);
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), []);
    assert.ok((await control.paths(OPERATOR)).includes('node1'));

    // Up again.
    await node.service.mend();
    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);
    await waitFor(() => networksUnder(frr, VRF_ROUTER), {
      what: `${VRF_PREFIX} back under ${VRF_ROUTER}`,
      until: (n) => n.includes(VRF_PREFIX),
    });

    // SIGKILL: nothing of ours runs, so FRR keeps announcing what we configured.
    assert.ok(daemon.signal('SIGKILL'));
    assert.equal((await daemon.waitForExit(5_000)).signal, 'SIGKILL');
    assert.ok((await control.paths(V4)).includes('node1'), 'FRR outlives a killed anycast-guard');
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), [VRF_PREFIX]);

    // The next start reconciles before any check has passed: the service is broken now.
    await node.service.break('refuse');
    daemon = await startDaemon(lab, node, conf, 'daemon2');
    await waitAtRouter(control, V4, false);
    await waitAtRouter(control, V6, false);
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), []);
    assert.deepEqual(await networksUnder(frr, DEFAULT_ROUTER), [OPERATOR]);
    assert.ok(
      !records(daemon).some((r) => isTransition('web', 'up')(r)),
      'withdrawn at start, not by a transition',
    );

    // SIGTERM withdraws everything that is up, and exits 0.
    await node.service.mend();
    await waitAtRouter(control, V4, true);
    await waitForLog(daemon, (r) => isTransition('web', 'up')(r), 'web up');
    daemon.signal('SIGTERM');
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
    assert.deepEqual(await networksUnder(frr, DEFAULT_ROUTER), [OPERATOR]);
    assert.deepEqual(await networksUnder(frr, VRF_ROUTER), []);
    await waitAtRouter(control, V4, false);
    assert.ok((await control.paths(OPERATOR)).includes('node1'));
  },
);

test(
  'FRRouting announcer: a VRF without router bgp, bgpd down and back (resync), import-check on',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'frr']))) return;
    const { lab, node, frr, control } = await frrLab(t);
    const announcer = new FrrAnnouncer(
      {
        vtysh: findExecutable('vtysh') ?? '/usr/bin/vtysh',
        pathspace: frr.pathspace,
        timeoutMs: 10_000,
        resyncMs: 300,
      },
      { logger: pino({ level: 'silent' }), clock: systemClock, stateDir: join(lab.dir, 'state') },
      { retryMs: 100 },
    );
    t.after(() => announcer.stop('test over'));
    await announcer.start();
    assert.equal(announcer.status().state, 'in-sync');
    assert.match(String(announcer.status().detail?.instances), /router bgp 65001 vrf 123/);
    announcer.announce({ prefix: V4, attributes: {} });
    await waitAtRouter(control, V4, true);

    // What the backend relies on: FRR 8.4's vtysh stops at the first refused command,
    // exits 1 and says why on stdout; the commands before it took effect.
    const vtysh = ['vtysh', '-N', frr.pathspace, '-d', 'bgpd'];
    const half = await run(
      [
        ...vtysh,
        ...['configure terminal', DEFAULT_ROUTER, 'address-family ipv4 unicast']
          .concat(['network 203.0.113.70/32', 'no network 203.0.113.71/32'])
          .concat(['network 203.0.113.72/32'])
          .flatMap((c) => ['-c', c]),
      ],
      { allowFailure: true },
    );
    assert.deepEqual(classifyAnswer(half), {
      ok: false,
      code: 'ANNOUNCER_REJECTED',
      reason: "% Can't find static route specified",
    });
    const networks = await networksUnder(frr, DEFAULT_ROUTER);
    assert.ok(networks.includes('203.0.113.70/32') && !networks.includes('203.0.113.72/32'));
    await frr.vtysh(
      'configure terminal',
      DEFAULT_ROUTER,
      'address-family ipv4 unicast',
      'no network 203.0.113.70/32',
    );

    // A VRF FRR has no router bgp for: a clear failure; the instance is not created.
    announcer.announce({ prefix: '203.0.113.90/32', vrf: 'blue', attributes: {} });
    const failing = await waitFor(() => announcer.status(), {
      what: 'status failing for vrf blue',
      until: (s) => s.state === 'failing',
    });
    assert.equal(failing.lastError?.code, 'ANNOUNCER_REJECTED');
    assert.equal(
      failing.lastError?.message,
      `FRRouting (${findExecutable('vtysh') ?? '/usr/bin/vtysh'} -N ${frr.pathspace}): no \`router bgp\` for vrf blue in FRR's running config; cannot announce 203.0.113.90/32 (add \`router bgp ASN vrf blue\` to frr.conf)`,
    );
    assert.doesNotMatch(await frr.vtysh('show running-config'), /vrf blue/);
    announcer.withdraw({ prefix: '203.0.113.90/32', vrf: 'blue' });
    await waitFor(() => announcer.status().state, {
      what: 'in sync again',
      until: (s) => s === 'in-sync',
    });

    // bgpd (and zebra) down: unreachable, in vtysh's words, retried.
    await frr.stop();
    // examples/frr.conf disables graceful restart: the router does not keep stale routes.
    await waitAtRouter(control, V4, false);
    const down = await waitFor(() => announcer.status(), {
      what: 'status failing with FRR stopped',
      until: (s) => s.state === 'failing' && s.lastError?.code === 'ANNOUNCER_DAEMON_UNREACHABLE',
    });
    assert.match(down.lastError?.message ?? '', /Exiting: failed to connect to any daemons\./);
    t.diagnostic(`status while bgpd is down: ${down.lastError?.message ?? ''}`);
    // Started again from examples/frr.conf, FRR has lost our statement; the resync restores it.
    await frr.start();
    await waitAtRouter(control, V4, true, 60_000);
    assert.equal(announcer.status().state, 'in-sync');

    // Import-check on: the network is configured, but FRR announces it only while the
    // prefix is in its RIB, here as the connected route of an address on lo.
    await frr.vtysh('configure terminal', DEFAULT_ROUTER, 'bgp network import-check');
    const BOUND = '203.0.113.60/32';
    await lab.exec(node.ns, ['ip', 'addr', 'add', BOUND, 'dev', 'lo']);
    announcer.announce({ prefix: BOUND, attributes: {} });
    await waitAtRouter(control, BOUND, true);
    // bgpd can send the route before the announcer has read vtysh's answer back.
    await waitFor(() => String(announcer.status().detail?.importCheck), {
      what: 'the import-check setting in the status',
      until: (text) => /^router bgp 65001(;|$)/.test(text),
    });
    await lab.exec(node.ns, ['ip', 'addr', 'del', BOUND, 'dev', 'lo']);
    await waitAtRouter(control, BOUND, false);
    assert.ok((await networksUnder(frr, DEFAULT_ROUTER)).includes(BOUND), 'still configured');

    await announcer.stop('test over');
    assert.deepEqual(await networksUnder(frr, DEFAULT_ROUTER), [OPERATOR]);
    await waitAtRouter(control, V4, false);
  },
);
