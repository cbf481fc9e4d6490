/**
 * Drained services on disk, so a drain outlives a restart: one JSON file in the
 * state directory, replaced atomically (write a temporary file, fsync it, rename
 * it over the old one, fsync the directory). Writes run one at a time.
 *
 * A change is taken in memory first and kept there when the write fails (a full or
 * read-only state_dir): the running daemon and its status stay right, the caller
 * learns why it is not on disk, and the next write that succeeds carries it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../files/index.js';
import { errorMessage } from '../util/index.js';
import type { DrainOrder } from '../health/index.js';

export const DRAIN_FILE = 'drained.json';

export interface DrainRecord {
  readonly reason: string;
  /** Epoch ms. */
  readonly at: number;
  /** A graceful drain (RFC 8326): epoch ms at which its routes are withdrawn. */
  readonly until?: number;
}

export class DrainStoreError extends Error {
  readonly kind = 'api.drain_store';
  /** The system's error code behind it (ENOSPC, EROFS, EACCES, …), when there is one. */
  readonly systemCode: string | undefined;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DrainStoreError';
    const code = (options?.cause as NodeJS.ErrnoException | undefined)?.code;
    this.systemCode = typeof code === 'string' ? code : undefined;
  }
}

export class DrainStore {
  readonly path: string;
  private readonly dir: string;
  private records = new Map<string, DrainRecord>();
  private writes: Promise<unknown> = Promise.resolve();
  private dirty = false;

  constructor(stateDir: string) {
    this.dir = stateDir;
    this.path = join(stateDir, DRAIN_FILE);
  }

  /**
   * Reads the file; a missing file means nothing is drained. A file that cannot
   * be read or understood is an error: starting as if nothing were drained could
   * announce a service an operator took out.
   */
  async load(): Promise<ReadonlyMap<string, DrainRecord>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        this.records = new Map();
        return this.records;
      }
      throw new DrainStoreError(`cannot read ${this.path}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    this.records = parseDrainFile(text, this.path);
    return this.records;
  }

  /** service → reason, as the Daemon's `drained` option takes it. */
  reasons(): Map<string, string> {
    return new Map([...this.records].map(([name, r]) => [name, r.reason]));
  }

  /** service → drain with a graceful one's deadline, as the Daemon's `drained` option takes it. */
  orders(): Map<string, DrainOrder> {
    return new Map(
      [...this.records].map(([name, r]) => [
        name,
        { reason: r.reason, ...(r.until === undefined ? {} : { until: r.until }) },
      ]),
    );
  }

  get(name: string): DrainRecord | undefined {
    return this.records.get(name);
  }

  /** Whether what is in memory differs from the file (the last write failed). */
  get unsaved(): boolean {
    return this.dirty;
  }

  /**
   * Records a drain (or replaces its reason) and returns once it is on disk; rejects
   * with a DrainStoreError when it cannot be written (it stays recorded in memory).
   */
  drain(name: string, reason: string, at = Date.now(), until?: number): Promise<void> {
    return this.update((next) =>
      next.set(name, { reason, at, ...(until === undefined ? {} : { until }) }),
    );
  }

  /** Forgets a drain and returns once that is on disk (rejects as drain() does). */
  undrain(name: string): Promise<void> {
    return this.update((next) => next.delete(name));
  }

  /**
   * Forgets the drains of services not in `names` (a reload removed them), returns
   * their names once that is on disk; nothing is written when there are none. A
   * service added back later starts undrained, as any new service does.
   */
  async forgetAllBut(names: ReadonlySet<string>): Promise<string[]> {
    const gone = [...this.records.keys()].filter((name) => !names.has(name));
    if (gone.length > 0)
      await this.update((next) => {
        for (const name of gone) next.delete(name);
      });
    return gone;
  }

  private update(change: (next: Map<string, DrainRecord>) => unknown): Promise<void> {
    const next = new Map(this.records);
    change(next);
    this.records = next;
    this.dirty = true;
    const run = this.writes.then(async () => {
      // The latest records, so a write that follows a failed one carries both changes.
      const records = this.records;
      await this.write(records);
      if (this.records === records) this.dirty = false;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  private async write(records: ReadonlyMap<string, DrainRecord>): Promise<void> {
    const body = `${JSON.stringify({ version: 1, drained: Object.fromEntries(records) }, null, 2)}\n`;
    try {
      await writeFileAtomic(this.path, body, { mode: 0o640, createDirMode: 0o750 });
    } catch (error) {
      throw new DrainStoreError(`cannot write ${this.path}: ${errorMessage(error)}`, {
        cause: error,
      });
    }
  }
}

export function parseDrainFile(text: string, path: string): Map<string, DrainRecord> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new DrainStoreError(`${path} is not valid JSON: ${errorMessage(error)}`, {
      cause: error,
    });
  }
  const drained = isObject(document) && document.version === 1 ? document.drained : undefined;
  if (!isObject(drained))
    throw new DrainStoreError(`${path}: expected { "version": 1, "drained": { … } }`);
  const records = new Map<string, DrainRecord>();
  for (const [name, record] of Object.entries(drained)) {
    if (
      !isObject(record) ||
      typeof record.reason !== 'string' ||
      typeof record.at !== 'number' ||
      (record.until !== undefined && typeof record.until !== 'number')
    )
      throw new DrainStoreError(
        `${path}: drained.${name} must be { "reason": "…", "at": ms } (and "until": ms when graceful)`,
      );
    records.set(name, {
      reason: record.reason,
      at: record.at,
      ...(typeof record.until === 'number' ? { until: record.until } : {}),
    });
  }
  return records;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
