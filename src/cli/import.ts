/**
 * `anycast-guard import anycast-healthchecker PATH… [--output FILE]`: converts an
 * anycast-healthchecker configuration (its [daemon] file and service .conf files, or a
 * directory of them) into anycast-guard TOML on stdout or in FILE.
 * `anycast-guard import exabgp-healthcheck [--file exabgp.conf] [-- ARGS…]`: converts
 * ExaBGP healthcheck command lines (every healthcheck process of the exabgp.conf files,
 * and/or the one given after --) the same way.
 *
 * What has no equivalent is printed on stderr and kept as comments in the output. Exit
 * 0, or 1 when the input has errors the other tool itself would refuse (the output is
 * still written, with the parts concerned commented out). An existing FILE is replaced
 * only with --force.
 */
import { writeFile } from 'node:fs/promises';
import {
  IniError,
  ImportError,
  importAnycastHealthchecker,
  importExabgpHealthcheck,
  type ImportResult,
} from '../import/index.js';
import { errorMessage } from '../util/index.js';

export interface ImportOptions {
  readonly paths: readonly string[];
  readonly output?: string;
  /** Replace `output` when it exists (default: refuse). */
  readonly force?: boolean;
  readonly print: (text: string) => void;
  readonly printError: (text: string) => void;
}

/** Returns the exit code. */
export async function runImportAnycastHealthchecker(options: ImportOptions): Promise<number> {
  return report(options, () => importAnycastHealthchecker(options.paths));
}

export interface ImportExabgpOptions extends Omit<ImportOptions, 'paths'> {
  /** exabgp.conf files whose healthcheck processes to convert. */
  readonly files: readonly string[];
  /** One healthcheck's options, command or run line (the words after --). */
  readonly args: readonly string[];
}

/** Returns the exit code. */
export async function runImportExabgpHealthcheck(options: ImportExabgpOptions): Promise<number> {
  if (options.files.length === 0 && options.args.length === 0) {
    options.printError(
      'anycast-guard import exabgp-healthcheck: give --file exabgp.conf, or the healthcheck command line after --',
    );
    return 1;
  }
  return report(options, () =>
    importExabgpHealthcheck({ confPaths: options.files, args: options.args }),
  );
}

async function report(
  options: Omit<ImportOptions, 'paths'>,
  convert: () => Promise<ImportResult>,
): Promise<number> {
  let result;
  try {
    result = await convert();
  } catch (error) {
    if (error instanceof IniError || error instanceof ImportError) {
      options.printError(`anycast-guard import: ${error.message}`);
      return 1;
    }
    throw error;
  }
  if (options.output === undefined) options.print(result.toml.trimEnd());
  else {
    try {
      await writeFile(options.output, result.toml, {
        mode: 0o644,
        flag: options.force === true ? 'w' : 'wx',
      });
    } catch (error) {
      const exists = (error as NodeJS.ErrnoException).code === 'EEXIST';
      options.printError(
        exists
          ? `anycast-guard import: ${options.output} exists; pass --force to replace it`
          : `anycast-guard import: cannot write ${options.output}: ${errorMessage(error)}`,
      );
      return 1;
    }
  }
  for (const note of result.notes)
    options.printError(
      `${note.kind === 'error' ? 'error' : note.kind === 'changed' ? 'changed' : 'no equivalent'}: ${note.where}: ${note.message}`,
    );
  const summary = `${result.services} service${result.services === 1 ? '' : 's'} converted${
    options.output === undefined ? '' : ` to ${options.output}`
  }; ${result.notes.length} note${result.notes.length === 1 ? '' : 's'}${
    result.errors > 0 ? `, ${result.errors} error${result.errors === 1 ? '' : 's'}` : ''
  }`;
  options.printError(summary);
  return result.errors > 0 ? 1 : 0;
}
