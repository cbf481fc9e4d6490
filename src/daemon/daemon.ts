/**
 * The composition root: one daemon wires config, checks, health and the BGP
 * speaker, and owns their lifecycle (DESIGN.md "Lifecycle order").
 *
 * start: addresses bound, then every announcer up and reconciled (the embedded
 *        speaker, and each routing daemon in use: stale routes of a crashed run
 *        go), announcing nothing; then checks. Each result feeds the pure health
 *        machine; a transition recomputes the desired routes and each announcer
 *        is told its difference.
 * stop:  checks stop, then every announcer withdraws everything (the speaker
 *        sends Cease), then the addresses this process added go.
 * reload: services whose config is unchanged keep their checks and state (a
 *        healthy service is never withdrawn by a reload); changed ones get new
 *        checks but continue from the old health (ServiceHealth.continueFrom: a
 *        new check is innocent until proven guilty), so a config rollout never
 *        takes a healthy fleet off the air; removed ones are withdrawn.
 * fleet guard: a service whose guard holds a judged failure wants a withdrawal permit;
 *        the daemon tells `onPermitWanted` at once and takes the directors' decision
 *        through `setWithdrawal` (the asking is node-ads' FleetGuard).
 *
 * start and stop are the daemon's three `parts` (addresses, announcers, services), run
 * in order and in reverse by src/lifecycle; `anycast-guard run` puts the same parts in
 * the node's one list (src/cli/run.ts).
 *
 * Over 500 lines on purpose: start, results, reload and stop all act on one table of
 * services and on what each announcer was told; the decisions are pure, in src/health.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { AnnounceAttributes, PeerStatus } from '../bgp/index.js';
import {
  BgpAnnouncer,
  routingDaemons,
  type Announcer,
  type AnnouncerContext,
  type AnnouncerKind,
  type AnnouncerStatus,
  type RouteRef,
  type RoutingDaemonConfig,
} from '../announcers/index.js';
import { systemClock, type Clock, type TimerHandle } from '../clock/index.js';
import {
  checkTypes as defaultCheckTypes,
  CheckScheduler,
  provesServiceGone,
  splayFraction,
  type CheckResult,
  type CheckTiming,
  type CheckType,
  type HealthCheck,
} from '../checks/index.js';
import {
  addressSettings,
  type DaemonConfig,
  type FleetGuardSettings,
  type PrefixConfig,
  type ServiceConfig,
} from '../config/index.js';
import {
  ServiceHealth,
  desiredRoutes,
  type DesiredRoute,
  type DrainOrder,
  type ServiceSettings,
  type ServiceSnapshot,
  type Transition,
} from '../health/index.js';
import { Lifecycle, part, type Part } from '../lifecycle/index.js';
import { runHook } from './hook.js';
import {
  addressStatePath,
  createAddressManager,
  type AddressManager,
  type AddressStatus,
  type IpRunner,
} from '../addresses/index.js';
import { errorMessage } from '../util/index.js';
import type { WithdrawalDecision } from '../director/index.js';

export interface DaemonOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  readonly checkTypes?: Readonly<Record<string, CheckType<never>>>;
  /** Called on every service transition (tests, the demo, the API). */
  readonly onTransition?: (transition: Transition) => void;
  /**
   * Services drained before this process started (service → reason, or the drain with a
   * graceful deadline), e.g. restored from disk: they are drained from the first moment,
   * before anything could be announced.
   */
  readonly drained?: ReadonlyMap<string, string | DrainOrder>;
  /** How to run iproute2's `ip` for address management (tests point it at a namespace). */
  readonly ip?: IpRunner;
  /** Builds a routing-daemon announcer (default: its definition's factory); tests pass fakes. */
  readonly createAnnouncer?: (config: RoutingDaemonConfig, context: AnnouncerContext) => Announcer;
  /**
   * A service's fleet guard started (or stopped) wanting a withdrawal permit: ask the
   * directors now and give their decision to `setWithdrawal`. Not called at stop (a
   * node that stops releases nothing: its farewell ad frees its permits).
   */
  readonly onPermitWanted?: (want: PermitWant) => void;
  /** Called on every check result, with its scheduling lag (metrics, benchmarks). */
  readonly onCheckResult?: (
    service: string,
    check: HealthCheck,
    result: CheckResult,
    timing: CheckTiming,
  ) => void;
}

/** What `onPermitWanted` hears: a service whose guard wants (or no longer wants) a permit. */
export interface PermitWant {
  readonly service: string;
  readonly wanted: boolean;
  readonly guard: FleetGuardSettings;
}

interface ManagedService {
  readonly config: ServiceConfig;
  readonly health: ServiceHealth;
  readonly checks: readonly HealthCheck[];
  wake: TimerHandle | undefined;
  /** What `onPermitWanted` was last told. */
  permitWanted: boolean;
  /** The service's on_change hooks, one at a time, so a hook sees its transitions in order. */
  hooks: Promise<void>;
}

/** A changed service on reload, continued from the old one: what is left to act on. */
interface Carried {
  readonly service: ManagedService;
  /** The one evaluation under the new settings changed its state. */
  readonly transition?: Transition;
  /** The old config's guard: the driver may still be asking under it. */
  readonly previousGuard?: FleetGuardSettings;
}

/** A service's prefix, and for the embedded speaker to how many peers it is announced now. */
export type PrefixStatus = PrefixConfig & {
  readonly peers?: { readonly sent: number; readonly of: number };
};

export interface RouteStatus {
  readonly announcer: AnnouncerKind;
  readonly prefix: string;
  readonly vrf?: string;
  readonly services: readonly string[];
  readonly degraded: boolean;
  /** Carrying GRACEFUL_SHUTDOWN until its service's drain withdraws it. */
  readonly draining: boolean;
  /** Kept announced by its service's fleet guard. */
  readonly guarded: boolean;
  readonly attributes: AnnounceAttributes;
}

export interface DaemonStatus {
  readonly services: readonly (ServiceSnapshot & { readonly prefixes: readonly PrefixStatus[] })[];
  readonly routes: readonly RouteStatus[];
  readonly peers: readonly PeerStatus[];
  readonly addresses: readonly AddressStatus[];
  readonly announcers: readonly AnnouncerStatus[];
}

export class DaemonError extends Error {
  readonly kind = 'daemon.failed';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DaemonError';
  }
}

export class Daemon {
  private config: DaemonConfig;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly types: Readonly<Record<string, CheckType<never>>>;
  private readonly onTransition: ((transition: Transition) => void) | undefined;
  private readonly onResultHook: DaemonOptions['onCheckResult'];
  private readonly onPermitWanted: DaemonOptions['onPermitWanted'];
  /** The embedded speaker, when [bgp] is configured. */
  private bgp: BgpAnnouncer | undefined;
  /** Every announcer in use, the embedded speaker included, by kind. */
  private readonly announcers = new Map<AnnouncerKind, Announcer>();
  private readonly createAnnouncer: NonNullable<DaemonOptions['createAnnouncer']>;
  private readonly services = new Map<string, ManagedService>();
  private readonly owners = new Map<HealthCheck, ManagedService>();
  private readonly scheduler: CheckScheduler;
  /** What the announcers have been told to announce, by desiredRouteKey. */
  private readonly announced = new Map<string, DesiredRoute>();
  private running = false;
  private readonly ip: IpRunner | undefined;
  private readonly initiallyDrained: ReadonlyMap<string, string | DrainOrder>;
  /** While a graceful stop waits: the services still draining, and how to end the wait. */
  private grace: { readonly names: Set<string>; readonly done: () => void } | undefined;
  private addresses: AddressManager | undefined;
  /** withdraw_address_when_down services whose addresses are bound now. */
  private readonly addressesUp = new Set<string>();
  /** Address changes run one at a time, in transition order. */
  private addressQueue: Promise<unknown> = Promise.resolve();
  /**
   * The daemon's parts in start order (DESIGN.md "Lifecycle order"); a stop runs them in
   * reverse. `anycast-guard run` puts them, in this order, in the node's list.
   */
  readonly parts: readonly Part[] = [
    part('addresses', {
      start: () => this.bindAddresses(),
      stop: (reason) => this.releaseAddresses(reason),
    }),
    part('announcers', {
      start: () => this.startAnnouncers(this.config),
      stop: (reason) => this.stopAnnouncers(reason),
    }),
    part('services', { start: () => this.startServices(), stop: () => this.stopServices() }),
  ];
  private readonly lifecycle: Lifecycle;

  constructor(config: DaemonConfig, options: DaemonOptions) {
    this.config = config;
    this.log = options.logger;
    this.clock = options.clock ?? systemClock;
    this.types = options.checkTypes ?? defaultCheckTypes;
    this.onTransition = options.onTransition;
    this.onResultHook = options.onCheckResult;
    this.onPermitWanted = options.onPermitWanted;
    this.ip = options.ip;
    this.initiallyDrained = options.drained ?? new Map();
    this.createAnnouncer =
      options.createAnnouncer ??
      ((config, context) => routingDaemons[config.kind].create(config.settings, context));
    this.scheduler = new CheckScheduler({
      clock: this.clock,
      // The service is part of the phase: a thousand services checking the same URL
      // (equal check names) must not all fire in the same millisecond.
      splay: (check) =>
        splayFraction(`${this.owners.get(check)?.config.name ?? ''}\0${check.type}\0${check.name}`),
      onResult: (check, result, timing) => this.onCheckResult(check, result, timing),
      isChanging: (check) => this.isCheckChanging(check),
    });
    this.lifecycle = new Lifecycle(this.parts, {
      log: this.log,
      timers: this.clock,
      unwindReason: 'anycast-guard failed to start',
    });
  }

  get currentConfig(): DaemonConfig {
    return this.config;
  }

  /** Runs the daemon's parts alone (tests, the demo); `anycast-guard run` runs the node's list. */
  async start(): Promise<void> {
    await this.lifecycle.start();
  }

  /** Withdraw everything, Cease every session, stop every check. Bounded in time. */
  async stop(reason = 'anycast-guard shutting down'): Promise<void> {
    const [failure] = await this.lifecycle.stop(reason);
    if (failure !== undefined) throw failure.error;
  }

  /** Lifecycle order (DESIGN.md): the addresses are bound before anything could announce. */
  private async bindAddresses(): Promise<void> {
    const addresses = createAddressManager({
      services: this.config.services.map(addressSettings),
      ...(this.config.bgp?.peers[0] === undefined
        ? {}
        : { peerAddress: this.config.bgp.peers[0].address }),
      logger: this.log.child({ component: 'addresses' }),
      ...(this.ip === undefined ? {} : { ip: this.ip }),
      // What this run adds is recorded, so a start after a crash takes it back.
      stateFile: addressStatePath(this.config.api.stateDir),
    });
    await addresses.bind();
    this.addresses = addresses;
  }

  /** Routes are gone; only now may the addresses go (DESIGN.md lifecycle order). */
  private async releaseAddresses(reason: string): Promise<void> {
    await this.addressQueue;
    await this.addresses?.release();
    this.addresses = undefined;
    this.addressesUp.clear();
    this.log.info(
      { event: 'daemon.stopped', reason },
      'anycast-guard stopped: every route withdrawn',
    );
  }

  /** The services, their checks, and the first announcements ("always" services are up). */
  private async startServices(): Promise<void> {
    if (this.running) return;
    try {
      for (const service of this.config.services) {
        const drained = this.initiallyDrained.get(service.name);
        this.addService(service, typeof drained === 'string' ? { reason: drained } : drained);
      }
    } catch (error) {
      for (const service of [...this.services.values()]) this.removeService(service);
      throw error;
    }
    for (const service of this.config.services) {
      if (service.withdrawAddressWhenDown && service.announce === 'always')
        await this.bindServiceAddresses(service.name);
    }
    this.running = true;
    this.scheduler.start();
    // Services announced "always" are up from the start.
    this.reconcile();
    this.log.info(
      {
        event: 'daemon.started',
        services: this.config.services.length,
        peers: this.config.bgp?.peers.length ?? 0,
        announcers: [...this.announcers.keys()],
      },
      'anycast-guard started',
    );
  }

  /** Checks stop; the announcers' stop (next) withdraws every route. */
  private async stopServices(): Promise<void> {
    this.running = false;
    await this.scheduler.stop();
    // Quietly: a node that stops releases no permit, its farewell ad frees them.
    for (const service of this.services.values()) this.removeService(service, false);
    this.announced.clear();
  }

  /** Apply a new config. Unchanged services keep their state; the caller validated `next`. */
  async reload(
    next: DaemonConfig,
  ): Promise<{ added: string[]; changed: string[]; removed: string[] }> {
    const previous = this.config;
    const fresh = await this.reloadAnnouncers(previous, next);
    // New addresses are bound before anything could announce them.
    await this.addresses?.update(next.services.map(addressSettings));
    const nextByName = new Map(next.services.map((s) => [s.name, s]));
    const added: string[] = [];
    const changed: string[] = [];
    const removed: string[] = [];
    const carried: Carried[] = [];
    for (const [name, managed] of [...this.services]) {
      const wanted = nextByName.get(name);
      if (wanted === undefined) {
        this.removeService(managed);
        removed.push(name);
      } else if (!isDeepStrictEqual(wanted, managed.config)) {
        carried.push(this.replaceService(managed, wanted));
        changed.push(name);
      }
    }
    for (const service of next.services) {
      if (!this.services.has(service.name)) {
        this.addService(service);
        added.push(service.name);
      }
    }
    this.config = next;
    this.tellKnownRoutes();
    // A changed service keeps its addresses' state: it continues, it does not restart.
    for (const name of removed) this.addressesUp.delete(name);
    for (const carry of carried) this.afterCarry(carry);
    this.reconcile();
    // Started only now, with the routes they should carry already asked for, so their
    // first sync does not withdraw what a moment later they would announce again.
    await Promise.all(fresh.map((a) => a.start()));
    // Withdrawn first, then the addresses no service wants any more are removed.
    await this.addressQueue;
    await this.addresses?.prune();
    for (const service of this.services.values()) {
      if (service.config.withdrawAddressWhenDown && service.health.state === 'up') {
        await this.bindServiceAddresses(service.config.name);
      }
    }
    this.log.info(
      { event: 'config.reloaded', added, changed, removed, source: next.source },
      'configuration reloaded',
    );
    return { added, changed, removed };
  }

  /**
   * Drains or undrains a service. `wait` (seconds) makes a drain graceful (RFC 8326): its
   * routes carry GRACEFUL_SHUTDOWN for that long, then go; an undrain meanwhile cancels it.
   */
  drain(
    name: string,
    drained: boolean,
    reason?: string,
    options: { readonly wait?: number } = {},
  ): Transition | undefined {
    const service = this.services.get(name);
    if (service === undefined) throw new DaemonError(`no service named "${name}"`);
    const now = this.clock.now();
    // Graceful only for what is announced now: a withdrawn service is drained at once, and
    // stays out even if it recovers within the wait.
    const announced = [...this.announced.values()].some((r) => r.services.includes(name));
    const until =
      drained && announced && options.wait !== undefined ? now + options.wait * 1000 : undefined;
    const transition = service.health.setDrained(drained, now, reason, until);
    if (transition !== undefined) this.afterTransition(service, transition);
    else this.scheduleWake(service);
    return transition;
  }

  /**
   * The directors' decision on a withdrawal permit the service wanted (`onPermitWanted`):
   * withdraw → down, hold → guarded. Ignored when it no longer wants one.
   */
  setWithdrawal(name: string, decision: WithdrawalDecision): Transition | undefined {
    const service = this.services.get(name);
    if (service === undefined || !this.running) return undefined;
    const transition = service.health.setWithdrawal(decision, this.clock.now());
    if (transition !== undefined) this.afterTransition(service, transition);
    else this.notePermit(service);
    return transition;
  }

  /** The drain in force on a service (its reason, and a graceful one's deadline). */
  drainOf(name: string): DrainOrder | undefined {
    return this.services.get(name)?.health.drainOrder;
  }

  /**
   * The first half of a graceful stop (`[daemon] stop_grace`): every service drained in
   * this process only (never on disk: the next start announces as usual), gracefully for
   * `seconds` where it is announced, at once where not, so nothing new is announced
   * either. Resolves when every draining service has been withdrawn, or at once on
   * `skipStopGrace()`; the stop that follows withdraws the rest.
   */
  async drainForStop(seconds: number, reason: string): Promise<void> {
    if (!this.running) return;
    const draining: string[] = [];
    for (const [name, service] of this.services) {
      if (service.health.state === 'drained') continue;
      // An operator's graceful drain already under way keeps its deadline if sooner.
      const now = this.clock.now();
      const deadline = Math.min(service.health.drainOrder?.until ?? Infinity, now + seconds * 1000);
      this.drain(name, true, reason, { wait: (deadline - now) / 1000 });
      if (service.health.state === 'draining') draining.push(name);
    }
    this.log.info(
      { event: 'daemon.stop_grace', seconds, services: draining },
      draining.length > 0
        ? 'stopping gracefully: routes announced with GRACEFUL_SHUTDOWN before they are withdrawn'
        : 'stopping: nothing announced to drain gracefully',
    );
    if (draining.length === 0) return;
    await new Promise<void>((resolve) => {
      // Each service's own wake ends its draining at the deadline; this timer is the net.
      const timer = this.clock.setTimeout(() => this.grace?.done(), seconds * 1000);
      this.grace = {
        names: new Set(draining),
        done: () => {
          this.clock.clearTimeout(timer);
          this.grace = undefined;
          resolve();
        },
      };
    });
  }

  /** Ends a graceful stop's wait now (a second SIGTERM); false when none is waiting. */
  skipStopGrace(): boolean {
    const grace = this.grace;
    grace?.done();
    return grace !== undefined;
  }

  status(): DaemonStatus {
    const routes = this.desired();
    return {
      services: [...this.services.values()].map((s) => ({
        ...s.health.snapshot(),
        prefixes: s.config.prefixes.map((p) => {
          const peers = p.announcer === 'bgp' ? this.bgp?.announcedTo(p.prefix) : undefined;
          return peers === undefined ? p : { ...p, peers };
        }),
      })),
      routes: [...routes.values()].map((r) => ({
        announcer: r.announcer,
        prefix: r.prefix,
        ...(r.vrf === undefined ? {} : { vrf: r.vrf }),
        services: r.services,
        degraded: r.degraded,
        draining: r.draining,
        guarded: r.guarded,
        attributes: r.attributes,
      })),
      peers: this.bgp?.peerStatus() ?? [],
      addresses: this.addresses?.status() ?? [],
      announcers: [...this.announcers.values()].map((a) => a.status()),
    };
  }

  private announcerContext(kind: AnnouncerKind): AnnouncerContext {
    return {
      logger: this.log.child({ component: 'announcer', announcer: kind }),
      clock: this.clock,
      stateDir: this.config.api.stateDir,
    };
  }

  /**
   * The embedded speaker and each routing daemon, started in parallel and reconciled.
   * When one fails, every one is stopped again before this throws.
   */
  private async startAnnouncers(config: DaemonConfig): Promise<void> {
    if (config.bgp !== undefined) {
      this.bgp = new BgpAnnouncer(config.bgp, {
        logger: this.log.child({ component: 'bgp' }),
        clock: this.clock,
      });
      this.announcers.set('bgp', this.bgp);
    }
    for (const daemon of config.announcers)
      this.announcers.set(
        daemon.kind,
        this.createAnnouncer(daemon, this.announcerContext(daemon.kind)),
      );
    this.tellKnownRoutes();
    try {
      await Promise.all([...this.announcers.values()].map((a) => a.start()));
    } catch (error) {
      await this.stopAnnouncers('anycast-guard failed to start');
      throw error;
    }
  }

  private async stopAnnouncers(reason: string): Promise<void> {
    const all = [...this.announcers.values()];
    this.announcers.clear();
    this.bgp = undefined;
    await Promise.all(all.map((a) => a.stop(reason)));
  }

  /** Each announcer learns every route the config gives it: those are its to reconcile. */
  private tellKnownRoutes(): void {
    const known = new Map<AnnouncerKind, RouteRef[]>();
    for (const service of this.config.services)
      for (const p of service.prefixes) {
        const list = known.get(p.announcer) ?? [];
        list.push(p.vrf === undefined ? { prefix: p.prefix } : { prefix: p.prefix, vrf: p.vrf });
        known.set(p.announcer, list);
      }
    for (const [kind, announcer] of this.announcers) announcer.setKnown(known.get(kind) ?? []);
  }

  /**
   * [bgp] and [announcers] on reload: the speaker keeps every session it can; a routing
   * daemon announcer whose settings changed is stopped (its routes withdrawn) and a new
   * one started with the routes it should carry, so nothing is left where the old
   * settings pointed; one no longer in use withdraws its routes and goes.
   */
  private async reloadAnnouncers(previous: DaemonConfig, next: DaemonConfig): Promise<Announcer[]> {
    const fresh: Announcer[] = [];
    if (!isDeepStrictEqual(previous.bgp, next.bgp)) {
      if (next.bgp === undefined) {
        await this.bgp?.stop('anycast-guard configuration changed: [bgp] removed');
        this.announcers.delete('bgp');
        this.bgp = undefined;
        this.forgetAnnounced('bgp');
      } else if (this.bgp === undefined) {
        this.bgp = new BgpAnnouncer(next.bgp, {
          logger: this.log.child({ component: 'bgp' }),
          clock: this.clock,
        });
        this.announcers.set('bgp', this.bgp);
        fresh.push(this.bgp);
      } else await this.bgp.reload(next.bgp);
    } else if (this.bgp !== undefined && next.bgp !== undefined) {
      // The same [bgp]: a password_file's content may still have changed.
      await this.bgp.reload(next.bgp);
    }
    const before = new Map(previous.announcers.map((a) => [a.kind, a]));
    const after = new Map(next.announcers.map((a) => [a.kind, a]));
    for (const [kind, config] of before) {
      const wanted = after.get(kind);
      if (wanted !== undefined && isDeepStrictEqual(wanted, config)) continue;
      const old = this.announcers.get(kind);
      this.announcers.delete(kind);
      this.forgetAnnounced(kind);
      this.log.info(
        {
          event: wanted === undefined ? 'announcer.removed' : 'announcer.restarting',
          announcer: kind,
        },
        wanted === undefined
          ? 'announcer no longer used: withdrawing its routes'
          : 'announcer settings changed: restarting it',
      );
      await old?.stop('anycast-guard configuration changed');
    }
    for (const [kind, config] of after) {
      if (this.announcers.has(kind)) continue;
      const announcer = this.createAnnouncer(config, this.announcerContext(kind));
      this.announcers.set(kind, announcer);
      fresh.push(announcer);
    }
    return fresh;
  }

  /** An announcer went away: what it was told is no longer announced anywhere. */
  private forgetAnnounced(kind: AnnouncerKind): void {
    for (const [key, route] of this.announced)
      if (route.announcer === kind) this.announced.delete(key);
  }

  /** `drain`: the drain it starts under, if any (a graceful one keeps its deadline). */
  private addService(config: ServiceConfig, drain?: DrainOrder): void {
    const checks = this.createChecks(config);
    const health = new ServiceHealth(healthSettings(config), this.clock.now());
    if (drain !== undefined) health.setDrained(true, this.clock.now(), drain.reason, drain.until);
    this.register({
      config,
      health,
      checks,
      wake: undefined,
      permitWanted: false,
      hooks: Promise.resolve(),
    });
  }

  /**
   * A changed service: new checks, the health continued from the old one's (its drain
   * too: the operator's word outlives a config change). The guard conversation carries
   * on untold: a permit still wanted is still wanted, and an answer in flight is applied
   * to the new health by name. `afterCarry` acts on what the new settings changed.
   */
  private replaceService(old: ManagedService, config: ServiceConfig): Carried {
    const checks = this.createChecks(config);
    // Its checks go; its entry is overwritten in place (status keeps the config's order).
    this.unregister(old);
    const { health, transition } = ServiceHealth.continueFrom(
      old.health,
      healthSettings(config),
      this.clock.now(),
    );
    const service: ManagedService = {
      config,
      health,
      checks,
      wake: undefined,
      permitWanted: old.permitWanted,
      hooks: old.hooks,
    };
    this.register(service);
    return {
      service,
      ...(transition === undefined ? {} : { transition }),
      ...(old.config.fleetGuard === undefined ? {} : { previousGuard: old.config.fleetGuard }),
    };
  }

  /** Once the new config is in force: the carried service's transition, wake and permit. */
  private afterCarry({ service, transition, previousGuard }: Carried): void {
    const guard = service.config.fleetGuard;
    if (service.permitWanted && guard === undefined) {
      // The guard is gone: its driver stops asking (and releases) under the old settings.
      service.permitWanted = false;
      this.tellPermit(service, false, previousGuard);
    }
    if (transition !== undefined) this.afterTransition(service, transition);
    else {
      this.notePermit(service);
      this.scheduleWake(service);
    }
    if (service.permitWanted && guard !== undefined && !isDeepStrictEqual(guard, previousGuard)) {
      // Still asking, under a new minimum: the driver asks with it from its next round.
      this.callPermitListener({ service: service.config.name, wanted: true, guard });
    }
  }

  private createChecks(config: ServiceConfig): HealthCheck[] {
    return config.checks.map((check) => {
      const type = this.types[check.type];
      if (type === undefined)
        throw new DaemonError(`services.${config.name}: unknown check type "${check.type}"`);
      const { spec, type: _type, ...common } = check;
      return type.create(spec as never, common, { service: config.name });
    });
  }

  private register(managed: ManagedService): void {
    this.services.set(managed.config.name, managed);
    for (const check of managed.checks) {
      this.owners.set(check, managed);
      this.scheduler.add(check);
    }
  }

  /** `tell`: whether a permit it wanted is given up (released); not at stop. */
  private removeService(managed: ManagedService, tell = true): void {
    if (managed.permitWanted && tell) {
      managed.permitWanted = false;
      this.tellPermit(managed, false);
    }
    this.unregister(managed);
    this.services.delete(managed.config.name);
  }

  /** Its checks stop and its wake is cleared; the caller drops or replaces its entry. */
  private unregister(managed: ManagedService): void {
    for (const check of managed.checks) {
      this.scheduler.remove(check);
      this.owners.delete(check);
      check.close?.();
    }
    if (managed.wake !== undefined) this.clock.clearTimeout(managed.wake);
  }

  /** Counting towards rise (down, passing) or fall (up, failing): interval_while_changing applies. */
  private isCheckChanging(check: HealthCheck): boolean {
    const health = this.owners.get(check)?.health.check(check.name);
    if (health === undefined) return false;
    return health.up ? health.consecutiveFailures > 0 : health.consecutivePasses > 0;
  }

  private onCheckResult(check: HealthCheck, result: CheckResult, timing: CheckTiming): void {
    const service = this.owners.get(check);
    if (service === undefined || !this.running) return;
    this.log.debug(
      {
        event: 'check.result',
        service: service.config.name,
        check: check.name,
        ok: result.ok,
        reason: result.reason,
        ms: result.durationMs,
        lagMs: timing.lagMs,
        trigger: timing.trigger,
        ...(result.failFast === true ? { failFast: true } : {}),
      },
      'check result',
    );
    this.onResultHook?.(service.config.name, check, result, timing);
    const transition = service.health.onResult(check.name, result, this.clock.now());
    if (result.fault === 'daemon') this.logDaemonFault(service, check);
    if (transition !== undefined) this.afterTransition(service, transition);
    // A judged failure held by the guard is no transition: the service stays up, asking.
    else this.notePermit(service);
  }

  /** Tells `onPermitWanted` when the service's guard starts or stops wanting a permit. */
  private notePermit(service: ManagedService): void {
    const wanted = service.health.permitWanted();
    if (wanted === service.permitWanted) return;
    service.permitWanted = wanted;
    this.tellPermit(service, wanted);
  }

  private tellPermit(
    service: ManagedService,
    wanted: boolean,
    guard = service.config.fleetGuard,
  ): void {
    if (guard === undefined || this.onPermitWanted === undefined) return;
    if (wanted)
      this.log.warn(
        {
          event: 'guard.permit_wanted',
          service: service.config.name,
          reason: service.health.snapshot().reason,
        },
        'checks judge the service down: asking the directors for a withdrawal permit',
      );
    this.callPermitListener({ service: service.config.name, wanted, guard });
  }

  private callPermitListener(want: PermitWant): void {
    try {
      this.onPermitWanted?.(want);
    } catch (error) {
      this.log.error(
        { event: 'guard.listener_failed', service: want.service, err: errorMessage(error) },
        'the fleet guard listener failed',
      );
    }
  }

  /**
   * A check that failed for want of the daemon's own descriptors or memory: loud, since
   * the daemon is in trouble, but the service is held as it was for a grace period.
   */
  private logDaemonFault(service: ManagedService, check: HealthCheck): void {
    const health = service.health.check(check.name);
    const streak = health?.daemonFault;
    if (health === undefined || streak === undefined) return;
    this.log[streak.held ? 'warn' : 'error'](
      {
        event: 'check.daemon_fault',
        service: service.config.name,
        check: check.name,
        reason: health.last?.reason,
        count: streak.count,
        since: streak.since,
        held: streak.held,
        up: health.up,
      },
      streak.held
        ? "check failed for want of the daemon's own resources: holding the check's state"
        : "check still failing for want of the daemon's own resources: counted as a failure",
    );
  }

  private afterTransition(service: ManagedService, transition: Transition): void {
    const prefixes = service.config.prefixes.map((p) => p.prefix);
    // Guarded is loud: a sick service kept announced so the fleet keeps its minimum.
    const guarded = transition.to === 'guarded';
    const level = transition.to === 'up' ? 'info' : guarded ? 'error' : 'warn';
    const fleet = guarded ? service.health.snapshot().guard?.fleet : undefined;
    this.log[level](
      {
        event: 'service.state_changed',
        service: transition.service,
        state: transition.to,
        previous: transition.from,
        reason: transition.reason,
        prefixes,
        ...(fleet === undefined ? {} : { fleet }),
      },
      guarded
        ? 'service kept announced by the fleet guard: withdrawing would leave too few nodes announcing'
        : 'service state changed',
    );
    this.notePermit(service);
    this.scheduleWake(service);
    if (service.config.withdrawAddressWhenDown) {
      if (transition.to === 'up') {
        // Announce only once the address is there: reconcile runs after the bind.
        void this.bindServiceAddresses(service.config.name);
      } else if (
        ((transition.from === 'up' || transition.from === 'guarded') &&
          transition.to !== 'draining' &&
          transition.to !== 'guarded') ||
        (transition.from === 'draining' && this.addressesUp.has(service.config.name))
      ) {
        // Draining and guarded still take traffic: the addresses go with the route, not before it.
        // Queued, so it runs after the reconcile below has withdrawn the route.
        this.addressesUp.delete(service.config.name);
        void this.enqueueAddressChange(service.config.name, false);
      }
    }
    this.reconcile();
    if (this.grace !== undefined && transition.from === 'draining') {
      this.grace.names.delete(service.config.name);
      if (this.grace.names.size === 0) this.grace.done();
    }
    this.onTransition?.(transition);
    const onChange = service.config.onChange;
    if (onChange !== undefined) {
      // Queued per service: two transitions in one moment would otherwise race as two
      // processes, and a notify script could see "down" after the "up" that followed it.
      // Each run is bounded by on_change_timeout, so the queue always drains.
      service.hooks = service.hooks
        .then(() => runHook(onChange, transition, service.config.onChangeTimeout, this.log))
        .catch(() => undefined);
    }
  }

  /** A held-down service needs a tick when its hold-down ends. */
  private scheduleWake(service: ManagedService): void {
    if (service.wake !== undefined) this.clock.clearTimeout(service.wake);
    service.wake = undefined;
    const at = service.health.nextWake();
    if (at === undefined) return;
    service.wake = this.clock.setTimeout(
      () => {
        service.wake = undefined;
        const transition = service.health.tick(this.clock.now());
        if (transition !== undefined) this.afterTransition(service, transition);
        else {
          this.notePermit(service);
          this.scheduleWake(service);
        }
      },
      Math.max(0, at - this.clock.now()),
    );
  }

  private async bindServiceAddresses(name: string): Promise<void> {
    const bound = await this.enqueueAddressChange(name, true);
    const service = this.services.get(name);
    if (bound && service !== undefined && service.health.state === 'up') {
      this.addressesUp.add(name);
      this.reconcile();
    }
  }

  /** setServiceUp, in order. A failure is logged and leaves the service unannounced. */
  private enqueueAddressChange(name: string, up: boolean): Promise<boolean> {
    const addresses = this.addresses;
    const run = this.addressQueue.then(async () => {
      if (addresses === undefined) return false;
      try {
        // Withdrawn first: a routing daemon applies the withdrawal asynchronously.
        if (!up) await Promise.all([...this.announcers.values()].map((a) => a.flushed()));
        await addresses.setServiceUp(name, up);
        return true;
      } catch (error) {
        this.log.error(
          {
            event: up ? 'service.addresses_bind_failed' : 'service.addresses_remove_failed',
            service: name,
            err: errorMessage(error),
          },
          up
            ? 'cannot bind the service addresses: not announcing it'
            : 'cannot remove the service addresses',
        );
        return false;
      }
    });
    this.addressQueue = run;
    return run;
  }

  private routeInputs() {
    return [...this.services.values()].map((s) => ({
      name: s.config.name,
      // A service whose addresses follow its health counts as down until they are bound.
      state:
        s.config.withdrawAddressWhenDown &&
        !this.addressesUp.has(s.config.name) &&
        (s.health.state === 'up' || s.health.state === 'draining' || s.health.state === 'guarded')
          ? ('down' as const)
          : s.health.state,
      prefixes: s.config.prefixes,
      down: s.config.down,
      ...(s.config.up === undefined ? {} : { up: s.config.up }),
      everUp: s.health.provenOnce,
    }));
  }

  /** BIRD and FRRouting cannot carry GRACEFUL_SHUTDOWN: a drain withdraws theirs at once. */
  private desired(): Map<string, DesiredRoute> {
    return desiredRoutes(this.routeInputs(), {
      carriesAttributes: (kind) => kind === 'bgp' || routingDaemons[kind].supportsAttributes,
    });
  }

  /** Tell each announcer the difference between what is announced and what should be. */
  private reconcile(): void {
    const wanted = this.desired();
    for (const [key, route] of this.announced) {
      if (wanted.has(key)) continue;
      this.announced.delete(key);
      const announcer = this.announcers.get(route.announcer);
      if (announcer === undefined) continue;
      announcer.withdraw(route);
      this.log.info(
        {
          event: 'route.withdrawn',
          prefix: route.prefix,
          announcer: route.announcer,
          vrf: route.vrf,
        },
        'withdrawn',
      );
    }
    for (const [key, route] of wanted) {
      const current = this.announced.get(key);
      if (current !== undefined && isDeepStrictEqual(current.attributes, route.attributes))
        continue;
      const announcer = this.announcers.get(route.announcer);
      if (announcer === undefined) continue; // Its [bgp] or [announcers] entry was refused at parse.
      announcer.announce({
        prefix: route.prefix,
        ...(route.vrf === undefined ? {} : { vrf: route.vrf }),
        attributes: route.attributes,
      });
      this.announced.set(key, route);
      this.log.info(
        {
          event: 'route.announced',
          prefix: route.prefix,
          announcer: route.announcer,
          vrf: route.vrf,
          services: route.services,
          degraded: route.degraded,
          draining: route.draining,
          ...(route.guarded ? { guarded: true } : {}),
          attributes: route.attributes,
        },
        route.guarded
          ? 'announced degraded: kept by the fleet guard'
          : route.draining
            ? 'announced with GRACEFUL_SHUTDOWN'
            : route.degraded
              ? 'announced degraded'
              : 'announced',
      );
    }
  }
}

/** The health machine's view of a service's config. */
function healthSettings(config: ServiceConfig): ServiceSettings {
  return {
    name: config.name,
    checks: config.checks.map((c) => ({
      name: c.name,
      rise: c.rise ?? config.rise,
      fall: c.fall ?? config.fall,
      provesGone: provesServiceGone(c),
      // Deep-compared by a reload: any key of the check's config changes it.
      config: c,
    })),
    policy: config.policy,
    holdDown: config.holdDown,
    announce: config.announce,
    degradedWhenDown: config.down.kind === 'degrade',
    ...(config.fleetGuard === undefined ? {} : { fleetGuard: config.fleetGuard }),
  };
}
