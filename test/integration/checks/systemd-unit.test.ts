/**
 * The systemd check against a real dbus-daemon and a fake systemd speaking its D-Bus
 * interface (fake-systemd.ts): ActiveState asked with Properties.Get, a change heard
 * through PropertiesChanged runs the check at once (60 s interval), fail_fast.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CheckScheduler } from '../../../src/checks/scheduler.js';
import { createSystemdCheck, systemdCheck } from '../../../src/checks/systemd-unit.js';
import type { CheckResult } from '../../../src/checks/types.js';
import { findExecutable } from '../../lab/index.js';
import { eventually, runOnce, tempDir } from './helpers.js';
import { type FakeSystemd, startFakeSystemd, unitPath } from './fake-systemd.js';

const common = { name: 'unit', interval: 60, timeout: 5 };

describe('systemd check (real dbus-daemon, fake systemd)', () => {
  let dir: { path: string; remove(): Promise<void> };
  let systemd: FakeSystemd;
  const previous = process.env.DBUS_SYSTEM_BUS_ADDRESS;
  before(async () => {
    if (!findExecutable('dbus-daemon')) throw new Error('dbus-daemon is missing (package dbus)');
    dir = await tempDir('systemd');
    systemd = await startFakeSystemd(dir.path);
    process.env.DBUS_SYSTEM_BUS_ADDRESS = systemd.address;
  });
  after(async () => {
    if (previous === undefined) delete process.env.DBUS_SYSTEM_BUS_ADDRESS;
    else process.env.DBUS_SYSTEM_BUS_ADDRESS = previous;
    await systemd.stop();
    await dir.remove();
  });

  it('escapes unit names as systemd does', () => {
    assert.equal(unitPath('bind9.service'), '/org/freedesktop/systemd1/unit/bind9_2eservice');
    assert.equal(unitPath('a-b@1.service'), '/org/freedesktop/systemd1/unit/a_2db_401_2eservice');
  });

  it('up while active; a stop heard at once fails fast; started again it passes', async () => {
    systemd.setState('bind9.service', 'active');
    const check = createSystemdCheck(systemdCheck.schema.parse({ unit: 'bind9.service' }), common);
    const results: CheckResult[] = [];
    const scheduler = new CheckScheduler({
      splay: () => 0,
      checks: [check],
      onResult: (_c, result) => results.push(result),
    });
    scheduler.start();
    try {
      await eventually(() => results[0], 'the first run');
      assert.equal(results[0]?.ok, true, results[0]?.reason);
      assert.ok(systemd.manager.subscribed >= 1, 'Subscribe() was called');
      systemd.setState('bind9.service', 'deactivating');
      const failed = await eventually(() => results.find((r) => !r.ok), 'the change heard');
      assert.equal(failed.trigger, 'watch');
      assert.equal(failed.failFast, true);
      assert.match(failed.reason, /deactivating/);
      systemd.setState('bind9.service', 'active');
      const back = await eventually(
        () => results.slice(results.indexOf(failed)).find((r) => r.ok),
        'active again',
      );
      assert.equal(back.trigger, 'watch');
    } finally {
      await scheduler.stop();
      check.close?.();
    }
  });

  it('a unit not loaded fails as inactive (counting fall); a failed unit fails', async () => {
    const check = createSystemdCheck({ unit: 'absent.service', fail_fast: true }, common);
    const result = await runOnce(check);
    assert.equal(result.ok, false);
    assert.match(result.reason, /not loaded/);
    assert.equal(result.failFast, undefined);
    systemd.setState('once.service', 'failed');
    const once = await runOnce(
      createSystemdCheck({ unit: 'once.service', fail_fast: true }, common),
    );
    assert.equal(once.ok, false);
    assert.match(once.reason, /once.service is failed/);
  });

  it('no bus to talk to: a failure that says so, not a hang', async () => {
    process.env.DBUS_SYSTEM_BUS_ADDRESS = `unix:path=${dir.path}/no-such-socket`;
    try {
      const result = await runOnce(
        createSystemdCheck({ unit: 'bind9.service', fail_fast: true }, common),
      );
      assert.equal(result.ok, false);
      assert.match(result.reason, /cannot ask systemd about "bind9.service": .*ENOENT/);
    } finally {
      process.env.DBUS_SYSTEM_BUS_ADDRESS = systemd.address;
    }
  });

  it('the schema wants a unit name with its suffix', () => {
    assert.equal(systemdCheck.schema.safeParse({ unit: 'bind9' }).success, false);
    assert.deepEqual(systemdCheck.schema.parse({ unit: 'bind9.service' }), {
      unit: 'bind9.service',
      fail_fast: true,
    });
  });
});
