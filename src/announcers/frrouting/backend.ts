/**
 * The FRRouting backend of the sync loop: each sync works out which owned `network`
 * statements of bgpd's running configuration differ from what is wanted, and changes only
 * those in one vtysh run that ends by printing the configuration again, which is what the
 * result is checked against.
 *
 * One vtysh run per sync: the configuration the last successful sync read back is what
 * the next one plans against, as long as the loop trusts its last result (`applied` is
 * given). When it does not (the first sync, after any failure, at every periodic resync),
 * the running configuration is read first, a second run. A plan made on a stale copy (FRR
 * restarted, an operator edited it) cannot pass unnoticed: a `no network` FRR does not
 * have makes vtysh fail, and the closing read-back is checked against every owned route;
 * either way the sync fails and the retry reads afresh. A vtysh or bgpd that died fails
 * the run the same way.
 *
 * It never writes FRR's configuration file (no `write memory`): what it adds lives in the
 * running configuration only, so an FRR restart loses it and the next sync (a change, or
 * the periodic resync) puts it back.
 */
import type { Logger } from 'pino';
import type { CommandResult, CommandRunner } from '../command.js';
import { describeArgv, runCommand } from '../command.js';
import { AnnouncerFailure } from '../errors.js';
import type { RouteBackend, SyncRequest } from '../synced.js';
import { routeKey, type RouteRef } from '../types.js';
import { classifyAnswer, meaningfulLines } from './answer.js';
import {
  mismatches,
  planSync,
  routerLine,
  syncCommands,
  vtyshArgv,
  type InstanceChange,
} from './commands.js';
import {
  DEFAULT_VRF,
  frrVrf,
  hasRunningConfig,
  parseRunningConfig,
  type BgpRunningConfig,
} from './running-config.js';
import type { FrroutingSettings } from './settings.js';

export interface FrrBackendOptions {
  readonly logger: Logger;
  /** Runs vtysh (tests substitute their own). */
  readonly run?: CommandRunner;
}

function describeRoute(route: RouteRef): string {
  return route.vrf === undefined ? route.prefix : `${route.prefix} (vrf ${route.vrf})`;
}

function describeChanges(changes: readonly InstanceChange[]): string {
  return changes
    .map((c) => {
      const items = (['ipv4', 'ipv6'] as const).flatMap((f) => [
        ...c.remove[f].map((p) => `-${p}`),
        ...c.add[f].map((p) => `+${p}`),
      ]);
      return `${routerLine(c.asn, c.vrf)}: ${items.join(' ')}`;
    })
    .join('; ');
}

export class FrrBackend implements RouteBackend {
  private readonly run: CommandRunner;
  private readonly log: Logger;
  /** What status shows: the instances found, import-check, vtysh's last answer. */
  private instances = '';
  private importCheckOn = '';
  private lastAnswer = '';
  /** Instances whose import-check was already warned about (once per process). */
  private readonly warned = new Set<string>();
  /** bgpd's running configuration as the last successful sync left it. */
  private known: BgpRunningConfig | undefined;

  constructor(
    private readonly settings: FrroutingSettings,
    options: FrrBackendOptions,
  ) {
    this.run = options.run ?? runCommand;
    this.log = options.logger;
  }

  /** How the operator would run the same vtysh: "vtysh -N lab" or "/usr/bin/vtysh". */
  private get who(): string {
    return this.settings.pathspace === undefined
      ? this.settings.vtysh
      : `${this.settings.vtysh} -N ${this.settings.pathspace}`;
  }

  async sync(request: SyncRequest): Promise<void> {
    const { wanted, owned, applied } = request;
    const cached = applied === undefined ? undefined : this.known;
    // Unknown until this sync succeeds.
    this.known = undefined;
    const before = cached ?? (await this.readConfig());
    const plan = planSync(before, wanted, owned);
    let after = before;
    const commands = syncCommands(plan.changes);
    if (commands.length > 0) {
      const answer = await this.vtysh(commands);
      const verdict = classifyAnswer(answer);
      if (!verdict.ok)
        throw new AnnouncerFailure(
          verdict.code,
          `FRRouting (${this.who}) did not take ${describeChanges(plan.changes)}: ${verdict.reason}`,
        );
      after = this.parse(answer, 'after the change');
      this.describeInstances(after);
      const wrong = mismatches(after, wanted, new Map<string, RouteRef>([...owned, ...wanted]));
      if (wrong.length > 0)
        throw new AnnouncerFailure(
          'ANNOUNCER_REJECTED',
          `FRRouting (${this.who}) answered without an error, but its running config still ${wrong
            .map((w) => `${w.wanted ? 'lacks' : 'has'} network ${describeRoute(w.route)}`)
            .join(', ')}`,
        );
      this.log.info(
        { event: 'frrouting.networks_changed', changes: describeChanges(plan.changes) },
        'FRRouting network statements changed',
      );
    }
    // On what FRR runs now, which the read-back shows best (an operator may have changed it).
    this.noteImportCheck(after, wanted.values());
    const problems: string[] = [];
    if (plan.noInstance.length > 0) {
      const vrfs = [...new Set(plan.noInstance.map((r) => frrVrf(r.vrf)))];
      problems.push(
        ...vrfs.map((vrf) => {
          const routes = plan.noInstance.filter((r) => frrVrf(r.vrf) === vrf).map((r) => r.prefix);
          return vrf === DEFAULT_VRF
            ? `no \`router bgp\` (default VRF) in FRR's running config; cannot announce ${routes.join(', ')}`
            : `no \`router bgp\` for vrf ${vrf} in FRR's running config; cannot announce ${routes.join(', ')} (add \`router bgp ASN vrf ${vrf}\` to frr.conf)`;
        }),
      );
    }
    if (plan.badVrf.length > 0)
      problems.push(
        `vrf names FRR cannot have (a VRF is a network device name, up to 15 letters, digits, . _ -): ${plan.badVrf
          .map((r) => JSON.stringify(r.vrf))
          .join(', ')}`,
      );
    if (problems.length > 0)
      throw new AnnouncerFailure(
        'ANNOUNCER_REJECTED',
        `FRRouting (${this.who}): ${problems.join('; ')}`,
      );
    this.known = after;
  }

  detail(): Readonly<Record<string, string | number | boolean>> {
    return {
      vtysh: this.settings.vtysh,
      ...(this.settings.pathspace === undefined ? {} : { pathspace: this.settings.pathspace }),
      ...(this.instances === '' ? {} : { instances: this.instances }),
      ...(this.importCheckOn === '' ? {} : { importCheck: this.importCheckOn }),
      ...(this.lastAnswer === '' ? {} : { lastAnswer: this.lastAnswer }),
    };
  }

  /** bgpd's running configuration, parsed. */
  async readConfig(): Promise<BgpRunningConfig> {
    const answer = await this.vtysh(['show running-config']);
    const verdict = classifyAnswer(answer);
    if (!verdict.ok)
      throw new AnnouncerFailure(
        verdict.code,
        verdict.code === 'ANNOUNCER_DAEMON_UNREACHABLE'
          ? `cannot reach FRRouting's bgpd through ${this.who}: ${verdict.reason} (is bgpd running${this.settings.pathspace === undefined ? '' : ` with -N ${this.settings.pathspace}`}?)`
          : `FRRouting (${this.who}) refused show running-config: ${verdict.reason}`,
      );
    const config = this.parse(answer, 'reading it');
    this.describeInstances(config);
    return config;
  }

  private describeInstances(config: BgpRunningConfig): void {
    this.instances = [...config.instances.values()].map((i) => routerLine(i.asn, i.vrf)).join('; ');
  }

  private parse(answer: CommandResult, when: string): BgpRunningConfig {
    if (!hasRunningConfig(answer.stdout))
      throw new AnnouncerFailure(
        'ANNOUNCER_BAD_OUTPUT',
        `FRRouting (${this.who}) printed no running config ${when}: ${meaningfulLines(answer.stdout).slice(0, 3).join(' | ') || 'no output'}`,
      );
    return parseRunningConfig(answer.stdout);
  }

  private async vtysh(commands: readonly string[]): Promise<CommandResult> {
    const argv = vtyshArgv(this.settings, commands);
    let answer: CommandResult;
    try {
      answer = await this.run(argv, { timeoutMs: this.settings.timeoutMs, allowFailure: true });
    } catch (error) {
      if (error instanceof AnnouncerFailure && error.code === 'ANNOUNCER_COMMAND_NOT_FOUND')
        throw new AnnouncerFailure(
          error.code,
          `cannot run ${this.settings.vtysh}: not found (is FRRouting installed? set vtysh in [announcers.frrouting])`,
          { cause: error },
        );
      throw error;
    }
    const said = [...meaningfulLines(answer.stdout), ...meaningfulLines(answer.stderr)].filter(
      (l) => !/^(Building configuration|Current configuration)/.test(l),
    );
    this.lastAnswer =
      answer.exitCode === 0
        ? 'ok'
        : `exit ${answer.exitCode}: ${said.slice(0, 2).join(' | ') || 'no output'}`;
    this.log.debug(
      { event: 'frrouting.vtysh', argv: describeArgv(argv), exitCode: answer.exitCode },
      'vtysh',
    );
    return answer;
  }

  /** Import-check on where a route is wanted: FRR announces it only while it is in the RIB. */
  private noteImportCheck(config: BgpRunningConfig, wanted: Iterable<RouteRef>): void {
    const on = [...config.instances.values()].filter((i) => i.importCheck);
    this.importCheckOn = on.map((i) => routerLine(i.asn, i.vrf)).join('; ');
    for (const route of wanted) {
      const instance = config.instances.get(frrVrf(route.vrf));
      if (instance === undefined || !instance.importCheck) continue;
      if (this.warned.has(instance.vrf)) continue;
      this.warned.add(instance.vrf);
      const where = routerLine(instance.asn, instance.vrf);
      this.log.warn(
        { event: 'frrouting.import_check', instance: where, route: routeKey(route) },
        "FRRouting checks imports in this instance: a network there is announced only while FRR's RIB has its prefix; bind the address with addresses = [...] so lo carries it, or set `no bgp network import-check` there",
      );
    }
  }
}
