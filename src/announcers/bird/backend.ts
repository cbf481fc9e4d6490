/**
 * Making BIRD export exactly the wanted prefixes: render each family's include file
 * (prefix-file.ts), replace it atomically when its text changed (write, fsync, rename:
 * BIRD never reads half a file), then `birdc configure` each BIRD whose files changed —
 * one configure per sync however many prefixes changed, and both families' files are
 * written before it. BIRD's answer is read (answer.ts), because birdc's exit status does
 * not say whether BIRD took the file.
 *
 * The files are wholly ours: each is rewritten with the wanted prefixes and the dummy,
 * nothing else, so a prefix a crashed run left behind is gone after the first sync.
 * When nothing is known about what BIRD has loaded (the first sync, after a failure, a
 * reconcile), every BIRD is reconfigured even if the files did not change. A file that
 * cannot be written fails the sync only after BIRD was reconfigured with the other
 * (BIRD keeps reading the old, whole file of the failed family), so one family's
 * trouble never holds back the other's withdrawals.
 *
 * `drifted()` tells whether someone else has written the files since (the announcer
 * checks every `resync_interval` and then syncs again).
 *
 * After a change, `birdc show route where net ~ VARIABLE` tells which wanted prefixes
 * BIRD has no route for (no address bound for `protocol direct`, no static route): BIRD
 * cannot export those. That is shown in status and logged, not treated as a failure.
 */
import { lstat, readlink, realpath } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Family } from '../../bgp/index.js';
import { readFileIfExists, writeFileAtomic } from '../../files/index.js';
import { describeArgv, firstLine, runCommand, type CommandRunner } from '../command.js';
import { AnnouncerFailure } from '../errors.js';
import type { RouteBackend, SyncRequest } from '../synced.js';
import { isIpv6Route } from '../types.js';
import { parseConfigureAnswer, parseRouteList, type ConfigureAnswer } from './answer.js';
import { renderPrefixFile } from './prefix-file.js';
import type { BirdFamilySettings, BirdInstance, BirdSettings } from './settings.js';
import { errorMessage } from '../../util/index.js';

export interface BirdBackendOptions {
  readonly settings: BirdSettings;
  readonly logger: Logger;
  /** Runs birdc (tests substitute their own). */
  readonly run?: CommandRunner;
}

const FAMILIES: readonly Family[] = ['ipv4', 'ipv6'];

export class BirdBackend implements RouteBackend {
  private readonly settings: BirdSettings;
  private readonly log: Logger;
  private readonly run: CommandRunner;
  private readonly answers = new Map<BirdInstance['name'], ConfigureAnswer>();
  /** Wanted prefixes BIRD had no route for at the last check, by family. */
  private missing = new Map<Family, readonly string[]>();
  private routeCheckError: string | undefined;
  /** What each file should hold since the last sync wrote (or found) it. */
  private readonly expected = new Map<Family, string>();
  /** A sync is writing the files (a drift check then would see them half-way). */
  private syncing = false;
  private lastDrift: string | undefined;

  constructor(options: BirdBackendOptions) {
    this.settings = options.settings;
    this.log = options.logger;
    this.run = options.run ?? runCommand;
  }

  async sync(request: SyncRequest): Promise<void> {
    this.syncing = true;
    try {
      await this.syncFiles(request);
    } finally {
      this.syncing = false;
    }
  }

  /**
   * The files whose text is not what the last sync left there (someone else wrote them:
   * anycast-healthchecker still running, an operator's edit). None while a sync runs.
   */
  /** The periodic look (SyncedAnnouncer's resync): a file someone else rewrote. */
  async drift(): Promise<string | undefined> {
    const files = await this.drifted();
    return files.length === 0
      ? undefined
      : `the BIRD prefix file ${files.join(' and ')} was changed by someone else (is anycast-healthchecker still running?)`;
  }

  async drifted(): Promise<string[]> {
    if (this.syncing) return [];
    const out: string[] = [];
    for (const [family, text] of this.expected) {
      const file = this.settings[family];
      if (file === undefined) continue;
      let current: string | undefined;
      try {
        current = await readFileIfExists(await resolveLink(file.file));
      } catch {
        current = undefined;
      }
      if (this.syncing) return [];
      if (current !== text) out.push(file.file);
    }
    if (out.length > 0) this.lastDrift = out.join(', ');
    return out;
  }

  private async syncFiles(request: SyncRequest): Promise<void> {
    const wanted: Record<Family, string[]> = { ipv4: [], ipv6: [] };
    for (const route of request.wanted.values())
      wanted[isIpv6Route(route) ? 'ipv6' : 'ipv4'].push(route.prefix);

    const problems: string[] = [];
    const failures: AnnouncerFailure[] = [];
    const changed = new Set<Family>();
    for (const family of FAMILIES) {
      const file = this.settings[family];
      const prefixes = wanted[family];
      if (file === undefined) {
        if (prefixes.length > 0)
          problems.push(
            `${prefixes.join(', ')} cannot be announced through BIRD: ${family}_file = false in [announcers.bird]`,
          );
        continue;
      }
      if (prefixes.includes(file.dummyPrefix))
        problems.push(
          `${file.dummyPrefix} is ${family}_dummy_prefix, which is always in ${file.variable}: it stays exported whatever its service's health; choose another dummy prefix`,
        );
      // One family's file failing must not hold back the other's withdrawals: BIRD still
      // reads the old (whole) file of the failed one.
      try {
        if (await this.writeFile(family, file, prefixes)) changed.add(family);
      } catch (error) {
        if (!(error instanceof AnnouncerFailure)) throw error;
        failures.push(error);
      }
    }

    let configured = false;
    for (const instance of this.settings.instances) {
      if (request.applied !== undefined && !instance.families.some((f) => changed.has(f))) continue;
      try {
        await this.configure(instance, changed);
        configured = true;
      } catch (error) {
        if (!(error instanceof AnnouncerFailure)) throw error;
        failures.push(error);
      }
    }
    const [first, second] = failures;
    if (first !== undefined)
      throw second === undefined
        ? first
        : new AnnouncerFailure(first.code, `${first.message}; and ${second.message}`);
    if (problems.length > 0) throw new AnnouncerFailure('ANNOUNCER_CONFIG', problems.join('; '));
    if (configured && this.settings.checkRoutes && !request.final) await this.checkRoutes(wanted);
  }

  detail(): Readonly<Record<string, string | number | boolean>> {
    const out: Record<string, string | number | boolean> = {};
    for (const family of FAMILIES) {
      const file = this.settings[family];
      if (file === undefined) continue;
      out[`${family}File`] = file.file;
      out[`${family}Variable`] = file.variable;
    }
    for (const instance of this.settings.instances) {
      const prefix = instance.name === 'bird' ? '' : 'bird6';
      const key = (k: string): string =>
        prefix === '' ? k : `${prefix}${k[0]?.toUpperCase() ?? ''}${k.slice(1)}`;
      out[key('command')] = describeArgv(instance.configure);
      const answer = this.answers.get(instance.name);
      if (answer === undefined) continue;
      out[key('answer')] = answer.message;
      if (answer.version !== undefined) out[key('version')] = answer.version;
      if (answer.configFile !== undefined) out[key('config')] = answer.configFile;
    }
    const missing = FAMILIES.flatMap((f) => this.missing.get(f) ?? []);
    if (missing.length > 0) out.routesMissing = missing.join(', ');
    if (this.routeCheckError !== undefined) out.routeCheck = this.routeCheckError;
    if (this.lastDrift !== undefined) out.rewrittenAfterOutsideChange = this.lastDrift;
    return out;
  }

  /** Replaces the file when its text differs; true when it did. */
  private async writeFile(
    family: Family,
    file: BirdFamilySettings,
    prefixes: readonly string[],
  ): Promise<boolean> {
    const text = renderPrefixFile({
      variable: file.variable,
      dummyPrefix: file.dummyPrefix,
      prefixes,
    });
    this.expected.delete(family);
    try {
      // Through a symlink (anycast-healthchecker's /etc/bird.d links): replace its target,
      // not the link.
      const target = await resolveLink(file.file);
      if ((await readFileIfExists(target)) === text) {
        this.expected.set(family, text);
        return false;
      }
      await writeFileAtomic(target, text, { mode: 0o644, createDirMode: 0o755 });
      this.expected.set(family, text);
      this.log.debug(
        {
          event: 'bird.prefix_file_written',
          announcer: 'bird',
          file: target,
          prefixes: prefixes.length,
        },
        'BIRD prefix file written',
      );
      return true;
    } catch (error) {
      throw new AnnouncerFailure(
        'ANNOUNCER_FILE',
        `cannot write the BIRD prefix file ${file.file}: ${errorMessage(error)}`,
        { cause: error },
      );
    }
  }

  private label(instance: BirdInstance): string {
    if (this.settings.instances.length === 1) return 'BIRD';
    return instance.name === 'bird' ? 'BIRD (IPv4)' : 'BIRD6';
  }

  private async configure(instance: BirdInstance, changed: ReadonlySet<Family>): Promise<void> {
    const argv = instance.configure;
    const shown = describeArgv(argv);
    const label = this.label(instance);
    const result = await this.run(argv, {
      timeoutMs: this.settings.timeoutMs,
      allowFailure: true,
    });
    const answer = parseConfigureAnswer(result.stdout, result.stderr);
    if (answer.outcome === 'unknown' && instance.custom && result.exitCode === 0) {
      // A custom command that is not birdc (a wrapper script): its exit status is all we have.
      this.answers.set(instance.name, { ...answer, message: `${shown}: exit code 0` });
      this.log.info(
        {
          event: 'bird.reconfigure_command_ran',
          announcer: 'bird',
          instance: label,
          command: shown,
        },
        'BIRD reconfigure command ran',
      );
      return;
    }
    this.answers.set(instance.name, answer);
    if (answer.accepted) {
      this.log.info(
        {
          event: 'bird.reconfigured',
          announcer: 'bird',
          instance: label,
          answer: answer.message,
          files: instance.families.filter((f) => changed.has(f)).map((f) => this.settings[f]?.file),
        },
        'BIRD reconfigured',
      );
      return;
    }
    switch (answer.outcome) {
      case 'unreachable':
        throw new AnnouncerFailure(
          'ANNOUNCER_DAEMON_UNREACHABLE',
          `cannot reach ${label}: ${answer.message} (is bird running, and is the socket in [announcers.bird] right? ran: ${shown})`,
        );
      case 'shutting-down':
        throw new AnnouncerFailure(
          'ANNOUNCER_DAEMON_UNREACHABLE',
          `${label} is shutting down and ignored the new prefix list: ${answer.message}`,
        );
      case 'rejected':
        throw new AnnouncerFailure(
          'ANNOUNCER_REJECTED',
          `${label} refused to reconfigure: "${answer.message}"; it goes on exporting the prefix set it loaded last (ran: ${shown})`,
        );
      default:
        if (result.exitCode !== 0)
          throw new AnnouncerFailure(
            'ANNOUNCER_COMMAND_FAILED',
            `${shown}: exit code ${result.exitCode}: ${firstLine(result.stderr) || firstLine(result.stdout) || 'no output'}`,
          );
        throw new AnnouncerFailure(
          'ANNOUNCER_BAD_OUTPUT',
          `${shown}: no answer from ${label} that says whether it reconfigured: "${answer.message}"`,
        );
    }
  }

  /** Asks each BIRD which wanted prefixes it has a route for; never throws. */
  private async checkRoutes(wanted: Record<Family, string[]>): Promise<void> {
    const missing = new Map<Family, readonly string[]>();
    let error: string | undefined;
    for (const instance of this.settings.instances) {
      for (const family of instance.families) {
        const file = this.settings[family];
        const prefixes = wanted[family].filter((p) => p !== file?.dummyPrefix);
        if (file === undefined || prefixes.length === 0) continue;
        if (instance.birdc === undefined) {
          error ??= 'not checked: set socket so anycast-guard can ask BIRD with birdc';
          continue;
        }
        const argv = [...instance.birdc, 'show', 'route', 'where', 'net', '~', file.variable];
        try {
          const result = await this.run(argv, {
            timeoutMs: this.settings.timeoutMs,
            allowFailure: true,
          });
          const list = parseRouteList(result.stdout, result.stderr);
          if (list.error !== undefined) {
            error ??= `${describeArgv(argv)}: ${list.error}`;
            continue;
          }
          const absent = prefixes.filter((p) => !list.networks.has(p));
          if (absent.length > 0) missing.set(family, absent);
        } catch (failure) {
          error ??= errorMessage(failure);
        }
      }
    }
    const before = FAMILIES.flatMap((f) => this.missing.get(f) ?? []).join(',');
    this.missing = missing;
    this.routeCheckError = error;
    const now = FAMILIES.flatMap((f) => missing.get(f) ?? []);
    if (now.length > 0 && now.join(',') !== before)
      this.log.warn(
        { event: 'bird.no_route', announcer: 'bird', prefixes: now },
        'BIRD has no route for these wanted prefixes, so it cannot export them: bind the addresses (the service’s addresses = [...], seen by protocol direct) or give BIRD a static route',
      );
  }
}

/** The file a path names, through symlinks (the path itself when nothing is there yet). */
async function resolveLink(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // A dangling link: create its target rather than replace the link.
  try {
    if ((await lstat(path)).isSymbolicLink()) return resolve(dirname(path), await readlink(path));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return path;
}
