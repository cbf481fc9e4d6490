/**
 * The last transitions of every service, newest last, for GET /v1/transitions and the
 * dashboard. With a file (STATE_DIR/transitions.json) the history outlives a restart,
 * so what happened just before a crash or a reboot is still there to read: each
 * transition is written out (atomically, coalesced: at most one write in flight), and
 * the file is read back at start. The file is a convenience: one that cannot be read
 * or written is logged once and the log carries on in memory.
 */
import type { Logger } from 'pino';
import { readFileIfExists, writeFileAtomic } from '../files/index.js';
import { SERVICE_STATES, type ServiceState, type Transition } from '../health/index.js';
import { errorMessage } from '../util/index.js';

export const TRANSITION_LOG_SIZE = 100;
export const TRANSITIONS_FILE = 'transitions.json';

export interface TransitionLogOptions {
  readonly size?: number;
  /** Where the history is kept across restarts; without it, memory only. */
  readonly file?: string;
  readonly logger?: Logger;
}

export class TransitionLog {
  private entries: Transition[] = [];
  private readonly size: number;
  private readonly file: string | undefined;
  private readonly logger: Logger | undefined;
  private writing: Promise<void> | undefined;
  private again = false;
  private warned = false;

  constructor(options: TransitionLogOptions | number = {}) {
    const settings = typeof options === 'number' ? { size: options } : options;
    this.size = settings.size ?? TRANSITION_LOG_SIZE;
    this.file = settings.file;
    this.logger = settings.logger;
  }

  /** Reads the history a previous run left; a missing file is an empty history. */
  async load(): Promise<void> {
    if (this.file === undefined) return;
    try {
      const text = await readFileIfExists(this.file);
      if (text === undefined) return;
      const loaded = parseTransitions(JSON.parse(text) as unknown);
      // Transitions recorded before load() finished stay, after the loaded ones.
      this.entries = [...loaded, ...this.entries].slice(-this.size);
    } catch (error) {
      this.warn('transitions.load_failed', 'cannot read the transition history', error);
    }
  }

  /** Fed by the Daemon's onTransition hook. */
  record(transition: Transition): void {
    this.entries.push({
      service: transition.service,
      from: transition.from,
      to: transition.to,
      reason: transition.reason,
      at: transition.at,
    });
    if (this.entries.length > this.size) this.entries.splice(0, this.entries.length - this.size);
    this.save();
  }

  /** Oldest first. */
  list(): readonly Transition[] {
    return [...this.entries];
  }

  /** Resolves once what was recorded so far is on disk (or its write failed). */
  async flushed(): Promise<void> {
    while (this.writing !== undefined) await this.writing;
  }

  private save(): void {
    const file = this.file;
    if (file === undefined) return;
    if (this.writing !== undefined) {
      this.again = true;
      return;
    }
    this.writing = (async () => {
      do {
        this.again = false;
        try {
          await writeFileAtomic(file, `${JSON.stringify({ transitions: this.entries })}\n`, {
            mode: 0o640,
            createDirMode: 0o750,
          });
        } catch (error) {
          this.warn('transitions.save_failed', 'cannot write the transition history', error);
        }
      } while (this.again);
    })().finally(() => {
      this.writing = undefined;
    });
  }

  private warn(event: string, message: string, error: unknown): void {
    if (this.warned) return;
    this.warned = true;
    this.logger?.warn(
      { event, file: this.file, err: errorMessage(error) },
      `${message}: it is kept in memory only`,
    );
  }
}

const STATES: ReadonlySet<unknown> = new Set<ServiceState>(SERVICE_STATES);

/** The file's transitions; anything malformed is dropped rather than trusted. */
function parseTransitions(value: unknown): Transition[] {
  const list =
    typeof value === 'object' && value !== null && 'transitions' in value
      ? value.transitions
      : undefined;
  if (!Array.isArray(list)) throw new Error('no "transitions" array');
  return list.filter((t): t is Transition => {
    if (typeof t !== 'object' || t === null) return false;
    const r = t as Record<string, unknown>;
    return (
      typeof r.service === 'string' &&
      STATES.has(r.from) &&
      typeof r.reason === 'string' &&
      typeof r.at === 'number' &&
      STATES.has(r.to)
    );
  });
}
