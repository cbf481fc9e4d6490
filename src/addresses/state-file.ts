/**
 * The addresses this process added, on disk: written before each add and after each
 * removal, so after a crash (SIGKILL, the OOM killer) the next start knows which
 * addresses in mode "auto" are a dead run's, not an operator's, and takes them back.
 * One JSON file in the state directory, replaced atomically (src/files).
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomic } from '../files/index.js';
import { errorMessage } from '../util/index.js';

export const ADDRESS_STATE_FILE = 'addresses.json';

/** One address this process added: the CIDR it added and the device it went on. */
export interface AddedAddress {
  readonly address: string;
  readonly device: string;
}

export function addressStatePath(stateDir: string): string {
  return join(stateDir, ADDRESS_STATE_FILE);
}

/** Parses `{ "version": 1, "added": [{ "address", "device" }] }`; throws on anything else. */
export function parseAddressState(text: string, path: string): AddedAddress[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
  const added =
    typeof document === 'object' &&
    document !== null &&
    (document as { version?: unknown }).version === 1
      ? (document as { added?: unknown }).added
      : undefined;
  if (!Array.isArray(added)) throw new Error(`${path}: expected { "version": 1, "added": [ … ] }`);
  return added.map((item: unknown, i) => {
    const a = item as { address?: unknown; device?: unknown } | null;
    if (a === null || typeof a !== 'object' || typeof a.address !== 'string')
      throw new Error(`${path}: added[${i}] must be { "address": "…", "device": "…" }`);
    if (typeof a.device !== 'string')
      throw new Error(`${path}: added[${i}] must be { "address": "…", "device": "…" }`);
    return { address: a.address, device: a.device };
  });
}

export class AddressStateFile {
  /** The text last written or read, so an unchanged set is not written again. */
  private last: string | undefined;

  constructor(readonly path: string) {}

  /** The recorded addresses; none when the file does not exist. Throws when unreadable. */
  async read(): Promise<AddedAddress[]> {
    const text = await readFileIfExists(this.path);
    if (text === undefined) {
      this.last = render([]);
      return [];
    }
    const added = parseAddressState(text, this.path);
    this.last = render(added);
    return added;
  }

  /** Replaces the record (atomically); does nothing when it would not change. */
  async write(added: readonly AddedAddress[]): Promise<void> {
    const text = render(added);
    if (text === this.last) return;
    await writeFileAtomic(this.path, text, { mode: 0o640, createDirMode: 0o750 });
    this.last = text;
  }
}

function render(added: readonly AddedAddress[]): string {
  const list = [...added]
    .map((a) => ({ address: a.address, device: a.device }))
    .sort((a, b) => `${a.device} ${a.address}`.localeCompare(`${b.device} ${b.address}`));
  return `${JSON.stringify({ version: 1, added: list }, null, 2)}\n`;
}
