/**
 * `anycast-guard run` end to end: the compiled CLI in a node namespace health-checks a real
 * HTTP service beside it and announces to BIRD 2 in a router namespace (harness.ts).
 *
 * Nothing here asserts how fast anything is (that is bench/failover.ts). Where a test
 * argues about time it uses lower bounds the design guarantees, read from the daemon's and
 * BIRD's own logs (one realtime clock), and polls of BIRD's table while things happen.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { requireLab, waitFor } from '../lab/index.js';
import {
  PathPoller,
  birdRouteEvents,
  daemonConfig,
  isCheckResult,
  isTransition,
  records,
  startDaemon,
  time,
  waitForLog,
  waitForPaths,
  routerLab,
} from './harness.js';
import type { ServiceSpec } from './harness.js';

const WEB = '203.0.113.80';
const WEB_PREFIX = '203.0.113.80/32';
const API = '203.0.113.81';
const API_PREFIX = '203.0.113.81/32';

const none = (paths: string[]): boolean => paths.length === 0;
const only =
  (...want: string[]) =>
  (paths: string[]): boolean =>
    paths.join(',') === [...want].sort().join(',');

test(
  'one node: nothing before rise, withdrawal, hold-down, SIGHUP reload, SIGTERM',
  { timeout: 180_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router, control } = await routerLab(t);

    const RISE = 3;
    const HOLD_DOWN = 3;
    const web: ServiceSpec = {
      name: 'web',
      prefixes: [WEB],
      url: node.service.url,
      interval: 0.5,
      rise: RISE,
      fall: 1,
      holdDown: HOLD_DOWN,
    };
    const api: ServiceSpec = { ...web, name: 'api', prefixes: [API], rise: 1, holdDown: 0 };

    // The daemon starts while the service is down.
    await node.service.break('refuse');
    const daemon = await startDaemon(lab, node, daemonConfig(node.link, [web], node.apiDir));

    await t.test('(a) nothing is announced before the check has passed `rise` times', async () => {
      await waitFor(() => router.peer(node.protocol), {
        what: 'BIRD shows our session Established',
        until: (peer) => peer.state === 'established',
      });
      await waitForLog(daemon, (r) => r.event === 'bgp.session_established', 'session established');
      // The session is up and the check has failed `rise` times: nothing in BIRD.
      await waitFor(() => records(daemon).filter(isCheckResult('web', false)).length, {
        what: `${RISE} failed checks`,
        until: (n) => n >= RISE,
      });
      assert.deepEqual(await control.paths(WEB_PREFIX), []);
      assert.equal(records(daemon).filter((r) => r.event === 'route.announced').length, 0);

      const mark = daemon.lines.length;
      const mended = await node.service.mend();
      // After each of the first rise − 1 passes, still nothing.
      for (let pass = 1; pass < RISE; pass++) {
        await waitFor(() => records(daemon, mark).filter(isCheckResult('web', true)).length, {
          what: `pass ${pass}`,
          until: (n) => n >= pass,
        });
        assert.deepEqual(await control.paths(WEB_PREFIX), [], `announced after ${pass} pass(es)`);
      }
      const announced = await waitForLog(
        daemon,
        (r) => r.event === 'route.announced' && r.prefix === WEB_PREFIX,
        'announced',
        { from: mark },
      );
      await waitForPaths(control, WEB_PREFIX, only(node.protocol), 'announced by node1');

      // The log: exactly `rise` passes, then "up", then "announced".
      const since = records(daemon, mark);
      const upAt = since.findIndex(isTransition('web', 'up'));
      assert.ok(upAt > 0, 'the service went up');
      const results = since.slice(0, upAt).filter(isCheckResult('web'));
      assert.deepEqual(
        results.map((r) => r.ok),
        Array<boolean>(RISE).fill(true),
      );
      assert.ok(
        since.findIndex((r) => r.event === announced.event && r.prefix === WEB_PREFIX) > upAt,
        'announced after up',
      );
      // BIRD imported the route no earlier than the rise-th pass finished.
      const lastPass = results.at(-1);
      assert.ok(lastPass);
      const added = birdRouteEvents(router, node.protocol, 'added', WEB_PREFIX);
      assert.equal(added.length, 1, 'one import so far');
      assert.ok((added[0] ?? 0) >= time(lastPass), `BIRD added ${added[0]} < pass ${RISE}`);
      assert.ok((added[0] ?? 0) >= mended.at);
    });

    await t.test('(b) a failing check takes the prefix out of BIRD’s table', async () => {
      const mark = daemon.lines.length;
      const broke = await node.service.break('refuse');
      const down = await waitForLog(daemon, isTransition('web', 'down'), 'web down', {
        from: mark,
      });
      assert.equal(down.previous, 'up');
      assert.match(String(down.reason), /ECONNREFUSED/);
      assert.deepEqual(down.prefixes, [WEB_PREFIX]);
      await waitForLog(
        daemon,
        (r) => r.event === 'route.withdrawn' && r.prefix === WEB_PREFIX,
        'withdrawn',
        { from: mark },
      );
      await waitForPaths(control, WEB_PREFIX, none, 'withdrawn');
      const removed = birdRouteEvents(router, node.protocol, 'removed', WEB_PREFIX);
      assert.ok(
        removed.some((at) => at >= broke.at),
        `BIRD logged the removal: ${removed.join(', ')}`,
      );
      // The session stays up: only the route went.
      assert.equal((await router.peer(node.protocol)).state, 'established');
    });

    await t.test(
      '(c) after recovery it returns only after rise and the hold-down, never before',
      async () => {
        const mark = daemon.lines.length;
        const poller = new PathPoller(control, [WEB_PREFIX]);
        const mended = await node.service.mend();
        const heldDown = await waitForLog(daemon, isTransition('web', 'held-down'), 'held-down', {
          from: mark,
        });
        // Shortly after recovery (the checks pass, rise reached) the route is still absent.
        assert.deepEqual(await control.paths(WEB_PREFIX), []);
        assert.equal(heldDown.previous, 'down');
        assert.match(String(heldDown.reason), new RegExp(`holding down for ${HOLD_DOWN} s`));
        const up = await waitForLog(
          daemon,
          (r) => isTransition('web', 'up')(r) && r.previous === 'held-down',
          'up after the hold-down',
          { from: mark, timeoutMs: 20_000 },
        );
        await waitForPaths(control, WEB_PREFIX, only(node.protocol), 'back');
        const samples = (await poller.stop()).get(WEB_PREFIX) ?? [];

        // Every poll answered before the daemon even decided "up" saw no route.
        const before = samples.filter((s) => s.at < time(up));
        assert.ok(before.length > 10, `polled during the hold-down (${before.length} polls)`);
        assert.deepEqual(
          before.filter((s) => s.paths.length > 0),
          [],
          'route present during the hold-down',
        );
        // Nothing was announced between the recovery and "up".
        const since = records(daemon, mark);
        const upAt = since.findIndex(
          (r) => isTransition('web', 'up')(r) && r.previous === 'held-down',
        );
        assert.ok(upAt > 0 && time(since[upAt] ?? {}) === time(up));
        assert.ok(
          since.findIndex((r) => r.event === 'route.announced') > upAt,
          'announced after up',
        );
        // BIRD got the route back no sooner than hold_down after the service recovered.
        const added = birdRouteEvents(router, node.protocol, 'added', WEB_PREFIX).find(
          (at) => at >= mended.at,
        );
        assert.ok(added !== undefined);
        assert.ok(
          added - mended.at >= HOLD_DOWN * 1000,
          `back ${added - mended.at} ms after recovery`,
        );
      },
    );

    await t.test(
      '(f) SIGHUP: an unchanged healthy service is never withdrawn; a new one is added',
      async () => {
        const mark = daemon.lines.length;
        const reloadStart = Date.now();
        const poller = new PathPoller(control, [WEB_PREFIX, API_PREFIX]);
        writeFileSync(node.configPath, daemonConfig(node.link, [web, api], node.apiDir));
        assert.ok(daemon.signal('SIGHUP'));
        const reloaded = await waitForLog(
          daemon,
          (r) => r.event === 'config.reloaded',
          'reloaded',
          { from: mark },
        );
        assert.deepEqual(reloaded.added, ['api']);
        assert.deepEqual(reloaded.changed, []);
        assert.deepEqual(reloaded.removed, []);
        await waitForPaths(control, API_PREFIX, only(node.protocol), 'new service announced');
        // A few more checks of web under the new config, still polling.
        await waitFor(() => records(daemon, mark).filter(isCheckResult('web', true)).length, {
          what: 'web checked after the reload',
          until: (n) => n >= 3,
        });
        const samples = (await poller.stop()).get(WEB_PREFIX) ?? [];
        assert.ok(samples.length > 10, `polled through the reload (${samples.length})`);
        assert.deepEqual(
          samples.filter((s) => s.paths.join() !== node.protocol),
          [],
          'web route missing during the reload',
        );
        assert.deepEqual(
          records(daemon, mark).filter(
            (r) => r.event === 'service.state_changed' && r.service === 'web',
          ),
          [],
        );
        assert.deepEqual(
          birdRouteEvents(router, node.protocol, 'removed', WEB_PREFIX).filter(
            (at) => at >= reloadStart,
          ),
          [],
        );
      },
    );

    await t.test('(f) SIGHUP with a bad config file: logged, the running config kept', async () => {
      const mark = daemon.lines.length;
      const poller = new PathPoller(control, [WEB_PREFIX, API_PREFIX]);
      // A misspelt key: valid TOML, invalid configuration.
      const bad: ServiceSpec = { ...web, extra: 'rize = 2' };
      writeFileSync(node.configPath, daemonConfig(node.link, [bad, api], node.apiDir));
      assert.ok(daemon.signal('SIGHUP'));
      const failed = await waitForLog(
        daemon,
        (r) => r.event === 'config.reload_failed',
        'reload failed',
        { from: mark },
      );
      assert.match(JSON.stringify(failed), /rize/);
      assert.ok(Number(failed.level) >= 50, 'logged as an error');
      await waitFor(() => records(daemon, mark).filter(isCheckResult('web', true)).length, {
        what: 'web checked after the failed reload',
        until: (n) => n >= 3,
      });
      const samples = await poller.stop();
      for (const prefix of [WEB_PREFIX, API_PREFIX]) {
        const seen = samples.get(prefix) ?? [];
        assert.ok(seen.length > 10);
        assert.deepEqual(
          seen.filter((s) => s.paths.join() !== node.protocol),
          [],
          `${prefix} missing during the failed reload`,
        );
      }
      assert.equal(records(daemon, mark).filter((r) => r.event === 'config.reloaded').length, 0);

      // The old configuration is still the one in force: both services react, web with
      // its hold-down, api (added by the last good reload) without.
      const broken = daemon.lines.length;
      await node.service.break('refuse');
      await waitForLog(daemon, isTransition('api', 'down'), 'api down', { from: broken });
      await waitForPaths(control, WEB_PREFIX, none, 'web withdrawn');
      await waitForPaths(control, API_PREFIX, none, 'api withdrawn');
      await node.service.mend();
      await waitForLog(daemon, isTransition('web', 'held-down'), 'web held down', {
        from: broken,
      });
      await waitForPaths(control, API_PREFIX, only(node.protocol), 'api back');
      await waitForPaths(control, WEB_PREFIX, only(node.protocol), 'web back', 20_000);
    });

    await t.test('(d) SIGTERM: withdraw all, Cease, exit 0', async () => {
      assert.deepEqual(await control.paths(WEB_PREFIX), [node.protocol]);
      assert.deepEqual(await control.paths(API_PREFIX), [node.protocol]);
      assert.ok(daemon.signal('SIGTERM'));
      const exit = await daemon.waitForExit(15_000);
      assert.equal(exit.code, 0, daemon.tail());
      assert.equal(exit.signal, null);
      assert.deepEqual(await control.paths(WEB_PREFIX), []);
      assert.deepEqual(await control.paths(API_PREFIX), []);
      const peer = await router.peer(node.protocol);
      assert.notEqual(peer.state, 'established');
      assert.match(peer.lastError ?? '', /Received: Administrative shutdown/);
      // BIRD's log: both routes removed, then our Cease — withdraw first, then close.
      const log = router.log().split('\n');
      const cease = log.findLastIndex((l) =>
        l.includes(`${node.protocol}: Received: Administrative shutdown`),
      );
      assert.ok(cease > 0);
      for (const prefix of [WEB_PREFIX, API_PREFIX]) {
        const removed = log.findLastIndex((l) =>
          new RegExp(`${node.protocol}\\.ipv4 > removed .*${prefix.replaceAll('.', '\\.')} `).test(
            l,
          ),
        );
        assert.ok(removed > 0 && removed < cease, `${prefix} removed before the Cease`);
      }
    });
  },
);

test(
  '(e) two nodes announce the same prefix: one withdraws, the other keeps it in BIRD',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, nodes, router, control } = await routerLab(t, 2);
    const [node1, node2] = nodes;
    if (node1 === undefined || node2 === undefined) throw new Error('two nodes expected');
    const spec = (url: string): ServiceSpec => ({
      name: 'web',
      prefixes: [WEB],
      url,
      interval: 0.2,
      rise: 1,
      fall: 1,
      holdDown: 0,
    });
    await startDaemon(
      lab,
      node1,
      daemonConfig(node1.link, [spec(node1.service.url)], node1.apiDir),
    );
    const daemon2 = await startDaemon(
      lab,
      node2,
      daemonConfig(node2.link, [spec(node2.service.url)], node2.apiDir),
    );

    await waitForPaths(control, WEB_PREFIX, only('node1', 'node2'), 'both paths');
    const both = (await router.routes('ipv4')).filter((r) => r.prefix === WEB_PREFIX);
    assert.deepEqual(both.map((r) => r.nextHop).sort(), [node1.link.a.ipv4, node2.link.a.ipv4]);
    assert.deepEqual(
      both.map((r) => r.asPath),
      [[65001], [65001]],
    );
    assert.equal(both.filter((r) => r.best).length, 1);

    // node1's service fails: its path goes, node2's stays; the prefix never leaves the table.
    const poller = new PathPoller(control, [WEB_PREFIX], 5);
    await node1.service.break('refuse');
    await waitForPaths(control, WEB_PREFIX, only('node2'), 'node2 only');
    const samples = (await poller.stop()).get(WEB_PREFIX) ?? [];
    assert.deepEqual(
      samples.filter((s) => s.paths.length === 0),
      [],
      'prefix gone from the table',
    );
    assert.ok(samples.some((s) => s.paths.length === 2));
    const left = (await router.routes('ipv4')).filter((r) => r.prefix === WEB_PREFIX);
    assert.deepEqual(
      left.map((r) => [r.nextHop, r.best]),
      [[node2.link.a.ipv4, true]],
    );

    // Mended, node1 is back beside node2; node2 stops (SIGTERM) and node1 carries it alone.
    await node1.service.mend();
    await waitForPaths(control, WEB_PREFIX, only('node1', 'node2'), 'both again');
    assert.ok(daemon2.signal('SIGTERM'));
    assert.equal((await daemon2.waitForExit(15_000)).code, 0);
    assert.deepEqual(await control.paths(WEB_PREFIX), ['node1']);
  },
);

test(
  '(g) a bad config at start: exit non-zero with the error, BIRD never sees a session',
  { timeout: 60_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, router } = await routerLab(t);
    const good: ServiceSpec = {
      name: 'web',
      prefixes: [WEB],
      url: node.service.url,
      interval: 0.2,
      rise: 1,
      fall: 1,
      holdDown: 0,
    };
    // The [bgp] section is fine (it names the router); one prefix is not an address.
    const bad = { ...good, prefixes: ['203.0.113.300'] };
    const daemon = await startDaemon(lab, node, daemonConfig(node.link, [bad], node.apiDir), 'bad');
    const exit = await daemon.waitForExit(15_000);
    assert.notEqual(exit.code, 0);
    assert.match(daemon.stderr() + daemon.stdout(), /203\.0\.113\.300/);
    assert.match(daemon.stderr() + daemon.stdout(), /services\.web\.prefixes/);
    const peer = await router.peer(node.protocol);
    assert.notEqual(peer.state, 'established');
    assert.doesNotMatch(router.log(), /node1: Incoming connection/);
    assert.doesNotMatch(router.log(), /node1: BGP session established/);

    // The same lab with the config fixed does get a session (so the above could fail).
    const fixed = await startDaemon(
      lab,
      node,
      daemonConfig(node.link, [good], node.apiDir),
      'good',
    );
    await waitFor(() => router.peer(node.protocol), {
      what: 'session with the fixed config',
      until: (p) => p.state === 'established',
    });
    assert.match(router.log(), /node1: Incoming connection/);
    const control = await router.control();
    t.after(() => control.close());
    await waitForPaths(control, WEB_PREFIX, only('node1'), 'announced');
    fixed.signal('SIGTERM');
    assert.equal((await fixed.waitForExit(15_000)).code, 0);
  },
);
