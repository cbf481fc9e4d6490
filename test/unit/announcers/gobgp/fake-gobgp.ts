/**
 * A stand-in gobgpd behind the GobgpConnection interface: a global RIB of local paths
 * (kept as the bytes the announcer sent, read back through the same decoding as the real
 * API's answers) and of paths "from a neighbour", with switches for an unreachable or
 * unstarted gobgpd and a refused change.
 */
import { AnnouncerFailure } from '../../../../src/announcers/index.js';
import type { GobgpConnection } from '../../../../src/announcers/gobgp/index.js';
import {
  decodePath,
  encodePath,
  localPaths,
  type ApiDestination,
  type ApiPath,
  type Family,
  type GobgpPath,
} from '../../../../src/announcers/gobgp/paths.js';
import { parsePrefix, formatPrefix } from '../../../../src/bgp/index.js';

export const BARE: GobgpPath = { origin: 'igp', asPath: [], communities: [], largeCommunities: [] };

export class FakeGobgp implements GobgpConnection {
  readonly local = new Map<string, GobgpPath>();
  /** Paths a neighbour sent (never ours to touch). */
  readonly learned = new Map<string, GobgpPath>();
  /** Every call: "asn", "list ipv4 N", "change +P -P …". */
  readonly calls: string[] = [];
  up = true;
  started = true;
  asn = 65001;
  /** A change naming this prefix is refused, as a whole. */
  refuse: string | undefined;
  closed = 0;

  private check(method: string): void {
    if (!this.up)
      throw new AnnouncerFailure(
        'ANNOUNCER_DAEMON_UNREACHABLE',
        `gobgpd does not answer on 127.0.0.1:50051 (${method}: No connection established): is it running with --api-hosts 127.0.0.1:50051?`,
      );
    if (!this.started)
      throw new AnnouncerFailure(
        'ANNOUNCER_DAEMON_UNREACHABLE',
        `gobgpd on 127.0.0.1:50051 has no global configuration yet (${method}: bgp server hasn't started yet): give it a [global.config] with as and router-id`,
      );
  }

  globalAsn(): Promise<number | undefined> {
    this.calls.push('asn');
    this.check('GetBgp');
    return Promise.resolve(this.asn);
  }

  localPaths(family: Family, prefixes: readonly string[]): Promise<Map<string, GobgpPath>> {
    this.calls.push(`list ${family} ${prefixes.length}`);
    this.check('ListPath');
    const destinations: ApiDestination[] = [];
    for (const prefix of prefixes) {
      const paths: ApiPath[] = [];
      const mine = this.local.get(prefix);
      if (mine !== undefined) paths.push({ ...encodePath(prefix, mine), neighbor_ip: '<nil>' });
      const theirs = this.learned.get(prefix);
      if (theirs !== undefined)
        paths.push({ ...encodePath(prefix, theirs), neighbor_ip: '198.18.0.2' });
      if (paths.length > 0) destinations.push({ prefix, paths });
    }
    return Promise.resolve(localPaths(destinations, 'fake ListPath'));
  }

  change(paths: readonly ApiPath[]): Promise<void> {
    const prefixes = paths.map((p) => this.prefixOf(p));
    this.calls.push(
      `change ${paths.map((p, i) => `${p.is_withdraw === true ? '-' : '+'}${prefixes[i] ?? ''}`).join(' ')}`,
    );
    this.check('AddPathStream');
    if (this.refuse !== undefined && prefixes.includes(this.refuse))
      throw new AnnouncerFailure(
        'ANNOUNCER_REJECTED',
        `gobgpd refused AddPathStream: ${this.refuse}`,
      );
    paths.forEach((path, i) => {
      const prefix = prefixes[i] as string;
      if (path.is_withdraw === true) this.local.delete(prefix);
      else this.local.set(prefix, decodePath(path.pattrs_binary ?? [], prefix));
    });
    return Promise.resolve();
  }

  close(): void {
    this.closed++;
  }

  /** The changes made so far (the "change …" calls). */
  changes(): string[] {
    return this.calls.filter((c) => c.startsWith('change ')).map((c) => c.slice(7));
  }

  private prefixOf(path: ApiPath): string {
    const nlri = path.nlri_binary ?? new Uint8Array();
    const v6 = path.family?.afi === 2;
    const bytes = new Uint8Array(v6 ? 16 : 4);
    bytes.set(nlri.subarray(1));
    const length = nlri[0] ?? 0;
    const text = v6
      ? `${[...Array(8).keys()].map((i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16)).join(':')}/${length}`
      : `${[...bytes].join('.')}/${length}`;
    return formatPrefix(parsePrefix(text));
  }
}
