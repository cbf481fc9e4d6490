/**
 * The GoBGP backend of the sync loop, through the gobgp CLI that Debian's gobgpd package
 * installs beside the daemon.
 *
 * Why the CLI and not gobgpd's gRPC API: no gRPC client of GoBGP's API is kept up on npm,
 * and its .proto files are in no npm package we could depend on; talking gRPC would mean
 * @grpc/grpc-js plus a copy of GoBGP's protos (a path attribute is a protobuf Any per
 * attribute type) kept in step with every gobgpd release by hand. The CLI is that client,
 * shipped and versioned with gobgpd itself; one run costs about 15 ms here.
 *
 * A sync: when what gobgpd holds is unknown (the first sync, after a failure, at every
 * resync), read the local paths of the owned prefixes (one `gobgp -j global rib -a FAMILY
 * PREFIX` per prefix, or the family's whole RIB when more than LIST_WHOLE_RIB prefixes
 * are owned); otherwise trust what the last sync left. Then add each wanted route whose
 * path is missing or differs, and delete each owned prefix that is there and not wanted,
 * several gobgp runs at a time. A prefix that is not owned is never touched, nor is a
 * path a neighbour sent. gobgpd answers an add or a del only once its RIB has the change,
 * so exit code 0 is the confirmation.
 */
import type { Logger } from 'pino';
import { describeArgv, runCommand, type CommandResult, type CommandRunner } from '../command.js';
import { AnnouncerFailure } from '../errors.js';
import type { RouteBackend, SyncRequest } from '../synced.js';
import type { AnnouncedRoute, RouteRef } from '../types.js';
import {
  addArgv,
  deleteArgv,
  desiredPath,
  familyOf,
  globalArgv,
  gobgpFailure,
  listArgv,
  planSync,
  type Family,
} from './commands.js';
import { jsonError, parseGlobalAsn, parseLocalPaths, type GobgpPath } from './rib.js';
import { describeApi, type GobgpSettings } from './settings.js';
import { errorMessage } from '../../util/index.js';

/** Above this many owned prefixes of a family, list the family's RIB once instead. */
export const LIST_WHOLE_RIB = 64;
/** gobgp runs at a time. */
export const CONCURRENCY = 8;

export interface GobgpBackendOptions {
  readonly logger: Logger;
  /** Runs gobgp (tests substitute their own). */
  readonly run?: CommandRunner;
}

/**
 * Runs `work` on every item, at most `limit` at a time; resolves with the errors. After a
 * failure other than gobgpd refusing one change (it is down, the CLI is missing, …) no
 * more items are started: each would only wait out the same failure.
 */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<Error[]> {
  const errors: Error[] = [];
  let next = 0;
  const hopeless = (): boolean =>
    errors.some((e) => !(e instanceof AnnouncerFailure) || e.code !== 'ANNOUNCER_REJECTED');
  const worker = async (): Promise<void> => {
    while (next < items.length && !hopeless()) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return errors;
}

export class GobgpBackend implements RouteBackend {
  private readonly run: CommandRunner;
  private readonly log: Logger;
  private asn: number | undefined;
  private lastError: string | undefined;

  constructor(
    private readonly settings: GobgpSettings,
    options: GobgpBackendOptions,
  ) {
    this.run = options.run ?? runCommand;
    this.log = options.logger;
  }

  async sync(request: SyncRequest): Promise<void> {
    try {
      await this.apply(request);
      this.lastError = undefined;
    } catch (error) {
      // Read gobgpd's AS again next time: it may have been restarted with another.
      this.asn = undefined;
      this.lastError = errorMessage(error);
      throw error;
    }
  }

  detail(): Readonly<Record<string, string | number | boolean>> {
    return {
      gobgp: this.settings.gobgp,
      api: describeApi(this.settings.api),
      ...(this.asn === undefined ? {} : { asn: this.asn }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private async apply({ wanted, owned, applied }: SyncRequest): Promise<void> {
    const routes = [...wanted.values(), ...(applied?.values() ?? [])];
    const asn = routes.some((r) => (r.attributes.prepend ?? 0) > 0)
      ? await this.globalAsn()
      : this.asn;
    const pathOf = (route: AnnouncedRoute): GobgpPath => desiredPath(route, this.settings, asn);
    const want = new Map([...wanted.values()].map((r) => [r.prefix, pathOf(r)]));
    const current =
      applied === undefined
        ? await this.readLocalPaths(owned.values())
        : new Map([...applied.values()].map((r) => [r.prefix, pathOf(r)]));
    const plan = planSync(
      want,
      [...owned.values()].map((r) => r.prefix),
      current,
    );
    if (plan.add.length === 0 && plan.remove.length === 0) return;
    this.log.debug(
      {
        event: 'gobgp.updating',
        announcer: 'gobgp',
        add: plan.add.map((a) => a.prefix),
        remove: plan.remove,
      },
      'updating gobgpd',
    );
    const errors = await eachLimited(
      [
        ...plan.remove.map((prefix) => deleteArgv(this.settings, prefix)),
        ...plan.add.map(({ prefix, path }) => addArgv(this.settings, prefix, path)),
      ],
      CONCURRENCY,
      async (argv) => {
        await this.gobgp(argv);
      },
    );
    const [first] = errors;
    if (first === undefined) return;
    const total = plan.add.length + plan.remove.length;
    if (errors.length === 1 || !(first instanceof AnnouncerFailure)) throw first;
    throw new AnnouncerFailure(
      first.code,
      `${errors.length} of ${total} gobgp changes failed; the first: ${first.message}`,
      { cause: first },
    );
  }

  /** Runs gobgp; a non-zero exit or an `{"error": …}` answer becomes an AnnouncerFailure. */
  private async gobgp(argv: readonly string[]): Promise<CommandResult> {
    const result = await this.run(argv, { timeoutMs: this.settings.timeoutMs, allowFailure: true });
    const error = argv.includes('-j') ? jsonError(result.stdout) : undefined;
    if (result.exitCode !== 0 || error !== undefined)
      throw gobgpFailure(argv, result, this.settings, error);
    return result;
  }

  private async globalAsn(): Promise<number> {
    if (this.asn !== undefined) return this.asn;
    const argv = globalArgv(this.settings);
    const { stdout } = await this.gobgp(argv);
    const asn = parseGlobalAsn(stdout, describeArgv(argv));
    if (asn === undefined)
      throw new AnnouncerFailure(
        'ANNOUNCER_DAEMON_UNREACHABLE',
        `gobgpd on ${describeApi(this.settings.api)} has no global AS yet (gobgp global: ${stdout.trim() || 'no output'}): give it a [global.config] with as and router-id`,
      );
    this.asn = asn;
    return asn;
  }

  /** The local paths gobgpd holds for these prefixes. */
  private async readLocalPaths(owned: Iterable<RouteRef>): Promise<Map<string, GobgpPath>> {
    const byFamily: Record<Family, string[]> = { ipv4: [], ipv6: [] };
    for (const route of owned) byFamily[familyOf(route)].push(route.prefix);
    const out = new Map<string, GobgpPath>();
    const read = async (argv: string[], keep: ReadonlySet<string>): Promise<void> => {
      const { stdout } = await this.gobgp(argv);
      for (const [prefix, path] of parseLocalPaths(stdout, describeArgv(argv)))
        if (keep.has(prefix)) out.set(prefix, path);
    };
    for (const family of ['ipv4', 'ipv6'] as const) {
      const prefixes = byFamily[family];
      if (prefixes.length === 0) continue;
      const keep = new Set(prefixes);
      if (prefixes.length > LIST_WHOLE_RIB) {
        await read(listArgv(this.settings, family), keep);
        continue;
      }
      const errors = await eachLimited(prefixes, CONCURRENCY, (prefix) =>
        read(listArgv(this.settings, family, prefix), keep),
      );
      if (errors[0] !== undefined) throw errors[0];
    }
    return out;
  }
}
