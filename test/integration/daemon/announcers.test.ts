/**
 * The daemon's wiring of routing-daemon announcers, with recording announcers in place of
 * BIRD and GoBGP (the real ones are tested against the real daemons in test/e2e/announcers).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  routeKey,
  type AnnouncedRoute,
  type Announcer,
  type AnnouncerKind,
  type AnnouncerStatus,
  type RouteRef,
} from '../../../src/announcers/index.js';
import { parseConfig } from '../../../src/config/index.js';
import { Daemon } from '../../../src/daemon/index.js';

class RecordingAnnouncer implements Announcer {
  readonly events: string[] = [];
  readonly wanted = new Map<string, AnnouncedRoute>();
  known: RouteRef[] = [];
  failStart: Error | undefined;
  /** When set, start() resolves only once this does (a slow routing daemon). */
  holdStart: Promise<void> | undefined;
  constructor(
    readonly kind: AnnouncerKind,
    private readonly log: string[],
  ) {}
  private note(event: string): void {
    this.events.push(event);
    this.log.push(`${this.kind} ${event}`);
  }
  async start(): Promise<void> {
    this.note(`start with ${[...this.wanted.keys()].join(',') || 'nothing'}`);
    await this.holdStart;
    if (this.failStart !== undefined) throw this.failStart;
  }
  setKnown(routes: readonly RouteRef[]): void {
    this.known = [...routes];
  }
  announce(route: AnnouncedRoute): void {
    this.wanted.set(routeKey(route), route);
    this.note(`announce ${routeKey(route)}`);
  }
  withdraw(route: RouteRef): void {
    this.wanted.delete(routeKey(route));
    this.note(`withdraw ${routeKey(route)}`);
  }
  reconcile(): void {}
  flushed(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    this.note('stop');
    this.wanted.clear();
    return Promise.resolve();
  }
  status(): AnnouncerStatus {
    return {
      kind: this.kind,
      state: 'in-sync',
      wanted: this.wanted.size,
      applied: this.wanted.size,
      failures: 0,
    };
  }
}

describe('daemon with routing-daemon announcers', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-announcers-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const config = (services: string) =>
    parseConfig(
      `[api]\nstate_dir = "${dir}"\nsocket = false\nlisten = false\n${services}`,
      'test.toml',
    );

  function daemonWith(text: string) {
    const log: string[] = [];
    const made: RecordingAnnouncer[] = [];
    const daemon = new Daemon(config(text), {
      logger: pino({ level: 'silent' }),
      createAnnouncer: (c) => {
        const a = new RecordingAnnouncer(c.kind, log);
        made.push(a);
        return a;
      },
    });
    return { daemon, log, made };
  }

  const TWO = `
[services.web]
prefixes.bird = ["203.0.113.80", "2001:db8::80"]
announce = "always"
[services.ntp]
prefixes.frrouting = [{ prefix = "203.0.113.123", vrf = "blue" }]
announce = "always"
[services.dns]
prefixes.frrouting = ["203.0.113.53"]
checks.exec = [{ command = ["/bin/false"], interval = 60 }]
`;

  it('starts one announcer per kind in use, tells each its known routes, routes each prefix to its own', async () => {
    const { daemon, made, log } = daemonWith(TWO);
    await daemon.start();
    try {
      assert.deepEqual(
        made.map((a) => a.kind),
        ['bird', 'frrouting'],
      );
      const [bird, frr] = made as [RecordingAnnouncer, RecordingAnnouncer];
      assert.deepEqual(bird.known, [{ prefix: '203.0.113.80/32' }, { prefix: '2001:db8::80/128' }]);
      assert.deepEqual(frr.known, [
        { prefix: '203.0.113.123/32', vrf: 'blue' },
        { prefix: '203.0.113.53/32' },
      ]);
      // Reconciled (started) before anything is announced.
      assert.equal(log[0], 'bird start with nothing');
      assert.equal(log[1], 'frrouting start with nothing');
      assert.deepEqual([...bird.wanted.keys()], ['203.0.113.80/32', '2001:db8::80/128']);
      assert.deepEqual(
        [...frr.wanted.keys()],
        ['203.0.113.123/32%blue'],
        'dns is down: its prefix is not asked for',
      );
      const status = daemon.status();
      assert.deepEqual(
        status.announcers.map((a) => a.kind),
        ['bird', 'frrouting'],
      );
      assert.deepEqual(
        status.routes.map((r) => [r.announcer, r.prefix, r.vrf]),
        [
          ['bird', '203.0.113.80/32', undefined],
          ['bird', '2001:db8::80/128', undefined],
          ['frrouting', '203.0.113.123/32', 'blue'],
        ],
      );
    } finally {
      await daemon.stop();
    }
    assert.deepEqual(
      made.map((a) => a.events.at(-1)),
      ['stop', 'stop'],
    );
  });

  it('a reload that moves a service to another announcer withdraws it from the old one, which goes', async () => {
    const { daemon, made, log } = daemonWith(TWO);
    await daemon.start();
    try {
      log.length = 0;
      await daemon.reload(
        config(`
[services.web]
prefixes.frrouting = ["203.0.113.80"]
announce = "always"
[services.ntp]
prefixes.frrouting = [{ prefix = "203.0.113.123", vrf = "blue" }]
announce = "always"
`),
      );
      const [bird, frr] = made as [RecordingAnnouncer, RecordingAnnouncer];
      assert.equal(made.length, 2, 'the FRRouting announcer is kept: its settings did not change');
      assert.equal(bird.events.at(-1), 'stop');
      assert.deepEqual([...frr.wanted.keys()].sort(), ['203.0.113.123/32%blue', '203.0.113.80/32']);
      assert.deepEqual(frr.known, [
        { prefix: '203.0.113.80/32' },
        { prefix: '203.0.113.123/32', vrf: 'blue' },
      ]);
      assert.ok(!log.includes('frrouting withdraw 203.0.113.123/32%blue'), 'ntp was not touched');
    } finally {
      await daemon.stop();
    }
  });

  it('a reload that adds an announcer starts it with its routes already asked for', async () => {
    const { daemon, made } = daemonWith(`
[services.ntp]
prefixes.frrouting = ["203.0.113.123"]
announce = "always"
`);
    await daemon.start();
    try {
      await daemon.reload(
        config(`
[services.ntp]
prefixes.frrouting = ["203.0.113.123"]
announce = "always"
[services.web]
prefixes.bird = ["203.0.113.80"]
announce = "always"
`),
      );
      const bird = made.find((a) => a.kind === 'bird');
      assert.deepEqual(bird?.events.slice(0, 2), [
        'announce 203.0.113.80/32',
        'start with 203.0.113.80/32',
      ]);
    } finally {
      await daemon.stop();
    }
  });

  it('an announcer that cannot start at all fails the start, and the others are stopped', async () => {
    const log: string[] = [];
    const made: RecordingAnnouncer[] = [];
    const records: { event?: string; part?: string }[] = [];
    const daemon = new Daemon(config(TWO), {
      logger: pino(
        { level: 'error' },
        { write: (line: string) => records.push(JSON.parse(line) as (typeof records)[number]) },
      ),
      createAnnouncer: (c) => {
        const a = new RecordingAnnouncer(c.kind, log);
        if (c.kind === 'frrouting') a.failStart = new Error('vtysh: settings cannot work');
        made.push(a);
        return a;
      },
    });
    await assert.rejects(daemon.start(), /vtysh: settings cannot work/);
    assert.deepEqual(
      made.map((a) => a.events.at(-1)),
      ['stop', 'stop'],
    );
    assert.deepEqual(
      records.filter((r) => r.event !== undefined).map((r) => [r.event, r.part]),
      [['lifecycle.start_failed', 'announcers']],
    );
  });

  it('a stop during start waits for the announcers, then starts no service and stops them', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const log: string[] = [];
    const daemon = new Daemon(config(TWO), {
      logger: pino({ level: 'silent' }),
      createAnnouncer: (c) => {
        const a = new RecordingAnnouncer(c.kind, log);
        // BIRD answers slowly: the stop comes while it is starting.
        if (c.kind === 'bird') a.holdStart = held;
        return a;
      },
    });
    const started = daemon.start();
    // Both announcers starting: the addresses part before them does file I/O (its state
    // file), so this waits on the log, bounded in time, not on a count of ticks.
    const deadline = Date.now() + 5000;
    while (log.length < 2 && Date.now() < deadline) await new Promise(setImmediate);
    assert.equal(log.length, 2, log.join('; '));
    const stopped = daemon.stop('operator stop');
    await new Promise(setImmediate);
    assert.ok(!log.some((l) => l.endsWith(' stop')), `stopped half-started: ${log.join('; ')}`);
    release();
    await started;
    await stopped;
    // Nothing left running should the stop not have taken (the test fails, not hangs).
    const status = daemon.status();
    await daemon.stop('test cleanup');
    // The "always" services were never added, so nothing was ever announced.
    assert.deepEqual(log, [
      'bird start with nothing',
      'frrouting start with nothing',
      'bird stop',
      'frrouting stop',
    ]);
    assert.deepEqual(status.services, []);
  });
});
