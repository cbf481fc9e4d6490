/**
 * file: a disable (maintenance) file, as ExaBGP's healthcheck has. By default
 * the check fails while the file exists, so `touch /etc/anycast-guard/disable`
 * withdraws the service; `invert = true` fails while it is absent instead (a
 * "ready" flag written by a deploy).
 *
 * Existence follows symbolic links (a dangling link counts as absent), like
 * test -e. When existence cannot be determined (EACCES on a parent directory)
 * the check fails: when unsure, withdraw.
 *
 * The check watches (inotify, through fs.watch) the file's directory, or while that is
 * missing the nearest ancestor that exists, and runs at once when the file or a
 * directory on its way appears or goes (trigger `watch`); the interval stays as the
 * fallback for what inotify cannot see (NFS, a race while a watch moves).
 */
import { type FSWatcher, existsSync, watch as fsWatch } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
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

/**
 * Watches `path`'s directory, or its nearest existing ancestor, calling `wake` on a
 * change to the next name on the way to `path`; moves the watch when a directory on
 * the way appears or goes. Returns the stop.
 */
export function watchPath(path: string, wake: () => void): () => void {
  let watcher: FSWatcher | undefined;
  let watchedDir: string | undefined;
  let stopped = false;
  const arm = (): void => {
    if (stopped) return;
    let dir = dirname(path);
    let child = basename(path);
    while (!existsSync(dir) && dirname(dir) !== dir) {
      child = basename(dir);
      dir = dirname(dir);
    }
    if (watcher !== undefined && watchedDir === dir) return;
    watcher?.close();
    watcher = undefined;
    watchedDir = undefined;
    try {
      const w = fsWatch(dir, { persistent: false }, (_event, name) => {
        if (name !== null && name !== child && existsSync(dir)) return;
        // The watched directory itself went, or the next name on the way changed.
        if (!existsSync(dir)) {
          w.close();
          if (watcher === w) watcher = undefined;
        }
        arm();
        wake();
      });
      w.on('error', () => {
        w.close();
        if (watcher === w) watcher = undefined;
        arm();
        wake();
      });
      watcher = w;
      watchedDir = dir;
    } catch {
      // Removed between the look and the watch, or not ours to watch: the interval
      // still runs the check.
    }
  };
  arm();
  return () => {
    stopped = true;
    watcher?.close();
    watcher = undefined;
  };
}

export function createFileCheck(spec: FileSpec, common: CheckCommon): HealthCheck {
  return {
    ...common,
    type: 'file',
    watch: (wake) => watchPath(spec.path, wake),
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
