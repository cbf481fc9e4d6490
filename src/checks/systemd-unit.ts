/**
 * systemd: up while a unit's ActiveState is `active` (or `reloading`, as
 * `systemctl is-active` counts it), asked over D-Bus (dbus-next) on the system bus,
 * or the bus in DBUS_SYSTEM_BUS_ADDRESS when set.
 *
 * Interface used (org.freedesktop.systemd1(5)): Manager.GetUnit(name) → the unit's
 * object path; Manager.Subscribe() so systemd sends unit signals; the unit's
 * org.freedesktop.systemd1.Unit ActiveState property through
 * org.freedesktop.DBus.Properties Get and its PropertiesChanged signal.
 *
 * A change of ActiveState wakes the check (trigger `watch`); with `fail_fast` (the
 * default) that run, finding the unit no longer active, counts the check down at once.
 * A unit not loaded (NoSuchUnit) fails as inactive and is looked up again on the next
 * run. One bus connection for every systemd check; lost, the next run connects again.
 * dbus-next (~8 MB of a daemon's RSS) is loaded at the first run, so a daemon without a
 * systemd check never loads it.
 */
import type * as dbus from 'dbus-next';
import { z } from 'zod';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { elapsedMs, fail, monotonicNow, pass, quote } from './util.js';
import { errorReason } from '../util/index.js';

export interface SystemdSpec {
  readonly unit: string;
  /** Default true: ActiveState changing away from active counts the check down at once. */
  readonly fail_fast: boolean;
}

export const systemdSchema = z.strictObject({
  unit: z.string({ error: 'unit must be a string' }).regex(/^[\w:.@\\-]+\.[a-z]+$/, {
    error: 'unit must be a systemd unit name with its suffix, such as "bind9.service"',
  }),
  fail_fast: z.boolean({ error: 'fail_fast must be true or false' }).default(true),
});

const SYSTEMD = 'org.freedesktop.systemd1';
const MANAGER_PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
const UNIT = 'org.freedesktop.systemd1.Unit';
const PROPERTIES = 'org.freedesktop.DBus.Properties';

type Method = (...args: unknown[]) => Promise<unknown>;

/** The shared bus connection, with Subscribe() sent once on it. */
interface Connection {
  readonly bus: dbus.MessageBus;
  readonly manager: Promise<dbus.ClientInterface>;
  /** Rejects when the connection fails: calls race it, so none waits for ever. */
  readonly failed: Promise<never>;
  lost: boolean;
}

type DbusLibrary = typeof dbus;

let library: DbusLibrary | undefined;
let shared: Connection | undefined;
let users = 0;

async function loadDbus(): Promise<DbusLibrary> {
  library ??= (await import('dbus-next')).default;
  return library;
}

function connection(lib: DbusLibrary): Connection {
  if (shared !== undefined && !shared.lost) return shared;
  const bus = lib.systemBus();
  let lose: (error: unknown) => void = () => undefined;
  const failed = new Promise<never>((_resolve, reject) => {
    lose = reject;
  });
  failed.catch(() => undefined);
  const conn: Connection = {
    bus,
    lost: false,
    failed,
    manager: Promise.race([
      (async () => {
        const object = await bus.getProxyObject(SYSTEMD, MANAGER_PATH);
        const manager = object.getInterface(MANAGER);
        await (manager.Subscribe as Method)();
        return manager;
      })(),
      failed,
    ]),
  };
  conn.manager.catch(() => undefined);
  bus.on('error', (error: unknown) => {
    conn.lost = true;
    lose(error);
  });
  shared = conn;
  return conn;
}

function release(): void {
  users--;
  if (users > 0 || shared === undefined) return;
  const { bus } = shared;
  shared = undefined;
  bus.disconnect();
}

interface Unit {
  readonly conn: Connection;
  readonly properties: dbus.ClientInterface;
  readonly onChange: (iface: string, changed: Record<string, unknown>, invalid: string[]) => void;
}

export function createSystemdCheck(spec: SystemdSpec, common: CheckCommon): HealthCheck {
  let wake: (() => void) | undefined;
  let unit: Unit | undefined;
  let changed = false;
  let holding = false;

  const hold = (): void => {
    if (holding) return;
    holding = true;
    users++;
  };
  const drop = (): void => {
    if (unit !== undefined) unit.properties.removeListener('PropertiesChanged', unit.onChange);
    unit = undefined;
    if (!holding) return;
    holding = false;
    release();
  };

  const lookUp = async (): Promise<Unit> => {
    if (unit !== undefined && !unit.conn.lost) return unit;
    if (unit !== undefined) drop();
    hold();
    const conn = connection(await loadDbus());
    const manager = await conn.manager;
    const path = (await Promise.race([
      (manager.GetUnit as Method)(spec.unit),
      conn.failed,
    ])) as string;
    const object = await Promise.race([conn.bus.getProxyObject(SYSTEMD, path), conn.failed]);
    const properties = object.getInterface(PROPERTIES);
    const onChange = (iface: string, values: Record<string, unknown>, invalid: string[]): void => {
      if (iface !== UNIT || !('ActiveState' in values || invalid.includes('ActiveState'))) return;
      changed = true;
      wake?.();
    };
    properties.on('PropertiesChanged', onChange);
    unit = { conn, properties, onChange };
    return unit;
  };

  return {
    ...common,
    type: 'systemd',
    async run(): Promise<CheckResult> {
      const start = monotonicNow();
      const answersChange = changed;
      changed = false;
      const down = (reason: string): CheckResult => {
        const result = fail(reason, elapsedMs(start));
        return answersChange && spec.fail_fast ? { ...result, failFast: true } : result;
      };
      try {
        const { conn, properties } = await lookUp();
        const value = (await Promise.race([
          (properties.Get as Method)(UNIT, 'ActiveState'),
          conn.failed,
        ])) as dbus.Variant;
        const state = String(value.value);
        if (wake === undefined) drop(); // one-shot run: hold nothing
        return state === 'active' || state === 'reloading'
          ? pass(`${spec.unit} is ${state}`, elapsedMs(start))
          : down(`${spec.unit} is ${state}`);
      } catch (error) {
        drop();
        if (
          library !== undefined &&
          error instanceof library.DBusError &&
          error.type === `${SYSTEMD}.NoSuchUnit`
        )
          return down(`${spec.unit} is not loaded`);
        return fail(
          `cannot ask systemd about ${quote(spec.unit)}: ${errorReason(error)}`,
          elapsedMs(start),
          error,
        );
      }
    },
    watch(callback: () => void): () => void {
      wake = callback;
      return () => {
        wake = undefined;
        changed = false;
        drop();
      };
    },
    close(): void {
      wake = undefined;
      drop();
    },
  };
}

export const systemdCheck: CheckType<SystemdSpec> = {
  type: 'systemd',
  schema: systemdSchema,
  defaultName: (spec) => `systemd ${spec.unit}`,
  create: (spec, common) => createSystemdCheck(spec, common),
};
