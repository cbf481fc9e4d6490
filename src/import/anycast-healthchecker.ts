/**
 * anycast-healthchecker's configuration → an equivalent anycast-guard TOML file.
 *
 * Follows anycast-healthchecker 0.9.x: README.rst ("Daemon section", "DEFAULT section",
 * "Configuring checks for services"), anycast_healthchecker/__init__.py DEFAULT_OPTIONS,
 * utils.py (option types, load_configuration, reconfigure_bird) and servicecheck.py
 * (what check_disabled, on_disabled and ip_check_disabled do). Its files are INI, read
 * by configparser (ini.ts) on top of its built-in defaults; commands are shlex-split and
 * run without a shell (shlex.ts).
 *
 * Pure: files in, TOML text and notes out. Every option is mapped, or a note says why
 * not; notes go to the output as comments and to the caller (the CLI prints them on
 * stderr). An "error" note is something anycast-healthchecker itself would refuse to
 * start with; the service concerned is written commented out.
 *
 * Defaults worth knowing, because they surprise: check_disabled defaults to TRUE in
 * DEFAULT_OPTIONS (a service that does not say check_disabled = false is disabled, and
 * with on_disabled = withdraw never announced); ipv6 defaults to false.
 *
 * Over 500 lines on purpose: one mapping per anycast-healthchecker option, in its
 * documentation's order, so each can be checked against the reference it cites.
 */
import { formatPrefix, parsePrefix } from '../bgp/index.js';
import { BIRD_DEFAULTS } from '../announcers/bird/index.js';
import {
  IniDocument,
  IniError,
  interpolate,
  lookup,
  parseIniBoolean,
  parseIniFloat,
  parseIniInt,
  type IniChain,
  type IniValue,
} from './ini.js';
import { ShlexError, shlexSplit } from './shlex.js';
import { tomlComment, tomlKey, tomlString, tomlValue, type TomlValue } from './toml.js';
import { errorMessage } from '../util/index.js';

export interface SourceFile {
  readonly path: string;
  readonly text: string;
}

export type ImportNoteKind =
  /** The option has no equivalent in anycast-guard. */
  | 'no-equivalent'
  /** Mapped, but anycast-guard behaves a little differently. */
  | 'changed'
  /** anycast-healthchecker would refuse this too; the part concerned is left out. */
  | 'error';

export interface ImportNote {
  readonly kind: ImportNoteKind;
  /** "daemon.pidfile (/etc/anycast-healthchecker.conf:3)" and the like. */
  readonly where: string;
  readonly message: string;
}

export interface ImportResult {
  readonly toml: string;
  readonly notes: readonly ImportNote[];
  /** Notes of kind "error". */
  readonly errors: number;
  /** Services written (not commented out). */
  readonly services: number;
}

const BUILTIN = "anycast-healthchecker's default";

function builtins(values: Record<string, string>): Map<string, IniValue> {
  return new Map(
    Object.entries(values).map(([k, value]) => [k, { value, source: BUILTIN, line: 0 }]),
  );
}

/** DEFAULT_OPTIONS['DEFAULT'] (0.9.x). */
const AHC_DEFAULT = builtins({
  interface: 'lo',
  check_interval: '10',
  check_timeout: '2',
  check_rise: '2',
  check_fail: '2',
  check_disabled: 'true',
  on_disabled: 'withdraw',
  ip_check_disabled: 'false',
  custom_bird_reconfigure_cmd_timeout: '2',
});

/** DEFAULT_OPTIONS['daemon'] (0.9.x). */
const AHC_DAEMON = builtins({
  ipv4: 'true',
  ipv6: 'false',
  bird_conf: BIRD_DEFAULTS.ipv4File,
  bird6_conf: BIRD_DEFAULTS.ipv6File,
  bird_variable: BIRD_DEFAULTS.ipv4Variable,
  bird6_variable: BIRD_DEFAULTS.ipv6Variable,
  bird_reconfigure_cmd: 'sudo /usr/sbin/birdc configure',
  bird6_reconfigure_cmd: 'sudo /usr/sbin/birdc6 configure',
  dummy_ip_prefix: BIRD_DEFAULTS.ipv4DummyPrefix,
  dummy_ip6_prefix: BIRD_DEFAULTS.ipv6DummyPrefix,
  bird_keep_changes: 'false',
  bird6_keep_changes: 'false',
  bird_changes_counter: '128',
  bird6_changes_counter: '128',
  purge_ip_prefixes: 'false',
  pidfile: '/var/run/anycast-healthchecker/anycast-healthchecker.pid',
  loglevel: 'debug',
  log_maxbytes: '104857600',
  log_backups: '8',
  log_server_port: '514',
  json_stdout: 'false',
  // Upstream since 2025: log lines without the timestamp and process name journald adds.
  log_format_journalctl: 'false',
  json_log_file: 'false',
  json_log_server: 'false',
  prometheus_exporter: 'false',
  prometheus_collector_textfile_dir: '/var/cache/textfile_collector/',
  prometheus_exporter_interval: '20',
});

const SERVICE_KEYS = new Set([
  'check_cmd',
  'check_interval',
  'check_timeout',
  'check_rise',
  'check_fail',
  'check_disabled',
  'on_disabled',
  'ip_prefix',
  'interface',
  'ip_check_disabled',
  'custom_bird_reconfigure_cmd',
  'custom_bird_reconfigure_cmd_timeout',
]);

const DAEMON_KEYS = new Set([
  ...AHC_DAEMON.keys(),
  'log_file',
  'stderr_file',
  'stderr_log_server',
  'log_server',
  'splay_startup',
]);

/** Daemon options with no equivalent, and why (said only when the file sets them). */
const NO_EQUIVALENT: Readonly<Record<string, string>> = {
  pidfile: 'anycast-guard writes no pid file; run it under systemd (docs/operations.md)',
  log_file:
    'anycast-guard logs to stdout (JSON lines, readable lines on a terminal); let systemd-journald or your log shipper store them',
  log_maxbytes: 'no log files to rotate: anycast-guard logs to stdout',
  log_backups: 'no log files to rotate: anycast-guard logs to stdout',
  stderr_file: 'anycast-guard logs to stdout; crashes go to stderr, which systemd keeps',
  stderr_log_server: 'anycast-guard logs to stdout; forward the journal to syslog instead',
  log_server: 'no syslog client: forward the journal (or stdout) to your syslog server',
  log_server_port: 'no syslog client: forward the journal (or stdout) to your syslog server',
  json_stdout: 'anycast-guard always logs JSON lines unless stdout is a terminal',
  json_log_file: 'no log file: anycast-guard logs JSON lines to stdout',
  json_log_server: 'no syslog client: anycast-guard logs JSON lines to stdout',
  prometheus_exporter:
    'no textfile collector: anycast-guard serves Prometheus metrics at GET /metrics on [api] listen (default 127.0.0.1:9180); scrape that',
  prometheus_collector_textfile_dir: 'no textfile collector: scrape GET /metrics on [api] listen',
  prometheus_exporter_interval: 'metrics are current at every scrape of GET /metrics',
  splay_startup:
    "no setting: anycast-guard always spreads each check's first run over its interval, so checks never start all at once",
  bird_keep_changes:
    'no history directory: every change is logged with its prefixes, and the state file lists what was announced',
  bird6_keep_changes:
    'no history directory: every change is logged with its prefixes, and the state file lists what was announced',
  bird_changes_counter: 'no history directory (see bird_keep_changes)',
  bird6_changes_counter: 'no history directory (see bird6_keep_changes)',
  purge_ip_prefixes:
    'not needed: anycast-guard rewrites the BIRD files with only the prefixes of healthy services, from its first start (as purge_ip_prefixes = true)',
};

/** Booleans whose false (their default) means the feature is simply not used. */
const OFF_WHEN_FALSE = new Set([
  'bird_keep_changes',
  'bird6_keep_changes',
  'json_stdout',
  'json_log_file',
  'json_log_server',
  'prometheus_exporter',
  'purge_ip_prefixes',
  'stderr_log_server',
]);

/** Options that only matter when one of these is in use. */
const DEPENDS_ON: Readonly<Record<string, readonly string[]>> = {
  log_maxbytes: ['log_file', 'stderr_file'],
  log_backups: ['log_file', 'stderr_file'],
  log_server_port: ['log_server'],
  bird_changes_counter: ['bird_keep_changes'],
  bird6_changes_counter: ['bird6_keep_changes'],
  prometheus_collector_textfile_dir: ['prometheus_exporter'],
  prometheus_exporter_interval: ['prometheus_exporter'],
};

function inUse(daemon: SectionReader, key: string): boolean {
  const value = daemon.explicit(key);
  if (value === undefined) return false;
  return OFF_WHEN_FALSE.has(key) || key.endsWith('_keep_changes')
    ? parseIniBoolean(value.value) === true
    : value.value.trim() !== '';
}

const LOG_LEVELS: Readonly<Record<string, string>> = {
  debug: 'debug',
  info: 'info',
  warning: 'warn',
  warn: 'warn',
  error: 'error',
  critical: 'fatal',
};

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

interface Context {
  readonly notes: ImportNote[];
  readonly doc: IniDocument;
}

function where(section: string, key: string, value: IniValue | undefined): string {
  const at =
    value === undefined || value.source === BUILTIN
      ? ` (${BUILTIN})`
      : ` (${value.source}:${value.line})`;
  return `${section === 'daemon' ? 'daemon' : `[${section}]`}.${key}${at}`;
}

/** Typed reads of one section's options, the way anycast-healthchecker's getters read them. */
class SectionReader {
  constructor(
    private readonly ctx: Context,
    readonly section: string,
    private readonly chain: IniChain,
  ) {}

  /** The value in effect when the operator wrote it (not a built-in default), raw. */
  explicit(key: string): IniValue | undefined {
    const value = this.raw(key);
    return value?.source === BUILTIN ? undefined : value;
  }

  raw(key: string): IniValue | undefined {
    return lookup(this.chain, key);
  }

  error(key: string, message: string): undefined {
    this.ctx.notes.push({ kind: 'error', where: where(this.section, key, this.raw(key)), message });
    return undefined;
  }

  noteAt(kind: ImportNoteKind, at: string, message: string): void {
    this.ctx.notes.push({ kind, where: at, message });
  }

  note(kind: ImportNoteKind, key: string, message: string): void {
    this.ctx.notes.push({ kind, where: where(this.section, key, this.raw(key)), message });
  }

  str(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    try {
      return interpolate(this.chain, value);
    } catch (error) {
      if (error instanceof IniError) return this.error(key, error.message);
      throw error;
    }
  }

  bool(key: string): boolean | undefined {
    const text = this.str(key);
    if (text === undefined) return undefined;
    const value = parseIniBoolean(text);
    return value ?? this.error(key, `not a boolean: "${text}" (1/yes/true/on or 0/no/false/off)`);
  }

  int(key: string): number | undefined {
    const text = this.str(key);
    if (text === undefined) return undefined;
    return parseIniInt(text) ?? this.error(key, `not a whole number: "${text}"`);
  }

  float(key: string): number | undefined {
    const text = this.str(key);
    if (text === undefined) return undefined;
    return parseIniFloat(text) ?? this.error(key, `not a number: "${text}"`);
  }

  command(key: string): string[] | undefined {
    const text = this.str(key);
    if (text === undefined) return undefined;
    try {
      const argv = shlexSplit(text);
      return argv.length > 0 ? argv : this.error(key, 'is empty: it must name a program');
    } catch (error) {
      if (error instanceof ShlexError)
        return this.error(key, `cannot split "${text}": ${error.message}`);
      throw error;
    }
  }
}

/** `[sudo] [/path/]birdc [-s SOCKET] configure`, the usual reconfigure command. */
interface BirdcCommand {
  readonly sudo: boolean;
  readonly birdc: string;
  readonly socket?: string;
}

function readBirdcCommand(argv: readonly string[]): BirdcCommand | undefined {
  let args = [...argv];
  let sudo = false;
  if (args[0] === 'sudo' || args[0]?.endsWith('/sudo') === true) {
    sudo = true;
    args = args.slice(1);
  }
  const [birdc, ...rest] = args;
  if (birdc === undefined || !/^(?:.*\/)?birdc$/.test(birdc)) return undefined;
  let socket: string | undefined;
  while (rest.length > 1) {
    const flag = rest.shift();
    if (flag === '-s' && rest.length > 1) socket = rest.shift();
    else if (flag !== '-v') return undefined;
  }
  if (rest.length !== 1 || rest[0] !== 'configure') return undefined;
  return { sudo, birdc, ...(socket === undefined ? {} : { socket }) };
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

interface ConvertedService {
  readonly name: string;
  /** The INI section it came from. */
  readonly section: string;
  readonly lines: string[];
  readonly active: boolean;
  readonly prefix?: {
    readonly family: 'ipv4' | 'ipv6';
    readonly text: string;
    readonly where: string;
  };
  readonly custom?: {
    readonly argv: string[];
    readonly timeout: number | undefined;
    readonly where: string;
  };
}

export function convertAnycastHealthchecker(files: readonly SourceFile[]): ImportResult {
  const doc = new IniDocument();
  for (const file of files) doc.read(file.text, file.path);
  const notes: ImportNote[] = [];
  const ctx: Context = { notes, doc };

  const userDaemon = doc.sections.get('daemon') ?? new Map<string, IniValue>();
  const daemon = new SectionReader(
    ctx,
    'daemon',
    // configparser: the section (with DEFAULT_OPTIONS['daemon'] read into it), then DEFAULT.
    [userDaemon, AHC_DAEMON, doc.defaults, AHC_DEFAULT],
  );

  // Options nobody reads.
  for (const [key, value] of userDaemon)
    if (!DAEMON_KEYS.has(key) && !SERVICE_KEYS.has(key))
      notes.push({
        kind: 'no-equivalent',
        where: where('daemon', key, value),
        message: 'not an anycast-healthchecker option (it ignores it too); left out',
      });
  for (const [key, value] of doc.defaults)
    if (!DAEMON_KEYS.has(key) && !SERVICE_KEYS.has(key))
      notes.push({
        kind: 'no-equivalent',
        where: `[DEFAULT].${key} (${value.source}:${value.line})`,
        message: 'not an anycast-healthchecker option (it ignores it too); left out',
      });

  const ipv4 = daemon.bool('ipv4') ?? true;
  const ipv6 = daemon.bool('ipv6') ?? false;
  if (!ipv4 && !ipv6)
    daemon.error('ipv4', 'ipv4 and ipv6 are both false: nothing could be announced');

  // Services, in the order anycast-healthchecker would see their sections.
  const usedNames = new Set<string>();
  const services: ConvertedService[] = [];
  for (const [section, options] of doc.sections) {
    if (section === 'daemon') continue;
    const reader = new SectionReader(ctx, section, [options, doc.defaults, AHC_DEFAULT]);
    for (const [key, value] of options)
      if (!SERVICE_KEYS.has(key))
        notes.push({
          kind: 'no-equivalent',
          where: where(section, key, value),
          message: DAEMON_KEYS.has(key)
            ? 'a [daemon] option in a service section: anycast-healthchecker ignores it here; left out'
            : 'not an anycast-healthchecker option (it ignores it too); left out',
        });
    services.push(convertService(reader, ctx, usedNames, { ipv4, ipv6 }));
  }

  // A service section in two files: anycast-healthchecker merges them in its directory's
  // order (glob, unsorted), so which check or prefix wins may differ after migration.
  services.forEach((service, i) => {
    const again = doc.repeats.get(service.section);
    const origin = doc.origins.get(service.section);
    if (again === undefined || origin === undefined) return;
    const places = [origin, ...again].map((o) => `${o.source}:${o.line}`);
    notes.push({
      kind: 'error',
      where: `[${service.section}] (${places.join(', ')})`,
      message: `is defined in ${places.length} files (${places.join(' and ')}); anycast-healthchecker merges them in directory order, so which values win is not certain: keep one`,
    });
    if (service.active)
      services[i] = {
        ...service,
        active: false,
        lines: commentOut(
          service.lines,
          `[${service.section}] is left out: see the ERROR notes at the top`,
        ),
      };
  });

  // One prefix, one service (anycast-healthchecker refuses to start otherwise).
  const owners = new Map<string, string>();
  services.forEach((service, i) => {
    if (!service.active || service.prefix === undefined) return;
    const owner = owners.get(service.prefix.text);
    if (owner === undefined) {
      owners.set(service.prefix.text, service.section);
      return;
    }
    notes.push({
      kind: 'error',
      where: service.prefix.where,
      message: `${service.prefix.text} is also the ip_prefix of [${owner}]; a prefix belongs to one service`,
    });
    services[i] = {
      ...service,
      active: false,
      lines: commentOut(
        service.lines,
        `[${service.section}] is left out: see the ERROR notes at the top`,
      ),
    };
  });

  const bird = convertDaemon(daemon, services, { ipv4, ipv6 });
  const log = convertLog(daemon);
  for (const [key, reason] of Object.entries(NO_EQUIVALENT)) {
    const value = daemon.explicit(key);
    if (value === undefined) continue;
    // Options left off, or that only matter with another one that is off, need no word.
    if (OFF_WHEN_FALSE.has(key) && parseIniBoolean(value.value) === false) continue;
    const parent = DEPENDS_ON[key];
    if (parent !== undefined && !parent.some((p) => inUse(daemon, p))) continue;
    notes.push({ kind: 'no-equivalent', where: where('daemon', key, value), message: reason });
  }

  const errors = notes.filter((n) => n.kind === 'error').length;
  const active = services.filter((s) => s.active);
  const out: string[] = [];
  out.push(
    tomlComment(
      [
        'anycast-guard configuration converted from anycast-healthchecker by',
        '`anycast-guard import anycast-healthchecker` (docs/migration.md), from:',
        ...files.map((f) => `  ${f.path}`),
        'Check it with `anycast-guard check-config --config FILE` before using it.',
      ].join('\n'),
    ),
  );
  if (notes.length > 0) {
    out.push('#');
    out.push(tomlComment('Not carried over, or different (see docs/migration.md):'));
    for (const note of notes)
      out.push(tomlComment(`${noteLabel(note.kind)} ${note.where}: ${note.message}`));
  }
  if (log !== undefined) out.push('', '[log]', `level = ${tomlString(log)}`);
  out.push('', '[announcers.bird]', ...bird);
  for (const service of services) out.push('', ...service.lines);
  if (services.length === 0)
    out.push('', tomlComment('No service sections were found: add [services.NAME] tables.'));
  return { toml: `${out.join('\n')}\n`, notes, errors, services: active.length };
}

function noteLabel(kind: ImportNoteKind): string {
  return kind === 'error' ? 'ERROR' : kind === 'changed' ? 'changed:' : 'no equivalent:';
}

function convertLog(daemon: SectionReader): string | undefined {
  const journal = daemon.explicit('log_format_journalctl');
  if (journal !== undefined) {
    const on = daemon.bool('log_format_journalctl');
    if (on === true)
      daemon.note(
        'changed',
        'log_format_journalctl',
        'nothing to set: run under systemd, anycast-guard writes one JSON record per line to stdout, which journald stores with its own timestamp and unit (`journalctl -u anycast-guard`); `journalctl -o cat` shows the records alone',
      );
  }
  if (daemon.explicit('loglevel') === undefined) return undefined;
  const level = daemon.str('loglevel');
  if (level === undefined) return undefined;
  const mapped = LOG_LEVELS[level.toLowerCase()];
  if (mapped === undefined)
    return daemon.error('loglevel', `"${level}" is not debug, info, warning, error or critical`);
  if (mapped !== level.toLowerCase())
    daemon.note('changed', 'loglevel', `"${level}" is anycast-guard's "${mapped}"`);
  return mapped;
}

function convertService(
  reader: SectionReader,
  ctx: Context,
  usedNames: Set<string>,
  families: { ipv4: boolean; ipv6: boolean },
): ConvertedService {
  const section = reader.section;
  const before = ctx.notes.filter((n) => n.kind === 'error').length;
  const name = serviceName(section, usedNames);
  const origin = ctx.doc.origins.get(section);
  if (name !== section)
    ctx.notes.push({
      kind: 'changed',
      where: `[${section}]${origin === undefined ? '' : ` (${origin.source}:${origin.line})`}`,
      message: `service names are 1 to 64 letters, digits, ".", "-" or "_" (starting with a letter or digit): it becomes services.${name}`,
    });
  const header = [
    `[services.${tomlKey(name)}]`,
    tomlComment(`[${section}]${origin === undefined ? '' : ` in ${origin.source}:${origin.line}`}`),
  ];

  const command =
    reader.raw('check_cmd') === undefined
      ? reader.error(
          'check_cmd',
          'is required: the command whose exit code decides the service’s health',
        )
      : reader.command('check_cmd');
  const prefixText = reader.str('ip_prefix');
  let prefix: ConvertedService['prefix'];
  if (prefixText === undefined) {
    if (reader.raw('ip_prefix') === undefined)
      reader.error('ip_prefix', 'is required: the prefix to announce while the service is healthy');
  } else {
    try {
      const parsed = parsePrefix(prefixText);
      prefix = {
        family: parsed.family,
        text: formatPrefix(parsed),
        where: where(section, 'ip_prefix', reader.raw('ip_prefix')),
      };
      if (!families[parsed.family])
        reader.error(
          'ip_prefix',
          `is ${parsed.family === 'ipv4' ? 'IPv4' : 'IPv6'} but [daemon] ${parsed.family} = false (anycast-healthchecker refuses to start like this)`,
        );
    } catch (error) {
      reader.error('ip_prefix', errorMessage(error));
    }
  }
  const interval = reader.float('check_interval');
  const timeout = reader.float('check_timeout');
  const rise = reader.int('check_rise');
  const fall = reader.int('check_fail');
  const disabled = reader.bool('check_disabled');
  const onDisabled = reader.str('on_disabled');
  const ipCheckDisabled = reader.bool('ip_check_disabled');
  const iface = reader.str('interface') ?? 'lo';
  if (onDisabled !== undefined && onDisabled !== 'withdraw' && onDisabled !== 'advertise')
    reader.error('on_disabled', `must be withdraw or advertise, got "${onDisabled}"`);
  if (interval !== undefined && interval <= 0)
    reader.error('check_interval', 'must be more than 0');
  if (timeout !== undefined && timeout <= 0) reader.error('check_timeout', 'must be more than 0');
  if (rise !== undefined && rise < 1)
    reader.error('check_rise', `is ${rise}: anycast-healthchecker never brings such a service up`);
  if (fall !== undefined && fall < 1)
    reader.error('check_fail', `is ${fall}: anycast-healthchecker never takes such a service down`);

  let custom: ConvertedService['custom'];
  if (reader.raw('custom_bird_reconfigure_cmd') !== undefined) {
    const argv = reader.command('custom_bird_reconfigure_cmd');
    if (argv !== undefined)
      custom = {
        argv,
        timeout: reader.float('custom_bird_reconfigure_cmd_timeout'),
        where: where(
          section,
          'custom_bird_reconfigure_cmd',
          reader.raw('custom_bird_reconfigure_cmd'),
        ),
      };
  }

  const errorNotes = ctx.notes.filter((n) => n.kind === 'error').length > before;
  const body: string[] = [];
  const comments: string[] = [];
  if (prefix !== undefined) body.push(`prefixes.bird = ${tomlValue([prefix.text])}`);
  const argv = command ?? [];

  if (disabled === true && onDisabled === 'advertise') {
    // servicecheck._check_disabled: announced for good, no check, no address check.
    body.push('announce = "always"');
    comments.push(
      'check_disabled = true, on_disabled = advertise: announced for as long as anycast-guard runs, never checked',
      `check_cmd was: ${argv.join(' ')}`,
    );
    reader.note(
      'changed',
      'check_disabled',
      `${disabled === true && reader.explicit('check_disabled') === undefined ? "not set, and anycast-healthchecker's default is true; " : ''}with on_disabled = advertise the service is always announced: written as announce = "always"`,
    );
  } else {
    if (ipCheckDisabled !== true && prefix !== undefined) {
      body.push(`addresses = ${tomlValue([prefix.text])}`);
      if (iface !== 'lo') body.push(`device = ${tomlString(iface)}`);
      body.push('address_management = "off"');
      comments.push(
        `ip_check_disabled = false: ${prefix.text} must be on ${iface}; anycast-guard reports it when missing (and BIRD's protocol direct then has no route to export); "auto" would have anycast-guard bind it`,
      );
    }
    const check: Record<string, TomlValue> = { command: argv };
    if (interval !== undefined) check.interval = interval;
    // A timeout longer than the interval is kept: runs never overlap, as in anycast-healthchecker.
    if (timeout !== undefined) check.timeout = timeout;
    body.push(`checks.exec = [${tomlValue(check)}]`);
    if (rise !== undefined) body.push(`rise = ${rise}`);
    if (fall !== undefined) body.push(`fall = ${fall}`);
    // anycast-healthchecker has no hold-down; anycast-guard's default is 10 s.
    body.push('hold_down = 0');
  }

  const neverAnnounced = disabled === true && onDisabled === 'withdraw';
  if (neverAnnounced)
    reader.note(
      'changed',
      'check_disabled',
      `${reader.explicit('check_disabled') === undefined ? "not set, and anycast-healthchecker's default is true; " : ''}with on_disabled = withdraw the service is never announced: written commented out; uncomment it to have it checked and announced while healthy`,
    );
  const lines = [...header, ...comments.map((c) => tomlComment(c)), ...body];
  const leftOut = errorNotes
    ? `[${section}] is left out: see the ERROR notes at the top`
    : neverAnnounced
      ? `[${section}] is never announced (check_disabled = true, on_disabled = withdraw)`
      : undefined;
  return {
    name,
    section,
    lines: leftOut === undefined ? lines : commentOut(lines, leftOut),
    active: leftOut === undefined,
    ...(prefix === undefined ? {} : { prefix }),
    ...(custom === undefined || leftOut !== undefined ? {} : { custom }),
  };
}

function commentOut(lines: readonly string[], reason: string): string[] {
  return [tomlComment(reason), ...lines.map((l) => (l.startsWith('#') ? `#${l}` : `# ${l}`))];
}

function serviceName(section: string, used: Set<string>): string {
  let base = section.replace(/[^A-Za-z0-9_.-]/g, '-').replace(/^[^A-Za-z0-9]+/, '');
  if (base === '') base = 'service';
  base = base.slice(0, 64);
  let name = base;
  for (let i = 2; used.has(name) || !SERVICE_NAME.test(name); i++)
    name = `${base.slice(0, 60)}-${i}`;
  used.add(name);
  return name;
}

function convertDaemon(
  daemon: SectionReader,
  services: readonly ConvertedService[],
  families: { ipv4: boolean; ipv6: boolean },
): string[] {
  const lines: string[] = [];
  const set = (key: string, value: TomlValue): void => {
    lines.push(`${key} = ${tomlValue(value)}`);
  };
  // The same variable in both files suits BIRD 1.x (bird and bird6 each include one);
  // one BIRD including both sees it defined twice, which check-config refuses too.
  let separateIpv6 = false;
  const done = (): string[] => {
    const names = [daemon.str('bird_variable'), daemon.str('bird6_variable')];
    if (families.ipv4 && families.ipv6 && !separateIpv6 && names[0] === names[1])
      daemon.error(
        'bird6_variable',
        `is the same name as bird_variable (${names[0]}), and bird_reconfigure_cmd and bird6_reconfigure_cmd reconfigure the same BIRD, which would read both files and see it defined twice: rename one (and its use in bird.conf), or point bird6_reconfigure_cmd at BIRD 1.x's bird6`,
      );
    return lines;
  };
  const prefixOf = (key: string, family: 'ipv4' | 'ipv6'): string => {
    const text = daemon.str(key) ?? '';
    try {
      const prefix = parsePrefix(text);
      if (prefix.family !== family)
        daemon.error(
          key,
          `must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix, got "${text}"`,
        );
      return formatPrefix(prefix);
    } catch (error) {
      daemon.error(key, errorMessage(error));
      return text;
    }
  };
  for (const [family, on, file, variable, dummy] of [
    ['ipv4', families.ipv4, 'bird_conf', 'bird_variable', 'dummy_ip_prefix'],
    ['ipv6', families.ipv6, 'bird6_conf', 'bird6_variable', 'dummy_ip6_prefix'],
  ] as const) {
    if (!on) {
      set(`${family}_file`, false);
      continue;
    }
    set(`${family}_file`, daemon.str(file) ?? '');
    set(`${family}_variable`, daemon.str(variable) ?? '');
    set(`${family}_dummy_prefix`, prefixOf(dummy, family));
  }

  // custom_bird_reconfigure_cmd replaces both bird*_reconfigure_cmd for the service's prefix.
  const customs = services.filter((s) => s.active && s.custom !== undefined);
  const customArgv = customs[0]?.custom?.argv;
  const activeCount = services.filter((s) => s.active).length;
  if (customArgv !== undefined) {
    const shared =
      customs.length === activeCount &&
      customs.every((s) => sameArgv(s.custom?.argv ?? [], customArgv));
    if (shared) {
      set('reconfigure_command', customArgv);
      const timeout = customs[0]?.custom?.timeout;
      if (
        timeout !== undefined &&
        timeout > 0 &&
        customs.every((s) => s.custom?.timeout === timeout)
      )
        set('timeout', timeout);
      daemon.noteAt(
        'changed',
        customs[0]?.custom?.where ?? 'custom_bird_reconfigure_cmd',
        'every service sets the same command: it becomes reconfigure_command, run once per batch of changes for both families and without the up/down argument anycast-healthchecker passed; its output is read like birdc’s, else its exit code decides',
      );
      return done();
    }
    daemon.noteAt(
      'no-equivalent',
      customs[0]?.custom?.where ?? 'custom_bird_reconfigure_cmd',
      `set for ${customs.map((s) => s.name).join(', ')} but not the same for every service: anycast-guard reconfigures BIRD with one command for all services; left out`,
    );
  }

  const v4 = families.ipv4 ? daemon.command('bird_reconfigure_cmd') : undefined;
  const v6 = families.ipv6 ? daemon.command('bird6_reconfigure_cmd') : undefined;
  const main = v4 ?? v6;
  const mainKey = v4 !== undefined ? 'bird_reconfigure_cmd' : 'bird6_reconfigure_cmd';
  const mainBirdc = main === undefined ? undefined : readBirdcCommand(main);
  if (main !== undefined) {
    if (mainBirdc !== undefined && !mainBirdc.sudo) {
      if (mainBirdc.birdc !== 'birdc') set('birdc', mainBirdc.birdc);
      if (mainBirdc.socket !== undefined) set('socket', mainBirdc.socket);
    } else {
      set('reconfigure_command', main);
      daemon.note(
        'changed',
        mainKey,
        mainBirdc?.sudo === true
          ? 'kept as written (with sudo); BIRD’s answer is read either way. If anycast-guard can open BIRD’s control socket itself (root, or the bird group), drop it and set socket = "/run/bird/bird.ctl"'
          : 'kept as reconfigure_command; its output is read like birdc’s, else its exit code decides',
      );
    }
  }
  if (v4 !== undefined && v6 !== undefined && !sameArgv(v4, v6)) {
    const v6Birdc = readBirdcCommand(v6);
    const sameDaemon =
      v6Birdc !== undefined &&
      mainBirdc !== undefined &&
      v6Birdc.sudo === mainBirdc.sudo &&
      v6Birdc.birdc === mainBirdc.birdc &&
      v6Birdc.socket === mainBirdc.socket;
    if (sameDaemon) {
      // Only spelling differs (-v): one BIRD for both families.
    } else if (
      v6Birdc !== undefined &&
      !v6Birdc.sudo &&
      mainBirdc !== undefined &&
      !mainBirdc.sudo &&
      v6Birdc.birdc === mainBirdc.birdc &&
      v6Birdc.socket !== undefined
    ) {
      set('ipv6_socket', v6Birdc.socket);
      separateIpv6 = true;
    } else {
      set('ipv6_reconfigure_command', v6);
      separateIpv6 = true;
      daemon.note(
        'changed',
        'bird6_reconfigure_cmd',
        `differs from bird_reconfigure_cmd, so the IPv6 file reconfigures a second BIRD (BIRD 1.x's bird6). With BIRD 2 or later (one daemon for both families) remove ipv6_reconfigure_command`,
      );
    }
  }
  return done();
}
