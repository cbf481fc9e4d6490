/**
 * The `[announcers.bird]` table. Every default is anycast-healthchecker's (its README and
 * DEFAULT_OPTIONS, 0.9.x), so a BIRD configuration that includes the files it wrote and
 * matches on its variables keeps working unchanged when anycast-guard takes over:
 *
 *   bird_conf        /var/lib/anycast-healthchecker/anycast-prefixes.conf    → ipv4_file
 *   bird6_conf       /var/lib/anycast-healthchecker/6/anycast-prefixes.conf  → ipv6_file
 *   bird_variable    ACAST_PS_ADVERTISE                                      → ipv4_variable
 *   bird6_variable   ACAST6_PS_ADVERTISE                                     → ipv6_variable
 *   dummy_ip_prefix  10.189.200.255/32                                       → ipv4_dummy_prefix
 *   dummy_ip6_prefix 2001:db8::1/128                                         → ipv6_dummy_prefix
 *
 * One BIRD (BIRD 2 and later: one daemon for both families) is reconfigured with
 * `birdc [-s socket] configure`. BIRD 1.x runs a second daemon, bird6, for IPv6: naming its
 * socket (`ipv6_socket`) or its command (`ipv6_reconfigure_command`) makes the IPv6 file
 * reconfigure that one instead.
 */
import { z } from 'zod';
import { formatPrefix, parsePrefix, type Family } from '../../bgp/index.js';
import { splitCommand } from '../../checks/index.js';
import { type IssueList, type KeyPath, seconds, validate } from '../../validation/index.js';
import { errorMessage } from '../../util/index.js';

export const BIRD_DEFAULTS = {
  ipv4File: '/var/lib/anycast-healthchecker/anycast-prefixes.conf',
  ipv6File: '/var/lib/anycast-healthchecker/6/anycast-prefixes.conf',
  ipv4Variable: 'ACAST_PS_ADVERTISE',
  ipv6Variable: 'ACAST6_PS_ADVERTISE',
  ipv4DummyPrefix: '10.189.200.255/32',
  ipv6DummyPrefix: '2001:db8::1/128',
  birdc: 'birdc',
  timeoutS: 5,
  resyncS: 30,
} as const;

/** One family's prefix-list file. */
export interface BirdFamilySettings {
  readonly family: Family;
  /** Absolute path of the include file. */
  readonly file: string;
  /** The name the file `define`s (what `net ~ NAME` matches in BIRD's filter). */
  readonly variable: string;
  /** Always in the set, so it is never empty (BIRD refuses an empty set); canonical text. */
  readonly dummyPrefix: string;
}

/** One BIRD daemon to reconfigure, and the families whose files it reads. */
export interface BirdInstance {
  /** "bird" (the one daemon, or BIRD 1.x's IPv4 one) or "bird6" (BIRD 1.x's IPv6 daemon). */
  readonly name: 'bird' | 'bird6';
  readonly families: readonly Family[];
  /** The reconfigure command, argv. */
  readonly configure: readonly string[];
  /** `configure` is the operator's (reconfigure_command), not our `birdc -v configure`. */
  readonly custom: boolean;
  /** `birdc [-s socket]`, for read-only queries (the route check); undefined with a custom command and no socket. */
  readonly birdc: readonly string[] | undefined;
}

export interface BirdSettings {
  /** Absent when that family's file is turned off (`ipv6_file = false`). */
  readonly ipv4?: BirdFamilySettings;
  readonly ipv6?: BirdFamilySettings;
  readonly instances: readonly BirdInstance[];
  /** How long one birdc run may take, ms. */
  readonly timeoutMs: number;
  /** After a change, ask BIRD which wanted prefixes it has no route for (shown in status). */
  readonly checkRoutes: boolean;
  /** Re-read the files this often and rewrite them if someone else changed them, ms (0: never). */
  readonly resyncMs: number;
}

/** A BIRD symbol as `define` takes it: a letter or underscore, then letters, digits, underscores. */
const VARIABLE = /^[A-Za-z_][A-Za-z0-9_]*$/;

const absoluteFile = z
  .union([z.literal(false), z.string().startsWith('/', 'must be an absolute path')])
  .describe('an absolute path, or false to leave this family out');

const variable = z
  .string()
  .regex(VARIABLE, 'must be a BIRD symbol: a letter or "_", then letters, digits or "_"');

const command = z
  .union([z.array(z.string()).min(1), z.string().min(1)])
  .describe('a command as an array of arguments, or a command line string')
  .transform((value, ctx): string[] => {
    if (Array.isArray(value)) {
      if (value[0] === '') {
        ctx.addIssue({ code: 'custom', message: 'must name a program first' });
        return z.NEVER;
      }
      return value;
    }
    const split = splitCommand(value);
    if (!split.ok) {
      ctx.addIssue({ code: 'custom', message: split.error });
      return z.NEVER;
    }
    if (split.argv.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must name a program' });
      return z.NEVER;
    }
    return split.argv;
  });

const socket = z.string().startsWith('/', 'must be an absolute path to BIRD’s control socket');

const schema = z.strictObject({
  ipv4_file: absoluteFile.default(BIRD_DEFAULTS.ipv4File),
  ipv6_file: absoluteFile.default(BIRD_DEFAULTS.ipv6File),
  ipv4_variable: variable.default(BIRD_DEFAULTS.ipv4Variable),
  ipv6_variable: variable.default(BIRD_DEFAULTS.ipv6Variable),
  ipv4_dummy_prefix: z.string().default(BIRD_DEFAULTS.ipv4DummyPrefix),
  ipv6_dummy_prefix: z.string().default(BIRD_DEFAULTS.ipv6DummyPrefix),
  birdc: z.string().min(1).default(BIRD_DEFAULTS.birdc),
  socket: socket.optional(),
  ipv6_socket: socket.optional(),
  reconfigure_command: command.optional(),
  ipv6_reconfigure_command: command.optional(),
  timeout: seconds({ max: 300 }).default(BIRD_DEFAULTS.timeoutS),
  check_routes: z.boolean().default(true),
  resync_interval: seconds({ zero: true, max: 3600 }).default(BIRD_DEFAULTS.resyncS),
});

export function parseBirdSettings(
  raw: unknown,
  path: KeyPath,
  issues: IssueList,
): BirdSettings | undefined {
  const table = validate(schema, raw, path, issues);
  if (table === undefined) return undefined;
  const before = issues.count;

  const dummy = (key: string, text: string, family: Family): string => {
    try {
      const prefix = parsePrefix(text);
      if (prefix.family !== family)
        issues.add(
          [...path, key],
          `must be an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} prefix, got "${text}"`,
        );
      return formatPrefix(prefix);
    } catch (error) {
      issues.add([...path, key], errorMessage(error));
      return text;
    }
  };
  const ipv4Dummy = dummy('ipv4_dummy_prefix', table.ipv4_dummy_prefix, 'ipv4');
  const ipv6Dummy = dummy('ipv6_dummy_prefix', table.ipv6_dummy_prefix, 'ipv6');

  if (table.ipv4_file === false && table.ipv6_file === false)
    issues.add(
      [...path, 'ipv4_file'],
      'ipv4_file and ipv6_file are both false: BIRD would be told nothing',
    );
  if (table.ipv4_file !== false && table.ipv6_file !== false && table.ipv4_file === table.ipv6_file)
    issues.add(
      [...path, 'ipv6_file'],
      `is the same file as ipv4_file (${table.ipv4_file}); each family needs its own`,
    );

  const separate = table.ipv6_socket !== undefined || table.ipv6_reconfigure_command !== undefined;
  // BIRD 1.x sites often define the same name in both files: right when bird and bird6
  // each read one, wrong only when one BIRD includes both.
  if (
    !separate &&
    table.ipv4_file !== false &&
    table.ipv6_file !== false &&
    table.ipv4_variable === table.ipv6_variable
  )
    issues.add(
      [...path, 'ipv6_variable'],
      `is the same name as ipv4_variable (${table.ipv4_variable}) and one BIRD reads both files, so it would see it defined twice; rename one, or name the second BIRD (BIRD 1.x's bird6) with ipv6_socket or ipv6_reconfigure_command`,
    );
  if (separate && table.ipv6_file === false)
    issues.add(
      [...path, table.ipv6_socket !== undefined ? 'ipv6_socket' : 'ipv6_reconfigure_command'],
      'names a separate IPv6 BIRD, but ipv6_file = false',
    );
  if (issues.count > before) return undefined;

  const birdc = (sock: string | undefined): string[] => [
    table.birdc,
    ...(sock === undefined ? [] : ['-s', sock]),
  ];
  const families = (list: Family[]): Family[] =>
    list.filter((f) => (f === 'ipv4' ? table.ipv4_file : table.ipv6_file) !== false);
  const instances: BirdInstance[] = [];
  const main = families(separate ? ['ipv4'] : ['ipv4', 'ipv6']);
  if (main.length > 0)
    instances.push({
      name: 'bird',
      families: main,
      // -v: BIRD's reply codes on every line, so its answer is read by code, not wording.
      configure: table.reconfigure_command ?? [...birdc(table.socket), '-v', 'configure'],
      custom: table.reconfigure_command !== undefined,
      birdc:
        table.reconfigure_command !== undefined && table.socket === undefined
          ? undefined
          : birdc(table.socket),
    });
  if (separate)
    instances.push({
      name: 'bird6',
      families: ['ipv6'],
      configure: table.ipv6_reconfigure_command ?? [...birdc(table.ipv6_socket), '-v', 'configure'],
      custom: table.ipv6_reconfigure_command !== undefined,
      birdc: table.ipv6_socket === undefined ? undefined : birdc(table.ipv6_socket),
    });

  return {
    ...(table.ipv4_file === false
      ? {}
      : {
          ipv4: {
            family: 'ipv4',
            file: table.ipv4_file,
            variable: table.ipv4_variable,
            dummyPrefix: ipv4Dummy,
          },
        }),
    ...(table.ipv6_file === false
      ? {}
      : {
          ipv6: {
            family: 'ipv6',
            file: table.ipv6_file,
            variable: table.ipv6_variable,
            dummyPrefix: ipv6Dummy,
          },
        }),
    instances,
    timeoutMs: Math.round(table.timeout * 1000),
    checkRoutes: table.check_routes,
    resyncMs: Math.round(table.resync_interval * 1000),
  };
}
