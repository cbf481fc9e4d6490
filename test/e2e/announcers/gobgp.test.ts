/**
 * The GoBGP announcer against a real gobgpd 3.10 (examples/gobgpd.toml) in the node
 * namespace, heard by a BIRD router (gobgp-lab.ts):
 *
 * 1. `anycast-guard run` with prefixes.gobgp: a healthy service's prefixes reach the router
 *    (IPv4 and IPv6 sessions), a degraded one keeps its route with MED 1000, a prepend, a
 *    community and a large community;
 *    the operator's own path in gobgpd is never touched; breaking withdraws, mending
 *    restores; a SIGKILLed run leaves its paths in gobgpd and the next start deletes them
 *    before any check has passed; SIGTERM withdraws everything.
 * 2. The announcer in this process, over gobgpd's API on a unix socket: gobgpd stopped
 *    (unreachable in status) and started again (the resync puts back what the restart
 *    lost), nothing listening at the API address.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { GobgpAnnouncer } from '../../../src/announcers/gobgp/index.js';
import { systemClock } from '../../../src/clock/index.js';
import { requireLab, waitFor } from '../../lab/index.js';
import type { GobgpRouter } from '../../lab/index.js';
import { isTransition, records, startDaemon, waitForLog } from '../harness.js';
import { gobgpLab, waitAtRouter } from './gobgp-lab.js';

const V4 = '203.0.113.80/32';
const V6 = '2001:db8::80/128';
const DEGRADED = '203.0.113.81/32';
const OPERATOR = '198.51.100.0/24';

function config(apiDir: string, apiPort: number, url: string, degradedUrl: string): string {
  return `[api]
listen = false
socket = "${apiDir}/control.sock"
state_dir = "${apiDir}"

[announcers.gobgp]
api = "127.0.0.1:${apiPort}"

[services.web]
prefixes.gobgp = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ url = "${url}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0

[services.degraded]
prefixes.gobgp = ["203.0.113.81"]
checks.http = [{ url = "${degradedUrl}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
down = { med = 1000, prepend = 1, communities = ["65001:666"], large_communities = ["65001:1:2"] }
`;
}

/** The local paths gobgpd holds (gobgp -j global rib), by prefix. */
async function localPrefixes(gobgpd: GobgpRouter): Promise<string[]> {
  const out: string[] = [];
  for (const family of ['ipv4', 'ipv6']) {
    const rib = (await gobgpd.gobgpJson(['global', 'rib', '-a', family])) as Record<
      string,
      { 'neighbor-ip'?: string }[]
    >;
    for (const [prefix, paths] of Object.entries(rib))
      if (paths.some((p) => p['neighbor-ip'] === undefined)) out.push(prefix);
  }
  return out.sort();
}

test(
  'GoBGP through `anycast-guard run`: health drives gobgpd’s RIB, degraded attributes, stale paths, the operator’s own',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'gobgp']))) return;
    const { lab, node, gobgpd, router, control } = await gobgpLab(t);
    const degradedService = await lab.startHttpService(node.ns, { port: 8081, name: 'degraded' });
    const conf = config(node.apiDir, gobgpd.apiPort, node.service.url, degradedService.url);

    // The operator's own path, added before anything of ours.
    await gobgpd.gobgp(['global', 'rib', '-a', 'ipv4', 'add', OPERATOR, 'origin', 'igp']);
    await waitAtRouter(control, OPERATOR, true);

    let daemon = await startDaemon(lab, node, conf);
    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);
    await waitAtRouter(control, DEGRADED, true);
    assert.deepEqual(await localPrefixes(gobgpd), [OPERATOR, V6, V4, DEGRADED].sort());
    const v6 = await router.route(V6);
    assert.equal(v6?.nextHop, node.link.a.ipv6, 'the IPv6 session’s own address');
    assert.deepEqual(v6?.asPath, [65001]);
    assert.equal(v6?.origin, 'igp');

    // Degraded: still announced, with the MED and community of `down`.
    await degradedService.break('refuse');
    const sick = await waitFor(() => router.route(DEGRADED), {
      what: `${DEGRADED} with MED 1000 at the router`,
      until: (r) => r?.med === 1000,
      timeoutMs: 20_000,
    });
    assert.deepEqual(sick?.communities, ['65001:666']);
    assert.deepEqual(sick?.largeCommunities, ['65001:1:2']);
    assert.deepEqual(sick?.asPath, [65001, 65001], 'prepend 1: gobgpd adds its own AS in front');
    await degradedService.mend();
    await waitFor(() => router.route(DEGRADED), {
      what: `${DEGRADED} healthy again (no MED)`,
      until: (r) =>
        r !== undefined &&
        r.med === undefined &&
        r.communities.length === 0 &&
        r.asPath.length === 1,
      timeoutMs: 20_000,
    });

    // Down: the service's prefixes go; the operator's stays.
    await node.service.break('refuse');
    await waitAtRouter(control, V4, false);
    await waitAtRouter(control, V6, false);
    assert.deepEqual(await localPrefixes(gobgpd), [OPERATOR, DEGRADED].sort());
    await node.service.mend();
    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);

    // SIGKILL: gobgpd outlives us and keeps announcing our paths.
    assert.ok(daemon.signal('SIGKILL'));
    assert.equal((await daemon.waitForExit(5_000)).signal, 'SIGKILL');
    assert.ok(
      (await control.paths(V4)).includes('node4'),
      'gobgpd outlives a killed anycast-guard',
    );

    // The next start deletes them before any check has passed: the service is broken now.
    // (The degraded service is healthy and is announced again once its check passes.)
    await node.service.break('refuse');
    daemon = await startDaemon(lab, node, conf, 'daemon2');
    await waitAtRouter(control, V4, false);
    await waitAtRouter(control, V6, false);
    const left = await localPrefixes(gobgpd);
    assert.ok(left.includes(OPERATOR) && !left.includes(V4) && !left.includes(V6), String(left));
    assert.ok(
      !records(daemon).some((r) => isTransition('web', 'up')(r)),
      'deleted at start, not by a transition',
    );

    // SIGTERM withdraws everything that is up, and exits 0.
    await node.service.mend();
    await waitAtRouter(control, V4, true);
    await waitForLog(daemon, (r) => isTransition('web', 'up')(r), 'web up');
    daemon.signal('SIGTERM');
    assert.equal((await daemon.waitForExit(15_000)).code, 0);
    assert.deepEqual(await localPrefixes(gobgpd), [OPERATOR]);
    await waitAtRouter(control, V4, false);
    assert.ok((await control.paths(OPERATOR)).includes('node4'));
  },
);

test(
  'GoBGP announcer: gobgpd down and back (resync), nothing at the API address',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'gobgp']))) return;
    const { lab, gobgpd, control } = await gobgpLab(t);
    // The announcer runs in this process, outside the node namespace: it reaches gobgpd's
    // API through the unix socket the lab also gives it.
    const target = `unix://${gobgpd.apiSocket}`;
    const settings = {
      api: { kind: 'unix' as const, target },
      timeoutMs: 10_000,
      resyncMs: 300,
      nextHop: {},
    };
    const announcer = new GobgpAnnouncer(
      settings,
      { logger: pino({ level: 'silent' }), clock: systemClock, stateDir: join(lab.dir, 'state') },
      { retryMs: 100 },
    );
    t.after(() => announcer.stop('test over'));
    await announcer.start();
    assert.equal(announcer.status().state, 'in-sync');
    announcer.announce({ prefix: V4, attributes: { prepend: 2, largeCommunities: ['65001:1:2'] } });
    await waitAtRouter(control, V4, true);
    assert.equal(announcer.status().detail?.asn, 65001);

    // gobgpd stopped: unreachable, retried.
    await gobgpd.stop();
    await waitAtRouter(control, V4, false);
    announcer.reconcile();
    const down = await waitFor(() => announcer.status(), {
      what: 'status failing with gobgpd stopped',
      until: (s) => s.state === 'failing' && s.lastError?.code === 'ANNOUNCER_DAEMON_UNREACHABLE',
      timeoutMs: 20_000,
    });
    assert.ok(
      down.lastError?.message.startsWith(`gobgpd does not answer on ${target} (`),
      down.lastError?.message,
    );
    t.diagnostic(`status while gobgpd is down: ${down.lastError?.message ?? ''}`);

    // Started again, gobgpd has lost our path; the retry (or the resync) puts it back.
    await gobgpd.start();
    await waitAtRouter(control, V4, true);
    const back = await gobgpd.route(V4);
    assert.deepEqual(back?.asPath, [65001, 65001]);
    assert.deepEqual(back?.largeCommunities, ['65001:1:2']);
    await waitFor(() => announcer.status().state, {
      what: 'in sync',
      until: (s) => s === 'in-sync',
    });

    // Nothing listens at the API address: a clear, coded failure.
    const missing = new GobgpAnnouncer(
      { ...settings, api: { kind: 'unix', target: `unix://${lab.dir}/nothing.sock` }, resyncMs: 0 },
      { logger: pino({ level: 'silent' }), clock: systemClock, stateDir: join(lab.dir, 'state2') },
      { retryMs: 60_000, stopTimeoutMs: 200 },
    );
    await missing.start();
    missing.announce({ prefix: V6, attributes: {} });
    const failing = await waitFor(() => missing.status(), {
      what: 'nothing at the API address fails',
      until: (s) => s.state === 'failing',
    });
    assert.equal(failing.lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.match(failing.lastError?.message ?? '', /nothing\.sock/);
    await missing.stop('test');
  },
);
