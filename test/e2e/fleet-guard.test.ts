/**
 * The fleet guard (issue 18, docs/fleet-guard.md) end to end: five nodes, each
 * `anycast-guard run` in its own namespace announcing 203.0.113.53/32 to one BIRD 2 router,
 * three `anycast-guard director`s on loopback of a directors namespace (test/e2e/fleet-lab.ts).
 * Each node's service `dns` has `fleet_guard = { min_announcing = 2 }`, policy all, and two
 * checks: an http check of one dependency every node shares (an HTTP service in the
 * directors namespace: a judgement) and a `process` check of the node's own service
 * process (a sleep with a pidfile: a fact).
 *
 * 1. All five announce; BIRD has the route from all five.
 * 2. The dependency fails on all five at once: exactly two keep announcing in state
 *    `guarded` (degraded: with 65535:0 at BIRD), three withdraw, and BIRD never has fewer
 *    than two paths. Every director counts 2 of 5 announcing with no permit out. The
 *    guarded show it in the status API (reason, fleet count), the metric, the hook,
 *    `anycast-guard status` and the dashboard (headless Chromium).
 * 3. One guarded node's service process is killed: it withdraws at once, asking no
 *    director (a fact); the other guarded node keeps the route.
 * 4. The process is started again and the dependency mended: all five announce, none
 *    guarded.
 *
 * Every wait is on a log event, the status API or BIRD; nothing sleeps a fixed time.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type AddressInfo, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { CHROMIUM, launchChromium, pageShows } from '../helpers/browser.js';
import { parseJsonLine, requireLab, waitFor } from '../lab/index.js';
import {
  fleetNodeConfig,
  guardLab,
  startFleetDaemon,
  startWorker,
  type FleetNode,
  type GuardLab,
} from './fleet-lab.js';
import { CLI, PathPoller, isTransition, records, waitForLog, waitForPaths } from './harness.js';

const SERVICE = 'dns';
const ANYCAST = '203.0.113.53';
const PREFIX = `${ANYCAST}/32`;
const MIN = 2;
const GSHUT = '65535:0';
const ERROR_LEVEL = 50; // pino's "error"

interface GuardView {
  announcing: number;
  total: number;
  min: number;
  answered: number;
  granted: number;
  known: number;
  reason: string;
  since: number;
}

interface ServiceView {
  name: string;
  state: string;
  reason: string;
  guard?: GuardView;
}

/** One service in a director's GET /v1/permits. */
interface PermitsView {
  service: string;
  announcing: number;
  total: number;
  min: number;
  outstanding: number;
}

/** GET over the node's unix socket (the API listens nowhere else in the lab). */
function api(node: FleetNode, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: join(node.apiDir, 'control.sock'), path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.end();
  });
}

async function service(node: FleetNode): Promise<ServiceView> {
  const status = JSON.parse(await api(node, '/v1/status')) as { services: ServiceView[] };
  const found = status.services.find((s) => s.name === SERVICE);
  if (found === undefined) throw new Error(`${node.name}: no service ${SERVICE} in status`);
  return found;
}

async function states(g: GuardLab): Promise<string[]> {
  return Promise.all(g.nodes.map(async (n) => (await service(n)).state));
}

/** A director's JSON, fetched from inside the directors namespace (curl). */
async function director(g: GuardLab, index: number, path: string): Promise<unknown> {
  const url = `${g.directorUrls[index] ?? ''}${path}`;
  const { stdout } = await g.lab.exec(g.directorsNs, ['curl', '-sS', '--max-time', '2', url]);
  return JSON.parse(stdout) as unknown;
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
    });
  });
}

/** A TCP port on 127.0.0.1 that forwards to the node's API socket, for the browser. */
async function socketProxy(node: FleetNode): Promise<{ server: Server; url: string }> {
  const server = createServer((client) => {
    const upstream = connect(join(node.apiDir, 'control.sock'));
    client.pipe(upstream).pipe(client);
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

function serviceConfig(node: FleetNode, dependencyUrl: string, hookFile: string): string {
  return `[services.${SERVICE}]
prefixes = ["${ANYCAST}"]
checks.http = [{ name = "dependency", url = "${dependencyUrl}", interval = 0.2, timeout = 0.2 }]
checks.process = [{ pidfile = "${node.pidfile}", interval = 1, timeout = 1 }]
policy = "all"
rise = 1
fall = 1
hold_down = 0
fleet_guard = { min_announcing = ${MIN} }
on_change = ["/bin/sh", "-c", 'echo "$1 $2" >> "$0"', "${hookFile}", "{service}", "{state}"]
`;
}

const hookFileOf = (g: GuardLab, node: FleetNode): string =>
  join(g.lab.dir, `${node.name}-hook.log`);

function hookStates(g: GuardLab, node: FleetNode): string[] {
  const path = hookFileOf(g, node);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.replace(`${SERVICE} `, ''));
}

test(
  'fleet guard: five nodes lose a shared dependency, exactly min_announcing keep the route (guarded); a killed process still withdraws; all return',
  { timeout: 300_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI === 'true') assert.fail(`${CHROMIUM} is missing (CI=true)`);
      t.skip(`no ${CHROMIUM} (apt-get install chromium)`);
      return;
    }
    const g = await guardLab(t, { nodes: 5, directors: 3, dependency: true });
    const dependency = g.dependency;
    assert.ok(dependency !== undefined);
    for (const node of g.nodes) await startWorker(g.lab, node);
    for (const node of g.nodes)
      await startFleetDaemon(
        g.lab,
        node,
        fleetNodeConfig(
          node,
          g.directorUrls,
          serviceConfig(node, dependency.url, hookFileOf(g, node)),
        ),
      );
    const daemonOf = (node: FleetNode) => {
      if (node.daemon === undefined) throw new Error(`${node.name} has no daemon`);
      return node.daemon;
    };
    const protocols = g.nodes.map((n) => n.name).sort();

    // 1. All five announce, and every director counts all five announcing.
    await waitForPaths(g.control, PREFIX, (p) => p.length === 5, 'from all 5 nodes', 90_000);
    for (const [i] of g.directorUrls.entries())
      await waitFor(() => director(g, i, '/v1/nodes'), {
        what: `director d${i + 1} sees ${SERVICE} up on all 5 nodes`,
        until: (answer) =>
          (answer as { nodes: { services: { name: string; state: string }[] }[] }).nodes.filter(
            (n) => n.services.some((s) => s.name === SERVICE && s.state === 'up'),
          ).length === 5,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    for (const [i] of g.directorUrls.entries())
      await waitFor(() => director(g, i, '/healthz'), {
        what: `director d${i + 1} ready`,
        until: (answer) => (answer as { ready?: boolean }).ready === true,
        timeoutMs: 30_000,
        intervalMs: 200,
      });

    // 2. The shared dependency fails on all five at once.
    const marks = new Map(g.nodes.map((n) => [n.name, daemonOf(n).lines.length]));
    const poller = new PathPoller(g.control, [PREFIX], 20);
    const broken = await dependency.break('refuse');
    t.diagnostic(`dependency broken at ${broken.at}`);
    await waitFor(() => states(g), {
      what: `exactly ${MIN} nodes guarded and 3 down`,
      until: (s) =>
        s.filter((x) => x === 'guarded').length === MIN &&
        s.filter((x) => x === 'down').length === 3,
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const guarded: FleetNode[] = [];
    const withdrawn: FleetNode[] = [];
    for (const node of g.nodes)
      ((await service(node)).state === 'guarded' ? guarded : withdrawn).push(node);
    const guardedNames = guarded.map((n) => n.name).sort();
    t.diagnostic(`guarded: ${guardedNames.join(', ')}`);

    // Each guarded node asked again after it went guarded and was still refused: it holds
    // because the directors say so now, not on a first answer.
    for (const node of guarded) {
      const from = marks.get(node.name) ?? 0;
      const entered = await waitForLog(
        daemonOf(node),
        isTransition(SERVICE, 'guarded'),
        `${node.name} guarded`,
        { from },
      );
      const lines = daemonOf(node).lines;
      const enteredAt = lines.findIndex((line, i) => {
        const record = i >= from ? parseJsonLine(line.text) : undefined;
        return record !== undefined && isTransition(SERVICE, 'guarded')(record);
      });
      await waitForLog(
        daemonOf(node),
        (r) => r.event === 'guard.permit_refused' && r.service === SERVICE,
        `${node.name} refused again while guarded`,
        { from: enteredAt + 1, timeoutMs: 20_000 },
      );
      // Loud: the transition is logged at error, with the reason and the fleet count.
      assert.equal(entered.level, ERROR_LEVEL, `${node.name}: guarded is logged at error`);
      assert.equal(typeof entered.reason, 'string');
      const fleet = entered.fleet as Record<string, unknown> | undefined;
      assert.ok(
        fleet !== undefined,
        `${node.name}: the guarded line has fleet: ${JSON.stringify(entered)}`,
      );
      assert.equal(fleet.min, MIN);
      assert.equal(fleet.known, 3);
      assert.equal(fleet.total, 5);
    }
    // The three that withdrew: each with every director's permit, and none of them held.
    for (const node of withdrawn) {
      const down = records(daemonOf(node), marks.get(node.name) ?? 0).find(
        isTransition(SERVICE, 'down'),
      );
      assert.ok(down !== undefined, `${node.name} went down`);
      assert.ok(
        records(daemonOf(node), marks.get(node.name) ?? 0).some(
          (r) => r.event === 'guard.permit_granted' && r.service === SERVICE,
        ),
        `${node.name} withdrew with a permit`,
      );
    }

    // BIRD keeps the route, from exactly the two guarded nodes, marked GRACEFUL_SHUTDOWN.
    await waitForPaths(
      g.control,
      PREFIX,
      (p) => JSON.stringify(p) === JSON.stringify(guardedNames),
      `from exactly ${guardedNames.join(', ')}`,
    );
    const paths = await waitFor(
      async () => (await g.router.routes('ipv4')).filter((r) => r.prefix === PREFIX),
      {
        what: `${PREFIX}: both guarded paths carry ${GSHUT}`,
        until: (routes) =>
          routes.length === MIN && routes.every((r) => r.communities.includes(GSHUT)),
        timeoutMs: 10_000,
        intervalMs: 100,
      },
    );
    assert.deepEqual(
      paths.map((r) => r.nextHop).sort(),
      guarded.map((n) => n.link.a.ipv4).sort(),
      'the paths are the guarded nodes’',
    );

    // Status API: state, reason, fleet count (announcing settles at the two left).
    for (const node of guarded) {
      const view = await waitFor(() => service(node), {
        what: `${node.name}: status guard shows 2 of 5 announcing`,
        until: (s) => s.guard?.announcing === MIN,
        timeoutMs: 20_000,
        intervalMs: 200,
      });
      assert.equal(view.state, 'guarded');
      const guard = view.guard;
      assert.ok(guard !== undefined);
      assert.equal(guard.total, 5);
      assert.equal(guard.min, MIN);
      assert.equal(guard.known, 3);
      assert.equal(guard.answered, 3);
      assert.equal(guard.granted, 0);
      assert.match(guard.reason, /refused/);
      assert.ok(guard.since >= broken.at, 'guarded since after the break');
    }
    for (const node of withdrawn) assert.equal((await service(node)).guard, undefined);
    // Every director counts the same: 2 of 5 announcing, min 2, no permit left out
    // (the three withdrawals are in the count, their permits gone with their down ads).
    for (const [i] of g.directorUrls.entries()) {
      const view = await waitFor(() => director(g, i, '/v1/permits'), {
        what: `director d${i + 1}: ${SERVICE} 2 of 5 announcing, no permit out`,
        until: (answer) => {
          const s = (answer as { services: PermitsView[] }).services.find(
            (x) => x.service === SERVICE,
          );
          return s?.announcing === MIN && s.outstanding === 0;
        },
        timeoutMs: 10_000,
        intervalMs: 200,
      });
      const s = (view as { services: PermitsView[] }).services.find((x) => x.service === SERVICE);
      assert.equal(s?.total, 5);
      assert.equal(s?.min, MIN);
    }

    // Metric, hook.
    const guardedMetric = new RegExp(
      `^anycast_guard_service_guarded\\{service="${SERVICE}"\\} (\\d+)$`,
      'm',
    );
    for (const node of g.nodes) {
      const value = guardedMetric.exec(await api(node, '/metrics'))?.[1];
      assert.equal(
        value,
        guarded.includes(node) ? '1' : '0',
        `${node.name}: anycast_guard_service_guarded`,
      );
    }
    for (const node of guarded)
      await waitFor(() => hookStates(g, node), {
        what: `${node.name}: on_change ran with state guarded`,
        until: (s) => s.includes('guarded'),
        timeoutMs: 10_000,
      });

    // `anycast-guard status` and the dashboard say guarded, why, and the fleet count.
    const [shown] = guarded;
    assert.ok(shown !== undefined);
    const status = await cli(['status', '--socket', join(shown.apiDir, 'control.sock')]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`guarded \\(${MIN} of 5 announcing, min ${MIN}\\)`));
    assert.match(status.stdout, /refused/);
    t.diagnostic(status.stdout);
    const proxy = await socketProxy(shown);
    t.after(() => new Promise<void>((resolve) => proxy.server.close(() => resolve())));
    const context = await launchChromium(g.lab.dir);
    try {
      const page = await context.newPage();
      await page.goto(proxy.url);
      const row = `tr[data-service="${SERVICE}"]`;
      await pageShows(
        page,
        `${row} [data-field="state"]`,
        /guarded/,
        'the state cell says guarded',
      );
      await pageShows(page, row, new RegExp(`${MIN} of 5`), 'the row shows the fleet count');
      await pageShows(page, row, /refused/, 'the row shows the reason');
    } finally {
      await context.close();
    }

    // 3. A guarded node's own service process dies: a fact, withdrawn at once, no permit.
    const [victim, keeper] = guarded;
    assert.ok(victim !== undefined && keeper !== undefined);
    const killMark = daemonOf(victim).lines.length;
    const keeperMark = daemonOf(keeper).lines.length;
    const killedAt = Date.now();
    assert.ok(victim.worker?.signal('SIGKILL'), `${victim.name}'s service process was running`);
    const down = await waitForLog(
      daemonOf(victim),
      isTransition(SERVICE, 'down'),
      `${victim.name} down`,
      {
        from: killMark,
      },
    );
    assert.equal(down.previous, 'guarded');
    const between = records(daemonOf(victim), killMark).filter(
      (r) => Number(r.time) <= Number(down.time),
    );
    // A re-ask of the guarded state may fall in between; none may grant this withdrawal.
    assert.deepEqual(
      between.filter((r) => r.event === 'guard.permit_granted'),
      [],
      'the fact withdrew without a permit',
    );
    assert.match(String(down.reason), /process/);
    await waitForPaths(
      g.control,
      PREFIX,
      (p) => JSON.stringify(p) === JSON.stringify([keeper.name]),
      `only from ${keeper.name}`,
    );
    // The keeper asks again after the victim's withdrawal and still holds.
    await waitForLog(
      daemonOf(keeper),
      (r) => r.event === 'guard.permit_refused' && r.service === SERVICE,
      `${keeper.name} refused after ${victim.name} withdrew`,
      { from: keeperMark, timeoutMs: 20_000 },
    );
    assert.equal((await service(keeper)).state, 'guarded');
    assert.deepEqual((await g.control.paths(PREFIX)).sort(), [keeper.name]);

    // 4. The process back and the dependency mended: all five announce, none guarded.
    await startWorker(g.lab, victim);
    await dependency.mend();
    await waitForPaths(
      g.control,
      PREFIX,
      (p) => JSON.stringify(p) === JSON.stringify(protocols),
      'from all 5 again',
      60_000,
    );
    await waitFor(() => states(g), {
      what: 'all five up',
      until: (s) => s.every((x) => x === 'up'),
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    for (const node of g.nodes) {
      assert.equal((await service(node)).guard, undefined, `${node.name}: no guard left`);
      assert.equal(guardedMetric.exec(await api(node, '/metrics'))?.[1], '0');
    }
    // The keeper went guarded → up at once (it never stopped announcing).
    const back = records(daemonOf(keeper), keeperMark).find(isTransition(SERVICE, 'up'));
    assert.equal(back?.previous, 'guarded');
    const routes = (await g.router.routes('ipv4')).filter((r) => r.prefix === PREFIX);
    assert.equal(routes.length, 5);
    assert.ok(
      routes.every((r) => !r.communities.includes(GSHUT)),
      'no path still marked',
    );

    // Never fewer than min_announcing paths at BIRD from the break on.
    const samples = (await poller.stop()).get(PREFIX) ?? [];
    const fewest = (from: number, to: number): number =>
      Math.min(...samples.filter((s) => s.at >= from && s.at < to).map((s) => s.paths.length));
    const beforeKill = fewest(broken.at, killedAt);
    const afterKill = fewest(killedAt, Infinity);
    t.diagnostic(
      `BIRD: ${samples.length} samples; fewest paths ${beforeKill} before the kill, ${afterKill} after`,
    );
    assert.ok(beforeKill >= MIN, `never fewer than ${MIN} paths while only judgements failed`);
    assert.ok(afterKill >= 1, 'the route never left BIRD');
  },
);
