/**
 * The daemon's side of directors (wired by src/cli/run.ts): an advertiser built from
 * the node config's [directors] section, reading service state from the daemon's
 * status(). It only reads: nothing it does (or fails to do) reaches announcing.
 */
import type { Logger } from 'pino';
import { systemClock } from '../clock/index.js';
import type { DaemonConfig } from '../config/index.js';
import type { DaemonStatus } from '../daemon/index.js';
import { MAX_PREFIXES, MAX_SERVICES, NAME_PATTERN, type ServiceAd } from './ad.js';
import { NodeAdvertiser } from './advertiser.js';
import { loadPrivateKey } from './keys.js';

/** The services of a daemon status as an ad lists them. */
export function servicesOf(status: Pick<DaemonStatus, 'services'>): ServiceAd[] {
  const out: ServiceAd[] = [];
  for (const service of status.services) {
    if (!NAME_PATTERN.test(service.name) || out.length >= MAX_SERVICES) continue;
    const prefixes = [...new Set(service.prefixes.map((p) => p.prefix))].slice(0, MAX_PREFIXES);
    out.push({ name: service.name, state: service.state, prefixes });
  }
  return out;
}

/**
 * The advertiser for this node, or undefined without a [directors] section. Reads
 * the key file now, so a missing key stops the start before anything is announced;
 * call start() once the daemon runs.
 */
export async function nodeAdvertiser(
  config: DaemonConfig,
  status: () => Pick<DaemonStatus, 'services'>,
  logger: Logger,
): Promise<NodeAdvertiser | undefined> {
  const directors = config.directors;
  if (directors === undefined) return undefined;
  const key = await loadPrivateKey(directors.keyFile);
  return new NodeAdvertiser({
    config: directors,
    key,
    services: () => servicesOf(status()),
    clock: systemClock,
    log: logger.child({ component: 'directors' }),
  });
}
