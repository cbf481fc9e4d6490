/**
 * Replacing a file so that a reader (BIRD's `include`, the next start of this daemon)
 * sees the old content or the new, never half of it: write a temporary file beside it,
 * fsync it, rename it over the old one, fsync the directory (the rename itself is
 * durable only then).
 */
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of a newly created file (default 0o644). */
  readonly mode?: number;
  /** Create the directory (with this mode) when missing; by default it must exist. */
  readonly createDirMode?: number;
}

/** Writes `body` to `path` atomically; the error is the write's own, with the path in it. */
export async function writeFileAtomic(
  path: string,
  body: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  if (options.createDirMode !== undefined)
    await mkdir(dir, { recursive: true, mode: options.createDirMode });
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    const file = await open(temporary, 'w', options.mode ?? 0o644);
    try {
      await file.writeFile(body, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    // Best effort: the write's own error is the one to report.
    await rm(temporary, { force: true }).catch(() => undefined);
    throw error;
  }
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
