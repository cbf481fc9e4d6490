// The ExaBGP announcer (anycast-guard as ExaBGP's API process) over a stand-in ExaBGP on
// its pipes (fake-exabgp.ts), on a ManualClock: the lines it writes, what a new process
// withdraws, acks, errors, silence, ExaBGP going away or shutting down; the pure line
// builders and parsers on ExaBGP 4.2.21's output; the settings.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { ExabgpBackend, exabgpDefinition } from '../../../../src/announcers/exabgp/index.js';
import { ExabgpChannel, WINDOW } from '../../../../src/announcers/exabgp/channel.js';
import {
  announceLine,
  classifyLine,
  neighborSelector,
  parseAdjRibOut,
  parseLocalAs,
  parseNeighbors,
} from '../../../../src/announcers/exabgp/commands.js';
import type { ExabgpSettings } from '../../../../src/announcers/exabgp/settings.js';
import { SyncedAnnouncer, stateFilePath } from '../../../../src/announcers/index.js';
import type { AnnounceAttributes } from '../../../../src/bgp/index.js';
import { ManualClock } from '../../../../src/clock/index.js';
import { IssueList } from '../../../../src/validation/index.js';
import { FakeExabgp, NEIGHBOR_CONFIGURATION, TWO_NEIGHBORS } from './fake-exabgp.js';
import { drive, settle } from '../drive.js';

const quiet = pino({ level: 'silent' });
const SETTINGS: ExabgpSettings = {
  mode: 'process',
  nextHop: { ipv4: 'self', ipv6: 'self' },
  ack: true,
  timeoutMs: 10_000,
};

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ag-exabgp-unit-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

let dirs = 0;
function setup(settings: Partial<ExabgpSettings> = {}, exabgp = new FakeExabgp()) {
  const clock = new ManualClock();
  const stateDir = join(root, `s${dirs++}`);
  const gone: string[] = [];
  const context = { logger: quiet, clock, stateDir };
  const backend = new ExabgpBackend(
    { ...SETTINGS, ...settings },
    {
      logger: quiet,
      clock,
      input: exabgp.fromExabgp,
      output: exabgp.toExabgp,
      onGone: (reason) => gone.push(reason),
    },
  );
  const announcer = new SyncedAnnouncer({ kind: 'exabgp', backend, context, random: () => 0.5 });
  return { clock, exabgp, announcer, stateDir, gone };
}

/** Resolves once `check` is true (polled between event-loop turns). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}

const route = (prefix: string, attributes: AnnounceAttributes = {}) => ({ prefix, attributes });

describe('ExaBGP announcer', () => {
  it('announces with next-hop self and origin igp, withdraws, only what changed', async () => {
    const { clock, exabgp, announcer } = setup();
    await drive(clock, announcer.start());
    assert.deepEqual(exabgp.commands, ['show neighbor configuration', 'show adj-rib out']);
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128'));
    await settle(clock, announcer);
    assert.deepEqual(exabgp.changes(), [
      'announce route 203.0.113.53/32 next-hop self origin igp',
      'announce route 2001:db8::53/128 next-hop self origin igp',
    ]);
    assert.equal(announcer.status().state, 'in-sync');
    announcer.withdraw(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128', { med: 1000 }));
    await settle(clock, announcer);
    assert.deepEqual(exabgp.changes().slice(2), [
      'withdraw route 203.0.113.53/32',
      'announce route 2001:db8::53/128 next-hop self origin igp med 1000',
    ]);
    assert.deepEqual([...exabgp.rib.keys()], ['2001:db8::53/128']);
  });

  it('a new process withdraws the owned routes ExaBGP still has, and nothing else', async () => {
    const exabgp = new FakeExabgp();
    // The last process (SIGKILLed) left these; ExaBGP keeps a dead process's routes.
    exabgp.rib.set('203.0.113.53/32', 'next-hop self origin igp');
    exabgp.rib.set('198.51.100.7/32', 'next-hop self origin igp');
    exabgp.others.set('203.0.113.99/32', 'next-hop 198.18.0.1');
    const { clock, announcer, stateDir } = setup({}, exabgp);
    await mkdir(stateDir, { recursive: true });
    await writeFile(
      stateFilePath(stateDir, 'exabgp'),
      JSON.stringify({ version: 1, routes: [{ prefix: '198.51.100.7/32' }] }),
    );
    announcer.setKnown([{ prefix: '203.0.113.53/32' }, { prefix: '203.0.113.54/32' }]);
    await drive(clock, announcer.start());
    assert.deepEqual(exabgp.changes().sort(), [
      'withdraw route 198.51.100.7/32',
      'withdraw route 203.0.113.53/32',
    ]);
    assert.deepEqual([...exabgp.rib.keys()], []);
    assert.ok(exabgp.others.has('203.0.113.99/32'));
  });

  it('without ack: owned routes are withdrawn blindly at start, commands count once written', async () => {
    const exabgp = new FakeExabgp();
    exabgp.silent = true;
    const { clock, announcer } = setup({ ack: false }, exabgp);
    announcer.setKnown([{ prefix: '203.0.113.53/32' }]);
    await drive(clock, announcer.start());
    assert.deepEqual(exabgp.commands, ['withdraw route 203.0.113.53/32']);
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    assert.equal(announcer.status().state, 'in-sync');
  });

  it('attributes: communities as numbers, large communities, MED, local-preference, prepend of our AS', async () => {
    const { clock, exabgp, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(
      route('203.0.113.53/32', {
        med: 10,
        localPref: 200,
        prepend: 2,
        communities: ['no-export', '65001:100'],
        largeCommunities: ['65001:2:1', '65001:1:2'],
      }),
    );
    await settle(clock, announcer);
    assert.deepEqual(exabgp.commands.slice(2), [
      'announce route 203.0.113.53/32 next-hop self origin igp as-path [ 65001 65001 65001 ] med 10 local-preference 200 community [ 65001:100 65535:65281 ] large-community [ 65001:1:2 65001:2:1 ]',
    ]);
    assert.equal(announcer.status().detail?.asn, 65001);
  });

  it('neighbors of one family each: each route is sent to those of its family', async () => {
    const exabgp = new FakeExabgp();
    exabgp.configuration = TWO_NEIGHBORS;
    const { clock, announcer } = setup({}, exabgp);
    announcer.setKnown([{ prefix: '203.0.113.53/32' }]);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('2001:db8::53/128'));
    await settle(clock, announcer);
    announcer.withdraw(route('2001:db8::53/128'));
    await settle(clock, announcer);
    assert.deepEqual(exabgp.commands.slice(2), [
      'neighbor 198.18.0.2 announce route 203.0.113.53/32 next-hop self origin igp',
      'neighbor fd7e:1ab:0:1::2 announce route 2001:db8::53/128 next-hop self origin igp',
      'neighbor fd7e:1ab:0:1::2 withdraw route 2001:db8::53/128',
    ]);
    assert.equal(announcer.status().detail?.neighbors, '198.18.0.2, fd7e:1ab:0:1::2');
  });

  it('"error" from ExaBGP: ANNOUNCER_REJECTED naming the command, retried', async () => {
    const exabgp = new FakeExabgp();
    exabgp.refuse.push('announce route 203.0.113.54/32');
    const { clock, announcer } = setup({}, exabgp);
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    announcer.announce(route('203.0.113.54/32'));
    await settle(clock, announcer);
    const status = announcer.status();
    assert.equal(status.state, 'failing');
    assert.equal(status.lastError?.code, 'ANNOUNCER_REJECTED');
    assert.match(
      status.lastError?.message ?? '',
      /^ExaBGP answered "error" to 1 of 2 command\(s\), the first: `announce route 203\.0\.113\.54\/32 next-hop self origin igp`/,
    );
    exabgp.refuse.length = 0;
    await settle(clock, announcer, 60_000);
    assert.equal(announcer.status().state, 'in-sync');
    assert.ok(exabgp.rib.has('203.0.113.54/32'));
  });

  it('silence: the sync fails after the timeout; late answers are not taken for newer commands', async () => {
    const exabgp = new FakeExabgp();
    const { clock, announcer } = setup({}, exabgp);
    await drive(clock, announcer.start());
    exabgp.silent = true;
    announcer.announce(route('203.0.113.53/32'));
    await drive(
      clock,
      until(() => exabgp.changes().length === 1),
    );
    clock.advance(10_000);
    await drive(clock, announcer.flushed());
    assert.equal(announcer.status().lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    assert.match(
      announcer.status().lastError?.message ?? '',
      /answered none of 1 command\(s\) for 10 s .* set ack = false/,
    );
    // ExaBGP wakes up: the late "done" belongs to the timed-out command.
    exabgp.silent = false;
    exabgp.write('done\n');
    exabgp.refuse.push('show adj-rib out');
    await settle(clock, announcer, 60_000);
    assert.equal(
      announcer.status().lastError?.message,
      'ExaBGP answered "error" to `show adj-rib out`',
    );
    exabgp.refuse.length = 0;
    await settle(clock, announcer, 60_000);
    assert.equal(announcer.status().state, 'in-sync');
  });

  it('ExaBGP gone (stdin ends): onGone once; the final sync has nothing to do', async () => {
    const { clock, exabgp, announcer, gone } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    exabgp.fromExabgp.end();
    await drive(clock, new Promise((resolve) => setImmediate(resolve)));
    assert.deepEqual(gone, ['ExaBGP closed our stdin (it stopped or was killed)']);
    announcer.announce(route('203.0.113.54/32'));
    await settle(clock, announcer);
    assert.equal(announcer.status().lastError?.code, 'ANNOUNCER_DAEMON_UNREACHABLE');
    await drive(clock, announcer.stop('test'));
    assert.equal(announcer.status().state, 'stopped');
    assert.equal(gone.length, 1);
  });

  it('ExaBGP gone while we stop: no second stop asked for', async () => {
    const { clock, exabgp, announcer, gone } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    exabgp.silent = true;
    const stopping = announcer.stop('SIGTERM');
    await drive(
      clock,
      until(() => exabgp.changes().includes('withdraw route 203.0.113.53/32')),
    );
    exabgp.fromExabgp.end();
    // The withdrawal fails with the pipe; the retry finds ExaBGP gone: nothing left to do.
    await drive(
      clock,
      until(() => announcer.status().state === 'failing'),
    );
    clock.advance(1_000);
    await drive(clock, stopping);
    assert.deepEqual(gone, []);
    assert.equal(announcer.status().state, 'stopped');
  });

  it('stdout EPIPE: gone too', async () => {
    const { clock, exabgp, announcer, gone } = setup();
    await drive(clock, announcer.start());
    exabgp.toExabgp.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    await drive(clock, new Promise((resolve) => setImmediate(resolve)));
    assert.deepEqual(gone, ['cannot write to ExaBGP: EPIPE (write EPIPE)']);
  });

  it('"shutdown" from ExaBGP: stop is immediate and nothing is written; no onGone', async () => {
    const { clock, exabgp, announcer, gone } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    const written = exabgp.commands.length;
    exabgp.write('shutdown 4797 1\n\n');
    await drive(clock, new Promise((resolve) => setImmediate(resolve)));
    await drive(clock, announcer.stop('SIGTERM'));
    assert.equal(exabgp.commands.length, written);
    assert.deepEqual(gone, []);
  });

  it('stop withdraws everything while ExaBGP is there', async () => {
    const { clock, exabgp, announcer } = setup();
    await drive(clock, announcer.start());
    announcer.announce(route('203.0.113.53/32'));
    await settle(clock, announcer);
    await drive(clock, announcer.stop('test'));
    assert.equal(exabgp.rib.size, 0);
    assert.equal(exabgp.commands.at(-1), 'withdraw route 203.0.113.53/32');
  });
});

describe('ExabgpChannel', () => {
  function channel(output: PassThrough, ack = true) {
    const input = new PassThrough();
    const clock = new ManualClock();
    return {
      input,
      channel: new ExabgpChannel({
        input,
        output,
        ack,
        timeoutMs: 10_000,
        clock,
        logger: quiet,
        onClosed: () => undefined,
      }),
    };
  }
  const turns = async (n = 20): Promise<void> => {
    for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it(`keeps at most ${WINDOW} commands waiting for their answer`, async () => {
    const output = new PassThrough();
    const { input, channel: c } = channel(output);
    let lines = 0;
    output.on('data', (chunk: Buffer) => (lines += chunk.toString().split('\n').length - 1));
    const sending = c.send(
      Array.from({ length: WINDOW + 10 }, (_, i) => `withdraw route 198.51.100.${i % 250}/32`),
    );
    await turns();
    assert.equal(lines, WINDOW);
    input.write('done\n'.repeat(WINDOW));
    await turns();
    assert.equal(lines, WINDOW + 10);
    input.write('done\n'.repeat(10));
    const answers = await sending;
    assert.equal(answers.length, WINDOW + 10);
    assert.ok(answers.every((a) => a.ok));
  });

  it('a channel replaced on the same pipes (a reload) reads the answers', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    output.resume();
    const make = () =>
      new ExabgpChannel({
        input,
        output,
        ack: true,
        timeoutMs: 10_000,
        clock: new ManualClock(),
        logger: quiet,
        onClosed: () => undefined,
      });
    const old = make();
    const first = old.send(['withdraw route 203.0.113.1/32']);
    input.write('done\n');
    assert.equal((await first)[0]?.ok, true);
    old.detach();
    const fresh = make();
    const second = fresh.send(['withdraw route 203.0.113.2/32']);
    input.write('error\n');
    assert.deepEqual(await second, [
      { command: 'withdraw route 203.0.113.2/32', ok: false, output: [] },
    ]);
    await assert.rejects(old.send(['x']), /ExaBGP: the ExaBGP announcer stopped/);
  });

  it('a full stdout: waits for drain before the next line', async () => {
    const output = new PassThrough({ highWaterMark: 16 });
    const { channel: c } = channel(output, false);
    let done = false;
    const sending = c.send(['withdraw route 203.0.113.1/32', 'withdraw route 203.0.113.2/32']);
    void sending.then(() => (done = true));
    await turns();
    assert.equal(done, false, 'the second line waits for room');
    assert.equal(String(output.read()), 'withdraw route 203.0.113.1/32\n');
    await turns();
    assert.equal(String(output.read()), 'withdraw route 203.0.113.2/32\n');
    await sending;
  });
});

describe('ExaBGP lines', () => {
  it('announceLine: next hops per family', () => {
    const settings: ExabgpSettings = {
      ...SETTINGS,
      nextHop: { ipv4: '198.18.0.1', ipv6: 'fd7e:1ab:0:1::1' },
    };
    assert.equal(
      announceLine(route('2001:db8::53/128'), settings, undefined),
      'announce route 2001:db8::53/128 next-hop fd7e:1ab:0:1::1 origin igp',
    );
    assert.equal(
      announceLine(
        route('203.0.113.53/32', { communities: ['65001:7', '65001:7'] }),
        settings,
        undefined,
      ),
      'announce route 203.0.113.53/32 next-hop 198.18.0.1 origin igp community [ 65001:7 ]',
    );
  });

  it('parseAdjRibOut on ExaBGP 4.2.21’s lines (plain and extensive)', () => {
    assert.deepEqual(
      [
        ...parseAdjRibOut([
          'neighbor 198.18.200.2 ipv4 unicast 203.0.113.10/32 next-hop self',
          'neighbor 198.18.200.2 ipv6 unicast 2001:db8::10/128 next-hop self',
          'neighbor 198.18.200.2 ipv4 unicast 203.0.113.15/32 next-hop 198.18.200.1',
          'neighbor 198.18.200.2 local-ip 198.18.200.1 local-as 65001 peer-as 65000 router-id 198.18.200.1 family-allowed in-open ipv4 unicast 203.0.113.32/32 next-hop self origin igp med 7 community 65001:1 large-community [ 65001:1:1 65001:2:2 ]',
          'neighbor 198.18.200.2 ipv4 flow destination-ipv4 203.0.113.0/24',
        ]),
      ],
      ['203.0.113.10/32', '2001:db8::10/128', '203.0.113.15/32'],
    );
  });

  it('parseNeighbors, neighborSelector', () => {
    const one = parseNeighbors(NEIGHBOR_CONFIGURATION.split('\n'));
    assert.deepEqual(
      one.map((n) => [n.address, [...n.families]]),
      [['198.18.0.2', ['ipv4', 'ipv6']]],
    );
    assert.equal(neighborSelector(one, 'ipv6'), '');
    const two = parseNeighbors(TWO_NEIGHBORS.split('\n'));
    assert.equal(neighborSelector(two, 'ipv4'), 'neighbor 198.18.0.2');
    assert.equal(neighborSelector(two, 'ipv6'), 'neighbor fd7e:1ab:0:1::2');
    const three = [...two, { address: '198.18.0.6', families: new Set(['ipv4' as const]) }];
    assert.equal(neighborSelector(three, 'ipv4'), 'neighbor 198.18.0.2 , neighbor 198.18.0.6');
    assert.equal(neighborSelector(undefined, 'ipv4'), '');
    assert.equal(neighborSelector([two[0]!], 'ipv6'), '', 'none carries it: ExaBGP decides');
  });

  it('parseLocalAs and classifyLine', () => {
    assert.deepEqual(parseLocalAs(NEIGHBOR_CONFIGURATION.split('\n')), [65001]);
    assert.deepEqual(classifyLine('done'), { kind: 'answer', ok: true });
    assert.deepEqual(classifyLine('error'), { kind: 'answer', ok: false });
    assert.deepEqual(classifyLine('shutdown 4797 1'), { kind: 'shutdown' });
    assert.equal(classifyLine('neighbor 198.18.0.2 down - peer reset').kind, 'event');
    assert.equal(classifyLine('').kind, 'event');
    assert.deepEqual(
      classifyLine('{ "exabgp": "4.0.1", "type": "notification", "notification": "shutdown" }'),
      { kind: 'shutdown' },
    );
    assert.equal(
      classifyLine('neighbor 198.18.0.2 ipv4 unicast 203.0.113.1/32 next-hop self').kind,
      'output',
    );
  });
});

describe('[announcers.exabgp]', () => {
  const parse = (raw: unknown) => {
    const issues = new IssueList();
    const settings = exabgpDefinition.parse(raw, ['announcers', 'exabgp'], issues);
    return { settings, issues: issues.items.map((i) => `${i.path}: ${i.message}`) };
  };

  it('defaults; claims stdout', () => {
    assert.deepEqual(parse({}), { settings: SETTINGS, issues: [] });
    assert.equal(exabgpDefinition.usesStdout?.(SETTINGS), true);
    assert.equal(exabgpDefinition.supportsAttributes, true);
  });

  it('next hops, ack, timeout, asn', () => {
    assert.deepEqual(parse({ next_hop: 'fd7e:1ab:0:1::1' }).settings?.nextHop, {
      ipv4: 'self',
      ipv6: 'fd7e:1ab:0:1::1',
    });
    assert.deepEqual(parse({ next_hop: '198.18.0.1' }).settings?.nextHop, {
      ipv4: '198.18.0.1',
      ipv6: 'self',
    });
    assert.deepEqual(
      parse({ next_hop: { ipv6: 'fd7e:1ab:0:1::1' }, ack: false, timeout: 3, asn: 65001 }),
      {
        settings: {
          mode: 'process',
          nextHop: { ipv4: 'self', ipv6: 'fd7e:1ab:0:1::1' },
          ack: false,
          timeoutMs: 3000,
          asn: 65001,
        },
        issues: [],
      },
    );
  });

  it('mistakes', () => {
    assert.deepEqual(parse({ mode: 'pipe', next_hop: { ipv4: 'fd7e::1' } }).issues, [
      'announcers.exabgp.mode: must be "process", got "pipe"',
      'announcers.exabgp.next_hop.ipv4: must be an IPv4 address, not IPv6, got "fd7e::1"',
    ]);
  });
});
