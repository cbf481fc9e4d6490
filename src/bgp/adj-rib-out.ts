/**
 * The Adj-RIB-Out of one peer: what the peer has from us, diffed against the
 * speaker's table (the Loc-RIB) and written as batched UPDATEs.
 *
 * RFC 4271 sections 3.2 (Adj-RIB-Out) and 9.2 (sending UPDATEs), RFC 4724
 * section 2 (End-of-RIB after the initial table), RFC 2918 section 4 (a route
 * refresh re-sends the Adj-RIB-Out of that family).
 *
 * Active only while the session is Established: `start` gives it the connection
 * and sends the whole table, `stop` forgets what the peer had.
 *
 * Memory: a route is its prefix key (prefix.ts, the NLRI as a short string) in the
 * Loc-RIB, pointing at attributes interned by the speaker (routes with equal attributes
 * share one object), and the same key here pointing at the signature of what was sent,
 * one string per attribute set. Each attribute set is exported and encoded once per
 * session and family (ExportedAttributes), and UPDATEs are packed from the keys.
 */
import { encodeMessage } from './codec/index.js';
import type { Connection } from './connection.js';
import {
  attributesSignature,
  exportAttributes,
  type ExportContext,
  type RouteAttributes,
} from './export-policy.js';
import { familyOfKey, type Family } from './prefix.js';
import type { UpdateMessage } from './types.js';
import {
  encodeForPacking,
  endOfRib,
  packAnnouncements,
  packWithdrawals,
  type EncodedAttributes,
} from './update-packer.js';

/** The speaker-wide table of what we want announced, by prefix key, shared by every peer. */
export interface LocRib {
  get(key: string): RouteAttributes | undefined;
  keys(): IterableIterator<string>;
}

/** One attribute set as one peer gets it, encoded once. */
interface ExportedAttributes {
  readonly encoded: EncodedAttributes;
  readonly signature: string;
}

/** Prefix changes examined per flush step; keeps each step short so the event loop stays free. */
const FLUSH_BATCH = 4000;
const EMPTY = new Uint8Array(0);

export class AdjRibOut {
  /** What the peer has from us: prefix key to the signature of its attributes. */
  private readonly sent = new Map<string, string>();
  /** Prefixes that need another look. */
  private readonly dirty = new Set<string>();
  /**
   * The rest of the whole table to send after Established: a walk over the Loc-RIB's keys
   * rather than a copy of them all into `dirty` (120,000 keys would be a Set of their own).
   * A key changed meanwhile is also in `dirty`; whichever comes second finds it sent.
   */
  private tableWalk: Iterator<string> | undefined;
  /** Set while Established. */
  private connection: Connection | undefined;
  private negotiatedFamilies: readonly Family[] = [];
  private exportContext: ExportContext | undefined;
  private exportFamilies = new Set<Family>();
  private exportCache = new WeakMap<
    RouteAttributes,
    Partial<Record<Family, ExportedAttributes | null>>
  >();
  private endOfRibPending = false;
  private flushScheduled = false;
  private flushWaiters: (() => void)[] = [];
  private sentUpdates = 0;

  constructor(private readonly locRib: LocRib) {}

  /** Whether the peer has this prefix (by prefix key) from us. */
  has(key: string): boolean {
    return this.sent.has(key);
  }

  /** Prefixes the peer has from us. */
  get size(): number {
    return this.sent.size;
  }

  get updatesSent(): number {
    return this.sentUpdates;
  }

  /**
   * The session is Established on `connection`: send the whole table, then
   * End-of-RIB for every negotiated family (even one we cannot export to).
   */
  start(
    connection: Connection,
    negotiatedFamilies: readonly Family[],
    context: ExportContext,
    exportFamilies: Set<Family>,
  ): void {
    this.connection = connection;
    this.negotiatedFamilies = negotiatedFamilies;
    this.exportContext = context;
    this.exportFamilies = exportFamilies;
    this.exportCache = new WeakMap();
    this.sent.clear();
    this.dirty.clear();
    this.tableWalk = this.locRib.keys();
    this.endOfRibPending = true;
    this.scheduleFlush();
  }

  /**
   * A next hop turned up for more families: export them now. The context only
   * gains next hops, so what the peer already has keeps its signature and is not re-sent.
   */
  widenExport(context: ExportContext, exportFamilies: Set<Family>): void {
    if (this.connection === undefined) return;
    const added = new Set([...exportFamilies].filter((f) => !this.exportFamilies.has(f)));
    this.exportContext = context;
    this.exportFamilies = exportFamilies;
    this.exportCache = new WeakMap();
    for (const key of this.locRib.keys()) if (added.has(familyOfKey(key))) this.dirty.add(key);
    this.scheduleFlush();
  }

  /** The session went down: the peer has nothing from us any more. */
  stop(): void {
    this.connection = undefined;
    this.sent.clear();
    this.dirty.clear();
    this.tableWalk = undefined;
    this.endOfRibPending = false;
    this.resolveFlushWaiters();
  }

  /** The speaker's table changed for this prefix key. */
  routeChanged(key: string): void {
    // Not Established: nothing to diff against; `start` walks the whole table anyway.
    if (this.connection === undefined) return;
    this.dirty.add(key);
    this.scheduleFlush();
  }

  /**
   * The Loc-RIB was emptied (the speaker stopping): withdraw everything the peer has, by a
   * walk over what was sent, not by a copy of every key into `dirty`, whose 120,000
   * entries were most of a stop's memory peak.
   */
  tableCleared(): void {
    if (this.connection === undefined) return;
    this.dirty.clear();
    // Deleting visited keys while walking a Map is safe: each key is seen once.
    this.tableWalk = this.sent.keys();
    this.scheduleFlush();
  }

  /** RFC 2918 section 4: re-advertise the Adj-RIB-Out of that family. False if we export none of it. */
  routeRefresh(family: Family): boolean {
    if (!this.exportFamilies.has(family)) return false;
    for (const key of this.sent.keys()) {
      if (familyOfKey(key) === family && !this.dirty.has(key)) {
        this.sent.delete(key);
        this.dirty.add(key);
      }
    }
    this.scheduleFlush();
    return true;
  }

  /** The socket buffer emptied: carry on writing. */
  drained(): void {
    this.flush();
  }

  /** Resolves once every pending change has been written out and the socket buffer is empty. */
  flushed(): Promise<void> {
    if (this.isFlushed()) return Promise.resolve();
    const promise = new Promise<void>((resolve) => this.flushWaiters.push(resolve));
    const idle =
      !this.flushScheduled &&
      this.dirty.size === 0 &&
      this.tableWalk === undefined &&
      !this.endOfRibPending;
    // Only bytes in the socket buffer are left: an empty write's callback tells when they are out.
    if (idle) this.connection?.socket.write(EMPTY, () => this.checkFlushed());
    return promise;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.connection === undefined) return;
    this.flushScheduled = true;
    // Coalesce every change made in this tick into one pass.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const connection = this.connection;
    if (connection === undefined) return;
    while (this.dirty.size > 0 || this.tableWalk !== undefined) {
      if (connection.needsDrain) return; // resumed by `drained`
      this.flushStep(connection);
      if (!connection.isOpen) return;
    }
    if (this.endOfRibPending) {
      this.endOfRibPending = false;
      for (const family of this.negotiatedFamilies) this.writeUpdate(connection, endOfRib(family));
    }
    if (connection.pendingBytes === 0) this.resolveFlushWaiters();
    // An empty write's callback runs once everything queued before it is handed to the kernel.
    else if (this.flushWaiters.length > 0)
      connection.socket.write(EMPTY, () => this.checkFlushed());
  }

  private flushStep(connection: Connection): void {
    const withdrawals: Record<Family, string[]> = { ipv4: [], ipv6: [] };
    const groups = new Map<ExportedAttributes, string[]>();
    // Runs of routes share attributes: the last lookup is kept, so most keys cost no
    // export-cache or group lookup (the hot loop of a full-table send).
    let lastAttributes: RouteAttributes | undefined;
    let lastFamily: Family | undefined;
    let lastExported: ExportedAttributes | null = null;
    let lastGroup: string[] | undefined;
    for (let examined = 0; examined < FLUSH_BATCH; examined++) {
      const key = this.nextDirty();
      if (key === undefined) break;
      const family = familyOfKey(key);
      const wanted = this.locRib.get(key);
      let exported: ExportedAttributes | null = null;
      if (wanted !== undefined && this.exportFamilies.has(family)) {
        if (wanted !== lastAttributes || family !== lastFamily) {
          lastAttributes = wanted;
          lastFamily = family;
          lastExported = this.exported(wanted, family);
          lastGroup = undefined;
        }
        exported = lastExported;
      }
      const previous = this.sent.get(key);
      if (exported === null) {
        if (previous !== undefined) {
          withdrawals[family].push(key);
          this.sent.delete(key);
        }
      } else if (previous !== exported.signature) {
        // Grouped by the exported object: one per attribute set and family.
        if (lastGroup === undefined) {
          lastGroup = groups.get(exported);
          if (lastGroup === undefined) {
            lastGroup = [];
            groups.set(exported, lastGroup);
          }
        }
        lastGroup.push(key);
        this.sent.set(key, exported.signature);
      }
    }
    const emit = (bytes: Uint8Array): void => this.writeBytes(connection, bytes);
    for (const family of ['ipv4', 'ipv6'] as const)
      packWithdrawals(family, withdrawals[family], emit);
    for (const [exported, keys] of groups) packAnnouncements(exported.encoded, keys, emit);
  }

  /** The next prefix to look at: changed ones first, then the rest of the initial table. */
  private nextDirty(): string | undefined {
    if (this.dirty.size > 0) {
      const key = this.dirty.values().next().value as string;
      this.dirty.delete(key);
      return key;
    }
    if (this.tableWalk === undefined) return undefined;
    const walked = this.tableWalk.next();
    if (walked.done === true) {
      this.tableWalk = undefined;
      return undefined;
    }
    return walked.value;
  }

  /** The peer's view of a route's attributes, computed once per attribute set and family. */
  private exported(attributes: RouteAttributes, family: Family): ExportedAttributes | null {
    let entry = this.exportCache.get(attributes);
    if (entry === undefined) {
      entry = {};
      this.exportCache.set(attributes, entry);
    }
    const cached = entry[family];
    if (cached !== undefined) return cached;
    const context = this.exportContext;
    const path = context === undefined ? undefined : exportAttributes(attributes, family, context);
    const codec = this.connection?.context ?? { fourOctetAs: true };
    const result =
      path === undefined
        ? null
        : { encoded: encodeForPacking(family, path, codec), signature: attributesSignature(path) };
    entry[family] = result;
    return result;
  }

  private writeBytes(connection: Connection, bytes: Uint8Array): void {
    connection.write(bytes);
    this.sentUpdates++;
  }

  private writeUpdate(connection: Connection, update: UpdateMessage): void {
    connection.write(encodeMessage(update, connection.context));
    this.sentUpdates++;
  }

  private isFlushed(): boolean {
    if (this.connection === undefined) return true;
    if (this.dirty.size > 0 || this.tableWalk !== undefined) return false;
    if (this.endOfRibPending || this.flushScheduled) return false;
    return this.connection.pendingBytes === 0;
  }

  private checkFlushed(): void {
    if (this.isFlushed()) this.resolveFlushWaiters();
  }

  private resolveFlushWaiters(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
