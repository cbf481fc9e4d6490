// The FRRouting announcer over a stand-in vtysh (fake-frr.ts), on a ManualClock: what it
// runs, what it leaves alone, how it fails and recovers, the periodic resync, its settings.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { frroutingDefinition, FrrAnnouncer } from '../../../../src/announcers/frrouting/index.js';
import type { FrroutingSettings } from '../../../../src/announcers/frrouting/settings.js';
import { AnnouncerFailure, stateFilePath } from '../../../../src/announcers/index.js';
import { ManualClock } from '../../../../src/clock/index.js';
import { IssueList } from '../../../../src/validation/index.js';
import { FakeFrr } from './fake-frr.js';
import { drive, settle } from '../drive.js';

const quiet = pino({ level: 'silent' });
const SETTINGS: FrroutingSettings = {
  vtysh: '/usr/bin/vtysh',
  pathspace: 'lab',
  timeoutMs: 10_000,
  resyncMs: 30_000,
};

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ag-frr-unit-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
function setup(settings: Partial<FrroutingSettings> = {}, frr = new FakeFrr()) {
  const clock = new ManualClock();
  const stateDir = join(root, `s${dirs++}`);
  const announcer = new FrrAnnouncer(
    { ...SETTINGS, ...settings },
    { logger: quiet, clock, stateDir },
    { run: frr.run, random: () => 0.5 },
  );
  return { clock, frr, announcer, stateDir };
}

const route = (prefix: string, vrf?: string) => ({
  prefix,
  ...(vrf === undefined ? {} : { vrf }),
  attributes: {},
});

describe('FRRouting announcer', () => {
  it('announces and withdraws with one vtysh write each, under -N and -d bgpd', async () => {
    const { clock, frr, announcer } = setup();
    await drive(clock, announcer.start());
    assert.deepEqual(frr.writes(), [], 'nothing owned, nothing wanted: only a read');
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128'));
    await settle(clock, announcer);
    assert.deepEqual(frr.writes(), [
      [
        'configure terminal',
        'router bgp 65001',
        'address-family ipv4 unicast',
        'network 203.0.113.53/32',
        'exit-address-family',
        'address-family ipv6 unicast',
        'network 2001:db8::53/128',
        'exit-address-family',
        'exit',
        'end',
        'show running-config',
      ],
    ]);
    assert.deepEqual(frr.networks(), ['203.0.113.53/32', '2001:db8::53/128']);
    assert.equal(announcer.status().state, 'in-sync');
    announcer.withdraw(route('203.0.113.53/32'));
    await settle(clock, announcer);
    assert.deepEqual(frr.networks(), ['2001:db8::53/128']);
    assert.deepEqual(frr.writes().at(-1)?.slice(0, 4), [
      'configure terminal',
      'router bgp 65001',
      'address-family ipv4 unicast',
      'no network 203.0.113.53/32',
    ]);
    await drive(clock, announcer.stop('test'));
    assert.deepEqual(frr.networks(), []);
  });

  it('a VRF prefix goes under router bgp ASN vrf NAME, with the ASN FRR runs there', async () => {
    const frr = new FakeFrr();
    frr.add('blue', 65010);
    const { clock, announcer } = setup({}, frr);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.123/32', 'blue'));
    await settle(clock, announcer);
    assert.deepEqual(frr.networks('blue'), ['203.0.113.123/32']);
    assert.deepEqual(frr.networks(), []);
    assert.equal(frr.writes()[0]?.[1], 'router bgp 65010 vrf blue');
    assert.match(String(announcer.status().detail?.instances), /router bgp 65010 vrf blue/);
  });

  it("never touches the operator's network statements, and withdraws stale ones it recorded", async () => {
    const frr = new FakeFrr();
    frr.instances.get('default')?.networks.ipv4.push('198.51.100.0/24', '203.0.113.9/32');
    const { clock, announcer, stateDir } = setup({}, frr);
    // What a killed run left: its state file names 203.0.113.9/32.
    await mkdir(stateDir, { recursive: true });
    await writeFile(
      stateFilePath(stateDir, 'frrouting'),
      JSON.stringify({ version: 1, routes: [{ prefix: '203.0.113.9/32' }] }),
    );
    announcer.setKnown([{ prefix: '203.0.113.53/32' }]);
    await drive(clock, announcer.start());
    assert.deepEqual(frr.networks(), ['198.51.100.0/24']);
    await drive(clock, announcer.stop('test'));
    assert.deepEqual(frr.networks(), ['198.51.100.0/24'], 'stop removes only ours');
  });

  it('no router bgp for a VRF: a clear failure, the other routes applied, retried until it exists', async () => {
    const { clock, frr, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('203.0.113.123/32', 'blue'));
    await settle(clock, announcer);
    const status = announcer.status();
    assert.equal(status.state, 'failing');
    assert.equal(status.lastError?.code, 'ANNOUNCER_REJECTED');
    assert.equal(
      status.lastError?.message,
      "FRRouting (/usr/bin/vtysh -N lab): no `router bgp` for vrf blue in FRR's running config; cannot announce 203.0.113.123/32 (add `router bgp ASN vrf blue` to frr.conf)",
    );
    assert.deepEqual(frr.networks(), ['203.0.113.53/32']);
    assert.equal(frr.instances.has('blue'), false, 'the VRF instance was not created by us');
    frr.add('blue', 65001);
    await settle(clock, announcer, 600);
    assert.equal(announcer.status().state, 'in-sync');
    assert.deepEqual(frr.networks('blue'), ['203.0.113.123/32']);
  });

  it("bgpd down: unreachable in vtysh's words, retried, in sync once it is back", async () => {
    const { clock, frr, announcer } = setup();
    frr.bgpdUp = false;
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    const status = announcer.status();
    assert.equal(status.state, 'failing');
    assert.equal(status.lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.equal(
      status.lastError?.message,
      "cannot reach FRRouting's bgpd through /usr/bin/vtysh -N lab: Exiting: failed to connect to any daemons. (is bgpd running with -N lab?)",
    );
    assert.equal(status.detail?.lastAnswer, 'exit 1: Exiting: failed to connect to any daemons.');
    frr.bgpdUp = true;
    await settle(clock, announcer, 1_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.deepEqual(frr.networks(), ['203.0.113.53/32']);
  });

  it('FRR answers ok but the statement is not there: the verification says so', async () => {
    const { clock, frr, announcer } = setup();
    frr.ignored.add('network 203.0.113.53/32');
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    assert.equal(
      announcer.status().lastError?.message,
      'FRRouting (/usr/bin/vtysh -N lab) answered without an error, but its running config still lacks network 203.0.113.53/32',
    );
  });

  it('FRR refuses half way: the failure quotes FRR and names the change', async () => {
    const frr = new FakeFrr();
    frr.add('blue', 65002);
    const { clock, announcer } = setup({}, frr);
    await drive(clock, announcer.start());
    // bgpd changed its ASN in that VRF after our read (start's), before our write.
    const original = frr.run;
    let reads = 0;
    const patched = new FrrAnnouncer(
      SETTINGS,
      { logger: quiet, clock, stateDir: join(root, 'refuse') },
      {
        run: async (argv, options) => {
          const result = await original(argv, options);
          if (argv.length === 7 && argv[6] === 'show running-config' && ++reads === 1) {
            const blue = frr.instances.get('blue');
            if (blue !== undefined) blue.asn = 65003;
          }
          return result;
        },
        random: () => 0.5,
      },
    );
    await drive(clock, patched.start());
    patched.announce(route('203.0.113.123/32', 'blue'));
    await settle(clock, patched);
    assert.equal(
      patched.status().lastError?.message,
      'FRRouting (/usr/bin/vtysh -N lab) did not take router bgp 65002 vrf blue: +203.0.113.123/32: BGP is already running; AS is 65003',
    );
    await settle(clock, patched, 1_000);
    assert.equal(patched.status().state, 'in-sync', 'the retry reads the ASN again');
    assert.deepEqual(frr.networks('blue'), ['203.0.113.123/32']);
    await drive(clock, announcer.stop('test'));
  });

  it('in step, one vtysh run per sync: no read before the change', async () => {
    const { clock, frr, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    for (const [i, prefix] of ['203.0.113.54/32', '203.0.113.55/32'].entries()) {
      const calls = frr.calls.length;
      if (i === 0) announcer.announce(route(prefix));
      else announcer.withdraw(route('203.0.113.54/32'));
      await settle(clock, announcer);
      assert.equal(frr.calls.length, calls + 1, 'one run: the change and its read-back');
      assert.equal(frr.calls.at(-1)?.at(-1), 'show running-config');
    }
    assert.deepEqual(frr.networks(), ['203.0.113.53/32']);
    await drive(clock, announcer.stop('test'));
  });

  it('a stale copy cannot pass: FRR lost our statement, the next change notices and repairs', async () => {
    const { clock, frr, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('203.0.113.54/32'));
    await settle(clock, announcer);
    // bgpd restarted between two syncs (before the periodic resync): both statements gone.
    frr.instances.get('default')?.networks.ipv4.splice(0);
    announcer.withdraw(route('203.0.113.53/32'));
    await settle(clock, announcer);
    // `no network 203.0.113.53/32` was refused: FRR does not have it.
    assert.equal(announcer.status().state, 'failing');
    await settle(clock, announcer, 1_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.deepEqual(frr.networks(), ['203.0.113.54/32'], 'the retry read FRR afresh');
    // Lost again, and this time only an add: the read-back shows the other one missing.
    frr.instances.get('default')?.networks.ipv4.splice(0);
    announcer.announce(route('203.0.113.55/32'));
    await settle(clock, announcer);
    assert.equal(announcer.status().lastError?.code, 'ANNOUNCER_REJECTED');
    await settle(clock, announcer, 1_000);
    assert.deepEqual(frr.networks().sort(), ['203.0.113.54/32', '203.0.113.55/32']);
    await drive(clock, announcer.stop('test'));
  });

  it('resyncs every resync_interval: a bgpd restart that lost our statements is repaired', async () => {
    const { clock, frr, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    const calls = frr.calls.length;
    await settle(clock, announcer, 30_000);
    assert.equal(frr.calls.length, calls + 1, 'in step: one show running-config');
    frr.instances.get('default')?.networks.ipv4.splice(0);
    await settle(clock, announcer, 30_000);
    assert.deepEqual(frr.networks(), ['203.0.113.53/32']);
    assert.equal(announcer.status().detail?.resyncSeconds, 30);
    await drive(clock, announcer.stop('test'));
    const after = frr.calls.length;
    await settle(clock, announcer, 120_000);
    assert.equal(frr.calls.length, after, 'no resync after stop');
  });

  it('vtysh not installed: the failure names the path and the setting', async () => {
    const clock = new ManualClock();
    const announcer = new FrrAnnouncer(
      { ...SETTINGS, vtysh: '/nonexistent/vtysh' },
      { logger: quiet, clock, stateDir: join(root, 'missing') },
      {
        run: () =>
          Promise.reject(
            new AnnouncerFailure('ANNOUNCER_COMMAND_NOT_FOUND', 'cannot run: not found'),
          ),
        random: () => 0.5,
      },
    );
    await drive(clock, announcer.start());
    assert.deepEqual(announcer.status().lastError && { ...announcer.status().lastError, at: '' }, {
      code: 'ANNOUNCER_COMMAND_NOT_FOUND',
      message:
        'cannot run /nonexistent/vtysh: not found (is FRRouting installed? set vtysh in [announcers.frrouting])',
      at: '',
    });
  });
});

describe('[announcers.frrouting]', () => {
  const parse = (raw: unknown) => {
    const issues = new IssueList();
    const settings = frroutingDefinition.parse(raw, ['announcers', 'frrouting'], issues);
    return { settings, issues: issues.items };
  };

  it('an absent table means vtysh at /usr/bin/vtysh, no pathspace, 10 s, resync every 30 s', () => {
    assert.deepEqual(parse({}), {
      settings: { vtysh: '/usr/bin/vtysh', timeoutMs: 10_000, resyncMs: 30_000 },
      issues: [],
    });
    assert.equal(frroutingDefinition.supportsVrf, true);
    assert.equal(frroutingDefinition.supportsAttributes, false);
  });

  it('every key', () => {
    assert.deepEqual(
      parse({ vtysh: '/opt/frr/bin/vtysh', pathspace: 'node1', timeout: 2.5, resync_interval: 0 })
        .settings,
      { vtysh: '/opt/frr/bin/vtysh', pathspace: 'node1', timeoutMs: 2_500, resyncMs: 0 },
    );
  });

  it('mistakes are named at their keys', () => {
    assert.deepEqual(
      parse({ vtysh: 'vtysh', pathspace: 'a b', timeout: 0, resync: 5 }).issues.map((i) => i.path),
      [
        'announcers.frrouting.vtysh',
        'announcers.frrouting.pathspace',
        'announcers.frrouting.timeout',
        'announcers.frrouting.resync',
      ],
    );
    assert.match(parse({ resync: 5 }).issues[0]?.message ?? '', /did you mean 'resync_interval'/);
  });
});
