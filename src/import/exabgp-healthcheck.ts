/**
 * ExaBGP's healthcheck (`python3 -m exabgp healthcheck …`, healthcheck.py) → anycast-guard
 * services announced through ExaBGP (prefixes.exabgp, docs/announcer-exabgp.md).
 *
 * Follows ExaBGP 4.2/5.0's src/exabgp/application/healthcheck.py: its argparse options
 * and defaults (interval 5, fast-interval 1, timeout 5, rise 3, fall 3, up/down/disabled
 * metric 100/1000/500, increase 1), its state machine (INIT, RISING, FALLING, UP, DOWN,
 * DISABLED: a route is announced in UP, DOWN and DISABLED, with that state's metric,
 * unless --withdraw-on-down) and what it runs: --cmd and --execute through /bin/sh with
 * STATE in the environment, `ip address add` for missing addresses (--ip-setup, on by
 * default). The words are read as its argparse reads them (healthcheck-args.ts).
 *
 * Pure: lines in, TOML and notes out. Every option given is mapped, or a note says why
 * not (kept as a comment in the output and printed on stderr by the CLI). An "error"
 * note is something ExaBGP's healthcheck itself would refuse, or that cannot be carried
 * over at all; the service concerned is written commented out.
 */
import { formatPrefix, parsePrefix, community, largeCommunity } from '../bgp/index.js';
import type { ImportNote, ImportNoteKind, ImportResult } from './anycast-healthchecker.js';
import type { HealthcheckLine } from './exabgp-conf.js';
import {
  EXABGP_HEALTHCHECK_DEFAULTS,
  HealthcheckArgsError,
  parseArgs,
  configFileArgs,
  type Parsed,
} from './healthcheck-args.js';
import { ShlexError, shlexSplit } from './shlex.js';
import { tomlComment, tomlKey, tomlString, tomlValue, type TomlValue } from './toml.js';
import { errorMessage } from '../util/index.js';

/** The --execute commands' time (ExaBGP waited without limit; on_change's default is 5 s). */
const HOOK_TIMEOUT_SECONDS = 60;

/** A --timeout 0 (no timeout in ExaBGP): anycast-guard needs one. */
const NO_TIMEOUT_SECONDS = 60;

export interface ExabgpImportInput {
  readonly lines: readonly HealthcheckLine[];
  /** Notes found while reading (processes that are not healthchecks…), passed through. */
  readonly notes?: readonly ImportNote[];
  /** Texts of --config files, by path as written; a missing one is an error note. */
  readonly files?: ReadonlyMap<string, string>;
}

function serviceName(text: string): string {
  const cleaned = text.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  return (cleaned === '' ? 'healthcheck' : cleaned).slice(0, 64);
}

/** Characters /bin/sh would treat specially: such a --cmd keeps its shell. */
const SHELL_SYNTAX = /[|&;<>()$`*?[\]~#!\n]|^\s*[A-Za-z_][A-Za-z0-9_]*=/;

/** --cmd runs through /bin/sh -c; without shell syntax the words are enough. */
export function commandArgv(cmd: string): string[] {
  if (!SHELL_SYNTAX.test(cmd)) {
    try {
      const argv = shlexSplit(cmd);
      if (argv.length > 0) return argv;
    } catch (error) {
      if (!(error instanceof ShlexError)) throw error;
    }
  }
  return ['/bin/sh', '-c', cmd];
}

/** "65001 65001 65001" (or "[ 65001 65001 ]"): N copies of one AS. */
export function readAsPath(text: string): { asn: number; copies: number } | undefined {
  const words = text
    .replace(/[[\]]/g, ' ')
    .split(/[\s,]+/)
    .filter((w) => w !== '');
  const first = words[0];
  if (first === undefined || !words.every((w) => w === first) || !/^\d+$/.test(first))
    return undefined;
  const asn = Number(first);
  if (asn < 1 || asn > 0xffffffff) return undefined;
  return { asn, copies: words.length };
}

/** Communities as ExaBGP takes them inside [ … ]: separated by spaces (or commas). */
function listOf(text: string): string[] {
  return text
    .replace(/[[\]]/g, ' ')
    .split(/[\s,]+/)
    .filter((w) => w !== '');
}

/** Placeholders are {word}: a hook argument must not contain other braces. */
const BRACES = /\{[^{}]*\}/;

const STATE_SCRIPT_HEAD =
  'case "$1" in up) STATE=UP ;; drained) STATE=DISABLED ;; *) STATE=DOWN ;; esac; export STATE';

/**
 * One on_change hook doing what --up-execute, --down-execute, --disabled-execute and
 * --execute did: each command through /bin/sh in a subshell, STATE exported as
 * ExaBGP's name for the new state, the state's own commands before --execute's.
 */
export function executeHook(commands: {
  up: readonly string[];
  down: readonly string[];
  disabled: readonly string[];
  any: readonly string[];
}): string[] {
  const lines = [STATE_SCRIPT_HEAD];
  const each = (list: readonly string[]) => list.map((c) => `  ( ${c}\n  )`).join('\n');
  for (const [state, list] of [
    ['UP', commands.up],
    ['DOWN', commands.down],
    ['DISABLED', commands.disabled],
  ] as const)
    if (list.length > 0) lines.push(`if [ "$STATE" = ${state} ]; then\n${each(list)}\nfi`);
  for (const c of commands.any) lines.push(`( ${c}\n)`);
  return ['/bin/sh', '-c', lines.join('\n'), 'anycast-guard-hook', '{state}', '{previous}'];
}

interface Service {
  readonly name: string;
  readonly line: HealthcheckLine;
  readonly body: string[];
  failed: boolean;
  /** Announcer settings this service already disagreed on (said once). */
  readonly conflicts: Set<string>;
}

interface Announcer {
  ack?: { value: boolean; where: string };
  nextHop?: { value: string; where: string };
  asn?: { value: number; where: string };
}

class Converter {
  readonly notes: ImportNote[] = [];
  readonly services: Service[] = [];
  readonly announcer: Announcer = {};
  private readonly names = new Set<string>();

  constructor(private readonly files: ReadonlyMap<string, string>) {}

  note(kind: ImportNoteKind, where: string, message: string): void {
    this.notes.push({ kind, where, message });
  }

  uniqueName(base: string): string {
    let name = base;
    for (let n = 2; this.names.has(name); n++) name = `${base.slice(0, 60)}-${n}`;
    this.names.add(name);
    return name;
  }

  /** One announcer setting for all services; a second, different value is an error. */
  setAnnouncer<K extends keyof Announcer>(
    key: K,
    value: NonNullable<Announcer[K]>['value'],
    where: string,
    service: Service,
  ): void {
    const before = this.announcer[key];
    if (before === undefined) {
      this.announcer[key] = { value, where } as Announcer[K];
      return;
    }
    if (before.value !== value && !service.conflicts.has(key)) {
      service.conflicts.add(key);
      this.note(
        'error',
        where,
        `[announcers.exabgp] has one ${key === 'nextHop' ? 'next_hop' : key} for every service: ${String(value)} here, ${String(before.value)} at ${before.where}`,
      );
      service.failed = true;
    }
  }

  /** A line that cannot be converted: named and listed (its notes say why), with no body. */
  private addFailed(line: HealthcheckLine, base: string): void {
    this.services.push({
      name: this.uniqueName(serviceName(base)),
      line,
      body: [],
      failed: true,
      conflicts: new Set(),
    });
  }

  convert(line: HealthcheckLine): void {
    let parsed: Parsed;
    const base = line.process ?? 'healthcheck';
    try {
      parsed = parseArgs(line.args);
      const file = parsed.get('config')?.values[0];
      if (file !== undefined) {
        const text = this.files.get(file);
        if (text === undefined) {
          this.note(
            'error',
            `${line.where} --config`,
            `cannot read ${file}: its options are not known`,
          );
          this.addFailed(line, base);
          return;
        }
        parsed = parseArgs(line.args, parseArgs(configFileArgs(text)));
      }
    } catch (error) {
      if (!(error instanceof HealthcheckArgsError)) throw error;
      this.note('error', line.where, `healthcheck would refuse to start: ${error.message}`);
      this.addFailed(line, base);
      return;
    }
    const text = (dest: string): string | undefined => parsed.get(dest)?.values.at(-1);
    const list = (dest: string): string[] => parsed.get(dest)?.values ?? [];
    const has = (dest: string): boolean => parsed.has(dest);
    const num = (dest: string, fallback: number): number => {
      const value = text(dest);
      return value === undefined ? fallback : Number(value);
    };
    const at = (dest: string): string => `${line.where} ${parsed.get(dest)?.option ?? dest}`;
    const named = text('name') ?? text('label') ?? line.process ?? 'healthcheck';
    const name = this.uniqueName(serviceName(named));
    const service: Service = { name, line, body: [], failed: false, conflicts: new Set() };
    this.services.push(service);
    const fail = (dest: string, message: string): void => {
      this.note('error', at(dest), message);
      service.failed = true;
    };
    const D = EXABGP_HEALTHCHECK_DEFAULTS;
    const withdraw = has('withdraw_on_down');

    // Prefixes: --ip (ip_network, strict: host bits set is refused).
    const prefixes: string[] = [];
    for (const ip of list('ips')) {
      try {
        prefixes.push(formatPrefix(parsePrefix(ip)));
      } catch (error) {
        fail('ips', `--ip ${ip}: ${errorMessage(error)}`);
      }
    }
    if (!has('ips'))
      fail(
        'ips',
        `no --ip: ExaBGP announced the addresses it found on lo at start${text('label') === undefined ? '' : ` labelled lo:${text('label')}`}; list them with --ip (or write prefixes.exabgp yourself)`,
      );
    let announced = prefixes;
    if (has('deaggregate_networks')) {
      announced = [];
      for (const p of prefixes) {
        const prefix = parsePrefix(p);
        const hostBits = (prefix.family === 'ipv4' ? 32 : 128) - prefix.length;
        if (hostBits > 8) {
          fail(
            'deaggregate_networks',
            `${p} has ${2 ** hostBits} addresses: list the ones to announce with --ip`,
          );
          continue;
        }
        for (let k = 0; k < 2 ** hostBits; k++) {
          const bytes = Uint8Array.from(prefix.bytes);
          bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) + k;
          announced.push(
            formatPrefix({
              family: prefix.family,
              length: prefix.family === 'ipv4' ? 32 : 128,
              bytes,
            }),
          );
        }
      }
      this.note(
        'changed',
        at('deaggregate_networks'),
        'each address of the networks is written as its own prefix',
      );
    }
    service.body.push(`prefixes.exabgp = ${tomlValue(announced)}`);

    // The check: --cmd through /bin/sh, every --interval, --fast-interval while changing.
    const interval = num('interval', D.interval);
    const fast = num('fast', D.fast);
    let timeout = num('timeout', D.timeout);
    if (interval <= 0)
      fail(
        'interval',
        `--interval ${interval}: ExaBGP checks once, announces and exits, leaving the route; anycast-guard checks for as long as it runs (for a route that never depends on a check, write announce = "always")`,
      );
    if (timeout <= 0) {
      this.note(
        'changed',
        at('timeout'),
        `--timeout ${text('timeout')}: ExaBGP waits for the command without limit; anycast-guard needs a timeout: written as ${NO_TIMEOUT_SECONDS} s`,
      );
      timeout = NO_TIMEOUT_SECONDS;
    }
    const command = text('command');
    const checks: string[] = [];
    const common: Record<string, TomlValue> = {
      interval: interval > 0 ? interval : D.interval,
      timeout,
    };
    if (fast > 0 && fast < interval) common.interval_while_changing = fast;
    else if (has('fast') && fast <= 0)
      this.note(
        'changed',
        at('fast'),
        `${fast}: ExaBGP checked back to back while changing; anycast-guard keeps --interval then`,
      );
    else if (has('fast') && fast > interval)
      this.note(
        'changed',
        at('fast'),
        `${fast} s is slower than --interval (${interval} s): anycast-guard checks every ${interval} s throughout`,
      );
    if (command !== undefined) {
      const argv = commandArgv(command);
      checks.push(
        `checks.exec = [${tomlValue({ name: 'healthcheck', command: argv, ...common })}]`,
      );
    }
    const disable = text('disable');
    if (disable !== undefined) {
      if (!disable.startsWith('/'))
        fail(
          'disable',
          `${disable} is relative to ExaBGP's working directory: write it as an absolute path`,
        );
      else {
        checks.push(
          `checks.file = [${tomlValue({ name: 'disable', path: disable, interval: common.interval ?? D.interval, rise: 1, fall: 1 })}]`,
        );
        this.note(
          'changed',
          at('disable'),
          withdraw
            ? `while ${disable} exists the service is down (withdrawn), as ExaBGP's disabled state with --withdraw-on-down; when it goes, the service is up again at once if --cmd kept passing (ExaBGP started counting --rise anew). anycast-guard drain SERVICE does the same without a file`
            : `while ${disable} exists the service is down: announced with the down attributes (med ${num('down_metric', D.downMetric)}${num('down_metric', D.downMetric) === num('disabled_metric', D.disabledMetric) ? '' : `, where ExaBGP sent the disabled metric ${num('disabled_metric', D.disabledMetric)}`}); when it goes, the service is up again at once if --cmd kept passing (ExaBGP started counting --rise anew)`,
        );
      }
    }
    if (command === undefined && disable === undefined) {
      service.body.push('announce = "always"');
      this.note(
        'changed',
        line.where,
        'no --cmd and no --disable: ExaBGP counted the service up from the start; written as announce = "always"',
      );
    } else service.body.push(...checks);
    if (command === undefined && disable !== undefined)
      this.note(
        'changed',
        line.where,
        'no --cmd: only the disable file decides (ExaBGP counted a missing command as a pass)',
      );

    // Counting: ExaBGP's rise and fall are the service's; it has no hold-down.
    const rise = num('rise', D.rise);
    const fall = num('fall', D.fall);
    if (command !== undefined) {
      service.body.push(`rise = ${Math.max(1, rise)}`, `fall = ${Math.max(1, fall)}`);
      if (rise < 1) this.note('changed', at('rise'), `--rise ${rise} counts as 1 (as in ExaBGP)`);
      if (fall < 1) this.note('changed', at('fall'), `--fall ${fall} counts as 1 (as in ExaBGP)`);
    }
    if (command !== undefined || disable !== undefined) service.body.push('hold_down = 0');

    // Attributes: up = { … } while up, down = { … } (or "withdraw") while down.
    const up: Record<string, TomlValue> = { med: num('up_metric', D.upMetric) };
    const down: Record<string, TomlValue> = { med: num('down_metric', D.downMetric) };
    const communities = (dest: string): string[] | undefined => {
      const value = text(dest);
      if (value === undefined) return undefined;
      const items = listOf(value);
      for (const item of items)
        if (!community.safeParse(item).success)
          fail(dest, `community "${item}" is not asn:value or a well-known name`);
      return items;
    };
    const upCommunities = communities('community');
    const disabledCommunities = communities('disabled_community');
    if (upCommunities !== undefined && upCommunities.length > 0) up.communities = upCommunities;
    const downCommunities = disabledCommunities ?? upCommunities;
    if (downCommunities !== undefined && downCommunities.length > 0)
      down.communities = downCommunities;
    const large = text('large_community');
    if (large !== undefined) {
      const items = listOf(large);
      for (const item of items)
        if (!largeCommunity.safeParse(item).success)
          fail('large_community', `large community "${item}" is not global:local1:local2`);
      if (items.length > 0) {
        up.large_communities = items;
        down.large_communities = items;
      }
    }
    const prepend = (dest: string, target: Record<string, TomlValue>): void => {
      const value = text(dest);
      if (value === undefined) return;
      const path = readAsPath(value);
      if (path === undefined) {
        this.note(
          'no-equivalent',
          at(dest),
          `"${value}": anycast-guard only prepends its own AS (prepend = N); an AS path of other ASes cannot be written`,
        );
        return;
      }
      if (path.copies < 2) return; // our AS alone: what ExaBGP sends anyway
      target.prepend = path.copies - 1;
      this.setAnnouncer('asn', path.asn, at(dest), service);
    };
    prepend(has('up_as_path') ? 'up_as_path' : 'as_path', up);
    if (!withdraw) prepend(has('down_as_path') ? 'down_as_path' : 'as_path', down);
    const localPref = text('local_preference');
    if (localPref !== undefined && Number(localPref) >= 0) {
      up.local_pref = Number(localPref);
      if (!withdraw)
        this.note(
          'changed',
          at('local_preference'),
          `written as up.local_pref; ExaBGP also sent it while down, but a degraded route (down = { … }) has no local_pref of its own`,
        );
    }
    service.body.push(`up = ${tomlValue(up)}`);
    service.body.push(`down = ${withdraw ? '"withdraw"' : tomlValue(down)}`);
    if (withdraw && has('disabled_community'))
      this.note(
        'no-equivalent',
        at('disabled_community'),
        'unused: with --withdraw-on-down nothing is announced while down or disabled',
      );
    const spread = announced.length > 1 && num('increase', D.increase) !== 0;
    if (spread)
      this.note(
        'changed',
        has('increase') ? at('increase') : `${line.where} --ip`,
        `every prefix gets the same med; ExaBGP added --increase (${num('increase', D.increase)}) for each further --ip. Split the prefixes into services to keep different MEDs`,
      );
    else if (has('increase'))
      this.note(
        'no-equivalent',
        at('increase'),
        'not needed: no further prefix to raise the med of',
      );
    if (has('start_ip'))
      this.note(
        'no-equivalent',
        at('start_ip'),
        'not needed: it only chose which --ip got the lowest med; every prefix gets the same med here',
      );

    // Addresses: ExaBGP adds the --ip addresses it does not find (--no-ip-setup: not).
    if (!has('no_ip_setup')) {
      const singles = prefixes.filter((p) => /\/(32|128)$/.test(p));
      const ifnames = new Map<string, string>();
      for (const pair of list('ip_ifnames')) {
        const [ip, ifname] = pair.split('%');
        try {
          if (ip !== undefined && ifname !== undefined)
            ifnames.set(formatPrefix(parsePrefix(ip)), ifname);
          else fail('ip_ifnames', `${pair}: expected IP%IFNAME`);
        } catch (error) {
          fail('ip_ifnames', `${pair}: ${errorMessage(error)}`);
        }
      }
      const devices = new Set(singles.map((p) => ifnames.get(p) ?? 'lo'));
      if (singles.length > 0) {
        service.body.push(`addresses = ${tomlValue(singles)}`);
        const [device] = devices;
        if (devices.size > 1)
          fail(
            'ip_ifnames',
            `the addresses go on ${[...devices].join(' and ')}: anycast-guard puts a service's addresses on one device; split the service`,
          );
        else if (device !== undefined && device !== 'lo')
          service.body.push(`device = ${tomlString(device)}`);
      }
      if (singles.length < prefixes.length)
        this.note(
          'no-equivalent',
          `${line.where} --ip`,
          `ExaBGP added every address of ${prefixes.filter((p) => !singles.includes(p)).join(', ')} on lo; list the ones this node needs in addresses`,
        );
      if (has('label'))
        this.note(
          'no-equivalent',
          at('label'),
          `addresses are added without a label (ExaBGP's lo:${text('label')}); a label only named them`,
        );
      if (has('label_exact_match'))
        this.note(
          'no-equivalent',
          at('label_exact_match'),
          'not needed: addresses are matched by address, not by label',
        );
      if (has('sudo'))
        this.note(
          'no-equivalent',
          at('sudo'),
          'anycast-guard adds addresses itself: run it as root or with CAP_NET_ADMIN (docs/addresses.md)',
        );
      if (has('ip_dynamic')) {
        if (withdraw) service.body.push('withdraw_address_when_down = true');
        else
          this.note(
            'no-equivalent',
            at('ip_dynamic'),
            'anycast-guard removes the addresses while down only when down is "withdraw" (a degraded route would draw traffic to a node without them): add --withdraw-on-down for it',
          );
      }
    } else if (has('ip_dynamic'))
      this.note('no-equivalent', at('ip_dynamic'), 'unused with --no-ip-setup');

    // Hooks: --execute and the per-state ones become one on_change.
    const execs = {
      up: list('up_execute'),
      down: list('down_execute'),
      disabled: list('disabled_execute'),
      any: list('execute'),
    };
    const all = [...execs.up, ...execs.down, ...execs.disabled, ...execs.any];
    if (all.length > 0) {
      const braced = all.find((c) => BRACES.test(c));
      if (braced !== undefined)
        fail(
          execs.any.includes(braced)
            ? 'execute'
            : execs.up.includes(braced)
              ? 'up_execute'
              : execs.down.includes(braced)
                ? 'down_execute'
                : 'disabled_execute',
          `"${braced}" has {…}, which on_change reads as a placeholder: write \${VAR} as $VAR, or move the command into a script`,
        );
      else {
        service.body.push(`on_change = ${tomlValue(executeHook(execs))}`);
        service.body.push(`on_change_timeout = ${HOOK_TIMEOUT_SECONDS}`);
        const notes: string[] = [];
        if (execs.any.length > 0)
          notes.push(
            "--execute runs on changes of the service (up, down), not on ExaBGP's RISING and FALLING steps",
          );
        if (execs.disabled.length > 0)
          notes.push(
            '--disabled-execute runs on anycast-guard drain; the disable file makes the service down, so --down-execute runs then',
          );
        notes.push(
          `each command runs through /bin/sh with STATE set (UP, DOWN, DISABLED), one after the other, within on_change_timeout = ${HOOK_TIMEOUT_SECONDS} s (ExaBGP waited without limit)`,
        );
        this.note(
          'changed',
          at(
            execs.any.length > 0
              ? 'execute'
              : execs.up.length > 0
                ? 'up_execute'
                : execs.down.length > 0
                  ? 'down_execute'
                  : 'disabled_execute',
          ),
          notes.join('; '),
        );
      }
    }

    // The rest: ExaBGP-wide settings, or nothing to carry over.
    if (has('no_ack')) this.setAnnouncer('ack', false, at('no_ack'), service);
    const nextHop = text('next_hop');
    if (nextHop !== undefined) this.setAnnouncer('nextHop', nextHop, at('next_hop'), service);
    if (has('disabled_metric') && disable === undefined)
      this.note('no-equivalent', at('disabled_metric'), 'unused: no --disable file');
    if (has('disabled_as_path'))
      this.note(
        'no-equivalent',
        at('disabled_as_path'),
        'the disable file makes the service down: the down attributes apply',
      );
    if (has('extended_community'))
      this.note(
        'no-equivalent',
        at('extended_community'),
        'anycast-guard does not send extended communities',
      );
    if (has('path_id'))
      this.note(
        'no-equivalent',
        at('path_id'),
        'anycast-guard announces without ADD-PATH path identifiers',
      );
    if (has('neighbors'))
      this.note(
        'no-equivalent',
        at('neighbors'),
        `no per-service neighbours: the routes go to every neighbour whose api { processes } lists anycast-guard (${list('neighbors').join(', ')} here)`,
      );
    if (has('debounce'))
      this.note(
        'no-equivalent',
        at('debounce'),
        'not needed: anycast-guard sends a route only when it changes',
      );
    for (const [dest, why] of [
      [
        'silent',
        'anycast-guard logs JSON lines to stderr under ExaBGP (the journal under systemd)',
      ],
      [
        'syslog_facility',
        'no syslog client: anycast-guard logs to stderr under ExaBGP; forward the journal',
      ],
      ['no_syslog', 'no syslog client: anycast-guard logs to stderr under ExaBGP'],
      ['debug', 'set [log] level = "debug" for every service'],
      ['pid', 'anycast-guard writes no pid file; ExaBGP started it'],
      [
        'user',
        "anycast-guard runs as ExaBGP's user (exabgp_daemon_user): it needs CAP_NET_ADMIN only to add addresses",
      ],
      ['group', "anycast-guard runs as ExaBGP's user (exabgp_daemon_user)"],
    ] as const)
      if (has(dest)) this.note('no-equivalent', at(dest), why);
    if (has('name') && text('name') !== name)
      this.note(
        'changed',
        at('name'),
        `service names are letters, digits, ".", "-" and "_": written as ${name}`,
      );
  }
}

/** ExaBGP healthcheck lines → anycast-guard TOML (services announced through ExaBGP). */
export function convertExabgpHealthcheck(input: ExabgpImportInput): ImportResult {
  const converter = new Converter(input.files ?? new Map());
  converter.notes.push(...(input.notes ?? []));
  for (const line of input.lines) converter.convert(line);
  const out: string[] = [
    tomlComment(
      [
        'anycast-guard configuration converted from ExaBGP healthcheck command lines',
        '(anycast-guard import exabgp-healthcheck; docs/migration.md).',
        '',
        'In exabgp.conf, replace the healthcheck processes with one process running',
        "anycast-guard, and list it in every neighbor's api { processes [ … ]; }:",
        '',
        '  process anycast-guard {',
        '    run /usr/bin/anycast-guard run --config /etc/anycast-guard/config.toml;',
        '    encoder text;',
        '  }',
      ].join('\n'),
    ),
  ];
  if (converter.notes.length > 0) {
    out.push('#');
    for (const note of converter.notes)
      out.push(
        tomlComment(
          `${note.kind === 'error' ? 'ERROR' : note.kind === 'changed' ? 'changed' : 'no equivalent'}: ${note.where}: ${note.message}`,
        ),
      );
  }
  const a = converter.announcer;
  if (a.ack !== undefined || a.nextHop !== undefined || a.asn !== undefined) {
    out.push('', '[announcers.exabgp]');
    if (a.ack !== undefined)
      out.push(`ack = false                     # --no-ack (${a.ack.where})`);
    if (a.nextHop !== undefined) out.push(`next_hop = ${tomlString(a.nextHop.value)}`);
    if (a.asn !== undefined)
      out.push(
        `asn = ${a.asn.value}                     # the AS repeated in the --as-path (prepend)`,
      );
  }
  let written = 0;
  for (const service of converter.services) {
    const section = [`[services.${tomlKey(service.name)}]`, ...service.body];
    out.push(
      '',
      tomlComment(
        `${service.line.where}${service.line.process === undefined ? '' : `, process ${service.line.process}`}:`,
      ),
    );
    out.push(tomlComment(`  ${service.line.text}`));
    if (service.failed || service.body.length === 0) {
      out.push(tomlComment('left out: see the ERROR notes above'), tomlComment(section.join('\n')));
    } else {
      out.push(section.join('\n'));
      written++;
    }
  }
  const errors = converter.notes.filter((n) => n.kind === 'error').length;
  return { toml: `${out.join('\n')}\n`, notes: converter.notes, errors, services: written };
}
