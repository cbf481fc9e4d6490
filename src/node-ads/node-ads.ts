/**
 * The daemon's side of directors (wired by src/cli/run.ts): the advertiser built
 * from the node config's [directors] section, reading service state from the
 * daemon's status(). It only reads: nothing it does (or fails to do) reaches
 * announcing. A reload that changes [directors] replaces the advertiser (a new
 * instance, so its ads win at once); a reload with a bad key keeps the old one.
 * The fleet guard's PermitClient goes with the advertiser (same key, TLS and timeout,
 * asking the directors the advertiser knows) and is replaced with it.
 */
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import { systemClock } from '../clock/index.js';
import type { DaemonConfig } from '../config/index.js';
import type { DaemonStatus } from '../daemon/index.js';
import {
  loadClientTls,
  loadPrivateKey,
  MAX_PREFIXES,
  MAX_SERVICES,
  NAME_PATTERN,
  NodeAdvertiser,
  PermitClient,
  type AdvertiserStatus,
  type PermitAsker,
  type NodeDirectorsConfig,
  type ServiceAd,
} from '../director/index.js';

/** The services of a daemon status as an ad lists them. */
export function servicesOf(status: Pick<DaemonStatus, 'services'>): ServiceAd[] {
  const out: ServiceAd[] = [];
  for (const service of status.services) {
    if (!NAME_PATTERN.test(service.name) || out.length >= MAX_SERVICES) continue;
    const prefixes = [...new Set(service.prefixes.map((p) => p.prefix))].slice(0, MAX_PREFIXES);
    // Draining is on its way out: directors send no new clients there. Guarded still
    // announces: directors count it as announcing, and never hand it to clients.
    const state = service.state === 'draining' ? 'drained' : service.state;
    out.push({ name: service.name, state, prefixes });
  }
  return out;
}

type StatusSource = () => Pick<DaemonStatus, 'services'>;

/** This node's advertiser, if its config has [directors]; inert otherwise. */
interface Built {
  readonly advertiser: NodeAdvertiser;
  readonly permits: PermitClient;
}

export class NodeDirectors {
  private advertiser: NodeAdvertiser | undefined;
  private permits: PermitClient | undefined;
  private config: NodeDirectorsConfig | undefined;
  private running = false;

  private constructor(
    private readonly status: StatusSource,
    private readonly logger: Logger,
  ) {}

  /** Reads the key (and TLS) files now, so a missing one stops the start before anything is announced. */
  static async create(
    config: DaemonConfig,
    status: StatusSource,
    logger: Logger,
  ): Promise<NodeDirectors> {
    const directors = new NodeDirectors(status, logger);
    directors.config = config.directors;
    const built = await directors.build(config.directors);
    directors.advertiser = built?.advertiser;
    directors.permits = built?.permits;
    return directors;
  }

  /** Call once the daemon runs. */
  start(): void {
    this.running = true;
    this.advertiser?.start();
  }

  onTransition(): void {
    this.advertiser?.onTransition();
  }

  /** Stops advertising, first telling the directors (within `farewellMs`) every service is down. */
  async stop(farewellMs = 0): Promise<void> {
    this.running = false;
    await this.advertiser?.stop(farewellMs);
  }

  /** Applies a reloaded [directors]; throws (changing nothing) when its key cannot be read. */
  async reload(next: DaemonConfig): Promise<void> {
    if (isDeepStrictEqual(next.directors, this.config)) return;
    const built = await this.build(next.directors);
    const replacement = built?.advertiser;
    const previous = this.advertiser;
    const renamed = previous !== undefined && this.config?.name !== next.directors?.name;
    this.config = next.directors;
    this.advertiser = replacement;
    this.permits = built?.permits;
    // A node that stops advertising, or changes its name, says goodbye under the old one.
    await previous?.stop(renamed || replacement === undefined ? 1000 : 0);
    if (this.running) replacement?.start();
    this.logger.info(
      {
        event: 'advertiser.reloaded',
        directors: replacement === undefined ? 'none' : next.directors?.name,
      },
      '[directors] reloaded',
    );
  }

  advertiserStatus(): AdvertiserStatus | undefined {
    return this.advertiser?.status();
  }

  /** What the fleet guard asks for withdrawal permits through; none without [directors]. */
  permitAsker(): PermitAsker | undefined {
    return this.permits;
  }

  private async build(config: NodeDirectorsConfig | undefined): Promise<Built | undefined> {
    if (config === undefined) return undefined;
    const [key, tls] = await Promise.all([
      loadPrivateKey(config.keyFile),
      config.tls === undefined ? undefined : loadClientTls(config.tls),
    ]);
    const log = this.logger.child({ component: 'directors' });
    const advertiser = new NodeAdvertiser({
      config,
      key,
      ...(tls === undefined ? {} : { tls }),
      services: () => servicesOf(this.status()),
      clock: systemClock,
      log,
    });
    const permits = new PermitClient({
      origin: config.name,
      key,
      directors: () => advertiser.directorUrls(),
      timeoutMs: config.timeoutMs,
      ...(tls === undefined ? {} : { tls }),
      clock: systemClock,
      log,
    });
    return { advertiser, permits };
  }
}

/** The directors side of `anycast-guard run` (src/cli/run.ts). */
export function nodeAdvertiser(
  config: DaemonConfig,
  status: StatusSource,
  logger: Logger,
): Promise<NodeDirectors> {
  return NodeDirectors.create(config, status, logger);
}
