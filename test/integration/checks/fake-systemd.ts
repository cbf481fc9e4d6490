/**
 * A real dbus-daemon on a socket of its own, and a fake systemd on it: the
 * org.freedesktop.systemd1 name with Manager.GetUnit and Manager.Subscribe, and unit
 * objects whose org.freedesktop.systemd1.Unit ActiveState the test sets, each change
 * sent as PropertiesChanged, as systemd does. systemd itself cannot run in the test
 * environment (it wants to be PID 1 of its own container); its D-Bus interface is what
 * the check talks to, and this speaks the part of it the check uses.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import dbus from 'dbus-next';

const { Interface } = dbus.interface;

/** systemd's object path escaping (sd_bus_path_encode): bind9.service → bind9_2eservice. */
export function unitPath(name: string): string {
  const escaped = [...Buffer.from(name)]
    .map((byte, i) => {
      const c = String.fromCharCode(byte);
      return /[A-Za-z]/.test(c) || (i > 0 && /[0-9]/.test(c))
        ? c
        : `_${byte.toString(16).padStart(2, '0')}`;
    })
    .join('');
  return `/org/freedesktop/systemd1/unit/${escaped}`;
}

class UnitInterface extends Interface {
  state: string;
  constructor(state: string) {
    super('org.freedesktop.systemd1.Unit');
    this.state = state;
  }
  get ActiveState(): string {
    return this.state;
  }
}
UnitInterface.configureMembers({ properties: { ActiveState: { signature: 's', access: 'read' } } });

class ManagerInterface extends Interface {
  subscribed = 0;
  constructor(private readonly units: Map<string, UnitInterface>) {
    super('org.freedesktop.systemd1.Manager');
  }
  GetUnit(name: string): string {
    if (!this.units.has(name))
      throw new dbus.DBusError('org.freedesktop.systemd1.NoSuchUnit', `Unit ${name} not loaded.`);
    return unitPath(name);
  }
  Subscribe(): void {
    this.subscribed++;
  }
}
ManagerInterface.configureMembers({
  methods: { GetUnit: { inSignature: 's', outSignature: 'o' }, Subscribe: {} },
});

export interface FakeSystemd {
  readonly address: string;
  readonly manager: ManagerInterface;
  /** Loads the unit, or changes its ActiveState (PropertiesChanged is sent). */
  setState(unit: string, state: string): void;
  stop(): Promise<void>;
}

export async function startFakeSystemd(dir: string): Promise<FakeSystemd> {
  const socket = join(dir, 'system_bus_socket');
  const config = join(dir, 'bus.conf');
  await writeFile(
    config,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`,
  );
  const daemon: ChildProcess = spawn(
    'dbus-daemon',
    [`--config-file=${config}`, '--nofork', '--nopidfile', '--print-address=1'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Kept for a failure's message (as root in a container it also complains, harmlessly,
  // that it may not raise its descriptor limit).
  let stderr = '';
  daemon.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    daemon.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve(line.trim());
    });
    daemon.once('error', reject);
    daemon.once('exit', (code) => reject(new Error(`dbus-daemon exited ${code}: ${stderr}`)));
  });
  const bus = dbus.sessionBus({ busAddress: address });
  const units = new Map<string, UnitInterface>();
  const manager = new ManagerInterface(units);
  bus.export('/org/freedesktop/systemd1', manager);
  await bus.requestName('org.freedesktop.systemd1', dbus.NameFlag.DO_NOT_QUEUE);
  return {
    address,
    manager,
    setState(name, state) {
      const unit = units.get(name);
      if (unit === undefined) {
        const created = new UnitInterface(state);
        units.set(name, created);
        bus.export(unitPath(name), created);
        return;
      }
      unit.state = state;
      Interface.emitPropertiesChanged(unit, { ActiveState: state }, []);
    },
    async stop() {
      bus.disconnect();
      const exited = new Promise((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      await exited;
    },
  };
}
