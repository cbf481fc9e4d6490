/**
 * Reading an operator's file with a size cap, checked before anything is parsed: a
 * 100 MB value once ran the daemon out of memory on reload and 5 MB blocked its event
 * loop for 20 s. A file over the cap is refused by name, with its size and the cap;
 * the running configuration stays.
 */
import { open } from 'node:fs/promises';
import { ConfigError } from './errors.js';

/** 1 MiB: a configuration of thousands of services fits many times over. */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/** "1 MiB", "5 MiB", "1.5 KiB" or "300 bytes". */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const)
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  return `${bytes} bytes`;
}

/** The ConfigError (CONFIG_TOO_LARGE) for a file or text of `size` bytes over `cap`. */
export function tooLarge(source: string, size: number | undefined, cap: number): ConfigError {
  const what = size === undefined ? 'is larger' : `is ${formatBytes(size)} (${size} bytes), larger`;
  return new ConfigError('CONFIG_TOO_LARGE', source, [
    {
      path: '',
      message: `the file ${what} than the cap of ${formatBytes(cap)} (${cap} bytes); it was not read`,
    },
  ]);
}

/** Refuses a text already in memory that is over the cap (parseConfig from a string). */
export function checkTextSize(text: string, source: string, cap = MAX_CONFIG_BYTES): void {
  // Cheap first: a string of at most cap/3 UTF-16 units cannot be over cap bytes of UTF-8.
  if (text.length * 3 <= cap) return;
  const size = Buffer.byteLength(text, 'utf8');
  if (size > cap) throw tooLarge(source, size, cap);
}

/**
 * Reads a UTF-8 file of at most `cap` bytes. A regular file over the cap is refused
 * from its size alone; a pipe or device is read only up to the cap. Throws ConfigError:
 * CONFIG_UNREADABLE naming the errno, or CONFIG_TOO_LARGE.
 */
export async function readConfigFile(path: string, cap = MAX_CONFIG_BYTES): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const info = await file.stat();
      if (info.isFile() && info.size > cap) throw tooLarge(path, info.size, cap);
      const chunks: Buffer[] = [];
      let total = 0;
      for (;;) {
        const chunk = Buffer.alloc(Math.min(64 * 1024, cap + 1 - total));
        const { bytesRead } = await file.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        total += bytesRead;
        // It grew after the stat, or it is not a regular file.
        if (total > cap) throw tooLarge(path, info.isFile() ? total : undefined, cap);
      }
      return Buffer.concat(chunks, total).toString('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const errno = (error as NodeJS.ErrnoException).code ?? 'EIO';
    const detail =
      error instanceof Error ? (/^[A-Z]+: ([^,]+)/.exec(error.message)?.[1] ?? error.message) : '';
    throw new ConfigError(
      'CONFIG_UNREADABLE',
      path,
      [{ path: '', message: `cannot read the configuration file: ${errno} (${detail})` }],
      { cause: error },
    );
  }
}
