/**
 * `anycast-guard import …`: configurations of other tools turned into anycast-guard's.
 * Reading the files is here; the conversions are pure (anycast-healthchecker.ts,
 * exabgp-healthcheck.ts).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  convertAnycastHealthchecker,
  type ImportNote,
  type ImportResult,
  type SourceFile,
} from './anycast-healthchecker.js';
import { argsFromCommandLine, findHealthcheckLines, type HealthcheckLine } from './exabgp-conf.js';
import { convertExabgpHealthcheck } from './exabgp-healthcheck.js';
import { configFilesNamed } from './healthcheck-args.js';
import { ShlexError } from './shlex.js';
import { errorCode, errorMessage } from '../util/index.js';

export { convertAnycastHealthchecker } from './anycast-healthchecker.js';
export type {
  ImportNote,
  ImportNoteKind,
  ImportResult,
  SourceFile,
} from './anycast-healthchecker.js';
export {
  commandArgv,
  convertExabgpHealthcheck,
  executeHook,
  readAsPath,
  type ExabgpImportInput,
} from './exabgp-healthcheck.js';
export {
  configFileArgs,
  EXABGP_HEALTHCHECK_DEFAULTS,
  HealthcheckArgsError,
} from './healthcheck-args.js';
export { argsFromCommandLine, findHealthcheckLines, type HealthcheckLine } from './exabgp-conf.js';
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

/** A word as a shell would need it, for showing a command line back. */
function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'"'"'`)}'`;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new ImportError(`cannot read ${path}: ${errorCode(error) ?? errorMessage(error)}`, {
      cause: error,
    });
  }
}

/**
 * ExaBGP healthcheck lines → anycast-guard: the healthcheck processes of each exabgp.conf
 * in `confPaths`, then the one given as `args` (its options, its command, or its run line),
 * if any. The --config files they name are read when they can be (a missing one is an
 * error note, since its options are unknown).
 */
export async function importExabgpHealthcheck(input: {
  readonly confPaths: readonly string[];
  readonly args?: readonly string[];
}): Promise<ImportResult> {
  const lines: HealthcheckLine[] = [];
  const notes: ImportNote[] = [];
  for (const path of input.confPaths) {
    const found = findHealthcheckLines(path, await readText(path));
    lines.push(...found.lines);
    for (const other of found.others)
      notes.push({ kind: 'no-equivalent', where: other.where, message: other.message });
    if (found.lines.length === 0)
      throw new ImportError(`${path}: no process runs ExaBGP's healthcheck`);
  }
  if (input.args !== undefined && input.args.length > 0) {
    let args;
    try {
      args = argsFromCommandLine(input.args);
    } catch (error) {
      if (error instanceof ShlexError)
        throw new ImportError(`cannot split the command line: ${error.message}`);
      throw error;
    }
    if (args === undefined)
      throw new ImportError(
        `not a healthcheck command line: give its options (--cmd …), or the command with "healthcheck" in it`,
      );
    lines.push({ where: 'command line', text: input.args.map(shellQuote).join(' '), args });
  }
  const files = new Map<string, string>();
  for (const line of lines)
    for (const path of configFilesNamed(line.args))
      if (!files.has(path))
        try {
          files.set(path, await readFile(path, 'utf8'));
        } catch {
          // Left out of the map: the converter says its options are unknown.
        }
  return convertExabgpHealthcheck({ lines, notes, files });
}
