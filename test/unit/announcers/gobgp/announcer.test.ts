// The GoBGP announcer over a stand-in gobgpd connection (fake-gobgp.ts), on a ManualClock:
// what it changes (one AddPathStream per sync), what it leaves alone (other prefixes,
// neighbours' paths), attribute changes, how it fails and recovers, the periodic resync;
// its plan, the gRPC errors' codes and its settings.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import pino from 'pino';
import { stateFilePath } from '../../../../src/announcers/index.js';
import { gobgpDefinition, GobgpAnnouncer } from '../../../../src/announcers/gobgp/index.js';
import { callFailure } from '../../../../src/announcers/gobgp/client.js';
import { desiredPath, planSync } from '../../../../src/announcers/gobgp/plan.js';
import type { GobgpSettings } from '../../../../src/announcers/gobgp/settings.js';
import type { AnnounceAttributes } from '../../../../src/bgp/index.js';
import { ManualClock } from '../../../../src/clock/index.js';
import { IssueList } from '../../../../src/validation/index.js';
import { BARE, FakeGobgp } from './fake-gobgp.js';
import { drive, settle } from '../drive.js';

const quiet = pino({ level: 'silent' });
const SETTINGS: GobgpSettings = {
  api: { kind: 'tcp', host: '127.0.0.1', port: 50051 },
  timeoutMs: 10_000,
  resyncMs: 30_000,
  nextHop: {},
};

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ag-gobgp-unit-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
function setup(settings: Partial<GobgpSettings> = {}, gobgp = new FakeGobgp()) {
  const clock = new ManualClock();
  const stateDir = join(root, `s${dirs++}`);
  const announcer = new GobgpAnnouncer(
    { ...SETTINGS, ...settings },
    { logger: quiet, clock, stateDir },
    { connection: gobgp, random: () => 0.5 },
  );
  return { clock, gobgp, announcer, stateDir };
}

const route = (prefix: string, attributes: AnnounceAttributes = {}) => ({ prefix, attributes });

describe('GoBGP announcer', () => {
  it('adds and withdraws local paths, IPv4 and IPv6, origin igp, one stream per sync', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    assert.deepEqual(gobgp.changes(), []);
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128'));
    await settle(clock, announcer);
    assert.deepEqual(gobgp.changes(), ['+203.0.113.53/32 +2001:db8::53/128']);
    assert.deepEqual(gobgp.local.get('2001:db8::53/128'), BARE);
    assert.equal(announcer.status().state, 'in-sync');
    announcer.withdraw(route('203.0.113.53/32'));
    await settle(clock, announcer);
    assert.deepEqual([...gobgp.local.keys()], ['2001:db8::53/128']);
    assert.equal(gobgp.changes().at(-1), '-203.0.113.53/32');
  });

  it('1,000 routes: one stream, no listing once in step', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    for (let i = 0; i < 1000; i++) announcer.announce(route(`10.${i >> 8}.${i & 255}.0/24`));
    await settle(clock, announcer);
    assert.equal(gobgp.changes().length, 1);
    assert.equal(gobgp.local.size, 1000);
    assert.equal(gobgp.calls.filter((c) => c.startsWith('list')).length, 0);
  });

  it('degraded attributes: MED, communities, large communities, prepend of the global AS', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(
      route('203.0.113.53/32', {
        med: 1000,
        prepend: 2,
        communities: ['no-export', '65001:100'],
        largeCommunities: ['65001:1:2'],
        localPref: 50,
      }),
    );
    await settle(clock, announcer);
    assert.deepEqual(gobgp.local.get('203.0.113.53/32'), {
      origin: 'igp',
      asPath: [65001, 65001],
      med: 1000,
      localPref: 50,
      communities: [4259905636, 4294967041],
      largeCommunities: ['65001:1:2'],
    });
    assert.equal(announcer.status().detail?.asn, 65001);
    // Only the MED changes: the path is replaced with exactly the new attributes.
    announcer.announce(route('203.0.113.53/32', { med: 10 }));
    await settle(clock, announcer);
    assert.deepEqual(gobgp.local.get('203.0.113.53/32'), { ...BARE, med: 10 });
    // The same again: nothing to do.
    const before = gobgp.changes().length;
    announcer.announce(route('203.0.113.53/32', { med: 10 }));
    await settle(clock, announcer);
    assert.equal(gobgp.changes().length, before);
  });

  it('configured next hops reach gobgpd', async () => {
    const { clock, gobgp, announcer } = setup({
      nextHop: { ipv4: '198.18.0.1', ipv6: 'fd7e:1ab:0:1:0:0:0:1' },
    });
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128'));
    await settle(clock, announcer);
    assert.equal(gobgp.local.get('203.0.113.53/32')?.nextHop, '198.18.0.1');
    assert.equal(gobgp.local.get('2001:db8::53/128')?.nextHop, 'fd7e:1ab:0:1::1');
  });

  it('at start: removes owned stale paths, repairs changed ones, leaves the rest alone', async () => {
    const gobgp = new FakeGobgp();
    const { clock, announcer, stateDir } = setup({}, gobgp);
    // A crashed run left 198.51.100.7 (recorded in the state file) and 203.0.113.53 (configured).
    await mkdir(stateDir, { recursive: true });
    await writeFile(
      stateFilePath(stateDir, 'gobgp'),
      JSON.stringify({ version: 1, routes: [{ prefix: '198.51.100.7/32' }] }),
    );
    for (const prefix of [
      '198.51.100.7/32',
      '203.0.113.53/32',
      '203.0.113.54/32',
      '203.0.113.99/32',
    ])
      gobgp.local.set(prefix, { ...BARE, origin: 'incomplete', med: 5 });
    gobgp.learned.set('203.0.113.53/32', { ...BARE, asPath: [65000] });
    announcer.setKnown([{ prefix: '203.0.113.53/32' }, { prefix: '203.0.113.54/32' }]);
    announcer.announce(route('203.0.113.54/32', { med: 5 }));
    await drive(clock, announcer.start());
    await settle(clock, announcer);
    // origin was incomplete: repaired; the stale ones go; all in one stream.
    assert.deepEqual(
      gobgp.changes().map((c) => c.split(' ').sort()),
      [['+203.0.113.54/32', '-198.51.100.7/32', '-203.0.113.53/32']],
    );
    // Not owned: never touched. A neighbour's path for an owned prefix: still there.
    assert.ok(gobgp.local.has('203.0.113.99/32'));
    assert.ok(gobgp.learned.has('203.0.113.53/32'));
    // The owned prefixes were looked up in one ListPath.
    assert.deepEqual(
      gobgp.calls.filter((c) => c.startsWith('list')),
      ['list ipv4 3'],
    );
  });

  it('gobgpd down: ANNOUNCER_DAEMON_UNREACHABLE, retried until it answers', async () => {
    const gobgp = new FakeGobgp();
    gobgp.up = false;
    const { clock, announcer } = setup({}, gobgp);
    announcer.setKnown([{ prefix: '203.0.113.53/32' }]);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    const state = announcer.status();
    assert.equal(state.state, 'failing');
    assert.equal(state.lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.match(String(announcer.status().detail?.lastError), /does not answer/);
    gobgp.up = true;
    await settle(clock, announcer, 60_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.ok(gobgp.local.has('203.0.113.53/32'));
  });

  it('gobgpd without a global AS: says so', async () => {
    const gobgp = new FakeGobgp();
    const { clock, announcer } = setup({}, gobgp);
    gobgp.asn = 0;
    const asn0 = gobgp.globalAsn.bind(gobgp);
    gobgp.globalAsn = async () => ((await asn0()) === 0 ? undefined : gobgp.asn);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32', { prepend: 1 }));
    await settle(clock, announcer);
    assert.match(announcer.status().lastError?.message ?? '', /has no global AS yet/);
  });

  it('a refused change: the sync fails with ANNOUNCER_REJECTED and is retried', async () => {
    const gobgp = new FakeGobgp();
    gobgp.refuse = '203.0.113.54/32';
    const { clock, announcer } = setup({}, gobgp);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('203.0.113.54/32'));
    await settle(clock, announcer);
    assert.equal(announcer.status().lastError?.code, 'ANNOUNCER_REJECTED');
    gobgp.refuse = undefined;
    await settle(clock, announcer, 60_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.ok(gobgp.local.has('203.0.113.53/32') && gobgp.local.has('203.0.113.54/32'));
  });

  it('resync: a path deleted behind our back (or a restarted gobgpd) is put back', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32', { med: 3 }));
    await settle(clock, announcer);
    gobgp.local.clear();
    await settle(clock, announcer, 30_000);
    assert.deepEqual(gobgp.local.get('203.0.113.53/32')?.med, 3);
    // In step: a resync only reads.
    const changes = gobgp.changes().length;
    await settle(clock, announcer, 30_000);
    assert.equal(gobgp.changes().length, changes);
    assert.equal(announcer.status().detail?.resyncSeconds, 30);
  });

  it('stop withdraws everything and closes the channel', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    await drive(clock, announcer.stop('test'));
    assert.equal(gobgp.local.size, 0);
    assert.equal(gobgp.closed, 1);
    assert.equal(announcer.status().state, 'stopped');
  });
});

describe('GoBGP plan and errors', () => {
  it('planSync never names a prefix that is not owned', () => {
    const p = desiredPath(route('203.0.113.1/32'), SETTINGS, undefined);
    const current = new Map([
      ['203.0.113.1/32', { ...p, med: 1 }],
      ['203.0.113.2/32', p],
      ['203.0.113.3/32', p],
    ]);
    const plan = planSync(
      new Map([['203.0.113.1/32', p]]),
      ['203.0.113.1/32', '203.0.113.2/32'],
      current,
    );
    assert.deepEqual(plan, {
      add: [{ prefix: '203.0.113.1/32', path: p }],
      remove: ['203.0.113.2/32'],
    });
  });

  it('gRPC statuses and gobgpd’s texts become codes', () => {
    const api = SETTINGS.api;
    const fail = (code: number, details: string) =>
      callFailure(api, 'AddPathStream', { code, details });
    const down = fail(status.UNAVAILABLE, 'No connection established');
    assert.equal(down.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.equal(
      down.message,
      'gobgpd does not answer on 127.0.0.1:50051 (AddPathStream: No connection established): is it running with --api-hosts 127.0.0.1:50051?',
    );
    assert.equal(
      fail(status.DEADLINE_EXCEEDED, 'Deadline exceeded').code,
      'ANNOUNCER_DAEMON_UNREACHABLE',
    );
    const unstarted = fail(status.UNKNOWN, "bgp server hasn't started yet");
    assert.equal(unstarted.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.match(unstarted.message, /no global configuration yet/);
    const refused = fail(status.UNKNOWN, 'duplicated path attribute type: 4');
    assert.equal(refused.code, 'ANNOUNCER_REJECTED');
    assert.equal(
      refused.message,
      'gobgpd refused AddPathStream: duplicated path attribute type: 4',
    );
  });
});

describe('[announcers.gobgp]', () => {
  const parse = (raw: unknown) => {
    const issues = new IssueList();
    const settings = gobgpDefinition.parse(raw, ['announcers', 'gobgp'], issues);
    return { settings, issues: issues.items.map((i) => `${i.path}: ${i.message}`) };
  };

  it('defaults: 127.0.0.1:50051, 10 s, resync 30 s', () => {
    assert.deepEqual(parse({}), { settings: SETTINGS, issues: [] });
    assert.equal(gobgpDefinition.supportsAttributes, true);
    assert.equal(gobgpDefinition.supportsVrf, false);
  });

  it('every key', () => {
    const { settings, issues } = parse({
      api: '[::1]:50052',
      timeout: 2.5,
      resync_interval: 0,
      next_hop: { ipv4: '198.18.0.1', ipv6: 'fd7e:1ab:0:1::1' },
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(settings, {
      api: { kind: 'tcp', host: '::1', port: 50052 },
      timeoutMs: 2500,
      resyncMs: 0,
      nextHop: { ipv4: '198.18.0.1', ipv6: 'fd7e:1ab:0:1::1' },
    });
    assert.deepEqual(parse({ api: 'unix:///run/gobgpd.sock' }).settings?.api, {
      kind: 'unix',
      target: 'unix:///run/gobgpd.sock',
    });
  });

  it('mistakes, at their key paths', () => {
    assert.deepEqual(
      parse({ gobgp: 'gobgp', api: 'localhost', next_hop: { ipv4: 'fd7e::1' }, tiemout: 1 }).issues,
      [
        "announcers.gobgp.gobgp: is no longer used: the GoBGP announcer talks to gobgpd's gRPC API itself (set api to gobgpd's --api-hosts address) and never runs the gobgp CLI; remove this key",
        'announcers.gobgp.api: must be gobgpd\'s API address as in its --api-hosts ("127.0.0.1:50051", "[::1]:50051") or "unix:///path/to/socket", got "localhost"',
        'announcers.gobgp.next_hop.ipv4: must be an IPv4 address, not IPv6, got "fd7e::1"',
        "announcers.gobgp.tiemout: unknown key (did you mean 'timeout'?)",
      ],
    );
  });
});
