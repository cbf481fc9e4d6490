/**
 * The ExaBGP backend of the sync loop, with anycast-guard as ExaBGP's API process: ExaBGP
 * starts `anycast-guard run` (exabgp.conf: `process … { run …; encoder text; }`) and reads
 * `announce route` / `withdraw route` from our stdout (channel.ts, commands.ts).
 *
 * What ExaBGP 4.2 does that this follows (checked against 4.2.21 in the lab):
 * - Routes a dead API process announced stay in ExaBGP's Adj-RIB-Out, announced; ExaBGP
 *   starts the process again at once (up to 5 times in about a minute, then ExaBGP exits).
 *   So the first sync of a new process asks `show adj-rib out` and withdraws every owned
 *   prefix there that is not wanted (owned: the configured prefixes and the state file's).
 *   Without ack nothing can be asked: every owned prefix not wanted is withdrawn blindly
 *   (ExaBGP takes a withdrawal of a route it does not have).
 * - When ExaBGP stops it writes "shutdown" and then SIGTERMs us; its sessions close, and
 *   our routes go with them: the final sync has nothing left to do.
 * - When ExaBGP is killed, our stdin ends (or stdout gets EPIPE): we ask the daemon to
 *   stop (SIGTERM to ourselves, the usual clean stop). An anycast-guard whose ExaBGP is
 *   gone can announce nothing, and ExaBGP starts a new one when it comes back.
 * - Each full sync also reads `show neighbor configuration`: a route is sent with a
 *   `neighbor A , neighbor B` selector naming the neighbors of its family (when they
 *   are not all of them), so ExaBGP does not log a family error per other neighbor.
 * Later syncs send only what changed since the last one.
 */
import type { Readable, Writable } from 'node:stream';
import type { Logger } from 'pino';
import type { Clock } from '../../clock/index.js';
import { AnnouncerFailure } from '../errors.js';
import type { RouteBackend, SyncRequest } from '../synced.js';
import type { AnnouncedRoute } from '../types.js';
import { ExabgpChannel } from './channel.js';
import {
  announceLine,
  neighborSelector,
  parseAdjRibOut,
  parseLocalAs,
  parseNeighbors,
  SHOW_ADJ_RIB_OUT,
  SHOW_NEIGHBOR_CONFIGURATION,
  withdrawLine,
  type ExabgpNeighbor,
} from './commands.js';
import type { ExabgpSettings } from './settings.js';
import { errorMessage } from '../../util/index.js';

export interface ExabgpBackendOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** ExaBGP's answers (default process.stdin). */
  readonly input?: Readable;
  /** Where commands go (default process.stdout). */
  readonly output?: Writable;
  /** ExaBGP is gone (default: SIGTERM to this process, so the daemon stops cleanly). */
  readonly onGone?: (reason: string) => void;
}

export class ExabgpBackend implements RouteBackend {
  private readonly channel: ExabgpChannel;
  private readonly log: Logger;
  /** ExaBGP's neighbors, as last read (undefined without ack: nothing can be asked). */
  private neighbors: ExabgpNeighbor[] | undefined;
  /** The distinct local-as of those neighbors. */
  private configuredAs: number[] | undefined;
  private lastError: string | undefined;
  private stopping = false;

  constructor(
    private readonly settings: ExabgpSettings,
    options: ExabgpBackendOptions,
  ) {
    this.log = options.logger;
    const onGone = options.onGone ?? (() => process.kill(process.pid, 'SIGTERM'));
    this.channel = new ExabgpChannel({
      input: options.input ?? process.stdin,
      output: options.output ?? process.stdout,
      ack: settings.ack,
      timeoutMs: settings.timeoutMs,
      clock: options.clock,
      logger: options.logger,
      onClosed: (reason, shutdown) => {
        if (shutdown) {
          this.log.info(
            { event: 'exabgp.shutting_down' },
            'ExaBGP is shutting down: its sessions close, and our routes with them',
          );
          return;
        }
        if (this.stopping) {
          this.log.info(
            { event: 'exabgp.gone_while_stopping', reason },
            'ExaBGP is gone while we stop: its routes went with it',
          );
          return;
        }
        this.log.error(
          { event: 'exabgp.gone', reason },
          'ExaBGP is gone: stopping (ExaBGP starts anycast-guard again when it runs)',
        );
        onGone(reason);
      },
    });
  }

  async sync(request: SyncRequest): Promise<void> {
    try {
      await this.apply(request);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = errorMessage(error);
      throw error;
    }
  }

  detail(): Readonly<Record<string, string | number | boolean>> {
    return {
      mode: this.settings.mode,
      ack: this.settings.ack,
      ...(this.settings.asn !== undefined
        ? { asn: this.settings.asn }
        : this.configuredAs?.length === 1 && this.configuredAs[0] !== undefined
          ? { asn: this.configuredAs[0] }
          : {}),
      ...(this.neighbors === undefined
        ? {}
        : { neighbors: this.neighbors.map((n) => n.address).join(', ') }),
      ...(this.channel.closedReason === undefined ? {} : { exabgp: this.channel.closedReason }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  close(): Promise<void> {
    this.channel.detach();
    return Promise.resolve();
  }

  private async apply({ wanted, owned, applied, final }: SyncRequest): Promise<void> {
    // The daemon is stopping already: ExaBGP going away now needs no second stop.
    if (final) this.stopping = true;
    const gone = this.channel.closedReason;
    if (gone !== undefined) {
      // No ExaBGP, no sessions: nothing of ours is announced anywhere.
      if (final) return;
      throw new AnnouncerFailure('ANNOUNCER_DAEMON_UNREACHABLE', `ExaBGP: ${gone}`);
    }
    // What ExaBGP's neighbors are is read again whenever what it holds is.
    if (applied === undefined && this.settings.ack) await this.readNeighbors();
    const routes = [...wanted.values(), ...(applied?.values() ?? [])];
    const asn = routes.some((r) => (r.attributes.prepend ?? 0) > 0)
      ? await this.localAs()
      : undefined;
    const selector = (prefix: string): string =>
      neighborSelector(this.neighbors, prefix.includes(':') ? 'ipv6' : 'ipv4');
    const line = (route: AnnouncedRoute): string =>
      announceLine(route, this.settings, asn, selector(route.prefix));
    const withdraw = (prefix: string): string => withdrawLine(prefix, selector(prefix));
    const commands: string[] = [];
    if (applied === undefined) {
      const present = this.settings.ack
        ? parseAdjRibOut((await this.ask(SHOW_ADJ_RIB_OUT)).output)
        : undefined;
      for (const route of owned.values())
        if (!wanted.has(route.prefix) && (present === undefined || present.has(route.prefix)))
          commands.push(withdraw(route.prefix));
      for (const route of wanted.values()) commands.push(line(route));
    } else {
      for (const route of applied.values())
        if (!wanted.has(route.prefix)) commands.push(withdraw(route.prefix));
      for (const route of wanted.values()) {
        const before = applied.get(route.prefix);
        if (before === undefined || line(before) !== line(route)) commands.push(line(route));
      }
    }
    if (commands.length === 0) return;
    this.log.debug({ event: 'exabgp.updating', announcer: 'exabgp', commands }, 'updating ExaBGP');
    const answers = await this.channel.send(commands);
    const refused = answers.filter((a) => !a.ok);
    const [first] = refused;
    if (first !== undefined)
      throw new AnnouncerFailure(
        'ANNOUNCER_REJECTED',
        `ExaBGP answered "error" to ${refused.length} of ${answers.length} command(s), the first: \`${first.command}\` (ExaBGP's log says why; does each neighbor's api { processes [ … ]; } name this process?)`,
      );
    if (final)
      this.log.debug({ event: 'exabgp.withdrawn_all' }, 'every route withdrawn from ExaBGP');
  }

  private async ask(command: string): Promise<{ ok: boolean; output: readonly string[] }> {
    const [answer] = await this.channel.send([command]);
    if (answer?.ok !== true)
      throw new AnnouncerFailure('ANNOUNCER_REJECTED', `ExaBGP answered "error" to \`${command}\``);
    return answer;
  }

  /** ExaBGP's neighbors (for selectors) and the local-as they have (for prepend). */
  private async readNeighbors(): Promise<void> {
    const lines = (await this.ask(SHOW_NEIGHBOR_CONFIGURATION)).output;
    this.neighbors = parseNeighbors(lines);
    this.configuredAs = [...new Set(parseLocalAs(lines))];
  }

  /** Our AS for prepending: configured, or the one every neighbor of ExaBGP has. */
  private async localAs(): Promise<number> {
    if (this.settings.asn !== undefined) return this.settings.asn;
    if (!this.settings.ack)
      throw new AnnouncerFailure(
        'ANNOUNCER_CONFIG',
        'prepend needs our AS number: with ack = false ExaBGP cannot be asked, so set asn in [announcers.exabgp]',
      );
    if (this.configuredAs === undefined) await this.readNeighbors();
    const found = this.configuredAs ?? [];
    if (found.length !== 1 || found[0] === undefined)
      throw new AnnouncerFailure(
        'ANNOUNCER_CONFIG',
        found.length === 0
          ? 'prepend needs our AS number and ExaBGP shows no neighbor with a local-as: set asn in [announcers.exabgp]'
          : `prepend needs our AS number and ExaBGP's neighbors have several (local-as ${found.join(', ')}): set asn in [announcers.exabgp]`,
      );
    return found[0];
  }
}
