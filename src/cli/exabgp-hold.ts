/**
 * `anycast-guard run` started by ExaBGP with a file it cannot use: stay up, announce
 * nothing, say why (stderr and status), and run once SIGHUP finds the file fixed.
 * Exiting instead would make ExaBGP respawn us, and after 5 deaths in a minute ExaBGP
 * exits and drops every session on the host (src/announcers/exabgp/holding.ts).
 *
 * While held: the log goes to stderr (stdout is ExaBGP's), the API serves status on its
 * unix socket only (the one the file names if its TOML can be read, else the default;
 * no TCP listener, since the file's `listen` is not known to be right), SIGTERM / SIGINT
 * exit 0, and ExaBGP's "shutdown" or the end of stdin exit 0.
 */
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { parse as parseToml } from 'smol-toml';
import { ApiServer, DrainStore, Metrics } from '../api/index.js';
import { ExabgpHold, startedByExabgp } from '../announcers/exabgp/index.js';
import type { ExabgpSettings } from '../announcers/exabgp/index.js';
import { RouteStateFile } from '../announcers/index.js';
import { DEFAULT_API_SOCKET, DEFAULT_STATE_DIR, loadConfig } from '../config/index.js';
import type { DaemonConfig } from '../config/index.js';
import { createDaemonLogger } from '../log/index.js';
import { errorMessage } from '../util/index.js';

const WITHDRAW_ANSWER_TIMEOUT_MS = 10_000;

/**
 * The configuration to run with: `path` loaded; or, when it cannot be and ExaBGP started
 * this process, the first one a SIGHUP loads, after holding as above. Otherwise the
 * load's error is thrown (the caller exits 1).
 */
export async function loadOrHoldUnderExabgp(
  path: string,
  logLevel: string | undefined,
): Promise<DaemonConfig> {
  try {
    return await loadConfig(path);
  } catch (error) {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (!startedByExabgp(text)) throw error;
    return hold(path, text, error, logLevel);
  }
}

async function hold(
  path: string,
  text: string | undefined,
  first: unknown,
  logLevel: string | undefined,
): Promise<DaemonConfig> {
  const logger: Logger = createDaemonLogger({ level: logLevel ?? 'info', output: 'stderr' });
  let problem = errorMessage(first);
  const held = (err: string): void =>
    logger.error(
      { event: 'config.invalid_held', config: path, err },
      'cannot use the configuration: under ExaBGP, staying up and announcing nothing (exiting would make ExaBGP respawn us, then give up and drop every session); fix the file and send SIGHUP',
    );
  held(problem);

  const where = readableApi(text);
  const exit = (code: number): void => {
    logger.flush();
    process.exit(code);
  };
  const pipes = new ExabgpHold({
    input: process.stdin,
    output: process.stdout,
    onGone: (shutdown) => {
      logger.info(
        { event: 'exabgp.gone', shutdown },
        shutdown ? 'ExaBGP is stopping: exiting' : 'ExaBGP closed our stdin: exiting',
      );
      exit(0);
    },
  });
  // A crashed run's routes stay in ExaBGP: withdraw what the state file says it announced.
  try {
    const recorded = await new RouteStateFile(where.stateDir, 'exabgp').read();
    const n = pipes.withdraw([...recorded.values()].map((r) => r.prefix));
    if (n > 0)
      logger.warn(
        { event: 'exabgp.held_withdrawn', routes: n },
        'withdrew the routes an earlier anycast-guard left in ExaBGP',
      );
  } catch (error) {
    logger.warn(
      { event: 'exabgp.held_state_unreadable', err: errorMessage(error) },
      'cannot read which routes an earlier anycast-guard announced',
    );
  }

  const status = statusApi(where, () => problem, logger);
  await status
    .start()
    .catch((error: unknown) =>
      logger.warn(
        { event: 'api.held_unavailable', err: errorMessage(error) },
        'no status API while held',
      ),
    );

  const config = await new Promise<DaemonConfig>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      logger.info({ event: 'daemon.stopping', signal }, 'stopping: nothing was announced');
      void status.stop().finally(() => exit(0));
    };
    let reloading = false;
    const reload = (): void => {
      if (reloading) return;
      reloading = true;
      logger.info({ event: 'config.reloading', config: path }, 'SIGHUP: reading the file again');
      loadConfig(path)
        .then((loaded) => {
          process.off('SIGTERM', stop);
          process.off('SIGINT', stop);
          process.off('SIGHUP', reload);
          resolve(loaded);
        })
        .catch((error: unknown) => {
          problem = errorMessage(error);
          held(problem);
        })
        .finally(() => (reloading = false));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    process.on('SIGHUP', reload);
  });

  await status.stop();
  const exabgp = config.announcers.find((a) => a.kind === 'exabgp')?.settings as
    ExabgpSettings | undefined;
  await pipes.release(exabgp?.ack ?? false, exabgp?.timeoutMs ?? WITHDRAW_ANSWER_TIMEOUT_MS);
  logger.info({ event: 'config.loaded_after_hold', config: path }, 'configuration fixed: starting');
  return config;
}

/** `[api] socket` and `state_dir` from a file whose TOML reads, whatever else is wrong. */
function readableApi(text: string | undefined): { socket: string | false; stateDir: string } {
  let api: Record<string, unknown> = {};
  try {
    const table = text === undefined ? undefined : parseToml(text).api;
    if (typeof table === 'object' && table !== null && !Array.isArray(table))
      api = table as Record<string, unknown>;
  } catch {
    // Not TOML at all: the defaults.
  }
  const socket =
    api.socket === false
      ? false
      : typeof api.socket === 'string' && api.socket.startsWith('/')
        ? api.socket
        : DEFAULT_API_SOCKET;
  const stateDir =
    typeof api.state_dir === 'string' && api.state_dir.startsWith('/')
      ? api.state_dir
      : DEFAULT_STATE_DIR;
  return { socket, stateDir };
}

function statusApi(
  where: { socket: string | false; stateDir: string },
  problem: () => string,
  logger: Logger,
): ApiServer {
  const daemon = {
    status: () => ({ services: [], routes: [], peers: [], addresses: [], announcers: [] }),
    drain: () => {
      throw new Error('no configuration: nothing to drain');
    },
  };
  return new ApiServer({
    daemon,
    store: new DrainStore(where.stateDir),
    metrics: new Metrics(() => daemon.status()),
    logger: logger.child({ component: 'api' }),
    listen: false,
    socket: where.socket,
    configError: problem,
  });
}
