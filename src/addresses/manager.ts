/**
 * AddressManager: puts each service's anycast addresses on their device so the
 * kernel accepts the traffic, and takes off only what it may (DESIGN.md "Lifecycle
 * order"):
 *
 *   bind()              before any announcer starts
 *   setServiceUp(s, u)  on every transition; only withdraw_address_when_down acts on it
 *                       (up: await it BEFORE announcing; down: call it AFTER withdrawing)
 *   update(services)    on reload, before announcing anything new: adds, never removes
 *   prune()             on reload, after withdrawing what went: removes what update() retired
 *   release()           after every route is withdrawn
 *
 * What to do with one address is decided by the pure decideAddress() (plan.ts); this
 * class observes the kernel, asks, and carries the answer out through iproute2.
 *
 * Why `ip -j` through execFile and not a netlink socket: Node has no AF_NETLINK
 * sockets, so native netlink means a native addon, which may fail to build where the
 * daemon is installed. iproute2 is on every Linux host that can have anycast
 * addresses, its JSON output (`-j`) is stable, its error text is the kernel's, and it
 * runs with an argv (no shell) in a few milliseconds. Address changes are rare (start,
 * stop, and transitions of withdraw_address_when_down services), so a process per
 * change costs nothing that matters. The runner is injectable (`ip -n NETNS` in tests).
 *
 * Operations are serialized: a quick down → up → down never interleaves its commands.
 * With a state file (state-file.ts) each address this process adds is recorded before
 * the add and forgotten after its removal, so an address a crashed run added is taken
 * back at the next bind in mode "auto" (kept and removed at release when still
 * configured, removed at once when not), never mistaken for an operator's.
 *
 * Over 500 lines on purpose: bind, update, prune and release all act on one record
 * of what this process added; the decisions themselves are pure, in plan.ts.
 */
import type { Logger } from 'pino';
import type { InterfaceAddress } from './address.js';
import { canonicalIp, parseInterfaceAddress, sameIp } from './address.js';
import { addressEntries } from './config-check.js';
import { AddressError } from './errors.js';
import { ipCommand } from './ip-command.js';
import type { IpRunner } from './ip-command.js';
import { addAddress, readAddresses, removeAddress, routeDevice } from './iproute.js';
import type { AddressTable } from './iproute.js';
import { decideAddress } from './plan.js';
import { AddressStateFile, type AddedAddress } from './state-file.js';
import type { AddressDecision, AddressPhase } from './plan.js';
import { AUTO_DEVICE } from './types.js';
import type {
  AddressManagement,
  AddressOwner,
  AddressServiceConfig,
  AddressStatus,
} from './types.js';
import { errorMessage } from '../util/index.js';

export interface AddressManagerOptions {
  readonly services: readonly AddressServiceConfig[];
  /** The first BGP peer's address: `device = "auto"` resolves toward it. */
  readonly peerAddress?: string;
  readonly logger?: Logger;
  /** How to run `ip` (default: `ip` on PATH). Tests pass ipCommand({ command: ['ip', '-n', NS] }). */
  readonly ip?: IpRunner;
  /** Default process.platform. */
  readonly platform?: NodeJS.Platform;
  /** Epoch ms (default Date.now). */
  readonly now?: () => number;
  /**
   * Where to record the addresses this process adds (`addressStatePath(state_dir)`), so
   * the next start takes back what a crashed run left. Without it nothing is recorded.
   */
  readonly stateFile?: string;
}

interface ServiceRef {
  readonly name: string;
  readonly withdrawWhenDown: boolean;
}

interface Binding {
  readonly key: string;
  readonly address: InterfaceAddress;
  readonly configuredDevice: string;
  readonly management: AddressManagement;
  services: ServiceRef[];
  device: string | undefined;
  owner: AddressOwner | undefined;
  /** This process's add put it there (not an add that found it already present). */
  addedBySelf: boolean;
  present: boolean | undefined;
  presentLengths: number[];
  problem: string | undefined;
  checkedAt: number | undefined;
}

export class AddressManager {
  private readonly ip: IpRunner;
  private readonly log: Logger | undefined;
  private readonly platform: NodeJS.Platform;
  private readonly now: () => number;
  private readonly peerAddress: string | undefined;
  private bindings = new Map<string, Binding>();
  /** Bindings a reload dropped, kept until prune() (or release()) removes what is ours. */
  private readonly retired = new Map<string, Binding>();
  private services = new Set<string>();
  private readonly up = new Map<string, boolean>();
  private bound = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly state: AddressStateFile | undefined;
  /** What the state file says this process (or a crashed run) added: device + IP → entry. */
  private recorded = new Map<string, AddedAddress>();

  constructor(options: AddressManagerOptions) {
    this.ip = options.ip ?? ipCommand();
    this.log = options.logger;
    this.platform = options.platform ?? process.platform;
    this.now = options.now ?? Date.now;
    this.peerAddress = options.peerAddress;
    this.state =
      options.stateFile === undefined ? undefined : new AddressStateFile(options.stateFile);
    this.configure(options.services);
  }

  /** True between bind() and release(). */
  get isBound(): boolean {
    return this.bound;
  }

  /**
   * Puts the addresses on their devices as the modes say. Throws AddressError (and
   * takes back whatever this call added) when an address it must manage cannot be
   * bound; "off" addresses never throw, they are reported in status().
   */
  bind(): Promise<readonly AddressStatus[]> {
    return this.exclusive(async () => {
      if (!this.bound) {
        await this.readRecord();
        await this.bindAll([...this.bindings.values()]);
        this.bound = true;
        await this.removeStale();
      }
      return this.status();
    });
  }

  /**
   * Removes what is ours (mode "on", or added by this process in mode "auto"); leaves
   * the rest. Call it after every route is withdrawn. Tries every address, then throws
   * ADDRESS_RELEASE_FAILED naming each one it could not remove.
   */
  release(): Promise<readonly AddressStatus[]> {
    return this.exclusive(async () => {
      if (!this.bound) return this.status();
      this.bound = false;
      const ours = [...this.bindings.values(), ...this.retired.values()].filter(
        (b) => b.owner === 'self',
      );
      const failures = await this.releaseAll(ours);
      this.retired.clear();
      if (failures.length > 0)
        throw new AddressError(
          'ADDRESS_RELEASE_FAILED',
          `could not remove ${failures.length} address(es): ${failures.map((e) => e.message).join('; ')}`,
          { cause: new AggregateError(failures) },
        );
      return this.status();
    });
  }

  /**
   * Tells the manager a service's state. Only addresses of services with
   * withdraw_address_when_down change: an address is kept while any service listing it
   * wants it (is up, or does not withdraw). Before bind() it only records the state.
   */
  setServiceUp(service: string, up: boolean): Promise<readonly AddressStatus[]> {
    return this.exclusive(async () => {
      if (!this.services.has(service))
        throw new AddressError(
          'ADDRESS_UNKNOWN_SERVICE',
          `setServiceUp: no service named "${service}" was given to the address manager`,
        );
      const before = this.up.get(service) ?? false;
      this.up.set(service, up);
      if (!this.bound || before === up) return this.status();
      const affected = [...this.bindings.values()].filter((b) =>
        b.services.some((s) => s.name === service && s.withdrawWhenDown),
      );
      if (affected.length > 0) await this.updateAll(affected);
      return this.status();
    });
  }

  /**
   * Reload, first half: a new set of services. Call it before anything new can be
   * announced. It only adds: new addresses are bound, kept ones keep their ownership (an
   * address we added stays ours), and addresses no longer listed are retired, still on
   * their device, until prune(). One exception: a changed length of an address of ours
   * is replaced at once (IPv6 cannot hold both). Service states are kept by name; new
   * services start down.
   */
  update(services: readonly AddressServiceConfig[]): Promise<readonly AddressStatus[]> {
    return this.exclusive(async () => {
      const previous = this.bindings;
      this.configure(services);
      const next = this.bindings;
      if (!this.bound) return this.status();
      const toBind: Binding[] = [];
      const toUpdate: Binding[] = [];
      for (const binding of next.values()) {
        const old = previous.get(binding.key) ?? this.retired.get(binding.key);
        this.retired.delete(binding.key);
        if (old === undefined) {
          toBind.push(binding);
          continue;
        }
        binding.device = old.device;
        binding.present = old.present;
        binding.presentLengths = old.presentLengths;
        binding.addedBySelf = old.addedBySelf;
        binding.checkedAt = old.checkedAt;
        const owner = ownerAfterChange(old, binding);
        if (owner === undefined) {
          if (old.owner === 'self')
            this.log?.warn(
              { event: 'address.unmanaged', address: binding.address.cidr, device: binding.device },
              'address_management is "off" now: the address is left in place and no longer managed',
            );
          toBind.push(binding);
          continue;
        }
        binding.owner = owner;
        const device = binding.device;
        if (
          old.address.prefixLength !== binding.address.prefixLength &&
          old.present === true &&
          device !== undefined
        ) {
          await removeAddress(this.ip, old.address.cidr, device);
          this.log?.info(
            { event: 'address.replaced', address: old.address.cidr, device },
            'address replaced (new length)',
          );
        }
        toUpdate.push(binding);
      }
      for (const old of previous.values()) {
        if (next.has(old.key)) continue;
        old.services = [];
        this.retired.set(old.key, old);
      }
      await this.bindAll(toBind);
      await this.updateAll(toUpdate, { addOnly: true });
      return this.status();
    });
  }

  /**
   * Reload, second half: call it after the routes of removed or restarted services are
   * withdrawn. Removes the retired addresses that are ours, and ours that are no longer
   * wanted (withdraw_address_when_down). Failures are logged, not thrown: the reload
   * stands; status() still lists what could not be removed.
   */
  prune(): Promise<readonly AddressStatus[]> {
    return this.exclusive(async () => {
      if (!this.bound) return this.status();
      const retired = [...this.retired.values()].filter((b) => b.owner === 'self');
      const failures = await this.releaseAll(retired);
      for (const binding of retired) if (binding.present !== true) this.retired.delete(binding.key);
      for (const binding of this.retired.values())
        if (binding.owner !== 'self') this.retired.delete(binding.key);
      try {
        await this.updateAll([...this.bindings.values()]);
      } catch (error) {
        failures.push(error as AddressError);
      }
      if (failures.length > 0)
        this.log?.warn(
          { event: 'address.release_failed', errors: failures.map((e) => e.message) },
          'reload: could not remove addresses',
        );
      return this.status();
    });
  }

  /** Re-reads the kernel's addresses into status (for a live status view). */
  refresh(): Promise<readonly AddressStatus[]> {
    return this.exclusive(async () => {
      const list = [...this.bindings.values()].filter((b) => b.device !== undefined);
      if (!this.bound || list.length === 0 || this.platform !== 'linux') return this.status();
      const table = await readAddresses(this.ip);
      for (const binding of list) {
        this.observe(binding, table);
        // Read-only: an address that went missing is reported, not put back.
        if (binding.present === true) binding.problem = undefined;
        else if (this.wanted(binding)) binding.problem = this.absentProblem(binding);
      }
      return this.status();
    });
  }

  /** Every address with its device, presence and owner, as last seen. */
  status(): AddressStatus[] {
    return [...this.bindings.values(), ...this.retired.values()].map((b) => ({
      address: b.address.cidr,
      device: b.device,
      configuredDevice: b.configuredDevice,
      management: b.management,
      services: b.services.map((s) => s.name),
      present: b.present,
      presentLengths: [...b.presentLengths],
      addedBy: b.present === true ? (b.addedBySelf ? 'anycast-guard' : 'other') : undefined,
      removeOnRelease: this.bound && b.owner === 'self' && b.present === true,
      wanted: this.wanted(b),
      ...(b.problem === undefined ? {} : { problem: b.problem }),
      ...(b.checkedAt === undefined ? {} : { checkedAt: b.checkedAt }),
    }));
  }

  // ------------------------------------------------------------------ internals

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const recorded = async (): Promise<T> => {
      try {
        return await task();
      } finally {
        await this.saveRecord();
      }
    };
    const run = this.queue.then(recorded, recorded);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Builds the bindings (one per address and device) from the services; throws on bad settings. */
  private configure(services: readonly AddressServiceConfig[]): void {
    const entries = addressEntries(services);
    const bindings = new Map<string, Binding>();
    for (const entry of entries) {
      const key = `${entry.device} ${entry.address.ip}`;
      const ref = { name: entry.service, withdrawWhenDown: entry.withdrawWhenDown };
      const existing = bindings.get(key);
      if (existing !== undefined) existing.services.push(ref);
      else
        bindings.set(key, {
          key,
          address: entry.address,
          configuredDevice: entry.device,
          management: entry.management,
          services: [ref],
          device: entry.device === AUTO_DEVICE ? undefined : entry.device,
          owner: undefined,
          addedBySelf: false,
          present: undefined,
          presentLengths: [],
          problem: undefined,
          checkedAt: undefined,
        });
    }
    this.bindings = bindings;
    this.services = new Set(services.map((s) => s.name));
    for (const name of [...this.up.keys()]) if (!this.services.has(name)) this.up.delete(name);
  }

  /** Kept while any service listing it is up or does not withdraw its addresses when down. */
  private wanted(binding: Binding): boolean {
    return binding.services.some((s) => !s.withdrawWhenDown || this.up.get(s.name) === true);
  }

  private async bindAll(list: readonly Binding[]): Promise<void> {
    if (list.length === 0) return;
    const managed = list.filter((b) => b.management !== 'off');
    if (this.platform !== 'linux') {
      const first = managed[0];
      if (first !== undefined)
        throw new AddressError(
          'ADDRESS_UNSUPPORTED_PLATFORM',
          `cannot bind ${first.address.cidr} to ${first.configuredDevice}: address management needs Linux (iproute2), this is ${this.platform}; set address_management = "off" and bind the addresses yourself`,
          { address: first.address.cidr, device: first.configuredDevice },
        );
      for (const binding of list) {
        binding.present = undefined;
        binding.problem = `cannot check ${binding.address.cidr} on ${binding.configuredDevice}: not Linux (${this.platform})`;
        this.log?.warn(
          {
            event: 'address.check_unsupported',
            address: binding.address.cidr,
            platform: this.platform,
            problem: binding.problem,
          },
          'cannot check the address: not Linux',
        );
      }
      return;
    }
    const done: Binding[] = [];
    try {
      await this.resolveDevices(list);
      let table: AddressTable;
      try {
        table = await readAddresses(this.ip);
      } catch (error) {
        if (managed.length > 0) throw error;
        for (const binding of list) binding.problem = errorMessage(error);
        return;
      }
      for (const binding of list) {
        if (binding.device === undefined) continue; // unresolved "off": problem already set
        if (!table.has(binding.device)) {
          const problem = `no such device "${binding.device}"`;
          if (binding.management !== 'off')
            throw new AddressError(
              'ADDRESS_DEVICE_NOT_FOUND',
              `cannot bind ${binding.address.cidr} to ${binding.device}: ${problem}`,
              { address: binding.address.cidr, device: binding.device },
            );
          binding.present = false;
          binding.problem = `${binding.address.cidr} cannot be checked: ${problem}`;
          this.log?.warn(
            {
              event: 'address.check_failed',
              address: binding.address.cidr,
              problem: binding.problem,
            },
            'cannot check the address',
          );
          continue;
        }
        this.observe(binding, table);
        done.push(binding);
        await this.carryOut(binding, 'bind');
      }
    } catch (error) {
      await this.rollBack(done);
      const message = errorMessage(error);
      for (const binding of list) if (binding.owner === undefined) binding.problem ??= message;
      throw error;
    }
  }

  /** After a failed bind: take back what this call added, so a failed start leaves nothing. */
  private async rollBack(list: readonly Binding[]): Promise<void> {
    for (const binding of list) {
      const device = binding.device;
      if (binding.addedBySelf && device !== undefined) {
        try {
          await removeAddress(this.ip, binding.address.cidr, device);
          binding.present = false;
          binding.addedBySelf = false;
        } catch (error) {
          this.log?.error(
            { event: 'address.rollback_failed', err: error, address: binding.address.cidr, device },
            'could not take back an address after a failed bind',
          );
        }
      }
      binding.owner = undefined;
    }
  }

  private async resolveDevices(list: readonly Binding[]): Promise<void> {
    const auto = list.filter((b) => b.configuredDevice === AUTO_DEVICE);
    if (auto.length === 0) return;
    let device: string | undefined;
    let failure: AddressError | undefined;
    if (this.peerAddress === undefined)
      failure = new AddressError(
        'ADDRESS_DEVICE_UNRESOLVED',
        'device = "auto" needs a BGP peer to route toward, and there is none',
      );
    else {
      try {
        device = await routeDevice(this.ip, this.peerAddress);
      } catch (error) {
        failure =
          error instanceof AddressError
            ? error
            : new AddressError('ADDRESS_DEVICE_UNRESOLVED', errorMessage(error), { cause: error });
      }
    }
    for (const binding of auto) {
      if (device !== undefined) {
        binding.device = device;
        this.log?.info(
          {
            event: 'address.device_resolved',
            address: binding.address.cidr,
            device,
            peer: this.peerAddress,
          },
          'device = "auto" resolved',
        );
        continue;
      }
      const message = `cannot bind ${binding.address.cidr} to device "auto": ${failure?.message ?? 'unresolved'}`;
      if (binding.management !== 'off')
        throw new AddressError('ADDRESS_DEVICE_UNRESOLVED', message, {
          address: binding.address.cidr,
          device: AUTO_DEVICE,
          cause: failure,
        });
      binding.problem = message;
      this.log?.warn(
        { event: 'address.device_unresolved', address: binding.address.cidr, problem: message },
        'cannot resolve device "auto"',
      );
    }
  }

  /** The update phase for these bindings against a fresh look at the kernel. */
  private async updateAll(
    list: readonly Binding[],
    options: { addOnly?: boolean } = {},
  ): Promise<void> {
    const live = list.filter((b) => b.device !== undefined && b.owner !== undefined);
    if (live.length === 0 || this.platform !== 'linux') return;
    const table = await readAddresses(this.ip);
    for (const binding of live) {
      this.observe(binding, table);
      await this.carryOut(binding, 'update', options.addOnly === true);
    }
  }

  /** The release phase for these bindings; returns what failed. */
  private async releaseAll(list: readonly Binding[]): Promise<AddressError[]> {
    const live = list.filter((b) => b.device !== undefined);
    if (live.length === 0) return [];
    const failures: AddressError[] = [];
    let table: AddressTable;
    try {
      table = await readAddresses(this.ip);
    } catch (error) {
      return [error as AddressError];
    }
    for (const binding of live) {
      this.observe(binding, table);
      try {
        await this.carryOut(binding, 'release');
      } catch (error) {
        failures.push(error as AddressError);
      }
    }
    return failures;
  }

  /** Records what the kernel has for this binding's address on its device. */
  private observe(binding: Binding, table: AddressTable): void {
    const device = binding.device;
    if (device === undefined) return;
    binding.presentLengths = (table.get(device) ?? [])
      .filter((a) => sameIp(a.ip, binding.address.ip))
      .map((a) => a.prefixLength);
    binding.present = binding.presentLengths.length > 0;
    if (!binding.present) binding.addedBySelf = false;
    binding.checkedAt = this.now();
  }

  private async carryOut(binding: Binding, phase: AddressPhase, addOnly = false): Promise<void> {
    const device = binding.device;
    if (device === undefined || binding.present === undefined) return;
    const key = recordKey(device, binding.address.ip);
    const recorded = phase === 'bind' && binding.present && this.recorded.has(key);
    const decision: AddressDecision = decideAddress({
      management: binding.management,
      phase,
      present: binding.present,
      ...(binding.owner === undefined ? {} : { owner: binding.owner }),
      wanted: this.wanted(binding),
      ...(recorded ? { recorded } : {}),
    });
    if (addOnly && decision.action === 'remove') return; // prune() does it, after withdrawal
    binding.owner = decision.owner;
    if (recorded && decision.owner === 'self' && binding.management === 'auto') {
      binding.addedBySelf = true;
      this.log?.warn(
        { event: 'address.reclaimed', address: binding.address.cidr, device },
        'address left by an earlier run that did not stop cleanly: ours again',
      );
    }
    binding.problem = undefined;
    const fields = {
      address: binding.address.cidr,
      device,
      management: binding.management,
      services: binding.services.map((s) => s.name),
    };
    if (decision.action === 'add') {
      // Recorded before the add: a crash right after it still leaves the record.
      if (this.state !== undefined && !this.recorded.has(key)) {
        this.recorded.set(key, { address: binding.address.cidr, device });
        await this.writeRecord();
      }
      const result = await addAddress(this.ip, binding.address, device);
      if (result === 'added') binding.addedBySelf = true;
      binding.present = true;
      if (!binding.presentLengths.includes(binding.address.prefixLength))
        binding.presentLengths.push(binding.address.prefixLength);
      this.log?.info(
        { event: result === 'added' ? 'address.added' : 'address.already_present', ...fields },
        result === 'added' ? 'address added' : 'address already present',
      );
    } else if (decision.action === 'remove') {
      // Ours by mode or by our add: remove the configured length, else what is there.
      const lengths = binding.presentLengths.includes(binding.address.prefixLength)
        ? [binding.address.prefixLength]
        : [...binding.presentLengths];
      for (const length of lengths) {
        await removeAddress(this.ip, `${binding.address.ip}/${length}`, device);
        binding.presentLengths = binding.presentLengths.filter((l) => l !== length);
      }
      binding.present = binding.presentLengths.length > 0;
      if (!binding.present) binding.addedBySelf = false;
      this.log?.info(
        { event: phase === 'release' ? 'address.removed' : 'address.withdrawn', ...fields },
        phase === 'release' ? 'address removed' : 'address withdrawn',
      );
    } else if (decision.report === 'absent') {
      binding.problem = this.absentProblem(binding);
      this.log?.warn(
        { event: 'address.absent', ...fields, problem: binding.problem },
        'address absent',
      );
    }
  }

  /** Reads the state file at bind; an unreadable one is logged and taken as empty. */
  private async readRecord(): Promise<void> {
    if (this.state === undefined) return;
    try {
      const added = await this.state.read();
      this.recorded = new Map();
      for (const entry of added) {
        const ip = parseInterfaceAddress(entry.address).ip;
        this.recorded.set(recordKey(entry.device, ip), entry);
      }
    } catch (error) {
      this.recorded = new Map();
      this.log?.warn(
        { event: 'address.state_unreadable', path: this.state.path, err: errorMessage(error) },
        'cannot read the addresses an earlier run added: none are taken back',
      );
    }
  }

  /**
   * After bind: a recorded address no service lists any more is a crashed run's and
   * nobody wants it: removed. A failure is logged and the entry kept for the next try.
   */
  private async removeStale(): Promise<void> {
    const configured = new Set(
      [...this.bindings.values()]
        .filter((b) => b.device !== undefined)
        .map((b) => recordKey(b.device ?? '', b.address.ip)),
    );
    const stale = [...this.recorded].filter(([key]) => !configured.has(key));
    if (stale.length === 0 || this.platform !== 'linux') return;
    let table: AddressTable;
    try {
      table = await readAddresses(this.ip);
    } catch (error) {
      this.log?.warn(
        { event: 'address.release_failed', errors: [errorMessage(error)] },
        'cannot remove the addresses an earlier run left',
      );
      return;
    }
    for (const [key, entry] of stale) {
      const ip = parseInterfaceAddress(entry.address).ip;
      const there = (table.get(entry.device) ?? []).filter((a) => sameIp(a.ip, ip));
      try {
        for (const a of there)
          await removeAddress(this.ip, `${ip}/${a.prefixLength}`, entry.device);
        this.recorded.delete(key);
        if (there.length > 0)
          this.log?.warn(
            { event: 'address.stale_removed', address: entry.address, device: entry.device },
            'address left by an earlier run that did not stop cleanly, and no longer configured: removed',
          );
      } catch (error) {
        this.log?.warn(
          { event: 'address.release_failed', errors: [errorMessage(error)] },
          'cannot remove an address an earlier run left',
        );
      }
    }
  }

  /**
   * Brings the record in line with what is ours and on a device now, and writes it when
   * it changed. A write that fails is logged: it costs only the next start's cleanup.
   */
  private async saveRecord(): Promise<void> {
    const state = this.state;
    if (state === undefined) return;
    for (const b of [...this.bindings.values(), ...this.retired.values()]) {
      if (b.device === undefined) continue;
      const key = recordKey(b.device, b.address.ip);
      if (b.owner === 'self' && b.addedBySelf && b.present === true)
        this.recorded.set(key, { address: b.address.cidr, device: b.device });
      else if (b.present !== undefined) this.recorded.delete(key);
    }
    await this.writeRecord();
  }

  private async writeRecord(): Promise<void> {
    const state = this.state;
    if (state === undefined) return;
    try {
      await state.write([...this.recorded.values()]);
    } catch (error) {
      this.log?.error(
        { event: 'address.state_not_written', path: state.path, err: errorMessage(error) },
        'cannot record the addresses this process added: a crash would leave them behind',
      );
    }
  }

  private absentProblem(binding: Binding): string {
    const where = `${binding.address.cidr} is not on ${binding.device ?? binding.configuredDevice}`;
    if (binding.management === 'off')
      return `${where}; address_management = "off", so add it yourself or traffic to it is dropped`;
    if (binding.owner === 'self')
      return `${where}; anycast-guard added it and something else removed it since`;
    return `${where}; it was there before anycast-guard started (not ours to re-add); add it again, or restart so "auto" adds it`;
  }
}

/**
 * Who a kept address belongs to after a reload changed its mode or length; undefined
 * means "decide afresh, as at bind". Ours stays ours while the new mode manages
 * addresses; "off" hands it over (left in place); "on" takes anything.
 */
function ownerAfterChange(old: Binding, next: Binding): AddressOwner | undefined {
  if (next.management === 'off') return undefined;
  if (old.owner === 'self') return 'self';
  if (old.management === next.management && old.owner !== undefined) return old.owner;
  return undefined;
}

function recordKey(device: string, ip: string): string {
  return `${device} ${canonicalIp(ip)}`;
}

export function createAddressManager(options: AddressManagerOptions): AddressManager {
  return new AddressManager(options);
}
