/**
 * ExaBGP healthcheck's command line as its argparse reads it (src/exabgp/application/
 * healthcheck.py, setargs and parse): the options and their kinds, `--opt value`,
 * `--opt=value`, `-i5`, unique prefixes of long options (allow_abbrev), the last value
 * wins and append options add up, int and float values checked; a --config FILE's
 * `name = value` lines are options too, read before the command line's.
 */

type Kind = 'flag' | 'value' | 'append' | 'optional';

interface OptionSpec {
  readonly dest: string;
  readonly kind: Kind;
  readonly names: readonly string[];
  readonly type?: 'int' | 'float';
}

/** healthcheck.py's options (setargs), by destination. */
const OPTIONS: readonly OptionSpec[] = [
  { dest: 'silent', kind: 'flag', names: ['--silent', '-s'] },
  { dest: 'syslog_facility', kind: 'optional', names: ['--syslog-facility', '-sF'] },
  { dest: 'no_syslog', kind: 'flag', names: ['--no-syslog'] },
  { dest: 'debug', kind: 'flag', names: ['--debug', '-d'] },
  { dest: 'no_ack', kind: 'flag', names: ['--no-ack', '-a'] },
  { dest: 'sudo', kind: 'flag', names: ['--sudo'] },
  { dest: 'name', kind: 'value', names: ['--name', '-n'] },
  { dest: 'config', kind: 'value', names: ['--config', '-F'] },
  { dest: 'pid', kind: 'value', names: ['--pid', '-p'] },
  { dest: 'user', kind: 'value', names: ['--user'] },
  { dest: 'group', kind: 'value', names: ['--group'] },
  { dest: 'interval', kind: 'value', names: ['--interval', '-i'], type: 'float' },
  { dest: 'fast', kind: 'value', names: ['--fast-interval', '-f'], type: 'float' },
  { dest: 'timeout', kind: 'value', names: ['--timeout', '-t'], type: 'int' },
  { dest: 'rise', kind: 'value', names: ['--rise'], type: 'int' },
  { dest: 'fall', kind: 'value', names: ['--fall'], type: 'int' },
  { dest: 'disable', kind: 'value', names: ['--disable'] },
  { dest: 'command', kind: 'value', names: ['--command', '--cmd', '-c'] },
  { dest: 'next_hop', kind: 'value', names: ['--next-hop', '-N'] },
  { dest: 'ips', kind: 'append', names: ['--ip'] },
  { dest: 'ip_ifnames', kind: 'append', names: ['--ip-ifname'] },
  { dest: 'local_preference', kind: 'value', names: ['--local-preference'], type: 'int' },
  { dest: 'deaggregate_networks', kind: 'flag', names: ['--deaggregate-networks'] },
  { dest: 'no_ip_setup', kind: 'flag', names: ['--no-ip-setup'] },
  { dest: 'ip_dynamic', kind: 'flag', names: ['--dynamic-ip-setup'] },
  { dest: 'label', kind: 'value', names: ['--label'] },
  { dest: 'label_exact_match', kind: 'flag', names: ['--label-exact-match'] },
  { dest: 'start_ip', kind: 'value', names: ['--start-ip'], type: 'int' },
  { dest: 'up_metric', kind: 'value', names: ['--up-metric'], type: 'int' },
  { dest: 'down_metric', kind: 'value', names: ['--down-metric'], type: 'int' },
  { dest: 'disabled_metric', kind: 'value', names: ['--disabled-metric'], type: 'int' },
  { dest: 'increase', kind: 'value', names: ['--increase'], type: 'int' },
  { dest: 'community', kind: 'value', names: ['--community'] },
  { dest: 'extended_community', kind: 'value', names: ['--extended-community'] },
  { dest: 'large_community', kind: 'value', names: ['--large-community'] },
  { dest: 'disabled_community', kind: 'value', names: ['--disabled-community'] },
  { dest: 'as_path', kind: 'value', names: ['--as-path'] },
  { dest: 'up_as_path', kind: 'value', names: ['--up-as-path'] },
  { dest: 'down_as_path', kind: 'value', names: ['--down-as-path'] },
  { dest: 'disabled_as_path', kind: 'value', names: ['--disabled-as-path'] },
  { dest: 'withdraw_on_down', kind: 'flag', names: ['--withdraw-on-down'] },
  { dest: 'path_id', kind: 'value', names: ['--path-id'], type: 'int' },
  { dest: 'neighbors', kind: 'append', names: ['--neighbor'] },
  { dest: 'debounce', kind: 'flag', names: ['--debounce'] },
  { dest: 'execute', kind: 'append', names: ['--execute'] },
  { dest: 'up_execute', kind: 'append', names: ['--up-execute'] },
  { dest: 'down_execute', kind: 'append', names: ['--down-execute'] },
  { dest: 'disabled_execute', kind: 'append', names: ['--disabled-execute'] },
];

/** healthcheck.py's defaults that the mapping needs. */
export const EXABGP_HEALTHCHECK_DEFAULTS = {
  interval: 5,
  fast: 1,
  timeout: 5,
  rise: 3,
  fall: 3,
  upMetric: 100,
  downMetric: 1000,
  disabledMetric: 500,
  increase: 1,
} as const;

/** One option as given: its value(s) and its long name (what notes say). */
interface Given {
  readonly option: string;
  values: string[];
}

export type Parsed = Map<string, Given>;

/** Words healthcheck's argparse would refuse (turned into an ERROR note, never thrown out). */
export class HealthcheckArgsError extends Error {
  readonly kind = 'import.healthcheck_args';
  constructor(message: string) {
    super(message);
    this.name = 'HealthcheckArgsError';
  }
}

function findOption(word: string): OptionSpec | undefined {
  const exact = OPTIONS.find((o) => o.names.includes(word));
  if (exact !== undefined || !word.startsWith('--')) return exact;
  // argparse's allow_abbrev: a unique prefix of a long option.
  const matches = OPTIONS.filter((o) =>
    o.names.some((n) => n.startsWith('--') && n.startsWith(word)),
  );
  if (matches.length > 1) {
    const names = matches.flatMap((o) => o.names.filter((n) => n.startsWith(word)));
    throw new HealthcheckArgsError(`ambiguous option ${word} (could be ${names.join(', ')})`);
  }
  return matches[0];
}

/** argparse, for healthcheck.py's options only. Throws HealthcheckArgsError. */
export function parseArgs(args: readonly string[], parsed: Parsed = new Map()): Parsed {
  for (let i = 0; i < args.length; i++) {
    const word = args[i] ?? '';
    if (!word.startsWith('-') || word === '-')
      throw new HealthcheckArgsError(`unrecognized argument: ${word}`);
    let name = word;
    let inline: string | undefined;
    const eq = word.indexOf('=');
    if (word.startsWith('--') && eq > 0) {
      name = word.slice(0, eq);
      inline = word.slice(eq + 1);
    }
    let spec = findOption(name);
    if (spec === undefined && !word.startsWith('--') && word.length > 2) {
      // -i5: a short option with its value attached.
      spec = findOption(word.slice(0, 2));
      if (spec !== undefined && spec.kind !== 'flag') {
        name = word.slice(0, 2);
        inline = word.slice(2);
      } else spec = undefined;
    }
    if (spec === undefined) throw new HealthcheckArgsError(`unrecognized option: ${word}`);
    let value: string | undefined = inline;
    if (spec.kind === 'flag') {
      if (inline !== undefined) throw new HealthcheckArgsError(`${name} takes no value`);
    } else if (value === undefined) {
      const next = args[i + 1];
      if (next !== undefined && !(next.startsWith('-') && next.length > 1 && !/^-\d/.test(next))) {
        value = next;
        i++;
      } else if (spec.kind !== 'optional')
        throw new HealthcheckArgsError(`${name} expects a value`);
    }
    if (value !== undefined && spec.type !== undefined) {
      const ok =
        spec.type === 'int'
          ? /^\s*[-+]?\d+\s*$/.test(value)
          : Number.isFinite(Number(value)) && value.trim() !== '';
      if (!ok) throw new HealthcheckArgsError(`${name}: invalid ${spec.type} value: '${value}'`);
    }
    const before = parsed.get(spec.dest);
    const values = value === undefined ? [] : [value];
    if (spec.kind === 'append' && before !== undefined) before.values.push(...values);
    else
      parsed.set(spec.dest, {
        option: spec.names[0] ?? name,
        values,
      });
  }
  return parsed;
}

/** A --config FILE's lines as words: `name = value` is `--name value`, as parse() builds them. */
export function configFileArgs(text: string): string[] {
  const words: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) words.push(`--${line}`);
    else words.push(`--${line.slice(0, eq).trim()}`, line.slice(eq + 1).trim());
  }
  return words;
}

/** The paths of --config/-F files named in these options (the CLI reads them first). */
export function configFilesNamed(args: readonly string[]): string[] {
  try {
    const file = parseArgs(args).get('config')?.values[0];
    return file === undefined ? [] : [file];
  } catch {
    return [];
  }
}
