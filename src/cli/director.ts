/**
 * `anycast-guard director --config FILE`: a director in the foreground.
 *
 * SIGTERM / SIGINT: close the API and exit 0. SIGHUP: re-read the trusted keys file
 * (a bad file is logged and the running keys kept).
 */
import type { Logger } from 'pino';
import { systemClock } from '../clock/index.js';
import { Director } from '../director/director.js';
import { loadDirectorConfig } from '../director/config.js';
import { loadPrivateKey, loadTrustedKeys } from '../director/keys.js';
import { DirectorServer } from '../director/server.js';
import { createDaemonLogger } from '../log/index.js';

export interface DirectorRunOptions {
  readonly config: string;
  readonly logLevel?: string;
}

export async function runDirector(options: DirectorRunOptions): Promise<void> {
  const config = await loadDirectorConfig(options.config);
  const logger: Logger = createDaemonLogger({ level: options.logLevel ?? config.logLevel });
  const key = await loadPrivateKey(config.keyFile);
  const trusted = await loadTrustedKeys(config.trustedKeys);
  const director = new Director({
    name: config.name,
    advertiseUrl: config.advertiseUrl,
    key,
    trusted,
    peers: config.peers,
    ...(config.discoveryUrl === undefined ? {} : { discoveryUrl: config.discoveryUrl }),
    discoverPeers: config.discoverPeers,
    intervalMs: config.intervalMs,
    adLifetimeMs: config.adLifetimeMs,
    maxAds: config.maxAds,
    requestTimeoutMs: config.timeoutMs,
    services: config.services,
    sites: config.sites,
    clock: systemClock,
    log: logger.child({ component: 'director' }),
  });
  const server = new DirectorServer({
    director,
    host: config.listen.host,
    port: config.listen.port,
    log: logger.child({ component: 'director-api' }),
  });
  // Listening first: peers that probe this director at once find it.
  await server.start();
  logger.info(
    {
      name: config.name,
      listen: server.address,
      url: config.advertiseUrl,
      trustedKeys: trusted.size,
    },
    'director listening',
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal }, 'director stopping');
    director.stop();
    void server.stop().then(() => {
      logger.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {
    loadTrustedKeys(config.trustedKeys).then(
      (keys) => {
        director.setTrustedKeys(keys);
        logger.info({ trustedKeys: keys.size }, 'SIGHUP: trusted keys reloaded');
      },
      (error: unknown) =>
        logger.error({ err: (error as Error).message }, 'SIGHUP: keeping the running trusted keys'),
    );
  });
  await director.start();
}
