/**
 * The routes an announcer has put in a routing daemon, on disk: written before a change
 * is applied, so after a crash the next start knows which routes in the routing daemon
 * are ours to withdraw even when the config no longer names them. One JSON file per
 * announcer in the state directory.
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../files/index.js';
import { AnnouncerFailure } from './errors.js';
import { routeKey, type AnnouncerKind, type RouteRef } from './types.js';
import { errorMessage } from '../util/index.js';

export function stateFilePath(stateDir: string, kind: AnnouncerKind): string {
  return join(stateDir, `announcer-${kind}.json`);
}

/** Parses a state file; anything but `{ "version": 1, "routes": [{ "prefix": … }] }` is an error. */
export function parseStateFile(text: string, path: string): Map<string, RouteRef> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new AnnouncerFailure(
      'ANNOUNCER_FILE',
      `${path} is not valid JSON: ${errorMessage(error)}`,
    );
  }
  const routes =
    typeof document === 'object' &&
    document !== null &&
    (document as { version?: unknown }).version === 1
      ? (document as { routes?: unknown }).routes
      : undefined;
  if (!Array.isArray(routes))
    throw new AnnouncerFailure(
      'ANNOUNCER_FILE',
      `${path}: expected { "version": 1, "routes": [ … ] }`,
    );
  const out = new Map<string, RouteRef>();
  routes.forEach((item: unknown, i) => {
    const r = item as { prefix?: unknown; vrf?: unknown } | null;
    if (
      r === null ||
      typeof r !== 'object' ||
      typeof r.prefix !== 'string' ||
      (r.vrf !== undefined && typeof r.vrf !== 'string')
    )
      throw new AnnouncerFailure(
        'ANNOUNCER_FILE',
        `${path}: routes[${i}] must be { "prefix": "…", "vrf"?: "…" }`,
      );
    const ref: RouteRef =
      r.vrf === undefined ? { prefix: r.prefix } : { prefix: r.prefix, vrf: r.vrf };
    out.set(routeKey(ref), ref);
  });
  return out;
}

export class RouteStateFile {
  readonly path: string;
  constructor(stateDir: string, kind: AnnouncerKind) {
    this.path = stateFilePath(stateDir, kind);
  }

  /** The recorded routes; none when the file does not exist. */
  async read(): Promise<Map<string, RouteRef>> {
    let text: string | undefined;
    try {
      text = await readFileIfExists(this.path);
    } catch (error) {
      throw new AnnouncerFailure(
        'ANNOUNCER_FILE',
        `cannot read ${this.path}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
    return text === undefined ? new Map() : parseStateFile(text, this.path);
  }

  async write(routes: Iterable<RouteRef>): Promise<void> {
    const list = [...routes]
      .map((r) => (r.vrf === undefined ? { prefix: r.prefix } : { prefix: r.prefix, vrf: r.vrf }))
      .sort((a, b) => routeKey(a).localeCompare(routeKey(b)));
    try {
      await writeFileAtomic(
        this.path,
        `${JSON.stringify({ version: 1, routes: list }, null, 2)}\n`,
        {
          mode: 0o640,
          createDirMode: 0o750,
        },
      );
    } catch (error) {
      throw new AnnouncerFailure(
        'ANNOUNCER_FILE',
        `cannot write ${this.path}: ${errorMessage(error)}`,
        {
          cause: error,
        },
      );
    }
  }
}
