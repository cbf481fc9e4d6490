/**
 * `anycast-guard run` binding its anycast addresses in a node namespace, with BIRD as the
 * router: addresses come before routes, follow a service's health when asked to, and on
 * SIGTERM the routes go first, then only the addresses this process added.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireLab, waitFor } from '../lab/index.js';
import { kernelAddresses, operatorAdd } from './addresses/kernel.js';
import {
  CLI,
  daemonConfig,
  isTransition,
  records,
  startDaemon,
  waitForLog,
  routerLab,
} from './harness.js';

const WEB = '203.0.113.90';
const API = '203.0.113.91';

test('the daemon binds, follows and releases its addresses', { timeout: 120_000 }, async (t) => {
  if (!(await requireLab(t, ['bird']))) return;
  const { lab, node, router, control } = await routerLab(t);
  // An operator configured API's address by hand: ours to use, not ours to remove.
  await operatorAdd(node.ns, `${API}/32`, 'lo');

  const service = { url: node.service.url, interval: 0.2, rise: 1, fall: 1, holdDown: 0 };
  const daemon = await startDaemon(
    lab,
    node,
    daemonConfig(
      node.link,
      [
        {
          ...service,
          name: 'web',
          prefixes: [WEB],
          extra: `addresses = ["${WEB}"]\nwithdraw_address_when_down = true\n`,
        },
        { ...service, name: 'api', prefixes: [API], extra: `addresses = ["${API}"]\n` },
      ],
      node.apiDir,
    ),
  );
  const onLo = (): Promise<string[]> => kernelAddresses(node.ns, 'lo');

  await t.test('routes are announced with their addresses bound', async () => {
    await waitFor(() => control.paths(`${WEB}/32`), {
      what: 'web in BIRD',
      until: (paths) => paths.length === 1,
    });
    await waitFor(() => control.paths(`${API}/32`), {
      what: 'api in BIRD',
      until: (paths) => paths.length === 1,
    });
    const bound = await onLo();
    assert.ok(bound.includes(`${WEB}/32`), `lo has ${bound.join(', ')}`);
    assert.ok(bound.includes(`${API}/32`));
  });

  await t.test(
    'withdraw_address_when_down: the route, then the address, follow health',
    async () => {
      const from = daemon.lines.length;
      await node.service.break('refuse');
      await waitForLog(daemon, isTransition('web', 'down'), 'web down', { from });
      await waitFor(() => control.paths(`${WEB}/32`), {
        what: 'web withdrawn from BIRD',
        until: (paths) => paths.length === 0,
      });
      await waitFor(onLo, {
        what: `${WEB} removed from lo`,
        until: (list) => !list.includes(`${WEB}/32`),
      });
      assert.ok((await onLo()).includes(`${API}/32`), 'api keeps its address while down');
      await node.service.mend();
      await waitFor(() => control.paths(`${WEB}/32`), {
        what: 'web back in BIRD',
        until: (paths) => paths.length === 1,
      });
      assert.ok((await onLo()).includes(`${WEB}/32`), 'the address is back before the route');
      const upAt = records(daemon, from).findIndex(isTransition('web', 'up'));
      assert.ok(upAt >= 0);
    },
  );

  await t.test(
    'withdraw_address_when_down and a graceful drain: the address stays while the route is marked, goes with it',
    async () => {
      const socket = join(node.apiDir, 'control.sock');
      const drain = (...args: string[]) =>
        new Promise<void>((resolve, reject) =>
          execFile(process.execPath, [CLI, ...args, '--socket', socket], (error, _out, stderr) =>
            error === null ? resolve() : reject(new Error(stderr)),
          ),
        );
      await drain('drain', 'web', '--reason', 'test', '--graceful', '--wait', '1');
      await waitFor(() => router.route(`${WEB}/32`), {
        what: 'web marked with 65535:0 at BIRD',
        until: (route) => route?.communities.includes('65535:0') === true,
      });
      assert.ok((await onLo()).includes(`${WEB}/32`), 'bound while draining');
      await waitFor(() => control.paths(`${WEB}/32`), {
        what: 'web withdrawn at the end of the wait',
        until: (paths) => paths.length === 0,
      });
      await waitFor(onLo, {
        what: `${WEB} removed from lo once drained`,
        until: (list) => !list.includes(`${WEB}/32`),
      });
      await drain('undrain', 'web');
      await waitFor(() => control.paths(`${WEB}/32`), {
        what: 'web back in BIRD',
        until: (paths) => paths.length === 1,
      });
      assert.ok((await onLo()).includes(`${WEB}/32`), 'the address is back with the route');
    },
  );

  await t.test('SIGTERM: routes withdrawn, our address removed, the operator’s kept', async () => {
    assert.ok(daemon.signal('SIGTERM'));
    const exit = await daemon.waitForExit(15_000);
    assert.equal(exit.code, 0, daemon.tail());
    assert.deepEqual(await control.paths(`${WEB}/32`), []);
    assert.deepEqual(await control.paths(`${API}/32`), []);
    const left = await onLo();
    assert.ok(!left.includes(`${WEB}/32`), `our address is gone: ${left.join(', ')}`);
    assert.ok(left.includes(`${API}/32`), 'the operator’s address survives (auto mode)');
  });
});

test(
  'an address a SIGKILLed run added is taken back by the next run and removed at its stop',
  { timeout: 120_000 },
  async (t) => {
    if (!(await requireLab(t, ['bird']))) return;
    const { lab, node, control } = await routerLab(t);
    const ADDRESS = '203.0.113.92';
    const config = daemonConfig(
      node.link,
      [
        {
          url: node.service.url,
          interval: 0.2,
          rise: 1,
          fall: 1,
          holdDown: 0,
          name: 'web',
          prefixes: [ADDRESS],
          extra: `addresses = ["${ADDRESS}"]\n`,
        },
      ],
      node.apiDir,
    );
    const onLo = (): Promise<string[]> => kernelAddresses(node.ns, 'lo');
    const announced = () =>
      waitFor(() => control.paths(`${ADDRESS}/32`), {
        what: 'the route in BIRD',
        until: (paths) => paths.length === 1,
      });

    const killed = await startDaemon(lab, node, config, 'killed');
    await announced();
    assert.ok((await onLo()).includes(`${ADDRESS}/32`));
    assert.ok(killed.signal('SIGKILL'));
    assert.equal((await killed.waitForExit(5_000)).signal, 'SIGKILL');
    assert.ok((await onLo()).includes(`${ADDRESS}/32`), 'a killed run cannot remove it');

    const next = await startDaemon(lab, node, config, 'next');
    await waitForLog(
      next,
      (r) => r.event === 'address.reclaimed' && r.address === `${ADDRESS}/32`,
      'the address taken back',
    );
    await announced();
    assert.ok(next.signal('SIGTERM'));
    assert.equal((await next.waitForExit(15_000)).code, 0, next.tail());
    const left = await onLo();
    assert.ok(!left.includes(`${ADDRESS}/32`), `the address is released: ${left.join(', ')}`);
  },
);
