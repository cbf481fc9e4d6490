/**
 * `anycast-guard import …`: configurations of other tools turned into anycast-guard's.
 * Reading the files is here; the conversions are pure (anycast-healthchecker.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  convertAnycastHealthchecker,
  type ImportResult,
  type SourceFile,
} from './anycast-healthchecker.js';
import { errorCode, errorMessage } from '../util/index.js';

export { convertAnycastHealthchecker } from './anycast-healthchecker.js';
export type {
  ImportNote,
  ImportNoteKind,
  ImportResult,
  SourceFile,
} from './anycast-healthchecker.js';
export { IniDocument, IniError } from './ini.js';
export { shlexSplit, ShlexError } from './shlex.js';

export class ImportError extends Error {
  readonly code = 'IMPORT_UNREADABLE';
  readonly kind = 'import.unreadable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ImportError';
  }
}

/**
 * The files anycast-healthchecker would read, in its order: each path given is a file
 * (its -f daemon file, or a -F service file) or a directory whose `*.conf` files are
 * service checks (its -d, /etc/anycast-healthchecker.d), read in name order.
 */
export async function readSources(paths: readonly string[]): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for (const path of paths) {
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      throw new ImportError(`cannot read ${path}: ${errorCode(error) ?? errorMessage(error)}`, {
        cause: error,
      });
    }
    const list = info.isDirectory()
      ? (await readdir(path))
          .filter((n) => n.endsWith('.conf'))
          .sort()
          .map((n) => join(path, n))
      : [path];
    if (info.isDirectory() && list.length === 0)
      throw new ImportError(`${path}: no *.conf files in this directory`);
    for (const file of list) {
      try {
        files.push({ path: file, text: await readFile(file, 'utf8') });
      } catch (error) {
        throw new ImportError(`cannot read ${file}: ${errorCode(error) ?? errorMessage(error)}`, {
          cause: error,
        });
      }
    }
  }
  return files;
}

export async function importAnycastHealthchecker(paths: readonly string[]): Promise<ImportResult> {
  return convertAnycastHealthchecker(await readSources(paths));
}
