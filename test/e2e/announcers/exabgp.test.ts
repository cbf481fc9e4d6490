/**
 * The ExaBGP announcer end to end: ExaBGP 4.2 in the node namespace runs examples/exabgp.conf,
 * which starts `anycast-guard run` as its API process (exabgp-lab.ts); a BIRD router hears
 * ExaBGP on an IPv4 and an IPv6 session. Checked at the router:
 *
 * - a healthy service's prefixes are announced (next hop of each session's family, origin
 *   IGP, our AS alone on the path); a degraded one keeps its route with MED 1000, our AS
 *   prepended twice, communities and a large community;
 *   breaking withdraws, mending restores; a session that comes back gets the routes
 *   again with their next hop (ExaBGP 4.2.21 loses it for bare `next-hop self` routes);
 * - SIGKILL of anycast-guard: ExaBGP keeps its routes and starts it again; the new one
 *   withdraws them at start (before its checks pass `rise`) and announces once they do;
 * - ExaBGP stopped (SIGTERM): it writes "shutdown" and SIGTERMs anycast-guard, which exits
 *   0 at once without a second signal; the routes go with ExaBGP's sessions.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { isAlive, requireLab, waitFor, waitForExit } from '../../lab/index.js';
import { birdRouteEvents, isTransition, type Node } from '../harness.js';
import { waitAtRouter } from './gobgp-lab.js';
import { exabgpLab } from './exabgp-lab.js';

const V4 = '203.0.113.80/32';
const V6 = '2001:db8::80/128';
const DEGRADED = '203.0.113.81/32';

function config(node: Node, degradedUrl: string): string {
  return `[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[log]
level = "debug"

[services.web]
prefixes.exabgp = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ url = "${node.service.url}", interval = 0.5, timeout = 0.5 }]
rise = 4
fall = 1
hold_down = 0

[services.degraded]
prefixes.exabgp = ["203.0.113.81"]
checks.http = [{ url = "${degradedUrl}", interval = 0.2, timeout = 0.2 }]
rise = 1
fall = 1
hold_down = 0
down = { med = 1000, prepend = 2, communities = ["65001:666", "no-export"], large_communities = ["65001:1:2"] }
`;
}

test(
  'ExaBGP runs anycast-guard: health drives its routes, degraded MED, a SIGKILLed process’s routes, ExaBGP stopping',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'exabgp']))) return;
    const degradedUrl = 'http://127.0.0.1:8081/health';
    const { lab, node, exabgp, router, control, daemon } = await exabgpLab(t, (n) =>
      config(n, degradedUrl),
    );
    const degraded = await lab.startHttpService(node.ns, { port: 8081, name: 'degraded' });
    assert.equal(degraded.url, degradedUrl);

    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);
    await waitAtRouter(control, DEGRADED, true);
    const v4 = await router.route(V4);
    assert.equal(v4?.nextHop, node.link.a.ipv4);
    assert.deepEqual(v4?.asPath, [65001]);
    assert.equal(v4?.origin, 'igp');
    assert.equal((await router.route(V6))?.nextHop, node.link.a.ipv6);
    const first = daemon.pid();
    assert.ok(first !== undefined && isAlive(first));
    assert.ok(
      daemon.records().some((r) => isTransition('web', 'up')(r)),
      'the daemon logs to stderr: its records are in the log file',
    );

    // Degraded: still announced, with the MED of `down`.
    await degraded.break('refuse');
    const sick = await waitFor(() => router.route(DEGRADED), {
      what: `${DEGRADED} with MED 1000`,
      until: (r) => r?.med === 1000,
      timeoutMs: 20_000,
    });
    assert.deepEqual(sick?.asPath, [65001, 65001, 65001], 'prepend 2: our AS three times');
    assert.deepEqual([...(sick?.communities ?? [])].sort(), ['65001:666', '65535:65281']);
    assert.deepEqual(sick?.largeCommunities, ['65001:1:2']);
    assert.equal(sick?.nextHop, node.link.a.ipv4);
    await degraded.mend();
    await waitFor(() => router.route(DEGRADED), {
      what: `${DEGRADED} healthy again`,
      until: (r) => r !== undefined && r.med === undefined && r.asPath.length === 1,
      timeoutMs: 20_000,
    });

    // Down and up.
    await node.service.break('refuse');
    await waitAtRouter(control, V4, false);
    await waitAtRouter(control, V6, false);
    await node.service.mend();
    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);

    // The router's session flaps: ExaBGP sends the routes again, next hop and all.
    await router.birdc('restart node4');
    await waitFor(() => router.peer('node4'), {
      what: 'node4 established again',
      until: (p) => p.state === 'established',
      timeoutMs: 30_000,
    });
    await waitAtRouter(control, V4, true);
    assert.equal((await router.route(V4))?.nextHop, node.link.a.ipv4);
    assert.doesNotMatch(router.log(), /Missing mandatory NEXT_HOP/);

    // SIGKILL: ExaBGP keeps the routes and starts anycast-guard again. The new one
    // withdraws them at start: the web service needs 4 passing checks (2 s) before it
    // is announced again, and in that gap the router has no route.
    const before = daemon.records().length;
    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    assert.ok(await waitForExit(first, 5_000));
    const second = await waitFor(() => daemon.pid(), {
      what: 'ExaBGP starting anycast-guard again',
      until: (pid) => pid !== undefined && pid !== first,
    });
    await waitAtRouter(control, V4, false);
    await waitAtRouter(control, V6, false);
    const removedAt = birdRouteEvents(router, 'node4', 'removed', V4).filter(
      (at) => at >= killedAt - 5,
    );
    t.diagnostic(
      `SIGKILL → ExaBGP restarted anycast-guard → ${V4} withdrawn at the router: ${(removedAt[0] ?? NaN) - killedAt} ms`,
    );
    const up = await daemon.waitForRecord(
      (r) => isTransition('web', 'up')(r),
      'web up again',
      before,
    );
    await waitAtRouter(control, V4, true);
    await waitAtRouter(control, V6, true);
    // What the new process sent at its start (its debug log).
    const sent = daemon
      .records()
      .slice(before)
      .find((r) => r.event === 'exabgp.updating');
    assert.deepEqual(
      (sent?.commands as string[] | undefined)?.filter((c) => c.includes('withdraw')).sort(),
      [
        'neighbor 198.18.0.2 withdraw route 203.0.113.80/32',
        'neighbor 198.18.0.2 withdraw route 203.0.113.81/32',
        'neighbor fd7e:1ab:0:1::2 withdraw route 2001:db8::80/128',
      ],
    );
    assert.ok(Number(sent?.time) < Number(up.time), 'withdrawn at start, before the checks passed');

    // Each route went to the neighbor of its family only: no family errors in ExaBGP's log.
    assert.doesNotMatch(exabgp.log(), /the route family is not configured on neighbor/);

    // ExaBGP stops: "shutdown", then SIGTERM to anycast-guard, which exits 0 without delay.
    const mark = daemon.records().length;
    await exabgp.stop();
    assert.ok(second !== undefined && (await waitForExit(second, 10_000)));
    await waitAtRouter(control, V4, false);
    const tail = daemon.records().slice(mark);
    assert.ok(tail.some((r) => r.event === 'exabgp.shutting_down'));
    assert.ok(!tail.some((r) => r.event === 'daemon.second_signal'), JSON.stringify(tail));
    assert.ok(!tail.some((r) => r.event === 'announcer.withdraw_timed_out'));
  },
);

test(
  'ExaBGP killed: anycast-guard sees its stdin end and stops by itself',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'exabgp']))) return;
    const { exabgp, control, daemon } = await exabgpLab(t, (n) =>
      config(n, 'http://127.0.0.1:8081/health'),
    );
    await waitAtRouter(control, V4, true);
    const pid = daemon.pid();
    assert.ok(pid !== undefined && isAlive(pid));
    assert.ok(exabgp.process.signal('SIGKILL'));
    // The kernel closes ExaBGP's sessions: the router drops the routes on its own.
    await waitAtRouter(control, V4, false);
    assert.ok(await waitForExit(pid, 10_000), 'anycast-guard exits without its ExaBGP');
    const gone = daemon.records().find((r) => r.event === 'exabgp.gone');
    assert.equal(gone?.reason, 'ExaBGP closed our stdin (it stopped or was killed)');
    assert.ok(daemon.records().some((r) => r.event === 'daemon.stopping'));
    assert.ok(!daemon.records().some((r) => r.event === 'daemon.second_signal'));
  },
);

test(
  'ExaBGP runs anycast-guard with a bad file: it stays up announcing nothing, and SIGHUP with the file fixed announces',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird', 'exabgp']))) return;
    const good = (node: Node): string => `[api]
listen = false
socket = "${node.apiDir}/control.sock"
state_dir = "${node.apiDir}"

[services.web]
prefixes.exabgp = ["203.0.113.80"]
announce = "always"
`;
    const { node, exabgp, control, daemon } = await exabgpLab(t, (n) =>
      good(n).replace('announce =', 'anounce ='),
    );
    const held = await daemon.waitForRecord((r) => r.event === 'config.invalid_held', 'the hold');
    assert.match(String(held.err), /services\.web\.anounce: unknown key/);
    const pid = daemon.pid();
    assert.ok(pid !== undefined && isAlive(pid));
    // Past the first respawns a dying process would have had: the same process, ExaBGP up.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal(daemon.pid(), pid, 'ExaBGP did not have to start anycast-guard again');
    assert.ok(isAlive(pid));
    assert.equal(exabgp.process.exited, undefined, exabgp.log().slice(-2000));
    assert.doesNotMatch(exabgp.log(), /Too many death/);
    assert.deepEqual(await control.paths(V4), [], 'nothing announced while held');

    writeFileSync(node.configPath, good(node));
    process.kill(pid, 'SIGHUP');
    await waitAtRouter(control, V4, true);
    assert.equal(daemon.pid(), pid, 'the same process runs with the fixed file');
    assert.ok(daemon.records().some((r) => r.event === 'config.loaded_after_hold'));
  },
);
