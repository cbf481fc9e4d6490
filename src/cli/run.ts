/**
 * `anycast-guard run`: the daemon in the foreground, as systemd or a shell runs it.
 *
 * The node is one ordered list of parts (`node` below): started in order, stopped in
 * reverse by src/lifecycle; adding a part is one line there.
 *
 * SIGTERM / SIGINT: withdraw everything, Cease every session, exit 0 — within
 * STOP_TIMEOUT_MS, or exit 1 if something hangs or fails (a second signal exits at once).
 * With `[daemon] stop_grace`, the announced services are first drained gracefully (RFC
 * 8326) for that long; a second signal ends that wait, a third exits at once.
 * SIGHUP: reload the config file; a bad file is logged and the running config kept.
 * Under ExaBGP a bad file at start is held instead of fatal (exabgp-hold.ts).
 * Under systemd, RELOADING=1 then READY=1 frame each reload.
 * SIGUSR1 / SIGUSR2: log one level more / less verbose (src/log; a reload resets it).
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ApiServer, DrainStore, Metrics, TransitionLog, TRANSITIONS_FILE } from '../api/index.js';
import { routingDaemons } from '../announcers/index.js';
import { loadConfig, type DaemonConfig } from '../config/index.js';
import { systemClock } from '../clock/index.js';
import { Daemon } from '../daemon/index.js';
import { FleetGuard, nodeAdvertiser } from '../node-ads/index.js';
import { Lifecycle, part } from '../lifecycle/index.js';
import { createDaemonLogger, installLevelSignals } from '../log/index.js';
import { SystemdNotifier } from '../systemd/index.js';
import { errorMessage } from '../util/index.js';
import { loadOrHoldUnderExabgp } from './exabgp-hold.js';

const STOP_TIMEOUT_MS = 10_000;

export interface RunOptions {
  readonly config: string;
  readonly logLevel?: string;
}

export async function runDaemon(options: RunOptions): Promise<void> {
  // A bad config at start: report it and exit non-zero, announcing nothing; under ExaBGP,
  // stay up announcing nothing until SIGHUP finds the file fixed (exabgp-hold.ts).
  const config = await loadOrHoldUnderExabgp(options.config, options.logLevel);
  // JSON, or readable lines on a terminal; on stderr when an announcer owns stdout.
  const logger: Logger = createDaemonLogger({
    level: options.logLevel ?? config.log.level,
    output: config.announcers.some((a) => routingDaemons[a.kind].usesStdout?.(a.settings) === true)
      ? 'stderr'
      : 'stdout',
  });
  installLevelSignals(logger);
  // Drains outlive restarts: applied before anything can be announced.
  const store = new DrainStore(config.api.stateDir);
  const drained = await store.load();
  if (drained.size > 0)
    logger.warn(
      { event: 'service.drained_on_disk', drained: [...drained.keys()] },
      'services drained on disk',
    );
  // Read at each scrape, which comes only once the API is up, after the daemon exists.
  const metrics = new Metrics(() => daemon.status());
  // The history outlives a restart: what happened just before it is still on the dashboard.
  const transitions = new TransitionLog({
    file: join(config.api.stateDir, TRANSITIONS_FILE),
    logger: logger.child({ component: 'api' }),
  });
  await transitions.load();
  // [directors]: this node's ads; read-only towards the daemon, never gates announcing.
  const advertiser = await nodeAdvertiser(config, () => daemon.status(), logger);
  const daemon = new Daemon(config, {
    logger,
    drained: store.orders(),
    onTransition: (transition) => {
      metrics.onTransition(transition);
      transitions.record(transition);
      advertiser.onTransition();
    },
    onCheckResult: (service, check, result, timing) =>
      metrics.onCheckResult(service, check, result, timing),
    onPermitWanted: (want) => guard.onPermitWanted(want),
  });
  // fleet_guard: asks the directors for a withdrawal permit when a service's checks judge it down.
  const guard = new FleetGuard({
    asker: () => advertiser.permitAsker(),
    decide: (service, decision) => daemon.setWithdrawal(service, decision),
    clock: systemClock,
    log: logger.child({ component: 'fleet-guard' }),
  });
  // A reload moves the API's listeners (api.listen, api.socket) and re-reads api.token_file.
  const api = new ApiServer({
    daemon,
    store,
    metrics,
    transitions,
    directors: () => advertiser.advertiserStatus(),
    logger: logger.child({ component: 'api' }),
    listen: config.api.listen,
    socket: config.api.socket,
    ...(config.api.tokenFile === undefined ? {} : { tokenFile: config.api.tokenFile }),
  });
  // The node's parts in start order; a stop runs them in reverse, each bounded.
  const node = new Lifecycle(
    [
      // Stop-only, so it stops last: the last transitions reach the history file.
      part('transitions', { stop: () => transitions.flushed() }),
      // Then: a second daemon on this host must fail before it touches BGP.
      part('api', { start: () => api.start(), stop: () => api.stop() }),
      // Addresses bound, then the announcers up and reconciled, then the services.
      ...daemon.parts,
      // Stop-only: the API stops answering before the daemon withdraws, as it always has.
      part('api-close', { stop: () => api.stop() }),
      // Read-only towards the daemon; its stop tells the directors (within 1 s) all is down.
      part('directors', {
        start: () => advertiser.start(),
        stop: async () => {
          guard.stop();
          await advertiser.stop(1000);
        },
      }),
    ],
    { log: logger, stopTimeoutMs: STOP_TIMEOUT_MS, unwindReason: 'anycast-guard failed to start' },
  );

  // READY=1 / WATCHDOG=1 / STOPPING=1 when run as a Type=notify unit (NOTIFY_SOCKET): not a
  // part, since STOPPING=1 goes out the moment a signal comes, alongside the stop.
  const notifier = new SystemdNotifier(logger.child({ component: 'systemd' }));
  let stopping = false;
  let graceful = false;
  let graceSkipped = false;
  let starting: Promise<unknown> = Promise.resolve();
  const stop = (signal: NodeJS.Signals): void => {
    if (graceful) {
      // Ends the wait (or skips it, should it not have begun yet).
      graceful = false;
      graceSkipped = true;
      daemon.skipStopGrace();
      logger.warn(
        { event: 'daemon.stop_grace_skipped', signal },
        'second signal: withdrawing now, without the rest of the graceful wait',
      );
      return;
    }
    if (stopping) {
      logger.warn({ event: 'daemon.second_signal', signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    // As the latest reload has it.
    const grace = daemon.currentConfig.daemon.stopGrace;
    graceful = grace > 0;
    logger.info(
      { event: 'daemon.stopping', signal, stopGrace: grace },
      grace > 0
        ? 'stopping: draining gracefully, then withdrawing every route'
        : 'stopping: withdrawing every route',
    );
    const notified = notifier.stopping();
    // The graceful drain first, with every part still up (before the services have
    // started there is nothing to drain: it returns at once, and the stop waits for the
    // step in progress as always).
    const drained = grace > 0 ? graceStop(signal, grace) : Promise.resolve();
    void drained.then(() => {
      graceful = false;
      withdraw(signal, notified);
    });
  };
  const graceStop = async (signal: NodeJS.Signals, grace: number): Promise<void> => {
    try {
      if (graceSkipped) return;
      await daemon.drainForStop(grace, `anycast-guard stopping (${signal}): graceful drain`);
    } catch (error) {
      logger.error(
        { event: 'daemon.stop_grace_failed', err: errorMessage(error) },
        'graceful drain failed: withdrawing now',
      );
    }
  };
  const withdraw = (signal: NodeJS.Signals, notified: Promise<void>): void => {
    const force = setTimeout(() => {
      logger.error(
        { event: 'daemon.stop_timed_out', timeoutMs: STOP_TIMEOUT_MS },
        'stop took too long: exiting anyway',
      );
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    force.unref();
    // A stop during start waits for the step in progress, so nothing is left half-started.
    node
      .stop(`anycast-guard stopping (${signal})`)
      .then(async (failures) => {
        // Each failure is logged by the lifecycle (lifecycle.stop_failed / stop_timeout).
        if (failures.length === 0) await notified;
        logger.flush();
        process.exit(failures.length === 0 ? 0 : 1);
      })
      .catch((error: unknown) => {
        logger.error({ event: 'daemon.stop_failed', err: error }, 'error while stopping');
        process.exit(1);
      });
  };
  // Installed before anything is announced: the default action of these signals
  // would kill the process without withdrawing.
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  let reloading = Promise.resolve();
  process.on('SIGHUP', () => {
    reloading = reloading
      .then(() => starting.catch(() => undefined))
      .then(async () => {
        if (stopping) return;
        logger.info(
          { event: 'config.reloading', config: options.config },
          'SIGHUP: reloading configuration',
        );
        // systemd shows the unit "reloading" until READY=1, sent however the reload ends.
        await notifier.reloading();
        try {
          const next = await loadConfig(options.config);
          // First: a [directors] key that cannot be read keeps the whole running config.
          await advertiser.reload(next);
          await daemon.reload(next);
          await forgetRemovedDrains(store, next, logger);
          // Never throws: a listener that cannot move keeps the old one, and says why.
          await api.reload(next.api);
          if (next.api.stateDir !== config.api.stateDir)
            logger.warn(
              { event: 'config.restart_needed', key: 'api.state_dir', kept: config.api.stateDir },
              'api.state_dir changes at the next start, not on reload',
            );
          if (next.log.level !== logger.level && options.logLevel === undefined)
            logger.level = next.log.level;
        } catch (error) {
          logger.error(
            { event: 'config.reload_failed', err: errorMessage(error) },
            'reload failed: keeping the running configuration',
          );
        }
        if (!stopping) await notifier.ready();
      });
  });

  // A part that fails to start has the ones before it stopped again, then this throws.
  const start = node.start();
  // A reload waits for this, READY=1 included, so its RELOADING=1 never comes first.
  starting = start.then(async (started) => {
    if (started && !stopping) await notifier.ready();
  });
  await starting;
}

/**
 * A reload that removes a drained service removes its drain from the file too: left
 * there, it would drain a later, unrelated service given the same name.
 */
async function forgetRemovedDrains(
  store: DrainStore,
  next: DaemonConfig,
  logger: Logger,
): Promise<void> {
  try {
    const forgotten = await store.forgetAllBut(new Set(next.services.map((s) => s.name)));
    if (forgotten.length > 0)
      logger.info(
        { event: 'service.drain_forgotten', services: forgotten },
        'drained services removed from the configuration: their drains are forgotten',
      );
  } catch (error) {
    // Kept in memory only; the next write that succeeds carries it.
    logger.warn(
      { event: 'api.drain_not_persisted', err: errorMessage(error) },
      'drain state not written: the removed services stay in the drain file for now',
    );
  }
}
