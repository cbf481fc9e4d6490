import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AddressError, AddressManager } from '../../../src/addresses/index.js';
import type {
  AddressManagerOptions,
  AddressServiceConfig,
  IpRunner,
} from '../../../src/addresses/index.js';
import { FakeIp } from './fake-ip.js';

function manager(
  fake: FakeIp,
  services: AddressServiceConfig[],
  options: Partial<AddressManagerOptions> = {},
): AddressManager {
  return new AddressManager({
    services,
    ip: fake.run,
    platform: 'linux',
    now: () => 1000,
    ...options,
  });
}

function isError(code: string, message?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof AddressError, `an AddressError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message) assert.match(error.message, message);
    return true;
  };
}

const DNS = { name: 'dns', addresses: ['203.0.113.53', '2001:db8::53'] };

describe('AddressManager', () => {
  it('auto: adds what is absent (IPv6 with nodad), removes only that at release', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '2001:db8::53');
    const m = manager(fake, [DNS]);
    const bound = await m.bind();
    assert.deepEqual(fake.changes(), ['addr add 203.0.113.53/32 dev lo']);
    assert.deepEqual(
      bound.map((s) => [s.address, s.device, s.present, s.addedBy, s.removeOnRelease]),
      [
        ['203.0.113.53/32', 'lo', true, 'anycast-guard', true],
        ['2001:db8::53/128', 'lo', true, 'other', false],
      ],
    );
    await m.release();
    assert.deepEqual(fake.changes(), [
      'addr add 203.0.113.53/32 dev lo',
      'addr del 203.0.113.53/32 dev lo',
    ]);
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128', '2001:db8::53/128']);
    assert.deepEqual(
      m.status().map((s) => [s.present, s.addedBy]),
      [
        [false, undefined],
        [true, 'other'],
      ],
    );
  });

  it('on: adds even when present, removes at release whoever added it', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '203.0.113.53');
    const m = manager(fake, [{ ...DNS, management: 'on' }]);
    const bound = await m.bind();
    assert.deepEqual(fake.changes(), [
      'addr add 203.0.113.53/32 dev lo',
      'addr add 2001:db8::53/128 dev lo nodad',
    ]);
    assert.deepEqual(
      bound.map((s) => [s.addedBy, s.removeOnRelease]),
      [
        ['other', true],
        ['anycast-guard', true],
      ],
    );
    await m.release();
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128']);
  });

  it('off: runs no command that changes anything; reports an absent address', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '2001:db8::53');
    fake.privileged = false;
    const m = manager(fake, [{ ...DNS, management: 'off' }]);
    const bound = await m.bind();
    await m.release();
    assert.deepEqual(fake.changes(), []);
    assert.deepEqual(fake.calls, [['-j', 'addr', 'show']]);
    assert.equal(bound[0]!.present, false);
    assert.match(
      bound[0]!.problem ?? '',
      /^203\.0\.113\.53\/32 is not on lo; address_management = "off"/,
    );
    assert.deepEqual(
      [bound[1]!.present, bound[1]!.problem, bound[1]!.addedBy],
      [true, undefined, 'other'],
    );
  });

  it('permission denied: a clear error, and what the failed bind added is taken back', async () => {
    const fake = new FakeIp();
    // The IPv4 add succeeds, then the kernel refuses the IPv6 one.
    fake.failNext = {
      match: 'addr add 2001:db8::53',
      stderr: 'RTNETLINK answers: Operation not permitted',
    };
    const m = manager(fake, [DNS]);
    await assert.rejects(
      m.bind(),
      isError(
        'ADDRESS_PERMISSION_DENIED',
        /^cannot add 2001:db8::53\/128 to lo: permission denied .*CAP_NET_ADMIN/,
      ),
    );
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128']);
    assert.equal(fake.changes().at(-1), 'addr del 203.0.113.53/32 dev lo');
    assert.equal(m.isBound, false);
    assert.deepEqual(
      m
        .status()
        .map((s) => [s.present, s.removeOnRelease, /permission denied/.test(s.problem ?? '')]),
      [
        [false, false, true],
        [false, false, true],
      ],
    );
  });

  it('without CAP_NET_ADMIN, auto with everything present needs no change and succeeds', async () => {
    const fake = new FakeIp();
    fake.privileged = false;
    fake.operatorAdd('lo', '203.0.113.53');
    fake.operatorAdd('lo', '2001:db8::53');
    const m = manager(fake, [DNS]);
    await m.bind();
    await m.release();
    assert.deepEqual(fake.changes(), []);
    // "on" always adds, so the missing privilege shows at bind, not at shutdown.
    await assert.rejects(
      manager(fake, [{ ...DNS, management: 'on' }]).bind(),
      isError('ADDRESS_PERMISSION_DENIED'),
    );
  });

  it('a missing device is an error for auto/on and a report for off', async () => {
    const fake = new FakeIp();
    await assert.rejects(
      manager(fake, [{ ...DNS, device: 'dummy9' }]).bind(),
      isError(
        'ADDRESS_DEVICE_NOT_FOUND',
        /^cannot bind 203\.0\.113\.53\/32 to dummy9: no such device "dummy9"$/,
      ),
    );
    const off = await manager(fake, [{ ...DNS, device: 'dummy9', management: 'off' }]).bind();
    assert.match(off[0]!.problem ?? '', /no such device "dummy9"/);
    assert.deepEqual(fake.changes(), []);
  });

  it('not Linux: an error when management is asked for, silence when it is off', async () => {
    const fake = new FakeIp();
    await assert.rejects(
      manager(fake, [DNS], { platform: 'freebsd' }).bind(),
      isError(
        'ADDRESS_UNSUPPORTED_PLATFORM',
        /^cannot bind 203\.0\.113\.53\/32 to lo: address management needs Linux \(iproute2\), this is freebsd/,
      ),
    );
    const off = manager(fake, [{ ...DNS, management: 'off' }], { platform: 'darwin' });
    const status = await off.bind();
    await off.release();
    assert.deepEqual(fake.calls, []);
    assert.deepEqual(
      status.map((s) => s.present),
      [undefined, undefined],
    );
    // And a manager with no addresses never looks at the platform or runs anything.
    await manager(fake, [{ name: 'x', addresses: [] }], { platform: 'win32' }).bind();
    assert.deepEqual(fake.calls, []);
  });

  it('device = "auto" binds on the device the kernel routes toward the first peer', async () => {
    const fake = new FakeIp();
    fake.devices.set('v0', [{ family: 'inet', local: '198.18.0.1', prefixlen: 30 }]);
    fake.routes.set('198.18.0.2', 'v0');
    const m = manager(fake, [{ name: 'web', addresses: ['198.51.100.80'], device: 'auto' }], {
      peerAddress: '198.18.0.2',
    });
    const [status] = await m.bind();
    assert.deepEqual([status?.device, status?.configuredDevice], ['v0', 'auto']);
    assert.deepEqual(fake.on('v0'), ['198.18.0.1/30', '198.51.100.80/32']);
    await m.release();
    assert.deepEqual(fake.on('v0'), ['198.18.0.1/30']);

    await assert.rejects(
      manager(fake, [{ name: 'web', addresses: ['198.51.100.80'], device: 'auto' }], {
        peerAddress: '198.18.9.9',
      }).bind(),
      isError(
        'ADDRESS_DEVICE_UNRESOLVED',
        /^cannot bind 198\.51\.100\.80\/32 to device "auto": device = "auto": the kernel has no route toward the BGP peer 198\.18\.9\.9/,
      ),
    );
    await assert.rejects(
      manager(fake, [{ name: 'web', addresses: ['198.51.100.80'], device: 'auto' }]).bind(),
      isError('ADDRESS_DEVICE_UNRESOLVED', /needs a BGP peer/),
    );
  });

  it('withdraw_address_when_down: off the device until up, withdrawn when down', async () => {
    const fake = new FakeIp();
    const m = manager(fake, [
      {
        name: 'ntp',
        addresses: ['198.51.100.123', '2001:db8::123'],
        withdrawAddressWhenDown: true,
      },
      { name: 'other', addresses: ['203.0.113.9'] },
    ]);
    await m.bind();
    assert.deepEqual(fake.changes(), ['addr add 203.0.113.9/32 dev lo']);
    assert.deepEqual(
      m.status().map((s) => s.wanted),
      [false, false, true],
    );
    await m.setServiceUp('other', true); // no withdraw flag: nothing runs
    assert.equal(fake.calls.length, 2);
    await m.setServiceUp('ntp', true);
    assert.deepEqual(fake.on('lo').slice(2), [
      '203.0.113.9/32',
      '198.51.100.123/32',
      '2001:db8::123/128',
    ]);
    await m.setServiceUp('ntp', true); // no change: no command
    const calls = fake.calls.length;
    await m.setServiceUp('ntp', false);
    assert.deepEqual(fake.on('lo').slice(2), ['203.0.113.9/32']);
    assert.ok(fake.calls.length > calls);
    assert.deepEqual(
      m.status().map((s) => [s.present, s.wanted]),
      [
        [false, false],
        [false, false],
        [true, true],
      ],
    );
    await assert.rejects(
      m.setServiceUp('nope', true),
      isError('ADDRESS_UNKNOWN_SERVICE', /"nope"/),
    );
    await m.release();
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128']);
  });

  it('a shared address stays while any service listing it wants it', async () => {
    const fake = new FakeIp();
    const m = manager(fake, [
      { name: 'dns-udp', addresses: ['203.0.113.53'], withdrawAddressWhenDown: true },
      { name: 'dns-tcp', addresses: ['203.0.113.53'], withdrawAddressWhenDown: true },
    ]);
    await m.bind();
    assert.equal(m.status().length, 1);
    assert.deepEqual(m.status()[0]!.services, ['dns-udp', 'dns-tcp']);
    await m.setServiceUp('dns-udp', true);
    await m.setServiceUp('dns-tcp', true);
    await m.setServiceUp('dns-udp', false);
    assert.ok(fake.on('lo').includes('203.0.113.53/32'));
    await m.setServiceUp('dns-tcp', false);
    assert.ok(!fake.on('lo').includes('203.0.113.53/32'));
  });

  it('withdraw_address_when_down never takes away an address someone else put there', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '198.51.100.123');
    const m = manager(fake, [
      { name: 'ntp', addresses: ['198.51.100.123'], withdrawAddressWhenDown: true },
    ]);
    await m.bind();
    await m.setServiceUp('ntp', true);
    await m.setServiceUp('ntp', false);
    await m.release();
    assert.deepEqual(fake.changes(), []);
  });

  it('serializes: a quick up/down/up runs its commands one operation at a time', async () => {
    const fake = new FakeIp();
    const m = manager(fake, [
      { name: 'ntp', addresses: ['198.51.100.123'], withdrawAddressWhenDown: true },
    ]);
    await m.bind();
    fake.delayMs = 5;
    await Promise.all([
      m.setServiceUp('ntp', true),
      m.setServiceUp('ntp', false),
      m.setServiceUp('ntp', true),
    ]);
    assert.deepEqual(fake.changes(), [
      'addr add 198.51.100.123/32 dev lo',
      'addr del 198.51.100.123/32 dev lo',
      'addr add 198.51.100.123/32 dev lo',
    ]);
    assert.ok(fake.on('lo').includes('198.51.100.123/32'));
    // A failed operation does not wedge the queue.
    fake.failNext = { match: 'addr del', stderr: 'RTNETLINK answers: Operation not permitted' };
    await assert.rejects(m.setServiceUp('ntp', false), isError('ADDRESS_PERMISSION_DENIED'));
    await m.setServiceUp('ntp', true);
  });

  it('reload: update() only adds, prune() removes what went; kept addresses keep their owner', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '203.0.113.2');
    const m = manager(fake, [
      { name: 'a', addresses: ['203.0.113.1', '203.0.113.2', '203.0.113.3'] },
      { name: 'w', addresses: ['203.0.113.5'] },
    ]);
    await m.bind();
    const bindChanges = fake.changes().length;
    await m.update([
      { name: 'a', addresses: ['203.0.113.1', '203.0.113.2'] },
      { name: 'b', addresses: ['203.0.113.4'] },
      // Now withdrawn while down: not removed until prune(), after the daemon withdrew.
      { name: 'w', addresses: ['203.0.113.5'], withdrawAddressWhenDown: true },
    ]);
    assert.deepEqual(fake.changes().slice(bindChanges), ['addr add 203.0.113.4/32 dev lo']);
    const view = () =>
      m.status().map((s) => [s.address, s.addedBy, s.services.join(), s.removeOnRelease]);
    assert.deepEqual(view(), [
      ['203.0.113.1/32', 'anycast-guard', 'a', true],
      ['203.0.113.2/32', 'other', 'a', false],
      ['203.0.113.4/32', 'anycast-guard', 'b', true],
      ['203.0.113.5/32', 'anycast-guard', 'w', true],
      ['203.0.113.3/32', 'anycast-guard', '', true], // retired, still bound
    ]);
    await m.prune();
    assert.deepEqual(fake.changes().slice(bindChanges), [
      'addr add 203.0.113.4/32 dev lo',
      'addr del 203.0.113.3/32 dev lo',
      'addr del 203.0.113.5/32 dev lo',
    ]);
    assert.deepEqual(view(), [
      ['203.0.113.1/32', 'anycast-guard', 'a', true],
      ['203.0.113.2/32', 'other', 'a', false],
      ['203.0.113.4/32', 'anycast-guard', 'b', true],
      ['203.0.113.5/32', undefined, 'w', false],
    ]);
    await m.setServiceUp('w', true);
    assert.ok(fake.on('lo').includes('203.0.113.5/32'));
    await m.release();
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128', '203.0.113.2/32']);
    await assert.rejects(m.update([{ name: 'a', addresses: ['bad'] }]), isError('ADDRESS_INVALID'));
  });

  it('reload: a retired address of ours that comes back is still ours; release takes retired ones too', async () => {
    const fake = new FakeIp();
    const m = manager(fake, [{ name: 'a', addresses: ['203.0.113.1', '203.0.113.2'] }]);
    await m.bind();
    await m.update([{ name: 'a', addresses: ['203.0.113.1'] }]);
    await m.update([{ name: 'a', addresses: ['203.0.113.1', '203.0.113.2'] }]);
    assert.deepEqual(
      m.status().map((s) => [s.address, s.addedBy]),
      [
        ['203.0.113.1/32', 'anycast-guard'],
        ['203.0.113.2/32', 'anycast-guard'],
      ],
    );
    await m.update([{ name: 'a', addresses: ['203.0.113.1'] }]);
    await m.release(); // no prune: release still removes the retired one
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128']);
  });

  it('reload: a changed mode or length', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '203.0.113.2');
    const m = manager(fake, [
      { name: 'a', addresses: ['203.0.113.1', '203.0.113.2', '2001:db8::1'] },
    ]);
    await m.bind();
    const start = fake.changes().length;
    await m.update([
      // 203.0.113.1: ours, now "off": handed over, left in place.
      { name: 'a', addresses: ['203.0.113.1'], management: 'off' },
      // 203.0.113.2: the operator's, now "on": ours from here, removed at release.
      { name: 'b', addresses: ['203.0.113.2'], management: 'on' },
      // 2001:db8::1: ours, new length: replaced at once.
      { name: 'c', addresses: ['2001:db8::1/64'] },
    ]);
    await m.prune();
    assert.deepEqual(fake.changes().slice(start), [
      'addr del 2001:db8::1/128 dev lo',
      'addr add 203.0.113.2/32 dev lo',
      'addr add 2001:db8::1/64 dev lo nodad',
    ]);
    assert.deepEqual(
      m.status().map((s) => [s.address, s.management, s.removeOnRelease]),
      [
        ['203.0.113.1/32', 'off', false],
        ['203.0.113.2/32', 'on', true],
        ['2001:db8::1/64', 'auto', true],
      ],
    );
    await m.release();
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128', '203.0.113.1/32']);
  });

  it('release tries every address and names each failure', async () => {
    const fake = new FakeIp();
    const m = manager(fake, [DNS]);
    await m.bind();
    fake.failNext = {
      match: 'addr del 203.0.113.53',
      stderr: 'RTNETLINK answers: Operation not permitted',
    };
    await assert.rejects(
      m.release(),
      isError(
        'ADDRESS_RELEASE_FAILED',
        /^could not remove 1 address\(es\): cannot remove 203\.0\.113\.53\/32 from lo: permission denied/,
      ),
    );
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128', '203.0.113.53/32']);
  });

  it('refresh sees an operator removing an address that was theirs', async () => {
    const fake = new FakeIp();
    fake.operatorAdd('lo', '203.0.113.53');
    const m = manager(fake, [{ name: 'dns', addresses: ['203.0.113.53'] }], { now: () => 2000 });
    await m.bind();
    fake.operatorDel('lo', '203.0.113.53');
    const [status] = await m.refresh();
    assert.equal(status?.present, false);
    assert.equal(status?.checkedAt, 2000);
    assert.match(
      status?.problem ?? '',
      /^203\.0\.113\.53\/32 is not on lo; it was there before anycast-guard started/,
    );
    await m.release();
    assert.deepEqual(fake.changes(), []);

    // One of ours removed behind our back is reported too (refresh never changes anything).
    const ours = manager(fake, [{ name: 'dns', addresses: ['203.0.113.54'] }]);
    await ours.bind();
    fake.operatorDel('lo', '203.0.113.54');
    const [gone] = await ours.refresh();
    assert.match(gone?.problem ?? '', /anycast-guard added it and something else removed it/);
    assert.deepEqual(fake.changes(), ['addr add 203.0.113.54/32 dev lo']);
    await ours.release();
    assert.deepEqual(fake.changes(), ['addr add 203.0.113.54/32 dev lo']);
  });

  it('refuses conflicting settings at construction', () => {
    assert.throws(
      () =>
        manager(new FakeIp(), [
          { name: 'a', addresses: ['203.0.113.1'] },
          { name: 'b', addresses: ['203.0.113.1'], management: 'on' },
        ]),
      isError(
        'ADDRESS_CONFLICT',
        /^services\.b\.addresses\.0: 203\.0\.113\.1 is also listed by service "a"/,
      ),
    );
  });
});

describe('AddressManager after a crash (state file)', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'anycast-guard-addresses-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const recorded = async (path: string): Promise<unknown> =>
    (JSON.parse(await readFile(path, 'utf8')) as { added: unknown }).added;

  it('auto: what a killed run added is ours again at the next bind and removed at release', async () => {
    const fake = new FakeIp();
    const stateFile = join(dir, 'crash.json');
    fake.operatorAdd('lo', '198.51.100.7');
    const services = [DNS, { name: 'op', addresses: ['198.51.100.7'] }];
    // The first run adds two addresses, finds the operator's, and is killed: no release.
    const first = manager(fake, services, { stateFile });
    await first.bind();
    assert.deepEqual(await recorded(stateFile), [
      { address: '2001:db8::53/128', device: 'lo' },
      { address: '203.0.113.53/32', device: 'lo' },
    ]);

    const next = manager(fake, services, { stateFile });
    const bound = await next.bind();
    assert.deepEqual(
      bound.map((s) => [s.address, s.addedBy, s.removeOnRelease]),
      [
        ['203.0.113.53/32', 'anycast-guard', true],
        ['2001:db8::53/128', 'anycast-guard', true],
        ['198.51.100.7/32', 'other', false],
      ],
    );
    await next.release();
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128', '198.51.100.7/32']);
    assert.deepEqual(await recorded(stateFile), []);
  });

  it('a recorded address no service lists any more is removed at bind', async () => {
    const fake = new FakeIp();
    const stateFile = join(dir, 'stale.json');
    await manager(fake, [DNS], { stateFile }).bind();
    const next = manager(fake, [{ name: 'web', addresses: ['203.0.113.80'] }], { stateFile });
    await next.bind();
    assert.deepEqual(fake.on('lo'), ['127.0.0.1/8', '::1/128', '203.0.113.80/32']);
    assert.deepEqual(await recorded(stateFile), [{ address: '203.0.113.80/32', device: 'lo' }]);
  });

  it('records an add before making it, and forgets a withdrawn address', async () => {
    const fake = new FakeIp();
    const stateFile = join(dir, 'ahead.json');
    fake.failNext = {
      match: 'addr add 203.0.113.60',
      stderr: 'RTNETLINK answers: No buffer space',
    };
    let atAdd = '';
    const ip: IpRunner = (args) => {
      if (args.join(' ').startsWith('addr add')) atAdd = readFileSync(stateFile, 'utf8');
      return fake.run(args);
    };
    const m = manager(fake, [{ name: 'x', addresses: ['203.0.113.60'] }], { stateFile, ip });
    await assert.rejects(m.bind());
    assert.deepEqual((JSON.parse(atAdd) as { added: unknown }).added, [
      { address: '203.0.113.60/32', device: 'lo' },
    ]);
    // The add failed after the record was written; nothing is there, so the next save drops it.
    assert.deepEqual(await recorded(stateFile), []);
    const w = manager(
      fake,
      [{ name: 'w', addresses: ['203.0.113.61'], withdrawAddressWhenDown: true }],
      { stateFile },
    );
    await w.bind();
    await w.setServiceUp('w', true);
    assert.deepEqual(await recorded(stateFile), [{ address: '203.0.113.61/32', device: 'lo' }]);
    await w.setServiceUp('w', false);
    assert.deepEqual(await recorded(stateFile), []);
  });

  it('an unreadable state file is logged and nothing is taken back', async () => {
    const fake = new FakeIp();
    const stateFile = join(dir, 'bad.json');
    await writeFile(stateFile, 'not json');
    fake.operatorAdd('lo', '203.0.113.53');
    const [status] = await manager(fake, [{ name: 'x', addresses: ['203.0.113.53'] }], {
      stateFile,
    }).bind();
    assert.equal(status?.addedBy, 'other');
  });
});
