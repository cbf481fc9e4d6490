/**
 * The fleet guard through the daemon and the embedded speaker, against our collector on
 * loopback, with a scripted PermitAsker in place of the directors: a judged failure the
 * directors refuse keeps the route announced (guarded: with GRACEFUL_SHUTDOWN), a
 * reload keeps it, the permit withdraws it, recovery from guarded is at once, and a
 * fact (the watched process exits) withdraws with no permit asked. A reload that changes
 * the service continues its health: a changed timeout withdraws nothing, a new failing
 * check is a judgement like any other (guarded while refused).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import type { BgpSpeaker } from '../../../src/bgp/index.js';
import { systemClock } from '../../../src/clock/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon } from '../../../src/daemon/index.js';
import type { PermitAsker, PermitMinimum, PermitReply } from '../../../src/director/index.js';
import type { Transition } from '../../../src/health/index.js';
import { FleetGuard } from '../../../src/node-ads/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import { ToggleService, bgpSection, startCollector } from '../../helpers/loopback.js';

const V4 = '203.0.113.53/32';
/** 65535:0 as the collector names it (RFC 8326). */
const GSHUT = 'graceful-shutdown';

/** Three directors that refuse until `grant` is set. */
class ScriptedDirectors implements PermitAsker {
  grant = false;
  acquires = 0;
  releases = 0;
  minimum: PermitMinimum | undefined;
  /** While set, answers wait for it (an acquire in flight). */
  gate: Promise<void> | undefined;
  async acquire(service: string, minimum: PermitMinimum): Promise<PermitReply[]> {
    this.acquires += 1;
    this.minimum = minimum;
    const min = 'announcing' in minimum ? minimum.announcing : 1;
    await this.gate;
    return Promise.resolve(
      ['d1', 'd2', 'd3'].map((director) => ({
        director,
        answer: {
          service,
          granted: this.grant,
          announcing: this.grant ? 5 : 2,
          total: 5,
          min,
          outstanding: this.grant ? 1 : 0,
          reason: this.grant ? '5 announcing, min 2' : '2 announcing, min 2: none may withdraw',
        },
      })),
    );
  }
  release(): Promise<void> {
    this.releases += 1;
    return Promise.resolve();
  }
  knownDirectors(): number {
    return 3;
  }
}

describe('fleet guard through the daemon and the embedded speaker', () => {
  const web = new ToggleService();
  let collector: BgpSpeaker;
  let dir = '';
  let sleeper: ChildProcess | undefined;

  before(async () => {
    await web.start();
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-fleet-guard-'));
    collector = await startCollector();
  });

  after(async () => {
    sleeper?.kill('SIGKILL');
    await collector.stop();
    await web.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const route = () => collector.receivedRoutes().find((r) => r.prefix === V4);

  function configFor(
    checks: string,
    fleetGuard = 'fleet_guard = { min_announcing = 2 }',
    holdDown = 0.3,
  ) {
    return parseConfig(
      `${bgpSection(collector)}
[directors]
urls = ["http://127.0.0.1:1"]
key_file = "/nonexistent/node.key"
url = "http://127.0.0.2/"
name = "edge-1"

[services.dns]
prefixes = ["203.0.113.53"]
${checks}
rise = 1
fall = 1
hold_down = ${holdDown}
${fleetGuard}
`,
      'test.toml',
    );
  }

  function setup(checks: string) {
    const config = configFor(checks);
    const directors = new ScriptedDirectors();
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'debug' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
          done();
        },
      }),
    );
    const transitions: Transition[] = [];
    const daemon: Daemon = new Daemon(config, {
      logger,
      onTransition: (t) => transitions.push(t),
      onPermitWanted: (want) => guard.onPermitWanted(want),
    });
    const guard = new FleetGuard({
      asker: () => directors,
      decide: (service, decision) => daemon.setWithdrawal(service, decision),
      clock: systemClock,
      log: logger,
    });
    return { config, daemon, guard, directors, lines, transitions };
  }

  const upstream = (timeout = 0.5) =>
    `{ name = "upstream", url = "http://127.0.0.1:${web.port}/", interval = 0.1, timeout = ${timeout} }`;
  const httpCheck = (timeout = 0.5) => `checks.http = [${upstream(timeout)}]`;
  /** Nothing listens on port 1: connection refused, a judgement. */
  const failingDependency = `{ name = "dependency", url = "http://127.0.0.1:1/", interval = 0.1, timeout = 0.5 }`;

  it('refused: stays announced, guarded, degraded; a reload keeps it; the permit withdraws; recovery from guarded is at once', async () => {
    const { config, daemon, guard, directors, lines, transitions } = setup(httpCheck());
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => route(), 'the route up');
      web.healthy = false;
      await eventually(() => daemon.status().services[0]?.state === 'guarded', 'guarded');
      await eventually(
        () => route()?.communities.includes(GSHUT),
        'the route re-announced with GRACEFUL_SHUTDOWN',
      );
      const loud = lines.find((l) => l.event === 'service.state_changed' && l.state === 'guarded');
      assert.equal(loud?.level, 50, 'error level');
      assert.deepEqual(loud?.fleet, {
        announcing: 2,
        total: 5,
        min: 2,
        answered: 3,
        granted: 0,
        known: 3,
      });
      assert.ok(lines.some((l) => l.event === 'route.announced' && l.guarded === true));
      assert.ok(lines.some((l) => l.event === 'guard.permit_refused'));
      assert.equal(daemon.status().routes[0]?.guarded, true);

      // A reload with the same config keeps the service, its state and its route.
      await daemon.reload(config);
      assert.equal(daemon.status().services[0]?.state, 'guarded');
      // It keeps asking (every second) and the route stays while refused.
      const asked = directors.acquires;
      await eventually(() => directors.acquires > asked, 'asked again');
      assert.ok(route()?.communities.includes(GSHUT));

      // Other nodes are back: the permit comes and it withdraws.
      directors.grant = true;
      await eventually(() => route() === undefined, 'withdrawn with the permit');
      assert.equal(daemon.status().services[0]?.state, 'down');
      assert.ok(lines.some((l) => l.event === 'guard.permit_granted'));

      // Back: through the hold-down as usual.
      web.healthy = true;
      await eventually(() => daemon.status().services[0]?.state === 'up', 'up again');
      assert.ok(transitions.some((t) => t.from === 'down' && t.to === 'held-down'));
      await eventually(
        () => route()?.communities.includes(GSHUT) === false,
        'announced plain again',
      );

      // Guarded again, then the checks recover: up at once (no hold-down), released.
      directors.grant = false;
      web.healthy = false;
      await eventually(() => daemon.status().services[0]?.state === 'guarded', 'guarded again');
      const released = directors.releases;
      web.healthy = true;
      await eventually(() => daemon.status().services[0]?.state === 'up', 'up from guarded');
      const last = transitions.at(-1);
      assert.deepEqual([last?.from, last?.to], ['guarded', 'up']);
      await eventually(() => route()?.communities.includes(GSHUT) === false, 'plain again');
      assert.ok(directors.releases >= released);
    } finally {
      guard.stop();
      await daemon.stop('test over');
    }
  });

  it('a reload that changes a check’s timeout on an up service sends no withdrawal', async () => {
    const { daemon, guard, lines } = setup(httpCheck());
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => route(), 'the route up');
      const summary = await daemon.reload(configFor(httpCheck(0.7)));
      assert.deepEqual(summary.changed, ['dns']);
      const reloaded = lines.findIndex((l) => l.event === 'config.reloaded');
      assert.ok(reloaded >= 0);
      await eventually(
        () => lines.slice(reloaded).some((l) => l.event === 'check.result'),
        'a check result after the reload',
      );
      assert.equal(
        lines.filter((l) => l.event === 'route.withdrawn').length,
        0,
        'nothing was withdrawn',
      );
      assert.equal(
        lines.slice(reloaded).filter((l) => l.event === 'service.state_changed').length,
        0,
        'no state change logged',
      );
      assert.ok(route(), 'the collector still has the route');
      assert.equal(daemon.status().services[0]?.state, 'up');
    } finally {
      guard.stop();
      await daemon.stop('test over');
    }
  });

  it('a reload that adds a failing check, the guard refusing: guarded, never withdrawn; a later reload keeps it guarded and asking', async () => {
    const { daemon, guard, directors, lines } = setup(httpCheck());
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => route(), 'the route up');
      await daemon.reload(configFor(`checks.http = [${upstream()}, ${failingDependency}]`));
      await eventually(() => daemon.status().services[0]?.state === 'guarded', 'guarded');
      await eventually(
        () => route()?.communities.includes(GSHUT),
        'the route re-announced with GRACEFUL_SHUTDOWN',
      );
      assert.ok(directors.acquires > 0, 'a permit was asked for');
      assert.equal(lines.filter((l) => l.event === 'route.withdrawn').length, 0, 'never withdrawn');

      // Another reload (the upstream check's timeout): still guarded, still asking.
      const since = daemon.status().services[0]?.since;
      const changes = lines.filter((l) => l.event === 'service.state_changed').length;
      await daemon.reload(configFor(`checks.http = [${upstream(0.7)}, ${failingDependency}]`));
      assert.equal(daemon.status().services[0]?.state, 'guarded');
      assert.equal(daemon.status().services[0]?.since, since);
      const asked = directors.acquires;
      await eventually(() => directors.acquires > asked, 'asked again after the reload');
      assert.equal(daemon.status().services[0]?.state, 'guarded');
      assert.equal(
        lines.filter((l) => l.event === 'service.state_changed').length,
        changes,
        'no state change logged',
      );
      assert.ok(route()?.communities.includes(GSHUT), 'still announced, degraded');
      assert.equal(lines.filter((l) => l.event === 'route.withdrawn').length, 0);

      // The directors permit it now: the new health takes the answer and withdraws.
      directors.grant = true;
      await eventually(() => route() === undefined, 'withdrawn with the permit');
    } finally {
      guard.stop();
      await daemon.stop('test over');
    }
  });

  it('a reload of a guarded service: a new minimum is asked with; no guard any more lets local health withdraw, and the asking stops', async () => {
    const { daemon, guard, directors } = setup(httpCheck());
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => route(), 'the route up');
      web.healthy = false;
      await eventually(() => daemon.status().services[0]?.state === 'guarded', 'guarded');
      assert.deepEqual(directors.minimum, { announcing: 2 });
      await daemon.reload(configFor(httpCheck(), 'fleet_guard = { min_announcing = 3 }'));
      assert.equal(daemon.status().services[0]?.state, 'guarded');
      await eventually(
        () => (directors.minimum as { announcing?: number }).announcing === 3,
        'asked with the new minimum',
      );
      await daemon.reload(configFor(httpCheck(), ''));
      assert.equal(daemon.status().services[0]?.state, 'down', 'local health decides at once');
      await eventually(() => route() === undefined, 'withdrawn');
      await eventually(() => guard.active.length === 0, 'the driver stopped asking');
    } finally {
      guard.stop();
      await daemon.stop('test over');
    }
  });

  for (const { what, change, acquires } of [
    {
      what: 'its answer is applied to the continued service',
      change: () => configFor(httpCheck(), undefined, 0.4),
      acquires: 1,
    },
    {
      // The failing check itself changed: it keeps its verdict, so the answer still applies.
      what: 'the failing check changed: it keeps its verdict and the answer is applied',
      change: () => configFor(httpCheck(0.7)),
      acquires: 1,
    },
  ]) {
    it(`a reload while an acquire is in flight: ${what}; never withdrawn`, async () => {
      const { daemon, guard, directors, transitions, lines } = setup(httpCheck());
      web.healthy = true;
      await daemon.start();
      try {
        await eventually(() => route(), 'the route up');
        let open = (): void => undefined;
        directors.gate = new Promise<void>((resolve) => (open = resolve));
        web.healthy = false;
        await eventually(() => directors.acquires === 1, 'the acquire in flight');
        assert.equal(daemon.status().services[0]?.state, 'up', 'asking');
        await daemon.reload(change());
        directors.gate = undefined;
        open();
        await eventually(() => daemon.status().services[0]?.state === 'guarded', 'guarded');
        assert.equal(directors.acquires, acquires);
        await eventually(
          () => route()?.communities.includes(GSHUT),
          'the route re-announced with GRACEFUL_SHUTDOWN',
        );
        assert.ok(!transitions.some((t) => t.to === 'down'), 'never down');
        assert.equal(lines.filter((l) => l.event === 'route.withdrawn').length, 0);
      } finally {
        guard.stop();
        await daemon.stop('test over');
      }
    });
  }

  it('a fact (the watched process exits) withdraws at once, asking no permit', async () => {
    sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
    const pidfile = join(dir, 'dns.pid');
    await writeFile(pidfile, `${sleeper.pid}\n`);
    const { daemon, guard, directors } = setup(
      `${httpCheck()}\nchecks.process = [{ pidfile = "${pidfile}" }]`,
    );
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => route(), 'the route up');
      sleeper.kill('SIGKILL');
      await eventually(() => route() === undefined, 'withdrawn');
      assert.equal(daemon.status().services[0]?.state, 'down');
      assert.equal(directors.acquires, 0, 'no permit asked for a fact');
    } finally {
      guard.stop();
      await daemon.stop('test over');
    }
  });
});
