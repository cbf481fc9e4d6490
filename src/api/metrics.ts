/**
 * Prometheus metrics for one daemon, in a private registry (never the global one,
 * so two daemons in one process, as in tests, do not mix).
 *
 * Counters and histograms are fed by the Daemon's hooks (onTransition,
 * onCheckResult); gauges are read from `status()` at each scrape, so a service
 * or peer removed by a reload disappears from the output.
 */
import client from 'prom-client';
import type { CheckResult, CheckTiming, HealthCheck } from '../checks/index.js';
import type { DaemonStatus } from '../daemon/index.js';
import { desiredRouteKey, SERVICE_STATES, type Transition } from '../health/index.js';

const PEER_STATES = [
  'idle',
  'connect',
  'active',
  'open-sent',
  'open-confirm',
  'established',
] as const;
const BFD_STATES = ['admin-down', 'down', 'init', 'up'] as const;

export class Metrics {
  readonly registry = new client.Registry();
  private readonly status: () => DaemonStatus;
  private readonly serviceUp: client.Gauge<'service'>;
  private readonly serviceState: client.Gauge<'service' | 'state'>;
  private readonly serviceGuarded: client.Gauge<'service'>;
  private readonly drainRemaining: client.Gauge<'service'>;
  private readonly checkUp: client.Gauge<'service' | 'check'>;
  private readonly checkResults: client.Counter<'service' | 'check' | 'result'>;
  private readonly checkTriggers: client.Counter<'service' | 'check' | 'trigger'>;
  private readonly checkDaemonFaults: client.Counter<'service' | 'check'>;
  private readonly connectionsRefused: client.Counter<'listener'>;
  private readonly checkDuration: client.Histogram<'service' | 'check'>;
  private readonly checkLag: client.Histogram;
  private readonly transitions: client.Counter<'service' | 'from' | 'to'>;
  private readonly prefixAnnounced: client.Gauge<'prefix' | 'service' | 'announcer'>;
  private readonly announcerInSync: client.Gauge<'announcer'>;
  private readonly announcerFailures: client.Gauge<'announcer'>;
  private readonly announcerRoutes: client.Gauge<'announcer'>;
  private readonly peerEstablished: client.Gauge<'peer' | 'address'>;
  private readonly peerState: client.Gauge<'peer' | 'address' | 'state'>;
  private readonly peerPrefixes: client.Gauge<'peer' | 'address'>;
  private readonly bfdState: client.Gauge<'peer' | 'address' | 'state'>;
  private readonly bfdDetection: client.Gauge<'peer' | 'address'>;
  /** Counts kept by the BFD manager, copied at each scrape. */
  private readonly bfdTransitions: client.Counter<'peer' | 'address'>;
  private readonly bfdFlaps: client.Counter<'peer' | 'address'>;

  constructor(status: () => DaemonStatus) {
    this.status = status;
    const registers = [this.registry];
    this.serviceUp = new client.Gauge({
      name: 'anycast_guard_service_up',
      help: 'Whether the service is up (1) or not (0): guarded, held-down, draining and drained count as not up.',
      labelNames: ['service'],
      registers,
    });
    this.serviceGuarded = new client.Gauge({
      name: 'anycast_guard_service_guarded',
      help: 'Whether the fleet guard keeps the service announced though its checks judge it down (1) or not (0).',
      labelNames: ['service'],
      registers,
    });
    this.serviceState = new client.Gauge({
      name: 'anycast_guard_service_state',
      help: 'The service state: 1 for the current state, 0 for the others.',
      labelNames: ['service', 'state'],
      registers,
    });
    this.checkUp = new client.Gauge({
      name: 'anycast_guard_check_up',
      help: 'Whether the check counts as up (rise/fall applied).',
      labelNames: ['service', 'check'],
      registers,
    });
    this.checkResults = new client.Counter({
      name: 'anycast_guard_check_results_total',
      help: 'Check runs by result (success or failure).',
      labelNames: ['service', 'check', 'result'],
      registers,
    });
    this.checkTriggers = new client.Counter({
      name: 'anycast_guard_check_trigger_total',
      help: "Check runs by what made them run: 'interval' (the schedule) or 'watch' (an event: the held connection dropped, the process exited, the file's directory changed).",
      labelNames: ['service', 'check', 'trigger'],
      registers,
    });
    this.checkDaemonFaults = new client.Counter({
      name: 'anycast_guard_check_daemon_faults_total',
      help: "Check runs that failed for a resource of the daemon's own (EMFILE, ENFILE, ENOMEM, EAGAIN): not counted against the service.",
      labelNames: ['service', 'check'],
      registers,
    });
    this.connectionsRefused = new client.Counter({
      name: 'anycast_guard_api_connections_refused_total',
      help: 'API connections closed on accept because the listener was at its connection cap.',
      labelNames: ['listener'],
      registers,
    });
    this.checkDuration = new client.Histogram({
      name: 'anycast_guard_check_duration_seconds',
      help: 'How long each check run took.',
      labelNames: ['service', 'check'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.checkLag = new client.Histogram({
      name: 'anycast_guard_check_schedule_lag_seconds',
      help: 'How late a check run started against its schedule (event-loop or scheduler lag).',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
      registers,
    });
    this.transitions = new client.Counter({
      name: 'anycast_guard_service_transitions_total',
      help: 'Service state transitions.',
      labelNames: ['service', 'from', 'to'],
      registers,
    });
    this.drainRemaining = new client.Gauge({
      name: 'anycast_guard_service_drain_remaining_seconds',
      help: 'While a service drains gracefully (GRACEFUL_SHUTDOWN, RFC 8326): seconds until its routes are withdrawn.',
      labelNames: ['service'],
      registers,
    });
    this.prefixAnnounced = new client.Gauge({
      name: 'anycast_guard_prefix_announced',
      help: 'Whether the prefix is announced (1) or withdrawn (0); a degraded announcement counts as announced.',
      labelNames: ['prefix', 'service', 'announcer'],
      registers,
    });
    this.announcerInSync = new client.Gauge({
      name: 'anycast_guard_announcer_in_sync',
      help: 'Whether the announcer (embedded speaker or routing daemon) carries exactly the wanted routes.',
      labelNames: ['announcer'],
      registers,
    });
    this.announcerFailures = new client.Gauge({
      name: 'anycast_guard_announcer_failures',
      help: 'Consecutive failed attempts to update the routing daemon (0 when in sync); retried with backoff.',
      labelNames: ['announcer'],
      registers,
    });
    this.announcerRoutes = new client.Gauge({
      name: 'anycast_guard_announcer_routes',
      help: 'Routes the announcer is asked to carry.',
      labelNames: ['announcer'],
      registers,
    });
    this.peerEstablished = new client.Gauge({
      name: 'anycast_guard_bgp_peer_established',
      help: 'Whether the BGP session is established.',
      labelNames: ['peer', 'address'],
      registers,
    });
    this.peerState = new client.Gauge({
      name: 'anycast_guard_bgp_peer_state',
      help: 'The BGP session state (RFC 4271 FSM): 1 for the current state, 0 for the others.',
      labelNames: ['peer', 'address', 'state'],
      registers,
    });
    this.peerPrefixes = new client.Gauge({
      name: 'anycast_guard_bgp_peer_prefixes_announced',
      help: 'Prefixes currently announced to the peer.',
      labelNames: ['peer', 'address'],
      registers,
    });
    this.bfdState = new client.Gauge({
      name: 'anycast_guard_bfd_state',
      help: 'The BFD session state with the peer (RFC 5880): 1 for the current state, 0 for the others.',
      labelNames: ['peer', 'address', 'state'],
      registers,
    });
    this.bfdDetection = new client.Gauge({
      name: 'anycast_guard_bfd_detection_time_seconds',
      help: 'The agreed BFD detection time (0 until the peer has answered).',
      labelNames: ['peer', 'address'],
      registers,
    });
    this.bfdTransitions = new client.Counter({
      name: 'anycast_guard_bfd_transitions_total',
      help: 'BFD session state changes.',
      labelNames: ['peer', 'address'],
      registers,
    });
    this.bfdFlaps = new client.Counter({
      name: 'anycast_guard_bfd_flaps_total',
      help: 'Times the BFD session went from Up to Down.',
      labelNames: ['peer', 'address'],
      registers,
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** For DaemonOptions.onTransition. */
  onTransition(transition: Transition): void {
    this.transitions.inc({ service: transition.service, from: transition.from, to: transition.to });
  }

  /** For DaemonOptions.onCheckResult. */
  onCheckResult(
    service: string,
    check: HealthCheck,
    result: CheckResult,
    timing: CheckTiming,
  ): void {
    const labels = { service, check: check.name };
    this.checkResults.inc({ ...labels, result: result.ok ? 'success' : 'failure' });
    this.checkTriggers.inc({ ...labels, trigger: timing.trigger });
    if (result.fault === 'daemon') this.checkDaemonFaults.inc(labels);
    this.checkDuration.observe(labels, result.durationMs / 1000);
    this.checkLag.observe(Math.max(0, timing.lagMs) / 1000);
  }

  /** For the API's listeners: a connection refused at the cap. */
  onConnectionRefused(listener: 'tcp' | 'socket'): void {
    this.connectionsRefused.inc({ listener });
  }

  /** The exposition text, gauges read from the daemon now. */
  async render(): Promise<string> {
    this.refresh(this.status());
    return this.registry.metrics();
  }

  private refresh(status: DaemonStatus): void {
    for (const gauge of [
      this.serviceUp,
      this.serviceGuarded,
      this.serviceState,
      this.drainRemaining,
      this.checkUp,
      this.prefixAnnounced,
      this.announcerInSync,
      this.announcerFailures,
      this.announcerRoutes,
      this.peerEstablished,
      this.peerState,
      this.peerPrefixes,
      this.bfdState,
      this.bfdDetection,
      this.bfdTransitions,
      this.bfdFlaps,
    ] as (client.Gauge | client.Counter)[])
      gauge.reset();
    const announced = new Set(status.routes.map(desiredRouteKey));
    for (const service of status.services) {
      this.serviceUp.set({ service: service.name }, service.state === 'up' ? 1 : 0);
      this.serviceGuarded.set({ service: service.name }, service.state === 'guarded' ? 1 : 0);
      for (const state of SERVICE_STATES)
        this.serviceState.set({ service: service.name, state }, service.state === state ? 1 : 0);
      if (service.drainingUntil !== undefined)
        this.drainRemaining.set(
          { service: service.name },
          Math.max(0, (service.drainingUntil - Date.now()) / 1000),
        );
      for (const check of service.checks)
        this.checkUp.set({ service: service.name, check: check.name }, check.up ? 1 : 0);
      for (const p of service.prefixes)
        this.prefixAnnounced.set(
          {
            prefix: p.vrf === undefined ? p.prefix : `${p.prefix}%${p.vrf}`,
            service: service.name,
            announcer: p.announcer,
          },
          announced.has(desiredRouteKey(p)) ? 1 : 0,
        );
    }
    for (const a of status.announcers) {
      const labels = { announcer: a.kind };
      this.announcerInSync.set(labels, a.state === 'in-sync' ? 1 : 0);
      this.announcerFailures.set(labels, a.failures);
      this.announcerRoutes.set(labels, a.wanted);
    }
    for (const peer of status.peers) {
      const labels = { peer: peer.name, address: peer.address };
      this.peerEstablished.set(labels, peer.state === 'established' ? 1 : 0);
      for (const state of PEER_STATES)
        this.peerState.set({ ...labels, state }, peer.state === state ? 1 : 0);
      this.peerPrefixes.set(labels, peer.prefixesAnnounced);
      const bfd = peer.bfd;
      if (bfd !== undefined) {
        for (const state of BFD_STATES)
          this.bfdState.set({ ...labels, state }, bfd.state === state ? 1 : 0);
        this.bfdDetection.set(labels, bfd.detectionTimeMs / 1000);
        this.bfdTransitions.inc(labels, bfd.transitions);
        this.bfdFlaps.inc(labels, bfd.flaps);
      }
    }
  }
}
