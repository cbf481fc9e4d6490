/**
 * The daemon in-process against a real HTTP service and our collector on loopback.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { BgpSpeaker } from '../../../src/bgp/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon } from '../../../src/daemon/index.js';
import { ManualClock } from '../../../src/clock/index.js';
import { splayFraction } from '../../../src/checks/index.js';
import type { Transition } from '../../../src/health/index.js';
import { eventually } from '../../helpers/raw-peer.js';
import {
  ToggleService,
  bgpSection,
  collectedPrefixes,
  startCollector,
} from '../../helpers/loopback.js';

describe('daemon over loopback', () => {
  const web = new ToggleService();
  const api = new ToggleService();
  let collector: BgpSpeaker;
  let dir = '';

  before(async () => {
    await web.start();
    await api.start();
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-daemon-'));
    collector = await startCollector();
  });

  after(async () => {
    await collector.stop();
    await web.stop();
    await api.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function config(services: string): ReturnType<typeof parseConfig> {
    return parseConfig(bgpSection(collector) + services, 'test.toml');
  }

  const webService = (extra = ''): string => `
[services.web]
prefixes = ["203.0.113.80", "2001:db8::80"]
checks.http = [{ name = "health", url = "http://127.0.0.1:${web.port}/", interval = 0.1, timeout = 0.1 }]
rise = 2
fall = 1
hold_down = 0.5
${extra}`;

  const routes = (): string[] => collectedPrefixes(collector);

  it("runs a service's on_change hooks one at a time, in the order of its transitions", async () => {
    // The hook for "up" is slow; "down" follows at once. Run side by side, "down" would
    // be written first, and a notify script would end on the wrong state.
    const hookFile = join(dir, 'ordered-hook.log');
    const script =
      "const [file, state] = process.argv.slice(1); const write = () => require('fs').appendFileSync(file, state + '\\\\n'); if (state === 'up') setTimeout(write, 400); else write();";
    const daemon: Daemon = new Daemon(
      config(
        webService(
          `on_change = ["${process.execPath}", "-e", "${script}", "${hookFile}", "{state}"]`,
        ),
      ),
      { logger: pino({ level: 'silent' }) },
    );
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => daemon.status().services[0]?.state === 'up', 'up');
      web.healthy = false;
      await eventually(() => daemon.status().services[0]?.state === 'down', 'down');
      let lines: string[] = [];
      await eventually(() => {
        lines = existsSync(hookFile)
          ? readFileSync(hookFile, 'utf8').trim().split('\n').filter(Boolean)
          : [];
        return lines.length >= 2;
      }, 'both hooks');
      assert.deepEqual(lines.slice(0, 2), ['up', 'down']);
    } finally {
      await daemon.stop('test over');
    }
  });

  it('announces only after rise passes, withdraws on failure, returns after the hold-down', async () => {
    const transitions: Transition[] = [];
    const firstResults: boolean[] = [];
    const hookFile = join(dir, 'hook.log');
    const daemon: Daemon = new Daemon(
      config(
        webService(
          `on_change = ["${process.execPath}", "-e", "require('fs').appendFileSync(process.argv[1], process.argv[2] + ' ' + process.argv[3] + '\\\\n')", "${hookFile}", "{service}", "{state}"]`,
        ),
      ),
      {
        logger: pino({ level: 'silent' }),
        onTransition: (t) => transitions.push(t),
        onCheckResult: () => {
          // After the first pass, rise (2) is not reached: nothing may be announced yet.
          if (firstResults.length === 0) firstResults.push(daemon.status().routes.length === 0);
        },
      },
    );
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(() => routes().length === 2, 'the routes to be announced');
      assert.deepEqual(firstResults, [true], 'nothing announced after a single pass');
      assert.deepEqual(routes(), ['2001:db8::80/128', '203.0.113.80/32']);

      web.healthy = false;
      await eventually(() => routes().length === 0, 'the withdrawal');
      const down = daemon.status().services[0];
      assert.equal(down?.state, 'down');
      assert.match(down?.reason ?? '', /HTTP 503/);

      web.healthy = true;
      await eventually(() => daemon.status().services[0]?.state === 'held-down', 'held-down');
      assert.deepEqual(routes(), [], 'nothing announced during the hold-down');
      await eventually(() => routes().length === 2, 'the routes after the hold-down');
      assert.deepEqual(
        transitions.map((t) => t.to),
        ['up', 'down', 'held-down', 'up'],
      );
      let hookLines: string[] = [];
      const deadline = Date.now() + 5000;
      while (hookLines.length < 4 && Date.now() < deadline) {
        hookLines = (await readFile(hookFile, 'utf8').catch(() => ''))
          .trim()
          .split('\n')
          .filter(Boolean);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.deepEqual(hookLines, ['web up', 'web down', 'web held-down', 'web up']);
    } finally {
      await daemon.stop('test over');
    }
    await eventually(() => routes().length === 0, 'every route withdrawn at stop');
    const peer = collector.peerStatus()[0];
    assert.equal(peer?.lastErrorReceived?.shutdownMessage, 'test over');
  });

  it('degrades instead of withdrawing when down = { med = ... }', async () => {
    const daemon = new Daemon(
      config(webService('down = { med = 1000, communities = ["65001:666"] }')),
      {
        logger: pino({ level: 'silent' }),
      },
    );
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(
        () =>
          collector
            .receivedRoutes()
            .find((r) => r.prefix === '203.0.113.80/32' && r.med === undefined),
        'a healthy route without MED',
      );
      web.healthy = false;
      const degraded = await eventually(
        () =>
          collector.receivedRoutes().find((r) => r.prefix === '203.0.113.80/32' && r.med === 1000),
        'the degraded route',
      );
      assert.deepEqual(degraded.communities, ['65001:666']);
      assert.equal(routes().length, 2, 'still announced, only worse');
    } finally {
      web.healthy = true;
      await daemon.stop();
    }
  });

  it('reload keeps an unchanged or changed healthy service announced throughout; removed and added services follow', async () => {
    const apiService = `
[services.api]
prefixes = ["198.51.100.7"]
checks.http = [{ url = "http://127.0.0.1:${api.port}/", interval = 0.1, timeout = 0.1 }]
rise = 1
fall = 1
hold_down = 0
`;
    const daemon = new Daemon(config(webService() + apiService), {
      logger: pino({ level: 'silent' }),
    });
    web.healthy = true;
    api.healthy = true;
    await daemon.start();
    try {
      await eventually(() => routes().length === 3, 'all routes');
      let webMissing = 0;
      let apiMissing = 0;
      const watch = setInterval(() => {
        if (!routes().includes('203.0.113.80/32')) webMissing++;
        if (!routes().includes('198.51.100.7/32')) apiMissing++;
      }, 2);
      const always = `
[services.mgmt]
prefixes = ["198.51.100.9"]
announce = "always"
`;
      // web unchanged, api changed (new interval), mgmt added.
      const summary = await daemon.reload(
        config(webService() + apiService.replace('interval = 0.1', 'interval = 0.2') + always),
      );
      assert.deepEqual(summary, { added: ['mgmt'], changed: ['api'], removed: [] });
      await eventually(
        () => routes().includes('198.51.100.9/32'),
        'the added always-announced service',
      );
      // Let the changed service's new check run a few times.
      await eventually(
        () =>
          (daemon.status().services.find((s) => s.name === 'api')?.checks[0]?.consecutivePasses ??
            0) >= 2,
        'the changed service checked again',
      );
      clearInterval(watch);
      assert.equal(webMissing, 0, 'the unchanged service was never withdrawn by the reload');
      assert.equal(apiMissing, 0, 'nor the changed one: it continues from its old health');
      // web and api removed.
      const removed = await daemon.reload(config(always));
      assert.deepEqual(removed, { added: [], changed: [], removed: ['web', 'api'] });
      await eventually(() => routes().join() === '198.51.100.9/32', 'only mgmt left');
    } finally {
      await daemon.stop();
    }
  });

  it('a service drained before start is never announced, keeps its drain over a reload, and comes back when undrained', async () => {
    const daemon = new Daemon(config(webService()), {
      logger: pino({ level: 'silent' }),
      drained: new Map([['web', 'maintenance window']]),
    });
    web.healthy = true;
    await daemon.start();
    try {
      await eventually(
        () => daemon.status().services[0]?.checks[0]?.consecutivePasses === 3,
        'three passing checks',
      );
      assert.deepEqual(routes(), [], 'healthy but drained: not announced');
      assert.equal(daemon.status().services[0]?.state, 'drained');
      assert.equal(daemon.status().services[0]?.reason, 'maintenance window');
      await daemon.reload(config(webService().replace('rise = 2', 'rise = 1')));
      assert.equal(
        daemon.status().services[0]?.state,
        'drained',
        'the drain survives a changed config',
      );
      daemon.drain('web', false);
      await eventually(() => routes().length === 2, 'the routes after undrain');
    } finally {
      await daemon.stop();
    }
  });

  it('spreads the first runs of equal checks in different services over the interval', async () => {
    const clock = new ManualClock(Date.now());
    const services = Array.from(
      { length: 50 },
      (_, i) => `
[services.s${i}]
prefixes = ["2001:db8:5::${(i + 1).toString(16)}"]
checks.http = [{ name = "same", url = "http://127.0.0.1:${web.port}/", interval = 1, timeout = 0.5 }]
`,
    ).join('');
    const scheduled = new Set<number>();
    const daemon = new Daemon(config(services), {
      logger: pino({ level: 'silent' }),
      clock,
      onCheckResult: (_service, _check, _result, timing) => scheduled.add(timing.scheduledAt),
    });
    await daemon.start();
    try {
      clock.advance(1000);
      await eventually(
        () =>
          scheduled.size > 0 &&
          daemon.status().services.every((s) => s.checks[0]?.last !== undefined),
        'every first run',
      );
      assert.ok(
        scheduled.size >= 40,
        `50 equal checks started at only ${scheduled.size} distinct times`,
      );
    } finally {
      await daemon.stop();
    }
  });

  it('interval_while_changing: runs a check faster only while it counts towards rise or fall', async () => {
    const clock = new ManualClock(Date.now());
    const start = clock.now();
    const runs: { at: number; ok: boolean }[] = [];
    const daemon = new Daemon(
      config(`
[services.fast]
prefixes = ["2001:db8:6::1"]
checks.http = [{ name = "h", url = "http://127.0.0.1:${web.port}/", interval = 10, timeout = 5, interval_while_changing = 1 }]
rise = 3
fall = 2
hold_down = 0
`),
      {
        logger: pino({ level: 'silent' }),
        clock,
        onCheckResult: (_service, _check, result, timing) =>
          runs.push({ at: timing.scheduledAt - start, ok: result.ok }),
      },
    );
    const step = async (ms: number, count: number): Promise<void> => {
      clock.advance(ms);
      await eventually(() => runs.length >= count, `run ${count}`);
      // The next run is armed after the result: let the scheduler see it.
      await new Promise((resolve) => setImmediate(resolve));
    };
    web.healthy = true;
    await daemon.start();
    try {
      // The first run, at the check's splay within its first interval (as the daemon computes it).
      const first = Math.floor(splayFraction('fast\0http\0h') * 10_000);
      await step(first, 1);
      assert.equal(runs[0]?.at, first);
      await step(1000, 2); // passes 2 of 3: changing, 1 s apart
      await step(1000, 3); // up
      assert.equal(daemon.status().services[0]?.state, 'up');
      await step(1000, 3); // settled: back to 10 s
      assert.equal(runs.length, 3, 'no fast run once up');
      web.healthy = false;
      await step(first + 10_000 - clock.now() + start, 4); // the grid slot: first failure
      await step(1000, 5); // failure 2 of 2: down
      assert.equal(daemon.status().services[0]?.state, 'down');
      await step(5000, 5);
      assert.equal(runs.length, 5, 'down and failing is settled: no fast run');
      assert.deepEqual(
        runs.map((r) => [r.at - first, r.ok]),
        [
          [0, true],
          [1000, true],
          [2000, true],
          [10_000, false],
          [11_000, false],
        ],
      );
    } finally {
      web.healthy = true;
      await daemon.stop();
    }
  });
});
