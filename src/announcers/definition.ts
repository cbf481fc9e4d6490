/**
 * How a routing-daemon announcer plugs in: its `[announcers.<kind>]` table (validated
 * with readable errors at their key paths), what it can carry, and its factory. The
 * config layer keeps the settings opaque; only the definition that built them reads them.
 */
import type { IssueList, KeyPath } from '../validation/index.js';
import type { Announcer, AnnouncerContext, AnnouncerKind } from './types.js';

export type RoutingDaemonKind = Exclude<AnnouncerKind, 'bgp'>;

export interface AnnouncerDefinition<Settings> {
  readonly kind: RoutingDaemonKind;
  /** How operators spell it: "BIRD", "FRRouting", "GoBGP", "ExaBGP". */
  readonly title: string;
  /** Prefixes may carry `vrf = "…"` (FRRouting). */
  readonly supportsVrf: boolean;
  /** It can announce with attributes, so a degraded `down = { med = … }` works. */
  readonly supportsAttributes: boolean;
  /**
   * Checks the `[announcers.<kind>]` table (`raw` is `{}` when it is absent, so defaults
   * apply) and returns the settings, or undefined after adding issues at `path`.
   */
  parse(raw: unknown, path: KeyPath, issues: IssueList): Settings | undefined;
  create(settings: Settings, context: AnnouncerContext): Announcer;
  /**
   * True when the announcer writes to this process's stdout (ExaBGP runs us as its API
   * process and reads routes there): the daemon then logs to stderr.
   */
  usesStdout?(settings: Settings): boolean;
  /**
   * Checks the routes services give this announcer against its settings (a BIRD dummy
   * prefix that is also a service's prefix would stay exported whatever its health), and
   * adds issues at each route's key path.
   */
  checkRoutes?(
    settings: Settings,
    routes: readonly { readonly prefix: string; readonly vrf?: string; readonly path: KeyPath }[],
    issues: IssueList,
  ): void;
  /** One line for `check-config`: where it writes, what it runs ("birdc -s /run/bird/bird.ctl …"). */
  describe?(settings: Settings): string;
}

/** Settings of one configured routing-daemon announcer, as the config carries them. */
export interface RoutingDaemonConfig {
  readonly kind: RoutingDaemonKind;
  /** Built by the definition's parse(); compared with isDeepStrictEqual on reload. */
  readonly settings: unknown;
}
