/**
 * file: a disable (maintenance) file, as ExaBGP's healthcheck has. By default
 * the check fails while the file exists, so `touch /etc/anycast-guard/disable`
 * withdraws the service; `invert = true` fails while it is absent instead (a
 * "ready" flag written by a deploy).
 *
 * Existence follows symbolic links (a dangling link counts as absent), like
 * test -e. When existence cannot be determined (EACCES on a parent directory)
 * the check fails: when unsure, withdraw.
 */
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { absolutePath } from './schema.js';
import type { CheckCommon, CheckResult, CheckType, HealthCheck } from './types.js';
import { elapsedMs, fail, monotonicNow, pass } from './util.js';
import { errorReason } from '../util/index.js';

export interface FileSpec {
  readonly path: string;
  readonly invert: boolean;
}

export const fileSchema = z.strictObject({
  path: absolutePath('path'),
  invert: z.boolean({ error: 'invert must be true or false' }).default(false),
});

export function createFileCheck(spec: FileSpec, common: CheckCommon): HealthCheck {
  return {
    ...common,
    type: 'file',
    async run(): Promise<CheckResult> {
      const start = monotonicNow();
      let exists: boolean;
      try {
        await stat(spec.path);
        exists = true;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') {
          exists = false;
        } else {
          return fail(
            `cannot tell whether ${spec.path} exists: ${errorReason(error)}`,
            elapsedMs(start),
            error,
          );
        }
      }
      const duration = elapsedMs(start);
      if (!spec.invert) {
        return exists
          ? fail(`disable file ${spec.path} exists`, duration)
          : pass(`no disable file ${spec.path}`, duration);
      }
      return exists
        ? pass(`${spec.path} exists`, duration)
        : fail(`required file ${spec.path} is absent`, duration);
    },
  };
}

export const fileCheck: CheckType<FileSpec> = {
  type: 'file',
  schema: fileSchema,
  defaultName: (spec) => `file ${spec.path}`,
  create: (spec, common) => createFileCheck(spec, common),
};
