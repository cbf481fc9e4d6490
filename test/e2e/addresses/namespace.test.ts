/**
 * The address manager against a real kernel, in a lab namespace: the 3 modes × present/
 * absent-at-start matrix for IPv4 and IPv6, an operator's address surviving our release,
 * device = "auto" through `ip route get`, withdraw_address_when_down, and the error
 * without CAP_NET_ADMIN. Root only (skipped otherwise, failed under CI=true).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressError, AddressManager, ipCommand } from '../../../src/addresses/index.js';
import type { AddressManagement } from '../../../src/addresses/index.js';
import { Lab, requireLab, run } from '../../lab/index.js';
import { kernelAddresses, nsIp, operatorAdd, requireSetpriv, unprivilegedIp } from './kernel.js';

const BASE = ['127.0.0.1/8', '::1/128'];

test('address management in a namespace', async (t) => {
  if (!(await requireLab(t))) return;
  const lab = await Lab.create();
  t.after(() => lab.teardown());
  const node = await lab.namespace('node');
  const router = await lab.namespace('router');
  const link = await lab.link(node, router);
  assert.deepEqual((await kernelAddresses(node, 'lo')).sort(), [...BASE].sort());

  const modes: AddressManagement[] = ['auto', 'on', 'off'];
  let n = 10;
  for (const mode of modes) {
    for (const presentAtStart of [false, true]) {
      const i = n++;
      const v4 = `203.0.113.${i}/32`;
      const v6 = `2001:db8::${i}/128`;
      await t.test(`${mode}, ${presentAtStart ? 'present' : 'absent'} at start`, async () => {
        if (presentAtStart) {
          await operatorAdd(node, v4);
          await operatorAdd(node, v6);
        }
        const m = new AddressManager({
          services: [
            {
              name: `svc${i}`,
              addresses: [v4.split('/')[0]!, v6.split('/')[0]!],
              management: mode,
            },
          ],
          ip: nsIp(node),
        });
        const bound = await m.bind();
        const afterBind = await kernelAddresses(node, 'lo');
        const expectBound = mode !== 'off' || presentAtStart;
        for (const cidr of [v4, v6])
          assert.equal(
            afterBind.includes(cidr),
            expectBound,
            `${cidr} after bind: ${afterBind.join(' ')}`,
          );
        for (const s of bound) {
          assert.equal(s.device, 'lo');
          assert.equal(s.present, expectBound);
          assert.equal(
            s.addedBy,
            !expectBound ? undefined : presentAtStart ? 'other' : 'anycast-guard',
            `${s.address} addedBy`,
          );
          assert.equal(s.removeOnRelease, mode === 'on' || (mode === 'auto' && !presentAtStart));
          if (mode === 'off' && !presentAtStart)
            assert.match(s.problem ?? '', /is not on lo; address_management = "off"/);
          else assert.equal(s.problem, undefined);
        }

        await m.release();
        const afterRelease = await kernelAddresses(node, 'lo');
        // Only "on", or what "auto" itself added, goes; the operator's and "off" stay as found.
        const expectKept = presentAtStart && mode !== 'on';
        for (const cidr of [v4, v6])
          assert.equal(
            afterRelease.includes(cidr),
            expectKept,
            `${cidr} after release: ${afterRelease.join(' ')}`,
          );
      });
    }
  }

  await t.test('auto: an operator’s address survives our release, ours goes', async () => {
    await operatorAdd(node, '198.51.100.1/32');
    await operatorAdd(node, '2001:db8:1::1/128');
    const m = new AddressManager({
      services: [
        {
          name: 'a',
          addresses: ['198.51.100.1', '198.51.100.2', '2001:db8:1::1', '2001:db8:1::2'],
        },
      ],
      ip: nsIp(node),
    });
    await m.bind();
    const bound = await kernelAddresses(node, 'lo');
    for (const cidr of [
      '198.51.100.1/32',
      '198.51.100.2/32',
      '2001:db8:1::1/128',
      '2001:db8:1::2/128',
    ])
      assert.ok(bound.includes(cidr), `${cidr} bound`);
    await m.bind(); // idempotent: nothing new, nothing fails
    await m.release();
    const left = await kernelAddresses(node, 'lo');
    assert.ok(
      left.includes('198.51.100.1/32') && left.includes('2001:db8:1::1/128'),
      left.join(' '),
    );
    assert.ok(
      !left.includes('198.51.100.2/32') && !left.includes('2001:db8:1::2/128'),
      left.join(' '),
    );
  });

  await t.test('device = "auto" resolves toward the peer with ip route get', async () => {
    // DAD on for the veth (the lab turns it off), to see that our IPv6 add skips it.
    await lab.exec(node, ['sysctl', '-q', '-w', `net.ipv6.conf.${link.a.ifname}.accept_dad=1`]);
    const tentative = async (): Promise<string> =>
      (await run(['ip', '-n', node.netns, '-6', 'addr', 'show', 'dev', link.a.ifname, 'tentative']))
        .stdout;
    await operatorAdd(node, '2001:db8:2::99/128', link.a.ifname, { nodad: false });
    assert.match(
      await tentative(),
      /2001:db8:2::99\/128/,
      'without nodad an address starts tentative',
    );
    for (const peer of [link.b.ipv4, link.b.ipv6]) {
      const m = new AddressManager({
        services: [{ name: 'web', addresses: ['198.51.100.80', '2001:db8:2::80'], device: 'auto' }],
        peerAddress: peer,
        ip: nsIp(node),
      });
      const bound = await m.bind();
      assert.deepEqual(
        bound.map((s) => s.device),
        [link.a.ifname, link.a.ifname],
        `peer ${peer}`,
      );
      const onVeth = await kernelAddresses(node, link.a.ifname);
      assert.ok(
        onVeth.includes('198.51.100.80/32') && onVeth.includes('2001:db8:2::80/128'),
        onVeth.join(' '),
      );
      assert.ok(!(await kernelAddresses(node, 'lo')).includes('198.51.100.80/32'));
      // Added with nodad: usable at once, never tentative.
      assert.doesNotMatch(await tentative(), /2001:db8:2::80/);
      await m.release();
      const after = await kernelAddresses(node, link.a.ifname);
      assert.ok(
        !after.includes('198.51.100.80/32') && !after.includes('2001:db8:2::80/128'),
        after.join(' '),
      );
      assert.ok(
        after.includes(link.a.ipv4Cidr) && after.includes('2001:db8:2::99/128'),
        after.join(' '),
      );
    }
    // A peer the namespace has no route to: a clear error, nothing bound.
    const lost = new AddressManager({
      services: [{ name: 'web', addresses: ['198.51.100.81'], device: 'auto' }],
      peerAddress: '198.18.200.1',
      ip: nsIp(node),
    });
    await assert.rejects(lost.bind(), (e: unknown) => {
      assert.ok(e instanceof AddressError);
      assert.equal(e.code, 'ADDRESS_DEVICE_UNRESOLVED');
      assert.match(
        e.message,
        /^cannot bind 198\.51\.100\.81\/32 to device "auto": .*no route toward the BGP peer 198\.18\.200\.1 \(RTNETLINK answers: Network is unreachable\)/,
      );
      return true;
    });
  });

  await t.test('withdraw_address_when_down follows the service', async () => {
    const m = new AddressManager({
      services: [
        {
          name: 'ntp',
          addresses: ['198.51.100.123', '2001:db8::123'],
          withdrawAddressWhenDown: true,
        },
      ],
      ip: nsIp(node),
    });
    const has = async (): Promise<boolean[]> => {
      const lo = await kernelAddresses(node, 'lo');
      return [lo.includes('198.51.100.123/32'), lo.includes('2001:db8::123/128')];
    };
    await m.bind();
    assert.deepEqual(await has(), [false, false]);
    await m.setServiceUp('ntp', true);
    assert.deepEqual(await has(), [true, true]);
    await m.setServiceUp('ntp', false);
    assert.deepEqual(await has(), [false, false]);
    await m.setServiceUp('ntp', true);
    await m.release();
    assert.deepEqual(await has(), [false, false]);
  });

  await t.test(
    'without CAP_NET_ADMIN: a clear error when management is asked, silence when off',
    async (st) => {
      if (!requireSetpriv(st)) return;
      // The wrapper really drops every capability (root's included).
      const caps = await run([
        ...unprivilegedIp(node).slice(0, -1),
        'grep',
        'CapEff',
        '/proc/self/status',
      ]);
      assert.match(caps.stdout, /^CapEff:\s+0+$/m);
      const ip = ipCommand({ command: unprivilegedIp(node) });
      const before = await kernelAddresses(node, 'lo');

      for (const management of ['auto', 'on'] as const) {
        const m = new AddressManager({
          services: [{ name: 'dns', addresses: ['203.0.113.99', '2001:db8::99'], management }],
          ip,
        });
        await assert.rejects(m.bind(), (e: unknown) => {
          assert.ok(e instanceof AddressError);
          assert.equal(e.code, 'ADDRESS_PERMISSION_DENIED');
          assert.equal(e.address, '203.0.113.99/32');
          assert.equal(e.device, 'lo');
          assert.match(
            e.message,
            /^cannot add 203\.0\.113\.99\/32 to lo: permission denied \(RTNETLINK answers: Operation not permitted\); managing addresses needs CAP_NET_ADMIN/,
          );
          return true;
        });
      }
      // "on" always adds, so even an address already there needs (and checks) the capability.
      await operatorAdd(node, '203.0.113.98/32');
      await assert.rejects(
        new AddressManager({
          services: [{ name: 'x', addresses: ['203.0.113.98'], management: 'on' }],
          ip,
        }).bind(),
        (e: unknown) => e instanceof AddressError && e.code === 'ADDRESS_PERMISSION_DENIED',
      );
      // Reading needs no capability: "off" checks and reports, "auto" with it present needs no change.
      const off = new AddressManager({
        services: [{ name: 'dns', addresses: ['203.0.113.99', '203.0.113.98'], management: 'off' }],
        ip,
      });
      const status = await off.bind();
      await off.release();
      assert.deepEqual(
        status.map((s) => s.present),
        [false, true],
      );
      const auto = new AddressManager({
        services: [{ name: 'x', addresses: ['203.0.113.98'] }],
        ip,
      });
      assert.equal((await auto.bind())[0]?.addedBy, 'other');
      await auto.release();
      assert.deepEqual(
        (await kernelAddresses(node, 'lo')).sort(),
        [...before, '203.0.113.98/32'].sort(),
      );
    },
  );
});
