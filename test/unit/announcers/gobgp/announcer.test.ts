// The GoBGP announcer over a stand-in gobgp CLI (fake-gobgp.ts), on a ManualClock: what it
// runs, what it leaves alone (other prefixes, neighbours' paths), attribute changes, how
// it fails and recovers, the periodic resync; its argv, plan and settings.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { AnnouncerFailure, stateFilePath } from '../../../../src/announcers/index.js';
import { gobgpDefinition, GobgpAnnouncer } from '../../../../src/announcers/gobgp/index.js';
import { LIST_WHOLE_RIB } from '../../../../src/announcers/gobgp/backend.js';
import {
  addArgv,
  desiredPath,
  gobgpFailure,
  planSync,
} from '../../../../src/announcers/gobgp/commands.js';
import type { GobgpSettings } from '../../../../src/announcers/gobgp/settings.js';
import type { AnnounceAttributes } from '../../../../src/bgp/index.js';
import { ManualClock } from '../../../../src/clock/index.js';
import { IssueList } from '../../../../src/validation/index.js';
import { FakeGobgp, learnedPath } from './fake-gobgp.js';
import * as f from './fixtures.js';
import { drive, settle } from '../drive.js';

const quiet = pino({ level: 'silent' });
const SETTINGS: GobgpSettings = {
  gobgp: '/usr/bin/gobgp',
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
    { run: gobgp.run, random: () => 0.5 },
  );
  return { clock, gobgp, announcer, stateDir };
}

const route = (prefix: string, attributes: AnnounceAttributes = {}) => ({ prefix, attributes });

describe('GoBGP announcer', () => {
  it('adds and deletes local paths, IPv4 and IPv6, with origin igp', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    assert.deepEqual(gobgp.writes(), []);
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128'));
    await settle(clock, announcer);
    assert.deepEqual(gobgp.writes().sort(), [
      'add 2001:db8::53/128 origin igp',
      'add 203.0.113.53/32 origin igp',
    ]);
    assert.equal(announcer.status().state, 'in-sync');
    announcer.withdraw(route('203.0.113.53/32'));
    await settle(clock, announcer);
    assert.deepEqual([...gobgp.local.keys()], ['2001:db8::53/128']);
    assert.equal(gobgp.writes().at(-1), 'del 203.0.113.53/32');
    const argv = gobgp.calls.at(-1) ?? [];
    assert.deepEqual(argv.slice(0, 5), ['/usr/bin/gobgp', '-u', '127.0.0.1', '-p', '50051']);
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
    assert.deepEqual(gobgp.writes(), [
      'add 203.0.113.53/32 origin igp aspath 65001,65001 med 1000 local-pref 50 community 65001:100,65535:65281 large-community 65001:1:2',
    ]);
    assert.equal(announcer.status().detail?.asn, 65001);
    // Only the MED changes: the path is replaced with exactly the new attributes.
    announcer.announce(route('203.0.113.53/32', { med: 10 }));
    await settle(clock, announcer);
    assert.equal(gobgp.writes().at(-1), 'add 203.0.113.53/32 origin igp med 10');
    // The same again: nothing to do.
    const before = gobgp.writes().length;
    announcer.announce(route('203.0.113.53/32', { med: 10 }));
    await settle(clock, announcer);
    assert.equal(gobgp.writes().length, before);
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
      await gobgp.run(['gobgp', 'global', 'rib', '-a', 'ipv4', 'add', prefix, 'med', '5']);
    gobgp.learned.set('203.0.113.53/32', learnedPath('203.0.113.53/32'));
    gobgp.calls.length = 0;
    announcer.setKnown([{ prefix: '203.0.113.53/32' }, { prefix: '203.0.113.54/32' }]);
    announcer.announce(route('203.0.113.54/32', { med: 5 }));
    await drive(clock, announcer.start());
    await settle(clock, announcer);
    assert.deepEqual(gobgp.writes().sort(), [
      'add 203.0.113.54/32 origin igp med 5', // origin was incomplete: repaired
      'del 198.51.100.7/32',
      'del 203.0.113.53/32',
    ]);
    // Not owned: never touched. A neighbour's path for an owned prefix: still there.
    assert.ok(gobgp.local.has('203.0.113.99/32'));
    assert.ok(gobgp.learned.has('203.0.113.53/32'));
    // Each owned prefix was looked up on its own (not the whole RIB).
    const lists = gobgp.calls.filter((c) => c.includes('-j') && c.includes('rib'));
    assert.equal(lists.length, 3);
    assert.ok(lists.every((c) => /\/32$/.test(c.at(-1) ?? '')));
  });

  it(`more than ${LIST_WHOLE_RIB} owned prefixes of a family: one listing of the family`, async () => {
    const { clock, gobgp, announcer } = setup();
    announcer.setKnown(
      Array.from({ length: LIST_WHOLE_RIB + 1 }, (_, i) => ({ prefix: `198.51.100.${i}/32` })),
    );
    await gobgp.run(['gobgp', 'global', 'rib', '-a', 'ipv4', 'add', '198.51.100.3/32']);
    gobgp.calls.length = 0;
    await drive(clock, announcer.start());
    const lists = gobgp.calls.filter((c) => c.includes('-j'));
    assert.deepEqual(
      lists.map((c) => c.slice(-4)),
      [['global', 'rib', '-a', 'ipv4']],
    );
    assert.deepEqual(gobgp.writes(), ['del 198.51.100.3/32']);
  });

  it('gobgpd down: ANNOUNCER_DAEMON_UNREACHABLE with gobgp’s words, retried until it answers', async () => {
    const gobgp = new FakeGobgp();
    gobgp.up = false;
    const { clock, announcer } = setup({}, gobgp);
    announcer.setKnown([{ prefix: '203.0.113.53/32' }]);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    const status = announcer.status();
    assert.equal(status.state, 'failing');
    assert.equal(status.lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.equal(
      status.lastError?.message,
      'gobgpd does not answer on 127.0.0.1:50051 (gobgp: context deadline exceeded): is it running with --api-hosts 127.0.0.1:50051?',
    );
    gobgp.up = true;
    await settle(clock, announcer, 60_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.ok(gobgp.local.has('203.0.113.53/32'));
  });

  it('gobgpd down: no more gobgp runs once one says so', async () => {
    const gobgp = new FakeGobgp();
    gobgp.up = false;
    const { clock, announcer } = setup({}, gobgp);
    announcer.setKnown(Array.from({ length: 40 }, (_, i) => ({ prefix: `198.51.100.${i}/32` })));
    await drive(clock, announcer.start());
    assert.ok(gobgp.calls.length <= 8, `${gobgp.calls.length} runs`);
  });

  it('gobgpd without [global]: says so', async () => {
    const gobgp = new FakeGobgp();
    gobgp.started = false;
    const { clock, announcer } = setup({}, gobgp);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32', { prepend: 1 }));
    await settle(clock, announcer);
    assert.match(announcer.status().lastError?.message ?? '', /has no global AS yet/);
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    assert.match(
      announcer.status().lastError?.message ?? '',
      /has no global configuration yet \(gobgp: rpc error: code = Unknown desc = bgp server hasn't started yet\)/,
    );
  });

  it('one refused add: the others land, the sync fails with ANNOUNCER_REJECTED and is retried', async () => {
    const gobgp = new FakeGobgp();
    gobgp.refuse.add('203.0.113.54/32');
    const { clock, announcer } = setup({}, gobgp);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('203.0.113.54/32'));
    await settle(clock, announcer);
    assert.ok(gobgp.local.has('203.0.113.53/32'));
    assert.equal(announcer.status().lastError?.code, 'ANNOUNCER_REJECTED');
    assert.match(announcer.status().lastError?.message ?? '', /failed to parse \[foo\]/);
    gobgp.refuse.clear();
    await settle(clock, announcer, 60_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.ok(gobgp.local.has('203.0.113.54/32'));
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
    const writes = gobgp.writes().length;
    await settle(clock, announcer, 30_000);
    assert.equal(gobgp.writes().length, writes);
    assert.equal(announcer.status().detail?.resyncSeconds, 30);
  });

  it('stop withdraws everything', async () => {
    const { clock, gobgp, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    await drive(clock, announcer.stop('test'));
    assert.equal(gobgp.local.size, 0);
    assert.equal(announcer.status().state, 'stopped');
  });
});

describe('GoBGP commands', () => {
  it('argv over a unix socket, with configured next hops', () => {
    const settings: GobgpSettings = {
      ...SETTINGS,
      api: { kind: 'unix', target: 'unix:///run/gobgpd.sock' },
      nextHop: { ipv6: 'fd7e:1ab:0:1:0:0:0:1' },
    };
    const path = desiredPath(route('2001:db8::53/128'), settings, undefined);
    assert.deepEqual(addArgv(settings, '2001:db8::53/128', path), [
      '/usr/bin/gobgp',
      '--target',
      'unix:///run/gobgpd.sock',
      'global',
      'rib',
      '-a',
      'ipv6',
      'add',
      '2001:db8::53/128',
      'origin',
      'igp',
      'nexthop',
      'fd7e:1ab:0:1::1',
    ]);
  });

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

  it('gobgp’s texts become codes', () => {
    const fail = (stdout: string, error?: string) =>
      gobgpFailure(['gobgp', 'x'], { exitCode: 1, stdout, stderr: '' }, SETTINGS, error);
    assert.equal(fail(f.DOWN_TEXT).code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.equal(fail('', 'context deadline exceeded').code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.equal(fail(f.NOT_STARTED_TEXT).code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    const parse = fail(f.PARSE_ERROR);
    assert.ok(parse instanceof AnnouncerFailure);
    assert.equal(parse.code, 'ANNOUNCER_REJECTED');
    assert.equal(parse.message, 'gobgp x: exit code 1: error: failed to parse [foo]');
  });
});

describe('[announcers.gobgp]', () => {
  const parse = (raw: unknown) => {
    const issues = new IssueList();
    const settings = gobgpDefinition.parse(raw, ['announcers', 'gobgp'], issues);
    return { settings, issues: issues.items.map((i) => `${i.path}: ${i.message}`) };
  };

  it('defaults: /usr/bin/gobgp, 127.0.0.1:50051, 10 s, resync 30 s', () => {
    assert.deepEqual(parse({}), { settings: SETTINGS, issues: [] });
    assert.equal(gobgpDefinition.supportsAttributes, true);
    assert.equal(gobgpDefinition.supportsVrf, false);
  });

  it('every key', () => {
    const { settings, issues } = parse({
      gobgp: '/opt/gobgp/bin/gobgp',
      api: '[::1]:50052',
      timeout: 2.5,
      resync_interval: 0,
      next_hop: { ipv4: '198.18.0.1', ipv6: 'fd7e:1ab:0:1::1' },
    });
    assert.deepEqual(issues, []);
    assert.deepEqual(settings, {
      gobgp: '/opt/gobgp/bin/gobgp',
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
        'announcers.gobgp.gobgp: must be an absolute path to the gobgp CLI, got "gobgp"',
        'announcers.gobgp.api: must be gobgpd\'s API address as in its --api-hosts ("127.0.0.1:50051", "[::1]:50051") or "unix:///path/to/socket", got "localhost"',
        'announcers.gobgp.next_hop.ipv4: must be an IPv4 address, not IPv6, got "fd7e::1"',
        "announcers.gobgp.tiemout: unknown key (did you mean 'timeout'?)",
      ],
    );
  });
});
